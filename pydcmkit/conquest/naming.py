"""ConQuest's storage layout: devices, ``FileNameSyntax`` names, ``.v2`` and ``.dcm`` files (dgate.md §5).

A received object is stored on a device (``MAG0``, ``MAG1`` ...: the first one with more than
``MAGDeviceFullThreshold`` MB free, :func:`choose_device`) under a name made from its values
(:func:`object_path`); the database records the device name and the path relative to the device
root.  Names follow dgate 1.5.0e:

* syntaxes 0-12 and ``%`` templates (§5.2) with their cleaned values (:func:`clean`), ``%04d``
  series and ``%06d`` image numbers, Unix time and a ``%04x`` counter;
* a ``.v2`` name becomes ``.dcm`` when the object's transfer syntax is not Implicit VR Little
  Endian, Explicit VR Little Endian or Explicit VR Big Endian (compressed pixel data cannot go in
  a raw dataset);
* ``MaxFileNameLength`` cuts characters from the start of the part after the first folder.

Names are made from values that come from the network, so every value is confined to its place
in the path: cleaned values cannot hold a separator or a dot; values ConQuest uses raw (UIDs,
dates, AE titles, ``%V`` elements) lose control characters and separators, and a value of dots
only becomes underscores.  :func:`object_path` refuses a result that is absolute or holds ``.`` or
``..`` components (only a template literal could make one), and :func:`write_object` checks the
joined path with :func:`~pydcmkit.storage.naming.ensure_inside` once more.

File formats: ``.v2`` is the raw dataset in Implicit VR Little Endian, no preamble and no group
0002 (:func:`write_v2`, :func:`read_v2`); any other name is a Part 10 file in the object's own
transfer syntax with its group 0002 rebuilt (:func:`encode_dcm`).  Files are written through
:class:`~pydcmkit.storage.writer.AtomicFile`: a reader never sees a partial object.
"""

from __future__ import annotations

import copy
import functools
import io
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pydicom.charset import decode_bytes
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import dcmread, read_dataset
from pydicom.filewriter import dcmwrite, write_dataset
from pydicom.multival import MultiValue
from pydicom.valuerep import PersonName

from .. import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from ..status import ExitCode, ToolError
from ..storage.naming import ensure_inside
from ..storage.writer import AtomicFile
from .printf import atoi

if TYPE_CHECKING:
    from .ini import DicomIni

__all__ = [
    "CLEANED_CHARACTERS", "DeviceFullError", "MAX_CLEANED_LENGTH", "NATIVE_TRANSFER_SYNTAXES",
    "choose_device", "clean", "dataset_text", "device_path", "device_root", "encode_dcm", "encode_v2",
    "free_space_mb", "is_object_file", "object_path", "read_object", "read_v2", "walk_object_files",
    "write_object", "write_v2",
]

#: Characters :func:`clean` turns into ``_``.
CLEANED_CHARACTERS = frozenset('/\\;><|,. :?*"')
#: :func:`clean` keeps at most this many characters.
MAX_CLEANED_LENGTH = 65
_CLEANED = str.maketrans(dict.fromkeys(CLEANED_CHARACTERS, "_"))
_CONTROL = re.compile("[\x00-\x1f\x7f]")  # a value ends at its first control character
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
#: The transfer syntaxes a ``.v2`` file can hold (others switch the name to ``.dcm``).
NATIVE_TRANSFER_SYNTAXES = frozenset({IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN,
                                      EXPLICIT_VR_BIG_ENDIAN})
#: Folders of MAG0 that hold no objects (the watched folder and temporary files, §5.1).
SKIPPED_FOLDERS = ("incoming", "printer_files")

