"""dgate's local actions (dgate.md §1.4): work directly on the database and the files, then exit.

:func:`run` is what ``dgate`` calls when :func:`~pydcmkit.conquest.cmdline.parse` found an action
(``-r``, ``-fa...``, ``-j*...``).  Each action is one small function over the library -- a
:class:`~pydcmkit.conquest.service.Dgate` for dicom.ini, the database and the devices,
:mod:`~pydcmkit.conquest.compression` for the ``-j``/``-n`` conversions,
:mod:`~pydcmkit.conquest.naming` for reading and writing objects -- and returns dgate's exit
status (dgate.md §1.5): 0 when the action succeeded, 1 when it failed.

What dgate prints through its operator console (device, map and dicom.sql listings, progress)
appears on stdout only with ``-v``; what dgate prints with ``printf`` (``-f?``, ``-fu``, the JSON
of ``-js``/``-jj``) always does.  A failure always gets one line on stderr that names the file,
patient or device and the reason (dgate writes most of them to the console only).
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import shutil
import tarfile
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from pydicom.dataset import Dataset

from ..db.base import DatabaseError
from ..db.model import Level
from . import compression as comp
from .cmdline import Action, DgateCommandLine
from .database import ConquestDatabaseError
from .errors import ConquestConfigError
from .ini import ConfigLocation
from .naming import (dataset_text, device_root, encode_dcm, encode_v2, free_space_mb,
                     write_object)
from .service import Dgate, StoreError

__all__ = ["ActionFailed", "run"]

_PIXEL_TAGS = (0x7FE00010, 0x7FDF0010)
#: what a ``.v2`` file can hold (dgate.md §5.2)
_NATIVE_SYNTAXES = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2")
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".gz", ".7z")


class ActionFailed(Exception):
    """A local action failed: ``str(exc)`` is the one-line reason (exit status 1)."""


@dataclass
class _Context:
    cl: DgateCommandLine
    location: ConfigLocation
    out: TextIO
    err: TextIO
    _dgate: Dgate | None = None

    def dgate(self, *, database: bool = True) -> Dgate:
        if self._dgate is None:
            self._dgate = Dgate(self.location, ae_title=self.cl.ae_title, port=self.cl.port,
                                uid_counter=self.cl.uid_counter or 0,
                                database_url=os.environ.get("PYDCMKIT_DGATE_DATABASE") or None,
                                open_database=database)
        elif database:
            self._dgate.database  # noqa: B018 - open it now
        return self._dgate

    def console(self, text: str) -> None:
        """dgate's OperatorConsole: visible with ``-v`` only."""
        if self.cl.verbose:
            self.out.write(text if text.endswith("\n") else text + "\n")

    def print(self, text: str) -> None:
        """dgate's ``printf``: always visible."""
        self.out.write(text if text.endswith("\n") else text + "\n")

    def error(self, text: str) -> None:
        self.err.write(text if text.endswith("\n") else text + "\n")

    def close(self) -> None:
        if self._dgate is not None:
            self._dgate.close()


def run(cl: DgateCommandLine, location: ConfigLocation, *, out: TextIO, err: TextIO) -> int:
    """Run ``cl.action`` (dgate.md §1.4) and return dgate's exit status (0 ok, 1 failed)."""
    action = cl.action
    if action is None:
        raise ValueError("no local action on the command line")
    handler = _ACTIONS.get(action.name)
    ctx = _Context(cl, location, out, err)
    try:
        if handler is None:
            raise ActionFailed(f"{action.name}: this local action is not available in pydcmkit's dgate")
        return handler(ctx, action)
    except ActionFailed as exc:
        ctx.error(f"***{exc}" if not str(exc).startswith("***") else str(exc))
        return 1
    except StoreError as exc:
        ctx.error(str(exc) if str(exc).startswith("***") else f"***{exc}")
        return 1
    except ConquestConfigError as exc:
        ctx.error(f"***{exc}")
        return 1
    except comp.CompressionCodeError as exc:  # a bad code in dicom.ini (DroppedFileCompression ...)
        ctx.error(f"***{action.name}: {exc} in {ctx.location.config_file}")
        return 1
    except DatabaseError as exc:
        ctx.error(f"***{action.name}: database error: {exc}")
        return 1
    finally:
        ctx.close()
        out.flush()


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def _atoi(text: str, default: int = 0) -> int:
    from .printf import atoi
    return atoi(text) if text.strip() else default


