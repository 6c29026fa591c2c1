"""Collecting and checking the input files of a storage SCU (dcmsend.md §2).

Only the File Meta Information is read to learn SOP Class, SOP Instance and Transfer Syntax;
the dataset is parsed only for files without meta header (or with ``-f``), so checking thousands
of files costs little more than opening them.
"""

from __future__ import annotations

import enum
import fnmatch
import os
import struct
from dataclasses import dataclass

from .. import uids

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
IMPLICIT_LE = "1.2.840.10008.1.2"


class ReadMode(enum.Enum):
    FILE_ONLY = "file-only"   # +fo: preamble, DICM and meta header required
    AUTO = "auto"             # +f: meta header or bare dataset
    DATASET = "dataset"       # -f: bare dataset, no meta header


class InputError(Exception):
    """A file that cannot be sent: ``reason`` is DCMTK's text (``File meta information header missing``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class InputInstance:
    """One entry of the transfer list."""

    path: str
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    dataset_offset: int = 0      # where the dataset starts in the file
    dataset_size: int = 0        # encoded length in the original TS (report "Dataset Size")
    from_dicomdir: bool = False
    has_meta: bool = True


def collect_inputs(params: list[str], *, scan_directories: bool, recurse: bool, pattern: str | None,
                   warn) -> list[str]:
    """Expand the ``dcmfile-in`` parameters into a file list (dcmsend.md §2.1).

    Directories are scanned only with ``scan_directories`` (in file system order, unsorted, like
    DCMTK); without it they are skipped with a warning.  ``pattern`` applies to file names found
    by scanning only.
    """
    files: list[str] = []
    for param in params:
        if param and os.path.isdir(param):
            if not scan_directories:
                warn(f"ignoring directory because option --scan-directories is not set: {param}")
                continue
            files.extend(_scan(param, recurse, pattern))
        else:
            files.append(param)
    return files


def _scan(directory: str, recurse: bool, pattern: str | None) -> list[str]:
    out = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return out
    for entry in entries:
        path = os.path.join(directory, entry.name)
        try:
            if entry.is_dir():
                if recurse:
                    out.extend(_scan(path, recurse, pattern))
                continue
            if not entry.is_file():
                continue
        except OSError:
            continue
        if pattern and not fnmatch.fnmatchcase(entry.name, pattern):
            continue
        out.append(path)
    return out


def _read_meta(f) -> tuple[dict[int, bytes], int] | None:
    """Parse preamble + ``DICM`` + group 0002; return ({tag: raw}, dataset offset) or None."""
    head = f.read(132)
    if len(head) < 132 or head[128:132] != b"DICM":
        return None
    values: dict[int, bytes] = {}
    pos = 132
    while True:
        hdr = f.read(8)
        if len(hdr) < 8:
            break
        group, elem = struct.unpack("<HH", hdr[:4])
        if group != 0x0002:
            break
        vr = hdr[4:6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            ext = f.read(4)
            if len(ext) < 4:
                raise InputError("File meta information header corrupt")
            length = struct.unpack("<I", ext)[0]
            hlen = 12
        else:
            length = struct.unpack("<H", hdr[6:8])[0]
            hlen = 8
        if length == 0xFFFFFFFF or length > (1 << 20):
            raise InputError("File meta information header corrupt")
        value = f.read(length)
        if len(value) < length:
            raise InputError("File meta information header corrupt")
        values[(group << 16) | elem] = value
        pos += hlen + length
    return values, pos


def _text(raw: bytes | None) -> str:
    if raw is None:
        return ""
    return raw.decode("ascii", "replace").strip("\x00 ")


def _dataset_uids(path: str, offset: int, ts: str | None, force_implicit: bool) -> tuple[str, str, str]:
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError
    try:
        ds = dcmread(path, force=True, stop_before_pixels=True,
                     specific_tags=["SOPClassUID", "SOPInstanceUID"])
    except (InvalidDicomError, Exception) as exc:  # noqa: BLE001 - any parse failure is a bad file
        raise InputError(f"cannot parse dataset: {exc}") from None
    if not ds:
        raise InputError("File meta information header missing")
    tsuid = ts
    if tsuid is None:
        implicit = getattr(ds, "original_encoding", (True, True))[0]
        tsuid = IMPLICIT_LE if implicit in (True, None) else "1.2.840.10008.1.2.1"
    return str(ds.get("SOPClassUID", "") or ""), str(ds.get("SOPInstanceUID", "") or ""), tsuid


def read_instance(path: str, mode: ReadMode = ReadMode.FILE_ONLY, *, uid_checks: bool = True) -> InputInstance:
    """Read and check one input file (dcmsend.md §2.2); raise :class:`InputError` with DCMTK's reason."""
    if path == "":
        raise InputError("Illegal parameter")
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise InputError("No such file or directory") from None
    except IsADirectoryError:
        raise InputError("Is a directory") from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    with f:
        size = os.fstat(f.fileno()).st_size
        meta = None
        if mode is not ReadMode.DATASET:
            meta = _read_meta(f)
            if meta is None and mode is ReadMode.FILE_ONLY:
                raise InputError("File meta information header missing")
    if meta is not None:
        values, offset = meta
        sop_class = _text(values.get(0x00020002))
        sop_inst = _text(values.get(0x00020003))
        ts = _text(values.get(0x00020010))
        if not sop_class or not sop_inst:
            dc, di, _ = _dataset_uids(path, offset, ts or None, False)
            sop_class = sop_class or dc
            sop_inst = sop_inst or di
        inst = InputInstance(path, sop_class, sop_inst, ts, offset, size - offset, has_meta=True)
    else:
        if mode is ReadMode.DATASET:
            # a real DICOM file read as a bare dataset fails to parse (DCMTK: exit 22)
            with open(path, "rb") as f:
                head = f.read(132)
            if len(head) == 132 and head[128:132] == b"DICM":
                raise InputError("Invalid tag")
        sop_class, sop_inst, ts = _dataset_uids(path, 0, None, True)
        inst = InputInstance(path, sop_class, sop_inst, ts, 0, size, has_meta=False)
    check_instance(inst, uid_checks=uid_checks)
    return inst


