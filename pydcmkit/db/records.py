"""Index records: the attributes of one stored instance, read from a dataset or quickly from a file.

:func:`record_from_file` reads only the header of a file: it walks the top-level elements up to the
last tag the index needs (PS3.5 §7.1, skipping sequences and items by their lengths or delimiters,
§7.5) and decodes just those values, which makes re-indexing many times faster than a full pydicom
read.  Whatever it does not handle itself (deflated or unusual encodings) it leaves to pydicom.
"""

from __future__ import annotations

import functools
import os
import struct
import time
import warnings
from dataclasses import dataclass, field

from pydicom.charset import convert_encodings, decode_bytes
from pydicom.dataset import Dataset

from .matching import element_text
from .model import KEYS, KEYS_BY_KEYWORD, RECORD_KEYWORDS, SPECIFIC_CHARACTER_SET

TRANSFER_SYNTAX = 0x00020010
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"


class InvalidFileError(ValueError):
    """A file that cannot be indexed: unreadable, not DICOM, or missing the identifying UIDs."""


@dataclass
class InstanceRecord:
    """What the index stores about one instance.

    ``attributes`` maps the keyword of every stored key (:data:`~.model.RECORD_KEYWORDS`) to its
    value as decoded text, trimmed, multiple values joined with ``\\``; absent attributes may be
    left out.  ``received`` is a POSIX time stamp, ``is_new`` the "new" flag of dcmqridx.
    """

    attributes: dict[str, str]
    path: str
    transfer_syntax_uid: str = ""
    file_size: int = 0
    received: float = field(default_factory=time.time)
    specific_character_set: str = ""
    is_new: bool = True

    @property
    def sop_instance_uid(self) -> str:
        return self.attributes.get("SOPInstanceUID", "")

    @property
    def sop_class_uid(self) -> str:
        return self.attributes.get("SOPClassUID", "")

    @property
    def patient_id(self) -> str:
        return self.attributes.get("PatientID", "")

    @property
    def study_instance_uid(self) -> str:
        return self.attributes.get("StudyInstanceUID", "")

    @property
    def series_instance_uid(self) -> str:
        return self.attributes.get("SeriesInstanceUID", "")

    def value(self, keyword: str) -> str:
        """Value of a stored key (record fields such as the transfer syntax included)."""
        key = KEYS_BY_KEYWORD[keyword]
        if key.record_field:
            return str(getattr(self, key.record_field) or "")
        return self.attributes.get(keyword, "")

    def check(self) -> None:
        """Raise :class:`InvalidFileError` unless the identifying UIDs are present."""
        for kw in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
            if not self.attributes.get(kw):
                raise InvalidFileError(f"{self.path}: no {kw}")


def record_from_dataset(ds: Dataset, path: str | os.PathLike, *, transfer_syntax_uid: str | None = None,
                        file_size: int | None = None, received: float | None = None,
                        is_new: bool = True) -> InstanceRecord:
    """A record of ``ds`` stored at ``path`` (values decoded with the dataset's character set).

    The transfer syntax defaults to the one of ``ds.file_meta``, the size to the file's size.
    """
    attrs = {}
    for kw in RECORD_KEYWORDS:
        elem = ds.get(KEYS_BY_KEYWORD[kw].tag)
        if elem is not None:
            text = element_text(elem)
            if text:
                attrs[kw] = text
    if transfer_syntax_uid is None:
        meta = getattr(ds, "file_meta", None)
        transfer_syntax_uid = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    path = os.fspath(path)
    if file_size is None:
        try:
            file_size = os.path.getsize(path)
        except OSError:
            file_size = 0
    charset = element_text(ds.get(SPECIFIC_CHARACTER_SET))
    return InstanceRecord(attrs, path, transfer_syntax_uid.strip(" \x00"), file_size,
                          time.time() if received is None else received, charset, is_new)


# ---------------------------------------------------------------------------------------------
# The fast header reader

_WANTED = {k.tag: k for k in KEYS if not k.computed and k.record_field is None}
_WANTED_VR = {t: k.vr for t, k in _WANTED.items()}
_LAST_TAG = max(_WANTED)
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_CHUNK = 16384
_TEXT_VRS = {"LT", "ST", "UT"}          # single-valued: backslash is a character
_CHARSET_VRS = {"LO", "LT", "PN", "SH", "ST", "UC", "UT"}


class _Fallback(Exception):
    """The fast reader leaves this file to pydicom."""


class _Reader:
    """A growing window over the start of a file."""

    def __init__(self, f):
        self.f = f
        self.buf = f.read(_CHUNK)
        self.eof = len(self.buf) < _CHUNK

    def need(self, end: int) -> bool:
        """Make ``buf[:end]`` available; False if the file is shorter."""
        while len(self.buf) < end and not self.eof:
            more = self.f.read(max(_CHUNK, end - len(self.buf)))
            if len(more) < max(_CHUNK, end - len(self.buf)):
                self.eof = True
            self.buf += more
        return len(self.buf) >= end


