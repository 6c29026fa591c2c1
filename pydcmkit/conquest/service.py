"""One ConQuest-style server instance: configuration, database, devices and the operations that
the DICOM services, the local actions and the remote commands share (dgate.md §2-§9).

:class:`Dgate` holds what a running dgate holds: dicom.ini (re-read when it changes on disk),
acrnema.map and dgatesop.lst (reloadable by ``read_amap:`` / after ``put_sop:``), the database
(:class:`~pydcmkit.conquest.database.ConquestDatabase`), the UID generator and the file-name
counter.  Every way an object enters the archive goes through :meth:`Dgate.store_object`:

1. the compression code is applied (:func:`~pydcmkit.conquest.compression.apply`: ``~XX`` or
   ``IncomingCompression`` for C-STORE, ``DroppedFileCompression`` for added files); an object
   that cannot be decoded or coded as asked is stored as received (logged), not refused;
2. a device is chosen (:func:`~pydcmkit.conquest.naming.choose_device`) and the name is made by
   ``FileNameSyntax`` (:func:`~pydcmkit.conquest.naming.object_path`); an object already in the
   database keeps its device and file (dgate rewrites the same file) unless ``RenameOnRewrite``;
   with ``IgnoreRewrite`` a known object is not stored again;
3. the file is written atomically and durably (a temporary file, fsync, rename), and only then
   is the object entered in the database; a database refusal removes the new file again.

:meth:`store_received` is the fast path for C-STORE with ``as``: the received bytes are written
as they are (after a meta header for ``.dcm``; as the ``.v2`` body itself when they are Implicit
VR Little Endian), and only the attributes before the pixel data are parsed for the name and the
database.
"""

from __future__ import annotations

import functools
import io
import itertools
import logging
import mmap
import os
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import dcmread

from ..db import DatabaseError
from ..status import ToolError
from ..storage.naming import ensure_inside
from ..services.qr import decode_identifier
from ..services.store import DEFLATED
from ..storage.writer import AtomicFile, file_meta_bytes
from . import compression as comp
from .amap import AcrNemaMap, load_amap
from .database import ConquestDatabase, StoredObject
from .errors import ConquestConfigError
from .ini import ConfigLocation, DicomIni, load_dicom_ini
from .naming import (choose_device, dataset_text, device_path, encode_dcm, encode_v2,
                     object_path, read_object)
from .remote import UidGenerator
from .sop import SopList, load_sop_list
from .sql import DicomSql, load_dicom_sql

log = logging.getLogger("pydcmkit.dgate")

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
_SOP_INSTANCE = 0x00080018
_SOP_CLASS = 0x00080016
_PATIENT_ID = 0x00100020
_STUDY_UID = 0x0020000D
_SERIES_UID = 0x0020000E


class StoreError(Exception):
    """An object could not be stored: ``status`` is the C-STORE status to answer."""

    def __init__(self, message: str, status: int = 0x0110):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StoreResult:
    """Where an object went: ``device`` (``MAG0``), ``object_file`` (relative to the device root),
    ``path`` (full path, ``None`` for a virtual object), and whether it was stored at all
    (``IgnoreRewrite`` drops a known object)."""

    device: str
    object_file: str
    path: str | None
    sop_instance_uid: str
    stored: bool = True


# the process-wide file-name counter (dgate.md §5.2: ``counter & 0xffff`` as %04x)
_COUNTER = itertools.count()
_COUNTER_LOCK = threading.Lock()


def next_counter() -> int:
    with _COUNTER_LOCK:
        return next(_COUNTER)


_PIXEL_TAGS = (0x7FE00010, 0x7FDF0010)
_HEAD_PROBE = 64 * 1024


def check_structure(buf, offset: int, transfer_syntax: str) -> None:
    """Walk the element structure of a received data set (:func:`~pydcmkit.storage.scan.scan_dataset`:
    lengths inside their containers, delimiters present, bounded nesting, not empty), as
    dcmrecv does before it answers; raises :class:`StoreError` with 0xC000 otherwise."""
    from ..storage.scan import DatasetStructureError, scan_dataset
    if transfer_syntax in DEFLATED:
        return  # checked when it is inflated and parsed
    try:
        scan_dataset(buf, offset, implicit=(transfer_syntax == IMPLICIT_LE),
                     little_endian=(transfer_syntax != "1.2.840.10008.1.2.2"))
    except DatasetStructureError as exc:
        raise StoreError(f"***received data set is not valid in {transfer_syntax}: {exc}", 0xC000) from None