def _split_patient(value: str) -> tuple[str | None, str]:
    """``[PATID:]UID``: split at the last ``:`` (dgate.md §1.1)."""
    if ":" in value:
        patient, uid = value.rsplit(":", 1)
        return (patient or None), uid
    return None, value


def _read(ctx: _Context, spec: str, what: str) -> tuple[str, Dataset]:
    """(path, data set) of a file argument (dgate.md §7.1); ActionFailed naming it otherwise."""
    if not spec:
        raise ActionFailed(f"{what}: no file given")
    dgate = ctx.dgate(database=False)
    try:
        path = dgate.resolve_file(spec)
        ds = dgate.read_file(path)
    except FileNotFoundError:
        raise ActionFailed(f"{what}: {spec}: no such file or stored object") from None
    except IsADirectoryError:
        raise ActionFailed(f"{what}: {spec}: is a directory") from None
    except OSError as exc:
        raise ActionFailed(f"{what}: {spec}: {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - pydicom's many ways of refusing a file
        raise ActionFailed(f"{what}: {spec}: not a DICOM object ({exc})") from None
    if not dataset_text(ds, 0x00080018):
        raise ActionFailed(f"{what}: {spec}: not a DICOM object (no SOP Instance UID)")
    return path, ds


def _write_in_place(path: str, ds: Dataset, *, raw_v2: bool = False) -> None:
    """Replace ``path`` by ``ds`` atomically: ``.v2`` names (or ``raw_v2``) as a raw Implicit LE
    data set, other names as a Part 10 file in the object's transfer syntax."""
    folder, name = os.path.split(os.path.abspath(path))
    ts = _transfer_syntax(ds)
    if raw_v2 or name.lower().endswith(".v2"):
        if not raw_v2 and ts not in _NATIVE_SYNTAXES:
            raise ActionFailed(f"{path}: a {name.rsplit('.', 1)[-1]} file cannot hold a compressed object "
                               f"({ts}); use a .dcm name or -j-")
        data = encode_v2(ds)
        _replace(path, data)
        return
    write_object(ds, folder, name, transfer_syntax=ts)


def _replace(path: str, data: bytes) -> None:
    from ..storage.writer import AtomicFile
    folder = os.path.dirname(os.path.abspath(path))
    with AtomicFile(folder) as f:
        f.write(data)
        f.commit(path, overwrite=True)


def _transfer_syntax(ds: Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    ts = str(meta.get("TransferSyntaxUID", "") or "") if meta is not None else ""
    return ts.rstrip("\x00 ") or "1.2.840.10008.1.2"


def _deleted_or_fail(removed: list, what: str) -> None:
    if not removed:
        raise ActionFailed(f"{what}: not in the database")


# ------------------------------------------------------------------------------------------------
# Database and devices: -i -r -ar -d -m -k -t -o
# ------------------------------------------------------------------------------------------------


def _initialize(ctx: _Context, action: Action) -> int:
    mode = _atoi(action.value)
    if mode not in (0, 1, 2):
        raise ActionFailed(f"-i{action.value}: unknown mode {mode} (0 with indexes, 1 without, 2 worklist only)")
    db = ctx.dgate().database
    ctx.console("Initializing Tables")
    try:
        db.initialize_tables(mode)
    except ConquestDatabaseError as exc:
        raise ActionFailed(f"-i: {exc}") from None
    return 0


def _regen_all(ctx: _Context, action: Action) -> int:
    mode = _atoi(action.value)
    if mode not in (0, 1, 2):
        raise ActionFailed(f"-r{action.value}: unknown mode {mode} (0 with indexes, 1 without, 2 worklist only)")
    db = ctx.dgate().database
    ctx.console("Initializing Tables")
    db.initialize_tables(mode)
    ctx.console("Regen Database")
    entered, failed = db.regen()
    ctx.console(f"Regen done: {entered} objects entered, {failed} files skipped")
    return 0


def _regen_device(ctx: _Context, action: Action) -> int:
    device, _, folder = action.value.partition(",")
    device = device.strip() or "MAG0"
    dgate = ctx.dgate()
    try:
        root = device_root(dgate.ini, device)
    except KeyError:
        raise ActionFailed(f"-ar: unknown device {device!r} (dicom.ini has MAG0..MAG{dgate.ini.mag_devices - 1})") from None
    return _regen_folder(ctx, dgate, device.upper(), root, folder.strip(), "-ar")


def _regen_folder(ctx: _Context, dgate: Dgate, device: str, root: str, folder: str, what: str) -> int:
    if folder:
        full = folder if os.path.isabs(folder) else os.path.join(root, folder)
        base = os.path.abspath(root)
        full = os.path.abspath(full)
        if full != base and not full.startswith(base.rstrip(os.sep) + os.sep):
            raise ActionFailed(f"{what}: {folder} is not below the root {root} of {device}")
        if not os.path.isdir(full):
            raise ActionFailed(f"{what}: {full}: no such directory")
        folder = os.path.relpath(full, base)
        folder = "" if folder == "." else folder
    elif not os.path.isdir(root):
        raise ActionFailed(f"{what}: {device} root {root}: no such directory")
    ctx.console(f"Regen {device} {folder}".rstrip())
    entered, failed = dgate.database.regen_directory(device, folder)
    ctx.console(f"Regen done: {entered} objects entered, {failed} files skipped")
    return 0


def _list_devices(ctx: _Context, action: Action) -> int:
    ini = ctx.dgate(database=False).ini
    for n in range(max(ini.mag_devices, 0)):
        root = ini.mag_device(n)
        ctx.console(f"MAG{n} ({root}): {free_space_mb(root)} MByte free")
    for n in range(max(ini.mirror_devices, 0)):
        root = ini.mirror_device(n)
        if root:
            ctx.console(f"MIRROR{n} ({root}): {free_space_mb(root)} MByte free")
    return 0


def _list_amap(ctx: _Context, action: Action) -> int:
    amap = ctx.dgate(database=False).amap
    for entry in amap.entries:
        ctx.console(entry.format())
    return 0


def _list_dicom_sql(ctx: _Context, action: Action) -> int:
    sql = ctx.dgate(database=False).dicom_sql
    ctx.console(f"dicom.sql: {sql.path or 'built-in default'}")
    for table in sql.tables:
        ctx.console(f"{table.level} table {table.name}:")
        for field in table.fields:
            ctx.console("  " + field.format())
    return 0


def _test_console(ctx: _Context, action: Action) -> int:
    dgate = ctx.dgate(database=False)
    ctx.console(f"This is a test of the console output of dgate {dgate.ae_title} (pydcmkit)")
    ctx.console("A long line: " + "0123456789" * 20)
    return 0


def _test_database(ctx: _Context, action: Action) -> int:
    db = ctx.dgate().database
    if db.is_null:
        raise ActionFailed("-o: no database configured (SQLServer is empty)")
    table = "pydcmkit_dgate_test"

    def work(conn):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} (n integer, text varchar(64))")
        for i in range(10):
            conn.execute(db.backend.dialect.sql(f"INSERT INTO {table} (n, text) VALUES (?, ?)"), (i, f"row {i}"))
        count = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        conn.execute(f"DROP TABLE {table}")
        return count

    for round_ in range(10):
        count = db.backend.run_write(work)
        if count != 10:
            raise ActionFailed(f"-o: test table round {round_ + 1}: {count} rows read back instead of 10")
        ctx.console(f"Test table round {round_ + 1}: created, filled with 10 rows, read back, dropped")
    return 0


# ------------------------------------------------------------------------------------------------
# Deletes: -fp -ft -fs -fi -z
# ------------------------------------------------------------------------------------------------


def _delete(level: Level, with_files: bool, name: str) -> Callable[[_Context, Action], int]:
    def action_fn(ctx: _Context, action: Action) -> int:
        value = action.value.strip()
        if level is Level.PATIENT:
            patient, uid = None, value
        else:
            patient, uid = _split_patient(value)
        what = f"{name}{value}"
        if not uid:
            raise ActionFailed(f"{name}: no {'patient ID' if level is Level.PATIENT else 'UID'} given")
        db = ctx.dgate().database
        removed = db.delete(level, uid, patient, with_files=False)
        kind = level.name.lower()
        if not removed:
            # a study or series without images still has rows; the patient level always counts
            raise ActionFailed(f"{what}: {kind} {uid} is not in the database"
                               + (f" for patient {patient}" if patient else ""))
        failed = db.remove_files(removed) if with_files else []
        ctx.console(f"Deleted {kind} {uid}: {len(removed)} images" + (" and their files" if with_files else ""))
        if failed:
            raise ActionFailed(f"{what}: rows deleted, but {len(failed)} files could not be removed: {failed[0]} ...")
        return 0

    return action_fn


# ------------------------------------------------------------------------------------------------
# Files: -fe -fd -fz -fa -fr -fc -fk -f? -fu -ff
# ------------------------------------------------------------------------------------------------


def _enter_file(ctx: _Context, action: Action) -> int:
    path = action.value
    if not os.path.isfile(path):
        raise ActionFailed(f"-fe: {path}: no such file")
    db = ctx.dgate().database
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            db.regen_file(path)
    except ConquestDatabaseError as exc:
        raise ActionFailed(f"-fe: {exc}") from None
    except (OSError, ValueError, EOFError) as exc:
        raise ActionFailed(f"-fe: {path}: not a DICOM object ({exc})") from None
    ctx.console(f"Entered file: {path}")
    return 0


def _remove_files(db, removed, path: str, *, keep: str | None = None) -> list[str]:
    """Delete the files of the removed rows and the file given on the command line (unless it is
    ``keep``, the object's new file); the ones that could not be deleted, for the message."""
    failed = db.remove_files(removed)
    if os.path.exists(path) and os.path.abspath(path) != os.path.abspath(keep or ""):
        try:
            os.unlink(path)
        except OSError as exc:
            failed.append(f"{path} ({exc.strerror})")
    return failed


def _remove_entry(with_file: bool, name: str) -> Callable[[_Context, Action], int]:
    def action_fn(ctx: _Context, action: Action) -> int:
        path, ds = _read(ctx, action.value, name)
        sop = dataset_text(ds, 0x00080018)
        db = ctx.dgate().database
        patient = db.patient_id_of(ds) or None
        removed = db.delete(Level.IMAGE, sop, patient, with_files=False)
        if not removed:
            raise ActionFailed(f"{name}: {action.value}: image {sop} is not in the database")
        if with_file:
            failed = _remove_files(db, removed, path)
            if failed:
                raise ActionFailed(f"{name}: entry removed, but {failed[0]} could not be deleted")
        ctx.console(f"Removed {'file and entry' if with_file else 'entry'} of {path}")
        return 0

    return action_fn


def _add_file(ctx: _Context, action: Action) -> int:
    value = action.value
    patient = None
    if not os.path.exists(value) and "," in value:
        value, patient = value.rsplit(",", 1)
        patient = patient.strip() or None
    if not value:
        raise ActionFailed("-fa: no file given")
    if not os.path.exists(value):
        raise ActionFailed(f"-fa: {value}: no such file")
    if os.path.isdir(value):
        raise ActionFailed(f"-fa: {value}: is a directory")
    lower = value.lower()
    if lower.endswith(".hl7"):
        return _add_hl7(ctx, value)
    if lower.endswith(_ARCHIVE_SUFFIXES):
        return _add_archive(ctx, value, patient)
    dgate = ctx.dgate()
    result = dgate.add_file(value, patient)
    ctx.console(f"Added file: {result.path or result.sop_instance_uid}")
    return 0


def _add_hl7(ctx: _Context, path: str) -> int:
    from .hl7 import HL7Error, load_hl7
    try:
        with open(path, "rb") as f:
            text = f.read().decode("latin-1")
    except OSError as exc:
        raise ActionFailed(f"-fa: {path}: {exc.strerror}") from None
    dgate = ctx.dgate()
    try:
        rows = load_hl7(dgate.database, text, dgate.uids)
    except HL7Error as exc:
        raise ActionFailed(f"-fa: {path}: {exc}") from None
    ctx.console(f"Loaded HL7 file {path}: {rows} worklist entries")
    return 0


def _archive_members(path: str, into: str) -> list[str]:
    """Unpack a .zip/.tar(.gz/.bz2/.xz)/.gz archive into ``into``; returns the files, sorted.
    Member names that would leave ``into`` (absolute, ``..``) are refused."""
    lower = path.lower()
    base = os.path.abspath(into)

    def inside(name: str) -> str:
        full = os.path.abspath(os.path.join(base, name))
        if not full.startswith(base + os.sep):
            raise ActionFailed(f"-fa: {path}: archive member {name!r} points outside the archive")
        return full

    if lower.endswith(".7z"):
        raise ActionFailed(f"-fa: {path}: 7z archives are not supported (pydcmkit unpacks .zip, .tar and .gz "
                           "with Python, not with 7za)")
    if lower.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                target = inside(info.filename)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with z.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    elif lower.endswith(".gz") and not lower.endswith((".tar.gz",)) and not tarfile.is_tarfile(path):
        name = os.path.basename(path)[:-3] or "member"
        with gzip.open(path, "rb") as src, open(inside(name), "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        with tarfile.open(path) as t:
            for member in t.getmembers():
                if not member.isfile():
                    continue
                target = inside(member.name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                src = t.extractfile(member)
                with src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    found = []
    for folder, _dirs, files in os.walk(base):
        found += [os.path.join(folder, f) for f in files]
    return sorted(found)


def _add_archive(ctx: _Context, path: str, patient: str | None) -> int:
    dgate = ctx.dgate()
    with tempfile.TemporaryDirectory(prefix="dgate-fa-") as tmp:
        try:
            members = _archive_members(path, tmp)
        except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
            raise ActionFailed(f"-fa: {path}: cannot unpack: {getattr(exc, 'strerror', None) or exc}") from None
        if not members:
            raise ActionFailed(f"-fa: {path}: the archive holds no files")
        added, failures = 0, []
        for member in members:
            shown = f"{path}:{os.path.relpath(member, tmp)}"
            if member.lower().endswith(".hl7"):
                try:
                    _add_hl7(ctx, member)
                    added += 1
                except ActionFailed as exc:
                    failures.append(str(exc))
                continue
            try:
                dgate.add_file(member, patient)
                added += 1
                ctx.console(f"Added file: {shown}")
            except (StoreError, ActionFailed) as exc:
                failures.append(f"{shown}: {str(exc).lstrip('*')}")
    for failure in failures:
        ctx.error(f"***-fa: {failure}")
    ctx.console(f"Loaded {added} of {len(members)} files from {path}")
    return 1 if failures else 0


def _regen_dir(ctx: _Context, action: Action) -> int:
    value = action.value.strip()
    dgate = ctx.dgate()
    device, folder = "MAG0", value
    first, sep, rest = value.partition(",")
    if sep:
        device, folder = first.strip() or "MAG0", rest.strip()
    try:
        root = device_root(dgate.ini, device)
    except KeyError:
        raise ActionFailed(f"-fr: unknown device {device!r}") from None
    if not folder:
        raise ActionFailed("-fr: no directory given")
    return _regen_folder(ctx, dgate, device.upper(), root, folder, "-fr")


def _change_patient(keep_original: bool, name: str) -> Callable[[_Context, Action], int]:
    def action_fn(ctx: _Context, action: Action) -> int:
        patient, sep, spec = action.value.partition(",")
        patient = patient.strip()
        if not sep or not patient or not spec:
            raise ActionFailed(f"{name}: expected {name}NEWPATID,FILE")
        path, ds = _read(ctx, spec, name)
        dgate = ctx.dgate()
        db = dgate.database
        old_sop = dataset_text(ds, 0x00080018)
        old_patient = db.patient_id_of(ds) or None
        new = dgate.new_patient_id(ds, patient)
        result = dgate.store_object(new, None, calling_ae=dgate.ae_title, called_ae=dgate.ae_title)
        if not keep_original:
            removed = db.delete(Level.IMAGE, old_sop, old_patient, with_files=False)
            failed = _remove_files(db, removed, path, keep=result.path)
            if failed:
                raise ActionFailed(f"{name}: new object stored, but the original {failed[0]} could not be deleted")
        ctx.console(f"{'Copied' if keep_original else 'Changed'} {path} to patient {patient}: {result.path}")
        return 0

    return action_fn


def _print_sop_uid(ctx: _Context, action: Action) -> int:
    _path, ds = _read(ctx, action.value, "-f?")
    ctx.print(dataset_text(ds, 0x00080018))
    return 0


def _print_new_uid(ctx: _Context, action: Action) -> int:
    ctx.print(ctx.dgate(database=False).uids.genuid())
    return 0


def _make_space(ctx: _Context, action: Action) -> int:
    value = action.value.strip()
    if not value or not value.lstrip("+").isdigit():
        raise ActionFailed(f"-ff{value}: expected a number of MB (-ff1000)")
    megabytes = int(value)
    dgate = ctx.dgate()
    deleted = dgate.database.make_space(megabytes)
    for patient in deleted:
        ctx.console(f"Deleted patient {patient} to make space")
    roots = dgate.ini.mag_device_roots
    best = max((free_space_mb(r) for r in roots), default=-1)
    if best < megabytes:
        raise ActionFailed(f"-ff{megabytes}: only {best} MB free on the largest MAG device after deleting "
                           f"{len(deleted)} patients")
    return 0


# ------------------------------------------------------------------------------------------------
# Conversions: -nd -jd -j* -j- -nc -jc -nu -js -jj
# ------------------------------------------------------------------------------------------------


def _recompress_file(ctx: _Context, name: str, spec: str, code_text: str, *, raw_v2: bool = False) -> None:
    try:
        code = comp.parse_code(code_text)
    except comp.CompressionCodeError as exc:
        raise ActionFailed(f"{name}: {exc}") from None
    if code.is_virtual or code.is_script:
        raise ActionFailed(f"{name}: compression {code_text!r} cannot be applied to a file")
    path, ds = _read(ctx, spec, name)
    dgate = ctx.dgate(database=False)
    try:
        out = dgate.recompress(ds, code)
    except comp.CompressionError as exc:
        raise ActionFailed(f"{name}: {path}: {exc}") from None
    try:
        _write_in_place(path, out, raw_v2=raw_v2)
    except OSError as exc:
        raise ActionFailed(f"{name}: {path}: cannot write: {exc.strerror or exc}") from None
    ctx.console(f"{'Recompressed' if code_text not in ('un',) else 'Decompressed'} {path} to "
                f"{code_text}: {_transfer_syntax(out)}")


def _decompress(ctx: _Context, action: Action) -> int:
    _recompress_file(ctx, action.name, action.value, "un")
    return 0


def _recompress(ctx: _Context, action: Action) -> int:
    mode, spec = action.mode_and_file
    if len(mode) < 2:
        raise ActionFailed(f"{action.name}: expected {action.name}XYFILE (a 2-character mode, then the file)")
    _recompress_file(ctx, action.name, spec, mode)
    return 0


def _recompress_v2(ctx: _Context, action: Action) -> int:
    mode, spec = action.mode_and_file
    if len(mode) < 2:
        raise ActionFailed(f"{action.name}: expected {action.name}XYFILE (a 2-character mode, then the file)")
    _recompress_file(ctx, action.name, spec, mode, raw_v2=True)
    return 1  # dgate 1.5.0e ends -j- with exit(1) even after success (dgate.md §1.4)


def _broken_compress(ctx: _Context, action: Action) -> int:
    raise ActionFailed(f"{action.name}{action.value}: compression mode 'c{action.value[:1]}' is not recognised "
                       f"(broken in ConQuest 1.5.0e and 1.4.17d); use -j*XYFILE")


def _nki_uncompress(ctx: _Context, action: Action) -> int:
    words = list(action.words)
    if action.value:
        words.insert(0, action.value)
    if len(words) < 2:
        raise ActionFailed("-nu: expected -nu INFILE OUTFILE")
    source, target = words[0], words[1]
    try:
        with open(source, "rb") as f:
            head = f.read(5)
    except OSError as exc:
        raise ActionFailed(f"-nu: {source}: {exc.strerror}") from None
    if head.startswith(b"# AVS"):
        raise ActionFailed(f"-nu: {source}: AVS field files are not supported, only DICOM and .v2")
    path, ds = _read(ctx, source, "-nu")
    dgate = ctx.dgate(database=False)
    try:
        out = dgate.recompress(ds, "un")
    except comp.CompressionError as exc:
        raise ActionFailed(f"-nu: {path}: {exc}") from None
    try:
        if target.lower().endswith(".v2"):
            _replace(target, encode_v2(out))
        else:
            _replace(target, encode_dcm(out, _transfer_syntax(out)))
    except OSError as exc:
        raise ActionFailed(f"-nu: {target}: cannot write: {exc.strerror or exc}") from None
    return 0


def _json(with_pixels: bool) -> Callable[[_Context, Action], int]:
    def action_fn(ctx: _Context, action: Action) -> int:
        _path, ds = _read(ctx, action.value, action.name)
        body = copy.copy(ds)
        for tag in [t for t in body.keys() if t.group == 0x0002 or (not with_pixels and t in _PIXEL_TAGS)]:
            del body[tag]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = body.to_json_dict(bulk_data_threshold=1 << 62)
        except Exception as exc:  # noqa: BLE001 - values pydicom cannot render
            raise ActionFailed(f"{action.name}: {action.value}: cannot render as JSON: {exc}") from None
        ctx.print(json.dumps(data, indent=2))
        return 0

    return action_fn


# ------------------------------------------------------------------------------------------------
# -g: grab from another server
# ------------------------------------------------------------------------------------------------


def _grab(ctx: _Context, action: Action) -> int:
    """``-gAE[,DATE]``: C-FIND at AE (acrnema.map) the images of the studies of DATE (default
    ``*``), and C-MOVE those not in the local database to this server's own AE title.  The
    images arrive through the running server, so it must answer a C-ECHO first.  The queries
    go down the hierarchy (STUDY, SERIES, IMAGE), which every Q/R SCP answers."""
    from ..db.model import InformationModel
    from .commands_net import PeerError, c_move, find_peer, images_not_here
    from .remote import c_echo

    ae, _, date = action.value.partition(",")
    ae, date = ae.strip(), date.strip()
    if not ae:
        raise ActionFailed("-g: expected -gAE[,DATE]")
    what = f"-g{action.value}"
    dgate = ctx.dgate()
    own, port = dgate.ae_title, dgate.port
    try:
        peer = find_peer(dgate, None, ae)
    except PeerError as exc:
        raise ActionFailed(f"{what}: {exc}") from None
    if not c_echo("127.0.0.1", port, own, own, timeout=10, ssl_context=dgate.tls_context()):
        raise ActionFailed(f"{what}: this server ({own}) does not answer a C-ECHO on port {port}; start the "
                           f"dgate server first: the grabbed images are sent to it by C-MOVE")
    model = InformationModel.STUDY_ROOT
    try:
        found, missing = images_not_here(dgate, peer, date)
        ctx.console(f"Grab from {ae}: {found} images found, {len(missing)} not here")
        completed = failed = 0
        if missing:
            completed, failed = c_move(dgate, peer, own, model, missing)
    except PeerError as exc:
        raise ActionFailed(f"{what}: {exc}") from None
    ctx.console(f"Grab from {ae}: {completed} images retrieved, {failed} failed")
    if failed or completed < len(missing):
        raise ActionFailed(f"{what}: {len(missing) - completed} of {len(missing)} images could not be "
                           f"retrieved from {ae}")
    return 0


_ACTIONS: dict[str, Callable[[_Context, Action], int]] = {
    "-i": _initialize,
    "-r": _regen_all,
    "-ar": _regen_device,
    "-d": _list_devices,
    "-m": _list_amap,
    "-k": _list_dicom_sql,
    "-t": _test_console,
    "-o": _test_database,
    "-fp": _delete(Level.PATIENT, False, "-fp"),
    "-ft": _delete(Level.STUDY, False, "-ft"),
    "-fs": _delete(Level.SERIES, False, "-fs"),
    "-fi": _delete(Level.IMAGE, False, "-fi"),
    "-z": _delete(Level.PATIENT, True, "-z"),
    "-fe": _enter_file,
    "-fd": _remove_entry(False, "-fd"),
    "-fz": _remove_entry(True, "-fz"),
    "-fa": _add_file,
    "-fr": _regen_dir,
    "-fc": _change_patient(False, "-fc"),
    "-fk": _change_patient(True, "-fk"),
    "-f?": _print_sop_uid,
    "-fu": _print_new_uid,
    "-ff": _make_space,
    "-nd": _decompress,
    "-jd": _decompress,
    "-j*": _recompress,
    "-j-": _recompress_v2,
    "-nc": _broken_compress,
    "-jc": _broken_compress,
    "-nu": _nki_uncompress,
    "-js": _json(False),
    "-jj": _json(True),
    "-g": _grab,
}