def _header(r: _Reader, pos: int, implicit: bool, e: str) -> tuple[int, str | None, int, int]:
    """(tag, VR or None, value length, value offset) of the element at ``pos``."""
    if not r.need(pos + 8):
        raise _Fallback
    b = r.buf
    g, el = struct.unpack_from(e + "HH", b, pos)
    tag = (g << 16) | el
    if g == 0xFFFE or implicit:
        return tag, None, struct.unpack_from(e + "I", b, pos + 4)[0], pos + 8
    vr = b[pos + 4:pos + 6]
    if vr in _LONG_VRS:
        if not r.need(pos + 12):
            raise _Fallback
        return tag, vr.decode("ascii"), struct.unpack_from(e + "I", b, pos + 8)[0], pos + 12
    if not (65 <= vr[0] <= 90 and 65 <= vr[1] <= 90):
        raise _Fallback
    return tag, vr.decode("ascii"), struct.unpack_from(e + "H", b, pos + 6)[0], pos + 8


def _skip_undefined(r: _Reader, pos: int, implicit: bool, e: str, depth: int = 0) -> int:
    """Offset after the sequence delimiter closing an undefined-length sequence starting at ``pos``."""
    if depth > 32:
        raise _Fallback
    while True:
        tag, vr, length, pos = _header(r, pos, True, e)  # item tags never carry a VR
        if tag == _SEQ_END:
            return pos
        if tag != _ITEM:
            raise _Fallback
        if length != _UNDEFINED:
            pos += length
            continue
        # an item of undefined length: walk its elements until the item delimiter
        while True:
            tag, vr, length, vpos = _header(r, pos, implicit, e)
            if tag == _ITEM_END:
                pos = vpos
                break
            if length == _UNDEFINED:
                pos = _skip_undefined(r, vpos, implicit or vr == "UN", e, depth + 1)
            else:
                pos = vpos + length


_EXPLICIT_LE_HEADER = struct.Struct("<HH2sH").unpack_from
_IMPLICIT_LE_HEADER = struct.Struct("<HHI").unpack_from
_UINT32_LE = struct.Struct("<I").unpack_from
_RECORDED = frozenset(_WANTED) | {SPECIFIC_CHARACTER_SET}


def _scan_plain(buf: bytes, pos: int, implicit: bool, raw: dict) -> int:
    """Walk the ordinary elements of a little endian dataset that lie wholly in ``buf`` from
    ``pos``, recording the wanted ones in ``raw`` as the general loop of :func:`_fast_record`
    would; returns the offset of the first element left to that loop (one whose header or wanted
    value is not in ``buf``, of undefined length, an item tag, past the last wanted tag, or
    with an invalid VR)."""
    end = len(buf)
    while pos + 12 <= end:
        if implicit:
            g, el, length = _IMPLICIT_LE_HEADER(buf, pos)
            vr = None
            vpos = pos + 8
        else:
            g, el, vr, length = _EXPLICIT_LE_HEADER(buf, pos)
            if vr in _LONG_VRS:
                length = _UINT32_LE(buf, pos + 8)[0]
                vpos = pos + 12
            elif 65 <= vr[0] <= 90 and 65 <= vr[1] <= 90:
                vpos = pos + 8
            else:
                return pos
        tag = (g << 16) | el
        if g == 0xFFFE or tag > _LAST_TAG or tag == 0x7FE00010 or length == _UNDEFINED:
            return pos
        if tag in _RECORDED:
            if vpos + length > end:
                return pos
            vr = vr.decode("ascii") if vr is not None and vr != b"UN" else _WANTED_VR.get(tag, "CS")
            raw[tag] = (buf[vpos:vpos + length], vr)
        pos = vpos + length
    return pos


def _decode(raw: bytes, vr: str, encodings: list[str]) -> str:
    if vr == "UI":
        return raw.decode("ascii", "replace").strip(" \x00")
    if vr not in _CHARSET_VRS or (raw.isascii() and b"\x1b" not in raw):
        return raw.decode("ascii" if raw.isascii() else "latin-1").strip(" \x00")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undecodable bytes are replaced, as pydicom does
        if vr in _TEXT_VRS:
            return decode_bytes(raw, encodings, {9, 10, 12, 13}).strip(" \x00")
        values = []
        for part in raw.split(b"\\"):
            if vr == "PN":
                values.append("=".join(decode_bytes(c, encodings, {0x5E}) for c in part.split(b"=")))
            else:
                values.append(decode_bytes(part, encodings, {0x5C}))
    return "\\".join(values).strip(" \x00")