#: Elements the file name needs besides the dicom.sql columns (dgate.md §5.2)
NAMING_TAGS = frozenset({0x00080005, 0x00080016, 0x00080018, 0x00080020, 0x00080060, 0x00081030, 0x00100010,
                         0x00100020, 0x0020000D, 0x0020000E, 0x00200010, 0x00200011, 0x00200013, 0x00540400})


def scan_head(buf, offset: int, transfer_syntax: str, tags: frozenset[int]) -> Dataset:
    """:func:`check_structure` and, from the same walk, a Dataset of the top-level elements
    ``tags`` (undecoded, read by their dictionary VR as dgate does), with ``file_meta``."""
    from ..storage.scan import DatasetStructureError, scan_dataset
    from .naming import ScannedHead
    little = transfer_syntax != "1.2.840.10008.1.2.2"
    try:
        found = scan_dataset(buf, offset, implicit=(transfer_syntax == IMPLICIT_LE), little_endian=little,
                             wanted=tags)
    except DatasetStructureError as exc:
        raise StoreError(f"***received data set is not valid in {transfer_syntax}: {exc}", 0xC000) from None
    ds = ScannedHead(found, little)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    return ds


def read_head(path: str, offset: int, transfer_syntax: str) -> Dataset:
    """The attributes before the pixel data of a data set stored at ``offset`` in ``path``
    (a temporary file being received): the first 64 KiB are enough unless the header is longer."""
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(_HEAD_PROBE)
        if len(data) == _HEAD_PROBE:
            try:
                reached = []
                ds = dataset_from_bytes(data, transfer_syntax, stop_before_pixels=True, reached=reached)
                if reached:
                    return ds
            except Exception:  # noqa: BLE001 - cut in the middle of an element: read it all
                pass
            data += f.read()
    return dataset_from_bytes(data, transfer_syntax, stop_before_pixels=True)


def dataset_from_bytes(data: bytes, transfer_syntax: str, *, stop_before_pixels: bool = False,
                       reached: list | None = None) -> Dataset:
    """A received data set (no meta) as a pydicom Dataset with ``file_meta`` naming its syntax
    (:func:`~pydcmkit.services.qr.decode_identifier`).  ``reached`` gets an entry when reading
    stopped at the pixel data."""
    def stop(tag, vr, length) -> bool:
        if tag in _PIXEL_TAGS:
            if reached is not None:
                reached.append(tag)
            return True
        return False

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = decode_identifier(data, transfer_syntax, stop_when=stop if stop_before_pixels else None)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    return ds  # read_dataset has set the original encoding (Python codecs of (0008,0005))


def tls_context(ini: DicomIni, server_side: bool):
    """The TLS context dicom.ini asks for, or None (pydcmkit's keys; ConQuest has no TLS).

    ``TLSPrivateKey`` and ``TLSCertificate`` (PEM files) switch TLS on: the server then speaks
    TLS only on TCPPort, and every association dgate opens (C-MOVE sub-operations, the
    ``--command`` client, ``echo:``, ``forward:``, the move commands) is TLS too.
    ``TLSTrustedCertificates`` lists PEM files (comma-separated) of the peers' certificates or
    their CAs; ``TLSVerifyPeer`` is ``require`` (the default when certificates are trusted),
    ``verify`` or ``ignore`` (the default otherwise).  Relative names are taken from the folder
    of dicom.ini.  Raises ConquestConfigError when the files cannot be used (exit 1).
    """
    key, cert = ini.get("TLSPrivateKey"), ini.get("TLSCertificate")
    if not key and not cert:
        return None
    from ..net.tls import TLSOptions, TLSSetupError, make_context
    if not key or not cert:
        text = f"{ini.path}: TLS needs both TLSPrivateKey and TLSCertificate"
        raise ConquestConfigError(text, ini.path, (("stderr", text + "\n"),))
    trusted = tuple(ini.resolve(t.strip()) for t in (ini.get("TLSTrustedCertificates") or "").split(",") if t.strip())
    verify = (ini.get("TLSVerifyPeer") or ("require" if trusted else "ignore")).strip().lower()
    if verify not in ("require", "verify", "ignore"):
        text = f"{ini.path}: TLSVerifyPeer must be require, verify or ignore, not {verify!r}"
        raise ConquestConfigError(text, ini.path, (("stderr", text + "\n"),))
    try:
        return make_context(TLSOptions(ini.resolve(key), ini.resolve(cert), trusted_certs=trusted, verify=verify),
                            server_side)
    except TLSSetupError as exc:
        text = f"{ini.path}: TLS: {exc}"
        raise ConquestConfigError(text, ini.path, (("stderr", text + "\n"),)) from None