_TEXT_VRS = frozenset({"SH", "LO", "ST", "LT", "PN", "UT", "UC"})
_BINARY_VRS = frozenset({"US", "UL", "SS", "SL", "FL", "FD", "AT", "SV", "UV"})
_NUMERIC_STRING_VRS = frozenset({"IS", "DS"})
_TAG = re.compile(r"[Vv]([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})")
_SLICE = re.compile(r"\[(\d+),(\d+)\]")
#: Template tokens, longest first so that ``%seriesuid`` is not read as ``%series`` + ``uid``.
_TOKENS = ("seriesuid", "callingae", "studydesc", "studydate", "studyuid", "imagenum", "modality",
           "seriesid", "calledae", "counter", "studyid", "imageid", "series", "sopuid", "image",
           "name", "time", "date", "id")


class DeviceFullError(ToolError):
    """No MAG device has more than ``MAGDeviceFullThreshold`` MB free (the C-STORE fails)."""

    exit_code = ExitCode.COMMANDLINE_SYNTAX_ERROR  # dgate: a failed local action exits 1


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------


def _strip_stored(text: str) -> str:
    """As dgate stores a value: NULs dropped, trailing spaces removed, leading ones kept."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.rstrip(" ")


def _value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (MultiValue, list, tuple)):
        return "\\".join(_value_text(v) for v in value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    if isinstance(value, float) and not hasattr(value, "original_string"):
        return "%.16g" % value
    original = getattr(value, "original_string", None)
    if isinstance(original, str):
        return original
    if isinstance(value, PersonName):
        return str(value)
    return str(value)


#: Specific Character Sets in which a byte string of ASCII characters (no ESC) means those characters
_ASCII_CHARSETS = frozenset({"", "ISO_IR 6", "ISO_IR 100", "ISO_IR 101", "ISO_IR 109", "ISO_IR 110", "ISO_IR 126",
                             "ISO_IR 127", "ISO_IR 138", "ISO_IR 144", "ISO_IR 148", "ISO_IR 166", "ISO_IR 203",
                             "ISO_IR 192", "GB18030", "GBK"})
_CHARSET = 0x00080005
_UNSIGNED = {"US": 2, "UL": 4, "UV": 8}
_ABSENT = object()


@functools.lru_cache(maxsize=4096)
def _dictionary_vr(tag: int) -> str:
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


class ScannedHead(Dataset):
    """The top-level attributes of a received object that its name and rows are made from
    (:func:`~pydcmkit.conquest.service.scan_head`), as raw elements read by their dictionary VR.

    :func:`dataset_text` of a ScannedHead is worked out from the element bytes directly, once per
    element (a name and four table rows read ~60 values): the same text as for any Dataset
    holding those elements, without pydicom's per-element machinery.  ``found`` maps tags to
    value bytes.  Setting or deleting an element forgets all that and reads as any Dataset.
    """

    def __init__(self, found: dict[int, bytes], little_endian: bool = True) -> None:
        from pydicom.tag import BaseTag
        elements = {}
        for tag in sorted(found):  # as pydicom's reader makes them: BaseTag keys, raw elements in order
            key = BaseTag(tag)
            raw = found[tag]
            elements[key] = RawDataElement(key, None, len(raw), raw, 0, True, little_endian)
        super().__init__(elements)
        self._found: dict[int, bytes] | None = found
        self._little = little_endian
        self._texts: dict[int, str | None] = {}
        charset = found.get(_CHARSET)
        self._ascii_charset = charset is None or charset.decode("latin-1").strip(" \x00") in _ASCII_CHARSETS

    def text(self, tag: int) -> str | None:
        texts = self._texts
        text = texts.get(tag, _ABSENT)
        if text is not _ABSENT:
            return text
        found = self._found
        if found is None:
            text = _dataset_text(self, tag)
        elif tag not in found:
            text = None
        else:
            raw = found[tag]
            vr = _dictionary_vr(tag)
            if vr in _UNSIGNED and len(raw) % _UNSIGNED[vr] == 0:
                size = _UNSIGNED[vr]
                order = "little" if self._little else "big"
                text = "\\".join(str(int.from_bytes(raw[i:i + size], order)) for i in range(0, len(raw), size))
            elif vr == "SQ" or vr in _BINARY_VRS or " or " in vr:
                text = _dataset_text(self, tag)
            elif vr in _TEXT_VRS and not (self._ascii_charset and raw.isascii() and b"\x1b" not in raw):
                text = _dataset_text(self, tag)
            else:
                text = _strip_stored(raw.decode("latin-1"))
        texts[tag] = text
        return text

    def __setitem__(self, key, value) -> None:
        self._texts.clear()
        self._found = None
        super().__setitem__(key, value)

    def __delitem__(self, key) -> None:
        self._texts.clear()
        self._found = None
        super().__delitem__(key)


def dataset_text(ds: Dataset, tag: int) -> str | None:
    """The value of ``tag`` in ``ds`` as dgate reads it for names and database rows.

    Strings come from the element's bytes where pydicom has not converted them yet, so leading
    spaces survive (a Series Number ``" 1"`` stays ``" 1"``; pydicom would give ``1``); text VRs
    are decoded with the dataset's Specific Character Set.  Multiple values are joined with
    ``\\``; binary numbers are printed (``%u``, ``%.16g``).  Trailing spaces and every NUL are
    removed.  Returns ``None`` when the element is absent or a sequence.
    """
    if type(ds) is ScannedHead:
        return ds.text(tag)
    return _dataset_text(ds, tag)


def _dataset_text(ds: Dataset, tag: int) -> str | None:
    try:
        elem = ds.get_item(tag)
    except (KeyError, ValueError):  # pragma: no cover - defensive
        return None
    if elem is None:
        return None
    if isinstance(elem, RawDataElement):
        vr = elem.VR
        if vr is None:
            vr = _dictionary_vr(tag)
        if vr == "SQ":
            return None
        if vr in _BINARY_VRS or " or " in vr:
            return _strip_stored(_value_text(ds[tag].value))
        raw = elem.value or b""
        if vr in _TEXT_VRS:
            encodings = ds._character_set
            if isinstance(encodings, str):
                encodings = [encodings]
            try:
                text = decode_bytes(raw, encodings, {0x5C, 0x5E, 0x3D} if vr == "PN" else {0x5C})
            except Exception:  # noqa: BLE001 - undecodable text is kept byte for byte
                text = raw.decode("latin-1")
        else:
            text = raw.decode("latin-1")
        return _strip_stored(text)
    if elem.VR == "SQ":
        return None
    return _strip_stored(_value_text(elem.value))


def _first_text(ds: Dataset, tag: int) -> str | None:
    """``dataset_text`` of the first occurrence of ``tag``, searching sequences depth first."""
    text = dataset_text(ds, tag)
    if text is not None:
        return text
    for elem in ds:
        if elem.VR == "SQ" and elem.value:
            for item in elem.value:
                text = _first_text(item, tag)
                if text is not None:
                    return text
    return None


def clean(value: str | bytes | None) -> str:
    """dgate's cleaning of a value used in a file name (dgate.md §5.2).

    The value ends at its first control character (CR, LF, NUL, any code below 32, DEL);
    ``/ \\ ; > < | , . space : ? * "`` become ``_``; at most :data:`MAX_CLEANED_LENGTH` (65)
    characters are kept, then trailing ``_`` are removed; an empty result is ``unknown``.  The
    result never holds a path separator or a dot, so it is always one safe path component.
    """
    if value is None:
        text = ""
    elif isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("latin-1")
    else:
        text = str(value)
    text = _CONTROL.split(text, 1)[0].translate(_CLEANED)
    text = text[:MAX_CLEANED_LENGTH].rstrip("_")
    return text or "unknown"


def _raw(value: str | None) -> str:
    """A value dgate uses raw (UIDs, dates, AE titles, ``%V``), made safe inside a path: it ends
    at its first control character, separators become ``_``, and dots only become ``_``."""
    text = _CONTROL.split(value or "", 1)[0]
    text = text.replace("/", "_").replace("\\", "_")
    if text and not text.strip("."):
        text = "_" * len(text)
    return text


# ------------------------------------------------------------------------------------------------
# FileNameSyntax
# ------------------------------------------------------------------------------------------------


class _Values:
    """The values of one object as the naming rules use them."""

    def __init__(self, ds: Dataset, counter: int, calling_ae: str, called_ae: str, now: float):
        self.ds = ds
        self.counter = counter & 0xFFFF
        self.calling_ae = calling_ae
        self.called_ae = called_ae
        self.now = now

    def text(self, keyword_tag: int) -> str:
        return dataset_text(self.ds, keyword_tag) or ""

    @property
    def patient_id(self) -> str:
        return clean(self.text(0x00100020))

    @property
    def name(self) -> str:
        return clean(self.text(0x00100010))

    @property
    def series_number(self) -> int:
        return atoi(self.text(0x00200011))

    @property
    def image_number(self) -> int:
        return atoi(self.text(0x00200013))

    def uid(self, tag: int) -> str:
        return _raw(self.text(tag))

    @property
    def unique_suffix(self) -> str:
        """``TC``: Unix time in decimal, then the counter as 4 lower-case hex digits."""
        return f"{int(self.now)}{self.counter:04x}"

    def token(self, name: str) -> str:
        local = time.localtime(self.now)
        if name == "name":
            return self.name
        if name == "id":
            return self.patient_id
        if name == "modality":
            return clean(self.text(0x00080060))
        if name == "studyid":
            return clean(self.text(0x00200010))
        if name == "studyuid":
            return self.uid(0x0020000D)
        if name == "seriesid":
            return clean(self.text(0x00200011))
        if name == "series":
            return "%04d" % self.series_number
        if name == "seriesuid":
            return self.uid(0x0020000E)
        if name == "sopuid":
            return self.uid(0x00080018)
        if name == "imageid":
            return clean(self.text(0x00540400))
        if name == "imagenum":
            return clean(self.text(0x00200013))
        if name == "image":
            return "%06d" % self.image_number
        if name == "studydesc":
            return clean(self.text(0x00081030))
        if name == "studydate":
            return _raw(self.text(0x00080020))
        if name == "date":
            return time.strftime("%Y%m%d", local)
        if name == "time":
            return time.strftime("%H%M%S", local)
        if name == "counter":
            return "%04x" % self.counter
        if name == "calledae":
            return _raw(self.called_ae.strip())
        if name == "callingae":
            return _raw(self.calling_ae.strip())
        raise KeyError(name)


def _numbered(v: _Values, syntax: int) -> str:
    """Syntaxes 0-12 of dgate.md §5.2 (anything else is 0)."""
    s, i, tc = "%04d" % v.series_number, "%06d" % v.image_number, v.unique_suffix
    study, series, sop = v.uid(0x0020000D), v.uid(0x0020000E), v.uid(0x00080018)
    short = f"{v.name[:8]}_{v.patient_id[:8]}"
    if syntax == 1:
        return f"{short}/{s}_{i}_{tc}.v2"
    if syntax == 2:
        return f"{short}/{series}_{s}_{i}_{tc}.v2"
    if syntax == 3:
        return f"{v.patient_id[:16]}/{series}_{s}_{i}_{tc}.v2"
    if syntax == 4:
        return f"{v.patient_id[:16]}/{series}_{s}_{i}_{tc}.dcm"
    if syntax == 5:
        return f"{v.name}/{series}_{s}_{i}_{tc}.v2"
    if syntax == 6:
        return f"{v.patient_id[:32]}/{study}/{series}/{sop}.v2"
    if syntax == 7:
        return f"{study}/{series}/{sop}.v2"
    if syntax == 8:
        return f"{v.patient_id[:32]}/{study}/{series}/{sop}.dcm"
    if syntax == 9:
        return f"{study}/{series}/{sop}.dcm"
    if syntax == 10:
        return f"Images/{sop}.dcm"
    if syntax == 11:
        return f"{v.name}/{study}/{series}/{sop}.dcm"
    if syntax == 12:
        return (f"{v.name}_{v.patient_id}/{clean(v.text(0x00080060))}_{clean(v.text(0x00200010))}/"
                f"{clean(v.text(0x00200011))}/{sop}.dcm")
    return f"{short}/{v.series_number}_{v.image_number}_{int(v.now)}.v2"


def _template(v: _Values, template: str) -> str:
    """A ``%`` template: tokens, optional ``[a,b]`` slices (characters a...b, 0-based, inclusive);
    unknown tokens stay as written."""
    out: list[str] = []
    pos, n = 0, len(template)
    while pos < n:
        ch = template[pos]
        if ch != "%":
            out.append(ch)
            pos += 1
            continue
        rest = template[pos + 1:]
        value: str | None = None
        length = 0
        tag = _TAG.match(rest)
        if tag:
            found = _first_text(v.ds, (int(tag.group(1), 16) << 16) | int(tag.group(2), 16))
            value, length = _raw(found), tag.end()
        else:
            lower = rest.lower()
            for token in _TOKENS:
                if lower.startswith(token):
                    value, length = v.token(token), len(token)
                    break
        if value is None:
            out.append("%")
            pos += 1
            continue
        pos += 1 + length
        sliced = _SLICE.match(template, pos)
        if sliced:
            first, last = int(sliced.group(1)), int(sliced.group(2))
            value = value[first:last + 1]
            pos = sliced.end()
        out.append(value)
    return "".join(out)


def _checked(relative: str, syntax: str) -> str:
    parts = [p for p in relative.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts) or "\x00" in relative:
        raise ValueError(f"FileNameSyntax {syntax!r} gives {relative!r}, which is not a path inside the device")
    return "/".join(parts)


def object_path(ds: Dataset, syntax: int | str = 4, counter: int = 0, calling_ae: str = "",
                called_ae: str = "", now: float | None = None, *, transfer_syntax: str | None = None,
                max_length: int = 255) -> str:
    """The path of an object relative to its device root, by ``FileNameSyntax`` (dgate.md §5.2).

    Parameters
    ----------
    ds : Dataset
        The object.
    syntax : int or str
        ``FileNameSyntax`` as written: a number 0-12 (others, and non-numbers, are 0, as C
        ``atoi`` reads them) or a template holding ``%``.  ``lua:`` expressions are not supported.
    counter : int
        The per-process counter (``C``, ``%counter``: ``counter & 0xffff`` in ``%04x``).
    calling_ae, called_ae : str
        The association's AE titles (``%callingae``, ``%calledae``).
    now : float
        Unix time (``T``; ``%date`` and ``%time`` use its local date and time); default now.
    transfer_syntax : str
        The transfer syntax the object will be written in; default the dataset's
        ``file_meta.TransferSyntaxUID`` (native when unknown).  A ``.v2`` name becomes ``.dcm``
        when it is not Implicit LE, Explicit LE or Explicit BE.
    max_length : int
        ``MaxFileNameLength``: a longer result loses characters from the start of the part after
        its first folder (0 or less: no limit).

    Returns
    -------
    str
        ``/``-separated, never absolute, without ``.`` or ``..`` components; e.g. syntax 4:
        ``0009703828/1.3.46.670589.5.2.10.2156913941.892665339.860724_0001_002000_17954139320000.dcm``.

    Raises
    ------
    ValueError
        A ``lua:`` syntax, or a template whose literal text leaves the device.
    """
    if now is None:
        now = time.time()
    values = _Values(ds, counter, calling_ae, called_ae, now)
    text = str(syntax)
    if text.lower().startswith("lua:"):
        raise ValueError(f"FileNameSyntax {text!r}: Lua expressions are not supported")
    if "%" in text:
        relative = _template(values, text)
    else:
        relative = _numbered(values, atoi(text))
    relative = _checked(relative, text)
    if relative.lower().endswith(".v2"):
        ts = transfer_syntax
        if ts is None:
            meta = getattr(ds, "file_meta", None)
            ts = str(meta.get("TransferSyntaxUID", "") or "") if meta is not None else ""
        if ts and ts.rstrip("\x00 ") not in NATIVE_TRANSFER_SYNTAXES:
            relative = relative[:-3] + ".dcm"
    if max_length > 0 and len(relative) > max_length:
        head, sep, tail = relative.partition("/")
        if sep:
            tail = tail[len(relative) - max_length:].lstrip("/")
            relative = f"{head}/{tail}" if tail else head
        else:
            relative = relative[len(relative) - max_length:]
        relative = _checked(relative, text)
    return relative


# ------------------------------------------------------------------------------------------------
# Devices
# ------------------------------------------------------------------------------------------------


def free_space_mb(root: str) -> int:
    """Free MB on the file system of ``root`` (-1 when it cannot be examined)."""
    try:
        return shutil.disk_usage(root).free // (1024 * 1024)
    except (OSError, ValueError):
        return -1


def choose_device(ini: DicomIni, *, free_mb: Callable[[str], int] = free_space_mb) -> tuple[str, str]:
    """The device for a new object (dgate.md §5.1): ``(name, root)``.

    The first of ``MAG0`` ... ``MAG(MAGDevices-1)``, in index order, with more than
    ``MAGDeviceFullThreshold`` MB free; with ``IgnoreMAGDeviceThreshold`` simply the first.
    ``free_mb`` measures a root (default :func:`free_space_mb`).

    Raises
    ------
    DeviceFullError
        No device qualifies (or there is none).
    """
    count = max(ini.mag_devices, 0)
    threshold = ini.mag_device_full_threshold
    for n in range(count):
        root = ini.mag_device(n)
        if ini.ignore_mag_device_threshold or free_mb(root) > threshold:
            return f"MAG{n}", root
    raise DeviceFullError(f"no MAG device of {count} has more than {threshold} MB free")


def device_root(ini: DicomIni, device: str) -> str:
    """The root of a device named in the database (``MAG0``, ``MIRROR1``; case-insensitive).

    Raises ``KeyError`` for another kind of device, a number out of range or a missing root.
    """
    match = re.fullmatch(r"(MAG|MIRROR)(\d+)", device.strip(), re.IGNORECASE)
    if not match:
        raise KeyError(device)
    kind, n = match.group(1).upper(), int(match.group(2))
    if kind == "MAG":
        if n >= ini.mag_devices:
            raise KeyError(device)
        root = ini.mag_device(n)
    else:
        root = ini.mirror_device(n)
    if not root or root == "NULL":
        raise KeyError(device)
    return root


def device_path(ini: DicomIni, device: str, object_file: str) -> Path:
    """The full path of a stored object: its device root joined with ``ObjectFile``, checked to
    stay inside the root (``ValueError`` otherwise; ``KeyError`` for an unknown device).
    ``ObjectFile`` written by dgate on Windows (``\\`` separators) is accepted."""
    return ensure_inside(device_root(ini, device), object_file.replace("\\", "/"))


def is_object_file(name: str) -> bool:
    """Whether regen loads a file of this name (dgate.md §5.1): ``*.v2``, ``*.dcm``, ``*.img``
    (any case), and names without a dot in their last four characters."""
    lower = name.lower()
    if lower.endswith((".v2", ".dcm", ".img")):
        return True
    return "." not in name[-4:]


def walk_object_files(root: str | os.PathLike[str], directory: str = "") -> Iterator[str]:
    """Paths relative to ``root`` of the object files below ``root/directory``, in sorted order,
    without the ``incoming`` and ``printer_files`` folders of the device root."""
    base = ensure_inside(root, directory) if directory else Path(os.path.abspath(root))
    root_path = Path(os.path.abspath(root))
    for folder, dirs, files in os.walk(base):
        here = Path(folder)
        if here == root_path:
            dirs[:] = [d for d in dirs if d not in SKIPPED_FOLDERS]
        dirs.sort()
        for name in sorted(files):
            if is_object_file(name):
                yield (here / name).relative_to(root_path).as_posix()


# ------------------------------------------------------------------------------------------------
# Files
# ------------------------------------------------------------------------------------------------


def _without_meta(ds: Dataset) -> Dataset:
    """A shallow copy of ``ds`` without group 0002 (elements not converted yet stay raw)."""
    body = copy.copy(ds)
    for tag in [t for t in body.keys() if t.group == 0x0002]:
        del body[tag]
    return body


def encode_v2(ds: Dataset) -> bytes:
    """The object as dgate's ``.v2``: the dataset in Implicit VR Little Endian, without preamble,
    ``DICM`` or group 0002 (the pixel data must be native or NKI-compressed)."""
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = True
    write_dataset(fp, _without_meta(ds))
    return fp.getvalue()


def encode_dcm(ds: Dataset, transfer_syntax: str | None = None, *, source_ae: str | None = None) -> bytes:
    """The object as a Part 10 file in ``transfer_syntax`` (default: the dataset's own, else
    Explicit VR Little Endian) with a rebuilt group 0002 (pydcmkit's implementation UID)."""
    if transfer_syntax is None:
        meta = getattr(ds, "file_meta", None)
        transfer_syntax = str(meta.get("TransferSyntaxUID", "") or "") if meta is not None else ""
        transfer_syntax = transfer_syntax.rstrip("\x00 ") or EXPLICIT_VR_LITTLE_ENDIAN
    body = _without_meta(ds)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = dataset_text(ds, 0x00080016) or ""
    meta.MediaStorageSOPInstanceUID = dataset_text(ds, 0x00080018) or ""
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
    if source_ae:
        meta.SourceApplicationEntityTitle = source_ae.strip()[:16]
    body.file_meta = meta
    buf = io.BytesIO()
    dcmwrite(buf, body, enforce_file_format=True)
    return buf.getvalue()


def _write_atomic(data: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with AtomicFile(path.parent) as f:
        f.write(data)
        f.commit(path, overwrite=True)


def write_v2(ds: Dataset, out) -> None:
    """Write ``ds`` as a ``.v2`` raw dataset (:func:`encode_v2`) to ``out``: a path (written
    atomically and durably, folders created) or a binary file object."""
    data = encode_v2(ds)
    if hasattr(out, "write"):
        out.write(data)
    else:
        _write_atomic(data, Path(os.fspath(out)))


def write_object(ds: Dataset, root: str | os.PathLike[str], relative: str, *,
                 transfer_syntax: str | None = None) -> Path:
    """Store ``ds`` at ``root/relative`` as dgate does: ``.v2`` names raw (:func:`encode_v2`),
    other names as Part 10 files (:func:`encode_dcm`); atomically, replacing an existing file
    (a re-sent object rewrites its file, dgate.md §4.3).  Returns the full path.

    Raises ``ValueError`` when ``relative`` leaves ``root``.
    """
    path = ensure_inside(root, relative)
    if relative.lower().endswith(".v2"):
        data = encode_v2(ds)
    else:
        data = encode_dcm(ds, transfer_syntax)
    _write_atomic(data, path)
    return path


def read_v2(source: str | os.PathLike[str] | bytes) -> Dataset:
    """Read a ``.v2`` file (or its bytes): a raw dataset in Implicit VR Little Endian.

    The result's ``file_meta`` says Implicit VR Little Endian, so it can be written out again or
    converted like any other object.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        with open(source, "rb") as f:
            data = f.read()
    ds = read_dataset(DicomBytesIO(data), is_implicit_VR=True, is_little_endian=True)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = IMPLICIT_VR_LITTLE_ENDIAN
    return ds  # read_dataset has set the original encoding (Python codecs of (0008,0005))


def read_object(path: str | os.PathLike[str]) -> Dataset:
    """Read a stored object as regen does: ``*.v2`` raw (:func:`read_v2`), anything else as a
    DICOM file (Part 10, or a raw dataset pydicom recognises with ``force``)."""
    if os.fspath(path).lower().endswith(".v2"):
        return read_v2(path)
    return dcmread(path, force=True)