@functools.lru_cache(maxsize=64)
def _python_encodings(charset: str) -> tuple[str, ...]:
    """Python codecs of a Specific Character Set value (ISO 8859-1 for unknown terms, as pydicom)."""
    terms = [t.strip() for t in charset.split("\\")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown terms: pydicom falls back to ISO 8859-1
            return tuple(convert_encodings(terms))
    except Exception:  # noqa: BLE001 - (pydicom raises instead when so configured)
        return ("iso8859",)


def _fast_record(path: str) -> InstanceRecord:
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        r = _Reader(f)
        b = r.buf
        ts = ""
        if len(b) >= 132 and b[128:132] == b"DICM":
            pos = 132
        elif len(b) >= 8 and b[0:2] in (b"\x02\x00", b"\x08\x00"):
            pos = 0
        else:
            raise InvalidFileError(f"{path}: not a DICOM file")
        # File Meta Information: group 0002, always Explicit VR Little Endian (PS3.10 §7.1)
        while r.need(pos + 8) and r.buf[pos:pos + 2] == b"\x02\x00":
            tag, vr, length, vpos = _header(r, pos, False, "<")
            if length == _UNDEFINED or not r.need(vpos + length):
                raise _Fallback
            if tag == TRANSFER_SYNTAX:
                ts = r.buf[vpos:vpos + length].decode("ascii", "replace").strip(" \x00")
            pos = vpos + length
        if not r.need(pos + 8):
            raise _Fallback
        b = r.buf
        if not ts:
            # no meta header: tell Implicit from Explicit VR Little Endian by the VR field
            vr = b[pos + 4:pos + 6]
            ts = EXPLICIT_LE if (65 <= vr[0] <= 90 and 65 <= vr[1] <= 90) else IMPLICIT_LE
        if ts == IMPLICIT_LE:
            implicit, e = True, "<"
        elif ts == EXPLICIT_BE:
            implicit, e = False, ">"
        elif ts == DEFLATED_LE:
            raise _Fallback
        else:
            implicit, e = False, "<"
        raw: dict[int, tuple[bytes, str]] = {}
        little = e == "<"
        while True:
            if little:
                pos = _scan_plain(r.buf, pos, implicit, raw)
            if not r.need(pos + 8):
                break
            tag, vr, length, vpos = _header(r, pos, implicit, e)
            if tag > _LAST_TAG or tag == 0x7FE00010:
                break
            if length == _UNDEFINED:
                if vr not in (None, "SQ", "UN"):
                    break
                pos = _skip_undefined(r, vpos, implicit or vr == "UN", e)
                continue
            if tag in _WANTED or tag == SPECIFIC_CHARACTER_SET:
                if not r.need(vpos + length):
                    raise _Fallback
                wanted_vr = _WANTED_VR.get(tag, "CS")
                raw[tag] = (r.buf[vpos:vpos + length], vr if vr and vr != "UN" else wanted_vr)
            pos = vpos + length
    charset = ""
    encodings = ["iso8859"]
    if SPECIFIC_CHARACTER_SET in raw:
        charset = raw[SPECIFIC_CHARACTER_SET][0].decode("ascii", "replace").strip(" \x00")
        encodings = list(_python_encodings(charset))
    attrs = {}
    for tag, (value, vr) in raw.items():
        key = _WANTED.get(tag)
        if key is None:
            continue
        text = _decode(value, vr, encodings)
        if text:
            attrs[key.keyword] = text
    return InstanceRecord(attrs, path, ts, size, time.time(), charset)


def record_from_file(path: str | os.PathLike, *, received: float | None = None, is_new: bool = True) -> InstanceRecord:
    """Read the record of the DICOM file at ``path`` (the path is kept exactly as given).

    Raises :class:`InvalidFileError` for an unreadable file, a non-DICOM file or one without
    SOP Instance, Study Instance or Series Instance UID.
    """
    path = os.fspath(path)
    try:
        rec = _fast_record(path)
    except _Fallback:
        rec = _pydicom_record(path)
    except (struct.error, IndexError):
        rec = _pydicom_record(path)
    except OSError as exc:
        raise InvalidFileError(f"{path}: {exc.strerror or exc}") from exc
    if received is not None:
        rec.received = received
    rec.is_new = is_new
    rec.check()
    return rec


def _pydicom_record(path: str) -> InstanceRecord:
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            try:
                ds = dcmread(path, stop_before_pixels=True)
            except InvalidDicomError:
                with open(path, "rb") as f:
                    if f.read(2) not in (b"\x02\x00", b"\x08\x00"):
                        raise
                ds = dcmread(path, stop_before_pixels=True, force=True)  # a dataset without meta header
            rec = record_from_dataset(ds, path)
            if not rec.transfer_syntax_uid:
                implicit, little = ds.original_encoding
                rec.transfer_syntax_uid = IMPLICIT_LE if implicit else (EXPLICIT_LE if little else EXPLICIT_BE)
            return rec
        except (InvalidDicomError, EOFError, ValueError, struct.error, KeyError) as exc:
            raise InvalidFileError(f"{path}: not a DICOM file ({exc})") from exc
        except OSError as exc:
            raise InvalidFileError(f"{path}: {exc.strerror or exc}") from exc