def check_instance(inst: InputInstance, *, uid_checks: bool = True) -> None:
    """The SOP Class / Instance / Transfer Syntax checks of dcmsend.md §2.2 (``-nuc`` skips some)."""
    if not inst.sop_class_uid:
        raise InputError("Invalid SOP Class UID")
    if uid_checks:
        if not uids.is_valid_uid(inst.sop_class_uid):
            raise InputError("Invalid SOP Class UID")
        reason = uids.check_sop_class_for_sending(inst.sop_class_uid)
        if reason:
            raise InputError(reason)
    if not inst.sop_instance_uid:
        raise InputError("Invalid SOP Instance UID")
    if uid_checks and not uids.is_valid_uid(inst.sop_instance_uid):
        raise InputError("Invalid SOP Instance UID")
    if not inst.transfer_syntax_uid or (uid_checks and not uids.is_valid_uid(inst.transfer_syntax_uid)):
        raise InputError("Invalid Transfer Syntax UID")


def dicomdir_entries(inst: InputInstance) -> list[InputInstance]:
    """The instances referenced by a DICOMDIR's records (dcmsend.md §2.3); files are not opened."""
    from pydicom import dcmread
    ds = dcmread(inst.path, force=True)
    base = os.path.dirname(inst.path)
    out = []
    for rec in ds.get("DirectoryRecordSequence", []):
        fid = rec.get("ReferencedFileID")
        if fid is None:
            continue
        parts = list(fid) if not isinstance(fid, str) else [fid]
        path = os.path.join(base, *[str(p) for p in parts]) if base else "/".join(str(p) for p in parts)
        out.append(InputInstance(path, str(rec.get("ReferencedSOPClassUIDInFile", "")),
                                 str(rec.get("ReferencedSOPInstanceUIDInFile", "")),
                                 str(rec.get("ReferencedTransferSyntaxUIDInFile", "")), 0, 0,
                                 from_dicomdir=True))
    return out