class Dgate:
    """A ConQuest-compatible server instance (module docstring).

    Parameters
    ----------
    location : ConfigLocation or str
        dicom.ini (``-w`` rules: :func:`~pydcmkit.conquest.ini.resolve_config_location`).
    ae_title : str, optional
        ``-hAE``: overrides ``MyACRNema``.
    port : int, optional
        ``-pPORT``: overrides ``TCPPort``.
    uid_counter : int
        ``-cN``: the start value of the UID counter.
    database_url : str, optional
        A ``postgresql://`` URL (or SQLite path) replacing the database dicom.ini names.
    open_database : bool
        Open (and create) the database now; local actions that only read files pass False.

    Raises
    ------
    ConquestConfigError
        dicom.ini, acrnema.map or dgatesop.lst cannot be read (exit 1 with dgate's message).
    """

    def __init__(self, location: ConfigLocation | str, *, ae_title: str | None = None, port: int | None = None,
                 uid_counter: int = 0, database_url: str | None = None, open_database: bool = True):
        self.location = location if isinstance(location, ConfigLocation) else ConfigLocation(str(location), "")
        self._ini = load_dicom_ini(self.location)
        self.ae_override = ae_title
        self.port_override = port
        self.database_url = database_url
        self.uids = UidGenerator(self._ini.uid_prefix, uid_counter)
        self._lock = threading.RLock()
        self._ini_checked = 0.0  # when dicom.ini's mtime was last looked at (once a second at most)
        self._amap: AcrNemaMap | None = None
        self._sop: SopList | None = None
        self._db: ConquestDatabase | None = None
        self._dicom_sql: DicomSql | None = None
        self._device_choice = None   # (ini, monotonic time, (device, root)) of _choose_device
        self._head_tag_set: frozenset[int] | None = None
        self._tls: dict[bool, object] = {}
        self.started = time.time()
        self.activity = {"echo": 0, "store": 0, "find": 0, "move": 0, "get": 0, "commands": 0,
                         "compressed": 0, "decompressed": 0}
        if open_database:
            self.database  # noqa: B018 - open now, so that errors show at start-up

    # -- configuration ------------------------------------------------------------------------
    @property
    def ini(self) -> DicomIni:
        """dicom.ini, re-read when the file changed on disk (at most once a second, as dgate)."""
        with self._lock:
            now = time.monotonic()
            if now - self._ini_checked >= 1.0:
                self._ini_checked = now
                if self._ini.changed_on_disk():
                    try:
                        self._ini = load_dicom_ini(self.location)
                    except ConquestConfigError as exc:
                        log.error("%s", exc)
            return self._ini

    def reload_ini(self) -> DicomIni:
        """``read_ini:``: re-read dicom.ini now."""
        with self._lock:
            self._ini = load_dicom_ini(self.location)
            return self._ini

    @property
    def ae_title(self) -> str:
        return self.ae_override or self.ini.ae_title

    @property
    def port(self) -> int:
        return self.port_override if self.port_override is not None else self.ini.port

    @property
    def amap(self) -> AcrNemaMap:
        """acrnema.map (read on first use; an unreadable file raises ConquestConfigError)."""
        with self._lock:
            if self._amap is None:
                self._amap = load_amap(self.ini.acrnema_map)
                for warning in self._amap.warnings:
                    log.warning("%s", warning)
            return self._amap

    @amap.setter
    def amap(self, value: AcrNemaMap) -> None:
        with self._lock:
            self._amap = value

    def read_amap(self) -> AcrNemaMap:
        """``read_amap:``: reload acrnema.map from disk."""
        with self._lock:
            self._amap = None
            return self.amap

    @property
    def sop_list(self) -> SopList | None:
        """dgatesop.lst, or None when the file does not exist (every SOP class and syntax the
        toolkit knows is then accepted)."""
        with self._lock:
            if self._sop is None:
                path = self.ini.sop_class_list
                if not os.path.exists(path):
                    return None
                self._sop = load_sop_list(path)
            return self._sop

    @sop_list.setter
    def sop_list(self, value: SopList | None) -> None:
        with self._lock:
            self._sop = value

    @property
    def dicom_sql(self) -> DicomSql:
        with self._lock:
            if self._dicom_sql is None:
                self._dicom_sql = load_dicom_sql(ini=self.ini)
            return self._dicom_sql

    @property
    def database(self) -> ConquestDatabase:
        """The database dicom.ini names (opened, tables created, on first use)."""
        with self._lock:
            if self._db is None:
                self._db = ConquestDatabase.open(self.ini, dicom_sql=self.dicom_sql, url=self.database_url,
                                                 uids=self.uids)
            return self._db

    def _choose_device(self, ini: DicomIni) -> tuple[str, str]:
        """:func:`~pydcmkit.conquest.naming.choose_device`, its answer kept for a second (a burst of
        stores measures free space once; a device that fills up within that second fails the
        write, which answers a failure status)."""
        now = time.monotonic()
        cached = self._device_choice
        if cached is not None and cached[0] is ini and now - cached[1] < 1.0:
            return cached[2]
        choice = choose_device(ini)
        self._device_choice = (ini, now, choice)
        return choice

    def _head_tags(self) -> frozenset[int]:
        """The top-level elements a received object's name and database rows are made from."""
        with self._lock:
            tags = self._head_tag_set
            if tags is None:
                sql = self.dicom_sql
                tags = set(NAMING_TAGS)
                for table in (sql.patient, sql.study, sql.series, sql.image):
                    tags.update(table.tags)
                tags = self._head_tag_set = frozenset(tags)
            return tags

    def tls_context(self, server_side: bool = False):
        """:func:`tls_context` of this server's dicom.ini (cached), or None without TLS."""
        with self._lock:
            if server_side not in self._tls:
                self._tls[server_side] = tls_context(self.ini, server_side)
            return self._tls[server_side]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- objects ------------------------------------------------------------------------------
    def compression_code(self, text: str | None) -> comp.CompressionCode:
        return comp.parse_code(text or "as")

    def recompress(self, ds: Dataset, code: comp.CompressionCode | str):
        """:func:`compression.apply` with ``LossyQuality``; counts (de)compressions."""
        out = comp.apply(ds, code, self.ini.lossy_quality)
        if out is not ds and not isinstance(out, comp.Virtual):
            key = "decompressed" if str(getattr(code, "mode", code)).lower().startswith("u") else "compressed"
            self.activity[key] += 1
        return out

    def _existing(self, sop_uid: str) -> StoredObject | None:
        db = self.database
        if db.is_null or not sop_uid:
            return None
        return db.lookup_object(sop_uid)

    def _kept(self, sop_uid: str) -> StoreResult | None:
        """With IgnoreRewrite, the place of an object already stored (it is not stored again)."""
        known = self._existing(sop_uid) if self.ini.ignore_rewrite else None
        if known is None:
            return None
        log.info("IgnoreRewrite: %s is already stored", sop_uid)
        return StoreResult(known.device, known.object_file, known.path, sop_uid, stored=False)

    def _place(self, ds: Dataset, transfer_syntax: str, calling_ae: str, called_ae: str):
        """(device, root, relative name, known object or None) for a new object, or the known
        object's place."""
        ini = self.ini
        sop_uid = dataset_text(ds, _SOP_INSTANCE) or ""
        known = self._existing(sop_uid)
        relative = object_path(ds, ini.file_name_syntax, next_counter(), calling_ae, called_ae,
                               transfer_syntax=transfer_syntax, max_length=ini.max_file_name_length)
        if known is not None and known.path and not ini.rename_on_rewrite:
            old_ext = os.path.splitext(known.object_file)[1].lower()
            new_ext = os.path.splitext(relative)[1].lower()
            if old_ext == new_ext:  # a .v2 file cannot take a compressed object
                root = str(known.path)[: len(str(known.path)) - len(known.object_file)]
                return known.device, root, known.object_file, known
        try:
            device, root = self._choose_device(ini)
        except ToolError as exc:
            raise StoreError(f"***{exc}", ini.storage_failed_error_code) from None
        return device, root, relative, known

    def _enter(self, ds: Dataset, device: str, relative: str, path: Path | None, previous=None) -> None:
        """Enter the object's rows; a refusal removes the new file.  When the rows named another
        file of this object before (RenameOnRewrite, ``.v2`` giving way to ``.dcm``, or another
        association storing the same instance at the same moment under a new name), that file
        is removed once the rows name the new one, so an instance never has two files.
        (``previous`` is accepted for callers that looked the object up; the database's own
        answer decides.)"""
        try:
            result = self.database.add_object(ds, device, relative)
        except DatabaseError as exc:  # refused, or the database went away: no file without its rows
            if path is not None:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            raise StoreError(f"***{exc}", self.ini.storage_failed_error_code) from None
        old = result.replaced
        if old is not None and old.path and path is not None and os.path.abspath(old.path) != os.path.abspath(path):
            try:
                os.unlink(old.path)
                log.info("Removed %s: the object was stored again as %s", old.path, path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("cannot remove the old file %s: %s", old.path, exc.strerror)

    def store_object(self, ds: Dataset, code: comp.CompressionCode | str | None = None, *, calling_ae: str = "",
                     called_ae: str = "") -> StoreResult:
        """Store a whole object (module docstring): compress by ``code``, name, write, enter.

        Raises :class:`StoreError` (with the C-STORE status) when it cannot be stored; nothing
        is left behind then.
        """
        ini = self.ini
        sop_uid = dataset_text(ds, _SOP_INSTANCE) or ""
        if not sop_uid:
            raise StoreError("***object has no SOP Instance UID", ini.storage_failed_error_code)
        known = self._kept(sop_uid)
        if known is not None:
            return known
        if code is not None:
            try:
                out = self.recompress(ds, code)
            except comp.CompressionError as exc:  # keep the object rather than lose it
                log.warning("***%s: %s; stored as received", sop_uid, _first_line(exc))
                out = ds
            if isinstance(out, comp.Virtual):
                self._enter(ds, "MAG0", "", None)
                return StoreResult("MAG0", "", None, sop_uid)
            ds = out
        ts = _ts_of(ds)
        device, root, relative, known = self._place(ds, ts, calling_ae, called_ae)
        if not relative.lower().endswith(".v2") and _is_nki(ds) and not ini.allow_nki_as_dicom:
            log.info("cannot write NKI compressed in dcm format, decompressing")
            ds = self.recompress(ds, "un")
            ts = _ts_of(ds)
        try:
            data = encode_v2(ds) if relative.lower().endswith(".v2") else encode_dcm(ds, ts, source_ae=None)
        except Exception as exc:  # noqa: BLE001 - an object pydicom cannot encode
            raise StoreError(f"***cannot encode {sop_uid}: {_first_line(exc)}", ini.storage_failed_error_code) from None
        path = self._write(root, relative, data)
        self._enter(ds, device, relative, path, known)
        self.activity["store"] += 1
        return StoreResult(device, relative, str(path), sop_uid)

    def store_received(self, data: bytes, transfer_syntax: str, sop_class: str, sop_instance: str, *,
                       calling_ae: str = "", called_ae: str = "",
                       code: comp.CompressionCode | None = None) -> StoreResult:
        """Store a data set received by C-STORE (``code``: ``~XX`` or ``IncomingCompression``).

        With an as-is code the received bytes are written unchanged (module docstring); any
        other code decodes the whole object and goes through :meth:`store_object`.
        """
        ini = self.ini
        if code is None:
            code = comp.parse_code(ini.incoming_compression or "as")
        def unreadable(exc: Exception) -> StoreError:
            return StoreError(f"***C-STORE of {sop_instance or '(no UID)'} from {calling_ae.strip() or '?'}: "
                              f"not a data set in {transfer_syntax}: {_first_line(exc)}", 0xC000)

        check_structure(data, 0, transfer_syntax)

        if not code.is_as_is:
            try:
                ds = dataset_from_bytes(data, transfer_syntax)
            except Exception as exc:  # noqa: BLE001 - anything pydicom cannot parse
                raise unreadable(exc) from None
            return self.store_object(ds, code, calling_ae=calling_ae, called_ae=called_ae)
        try:
            head = dataset_from_bytes(data, transfer_syntax, stop_before_pixels=True)
        except Exception as exc:  # noqa: BLE001 - anything pydicom cannot parse
            raise unreadable(exc) from None
        sop_uid = dataset_text(head, _SOP_INSTANCE) or ""
        if not sop_uid:
            raise StoreError("***object has no SOP Instance UID", ini.storage_failed_error_code)
        known = self._kept(sop_uid)
        if known is not None:
            return known
        device, root, relative, known = self._place(head, transfer_syntax, calling_ae, called_ae)
        if relative.lower().endswith(".v2"):
            if transfer_syntax == IMPLICIT_LE:
                chunks = (data,)
            else:  # a native non-Implicit syntax: re-encode the whole object as raw Implicit LE
                ds = dataset_from_bytes(data, transfer_syntax)
                chunks = (encode_v2(ds),)
        else:
            meta = file_meta_bytes(sop_class or dataset_text(head, _SOP_CLASS) or "", sop_uid, transfer_syntax)
            chunks = (meta, data)
        path = self._write(root, relative, *chunks)
        self._enter(head, device, relative, path, known)
        self.activity["store"] += 1
        return StoreResult(device, relative, str(path), sop_uid)

    def store_stream(self, receive, transfer_syntax: str, sop_class: str, sop_instance: str, *,
                     calling_ae: str = "", called_ae: str = "",
                     code: comp.CompressionCode | None = None) -> StoreResult:
        """Store a C-STORE data set while it arrives: ``receive(sink)`` calls ``sink`` with each
        piece (:meth:`Association.receive_dataset`).

        With an as-is code whose file name keeps the received bytes (a ``.dcm`` name, or a
        ``.v2`` name for Implicit VR Little Endian), the pieces go straight into an unnamed
        temporary file on the first MAG device with room, behind the meta header; when all has
        arrived the attributes before the pixel data are read back for the name and the
        database, the file is synced and linked under its name, and the rows are entered.  Any
        other case collects the data set in memory and goes through :meth:`store_received`.
        A failure discards the temporary file: nothing is left behind.
        """
        ini = self.ini
        if code is None:
            code = comp.parse_code(ini.incoming_compression or "as")
        fast = code.is_as_is and transfer_syntax not in DEFLATED
        if fast:
            v2 = _names_v2(ini.file_name_syntax, transfer_syntax)
            fast = transfer_syntax == IMPLICIT_LE or not v2
            try:
                device, root = self._choose_device(ini)
            except ToolError:
                fast = False
        if not fast:
            buffer = bytearray()
            receive(buffer.extend)
            return self.store_received(bytes(buffer), transfer_syntax, sop_class, sop_instance,
                                       calling_ae=calling_ae, called_ae=called_ae, code=code)
        failed: list[OSError] = []
        try:
            out = AtomicFile(root)
        except OSError as exc:
            receive(None)
            raise StoreError(f"***Failed to write on {device} ({root}): {exc.strerror or exc}",
                             ini.storage_failed_error_code) from None
        with out:
            offset = 0
            if not v2:
                meta = file_meta_bytes(sop_class, sop_instance, transfer_syntax)
                out.write(meta)
                offset = len(meta)

            def sink(piece) -> None:
                if not failed:
                    try:
                        out.write(piece)
                    except OSError as exc:  # disk full: read the rest, then answer failure
                        failed.append(exc)

            receive(sink)
            if failed:
                out.discard()
                raise StoreError(f"***Failed to write on {device} ({root}): {failed[0].strerror or failed[0]}",
                                 ini.storage_failed_error_code)
            out.start_flush()  # the disk works while the header is read and the name made
            try:
                # one walk checks the element structure and picks the attributes the name and the
                # rows need (a %V template may name any element: pydicom reads the header then)
                head_tags = None if "%v" in str(ini.file_name_syntax).lower() else self._head_tags()
                with open(out.temp_path, "rb") as f:
                    if os.fstat(f.fileno()).st_size <= offset:
                        raise StoreError("***received data set is empty", 0xC000)
                    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                        if head_tags is not None:
                            head = scan_head(mm, offset, transfer_syntax, head_tags)
                        else:
                            check_structure(mm, offset, transfer_syntax)
            except StoreError:
                out.discard()
                raise
            try:
                if head_tags is None:
                    head = read_head(out.temp_path, offset, transfer_syntax)
            except Exception as exc:  # noqa: BLE001 - anything pydicom cannot parse
                out.discard()
                raise StoreError(f"***C-STORE of {sop_instance or '(no UID)'} from {calling_ae.strip() or '?'}: "
                                 f"not a data set in {transfer_syntax}: {_first_line(exc)}", 0xC000) from None
            sop_uid = dataset_text(head, _SOP_INSTANCE) or ""
            if not sop_uid:
                out.discard()
                raise StoreError("***object has no SOP Instance UID", ini.storage_failed_error_code)
            known = self._kept(sop_uid)
            if known is not None:
                out.discard()
                return known
            if sop_uid != sop_instance or (not v2 and (dataset_text(head, _SOP_CLASS) or sop_class) != sop_class):
                # the meta header must name the data set's own UIDs: write it again
                return self.store_received(_take_back(out, offset), transfer_syntax,
                                           dataset_text(head, _SOP_CLASS) or sop_class,
                                           sop_uid, calling_ae=calling_ae, called_ae=called_ae, code=code)
            place_device, place_root, relative, known = self._place(head, transfer_syntax, calling_ae, called_ae)
            if relative.lower().endswith(".v2") != v2 or os.path.abspath(place_root) != os.path.abspath(root):
                # another device (a known object elsewhere) or another kind of name: write anew
                return self.store_received(_take_back(out, offset), transfer_syntax, sop_class, sop_instance,
                                           calling_ae=calling_ae, called_ae=called_ae, code=code)
            try:
                path = ensure_inside(place_root, relative)
                path.parent.mkdir(parents=True, exist_ok=True)
                out.commit(path, overwrite=True)
            except (OSError, ValueError) as exc:
                out.discard()
                reason = getattr(exc, "strerror", None) or str(exc)
                raise StoreError(f"***Failed to write {place_root}{relative}: {reason}",
                                 ini.storage_failed_error_code) from None
        self._enter(head, place_device, relative, path, known)
        self.activity["store"] += 1
        return StoreResult(place_device, relative, str(path), sop_uid)

    def _write(self, root: str, relative: str, *chunks: bytes) -> Path:
        """Write atomically and durably under the device root; OSError -> StoreError."""
        try:
            path = ensure_inside(root, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            with AtomicFile(path.parent) as f:
                for chunk in chunks:
                    f.write(chunk)
                f.commit(path, overwrite=True)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise StoreError(f"***Failed to write {root}{relative}: {reason}",
                             self.ini.storage_failed_error_code) from None
        return path

    # -- files given by users (dgate.md §7.1, §7.2 addimagefile) -------------------------------
    def resolve_file(self, spec: str) -> str:
        """A ``file`` argument: a path on the server, ``PATID:SOPUID`` (also ``|``, ``?``, ``*``
        as separator) looked up in the database, or ``STUDYUID\\SERIESUID\\SOPUID``.  Raises
        FileNotFoundError naming the argument."""
        if os.path.exists(spec):
            return spec
        sop, patient = None, None
        if "\\" in spec:
            sop = spec.rsplit("\\", 1)[1]
        else:
            for sep in (":", "|", "?", "*"):
                if sep in spec:
                    patient, sop = spec.rsplit(sep, 1)
                    break
        if sop:
            obj = self.database.lookup_object(sop, patient or None)
            if obj is not None and obj.path:
                return str(obj.path)
        raise FileNotFoundError(f"{spec}: no such file or stored object")

    def read_file(self, spec: str) -> Dataset:
        """Read a ``file`` argument as a Dataset (``.v2`` raw, Part 10, or a bare data set)."""
        path = self.resolve_file(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = read_object(path)
        if not hasattr(ds, "file_meta") or "TransferSyntaxUID" not in ds.file_meta:
            meta = getattr(ds, "file_meta", None) or FileMetaDataset()
            meta.TransferSyntaxUID = IMPLICIT_LE if ds.is_implicit_VR in (True, None) else EXPLICIT_LE
            ds.file_meta = meta
        return ds

    def new_patient_id(self, ds: Dataset, patient_id: str, *, stage: str = "") -> Dataset:
        """A copy of ``ds`` filed under ``patient_id`` with all its UIDs renewed and the
        renewals remembered in UIDMODS (``addimagefile:FILE,PATID``, ``-fc``, ``modifypatid:``)."""
        import copy
        out = copy.deepcopy(ds)
        out.PatientID = patient_id
        db = self.database
        for tag in (_STUDY_UID, _SERIES_UID, _SOP_INSTANCE, 0x00200052):
            old = dataset_text(out, tag)
            if old:
                out[tag].value = db.change_uid(old, mod_type="newpatid", stage=stage or patient_id)
        if getattr(out, "file_meta", None) is not None and "MediaStorageSOPInstanceUID" in out.file_meta:
            out.file_meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
        return out

    def add_file(self, spec: str, patient_id: str | None = None, *, data: bytes | None = None,
                 code: str | None = None) -> StoreResult:
        """``-fa`` / ``addimagefile:`` / ``addlocalfile:``: store a file as if dropped on the server
        (``DroppedFileCompression``; a new patient ID renews every UID).  ``data``: the uploaded
        bytes instead of a file on the server.  Raises StoreError / FileNotFoundError."""
        if data is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = dcmread(io.BytesIO(data), force=True)
            if not hasattr(ds, "file_meta") or "TransferSyntaxUID" not in ds.file_meta:
                ds.file_meta = FileMetaDataset()
                ds.file_meta.TransferSyntaxUID = IMPLICIT_LE
        else:
            try:
                ds = self.read_file(spec)
            except (OSError, ValueError) as exc:
                raise StoreError(f"***{spec}: {getattr(exc, 'strerror', None) or exc}") from None
        if "SOPInstanceUID" not in ds:
            raise StoreError(f"***{spec}: not a DICOM object (no SOP Instance UID)")
        if patient_id:
            ds = self.new_patient_id(ds, patient_id)
        return self.store_object(ds, code if code is not None else (self.ini.dropped_file_compression or "as"),
                                 calling_ae=self.ae_title, called_ae=self.ae_title)

    def object_path_of(self, obj: StoredObject) -> str:
        return str(device_path(self.ini, obj.device, obj.object_file))


def _take_back(out: AtomicFile, offset: int) -> bytes:
    """The data set received into ``out`` (after its meta header at ``offset``); ``out`` is discarded."""
    with open(out.temp_path, "rb") as f:
        f.seek(offset)
        data = f.read()
    out.discard()
    return data


def _ts_of(ds: Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    ts = str(meta.get("TransferSyntaxUID", "") or "") if meta is not None else ""
    return ts.rstrip("\x00 ") or IMPLICIT_LE


@functools.lru_cache(maxsize=64)
def _names_v2(syntax: str, transfer_syntax: str) -> bool:
    """Whether FileNameSyntax ``syntax`` gives ``.v2`` names to objects in ``transfer_syntax``."""
    probe = object_path(Dataset(), syntax, 0, "", "", 0.0, transfer_syntax=transfer_syntax, max_length=0)
    return probe.lower().endswith(".v2")


def _first_line(exc: BaseException) -> str:
    """An exception as one log line (pydicom puts a whole traceback into some messages)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_nki(ds: Dataset) -> bool:
    return 0x7FDF0010 in ds


__all__ = ["Dgate", "StoreError", "StoreResult", "dataset_from_bytes", "next_counter"]
