"""How a storage SCP encodes the files it writes (DCMTK's ``+F/-F``, ``+t…``, ``+u/-u``, ``+g…``,
``+e/-e``, ``+p/-p``, ``+cl``).

By default a received data set is written exactly as it arrived, behind a fresh File Meta
Information header: no element is decoded.  :class:`WriteEncoding` says when that is not enough,
and :func:`reencode` then reads the received data set with pydicom and writes it again:

* PS3.10 §7.1: with ``write_meta`` the file starts with the 128-byte preamble, ``DICM`` and the
  File Meta Information group (0002) in Explicit VR Little Endian, whose (0002,0010) names the
  written transfer syntax; without it (``-F``) the file is the bare data set.
* PS3.5 §7.2: group length elements (gggg,0000), UL, give the number of bytes of the group that
  follow them.  They are retired in data sets except for group 0002; DCMTK recalculates them when
  present (``+g=``), creates one for every group (``+g``) or removes them (``-g``), in nested
  items too.  A group too long for 32 bits gets none.
* PS3.5 §7.5: a sequence and each of its items have either an explicit length or undefined
  length with a (FFFE,E0DD) / (FFFE,E00D) delimiter; ``explicit_length`` chooses for all of them.
  Encapsulated Pixel Data always keeps undefined length (PS3.5 §A.4).
* PS3.5 §6.2: VRs introduced after the 1993 standard (UN, UT, UC, UR, OF, OD, OL, OV, SV, UV) can
  be written as OB in explicit VR syntaxes for old readers (``-u``, DCMTK's
  ``dcmDisableGenerationOfNewVRs``).
* PS3.3 C.12.1 / PS3.10 §7.2: Data Set Trailing Padding (FFFC,FFFC), OB of zero bytes, appended
  so that the file is a multiple of *f* bytes long and the content of every sequence item a
  multiple of *i* bytes (``+p f i``, both even; 0 means no padding at that level).  Padding
  already present is always dropped when re-encoding.
* PS3.5 §A.5: Deflated Explicit VR Little Endian is the Explicit VR Little Endian data set
  compressed with raw deflate (RFC 1951) at ``compression_level``; an odd stream gets one
  trailing 0x00 (DCMTK 3.6.7 omits it, otherwise its files are the same byte for byte).
  Lengths for group length and padding are those before deflating, as in DCMTK.

pydicom's own writer cannot do all of this (it never writes group lengths of groups above 0006
and knows no item padding), so the element walk is here; each non-sequence element is still
encoded by pydicom's ``write_data_element``.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from dataclasses import dataclass, replace
from typing import NamedTuple

from typing import TYPE_CHECKING

from ..codec.errors import CodecError
from ..codec.syntaxes import transfer_syntax
from .scan import DatasetStructureError
from .writer import file_meta_bytes

if TYPE_CHECKING:
    from pydicom.dataelem import DataElement
    from pydicom.dataset import Dataset

# pydicom (and the codecs) are imported when a data set is re-encoded, not with this module: the
# receivers import WriteEncoding at start-up and must stay quick to start.

__all__ = ["WriteEncoding", "EncodedFile", "EncodingError", "GROUP_LENGTH_MODES", "reencode"]

#: ``+g=`` recalculate group lengths if present, ``+g`` always write them, ``-g`` never.
GROUP_LENGTH_MODES = ("recalc", "create", "remove")

#: VRs newer than the 1993 standard, written as OB with ``new_vr=False``.
NEW_VRS = frozenset({"UN", "UT", "UC", "UR", "OF", "OD", "OL", "OV", "SV", "UV"})

DATASET_TRAILING_PADDING = 0xFFFCFFFC
UNDEFINED_LENGTH = 0xFFFFFFFF
ITEM, ITEM_DELIMITER, SEQUENCE_DELIMITER = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_CONVERSION_ERRORS = (CodecError, ValueError, TypeError, AttributeError, KeyError, NotImplementedError,
                      OverflowError)


class EncodingError(Exception):
    """The received data set cannot be written in the requested encoding (e.g. its compressed
    pixel data cannot be decoded for an uncompressed transfer syntax)."""


@dataclass(frozen=True)
class WriteEncoding:
    """How received objects are written (dcmqrscp.md §1.6).

    Parameters
    ----------
    write_meta : bool
        Write the File Meta Information (``+F``, default) or the bare data set (``-F``).
    transfer_syntax : str, optional
        UID of the transfer syntax to write; ``None`` keeps the one the data set arrived in
        (``+t=``).
    new_vr : bool
        Keep post-1993 VRs (``+u``, default) or write them as OB in explicit VR (``-u``).
    group_length : {"recalc", "create", "remove"}
        ``+g=`` (default), ``+g``, ``-g``.
    explicit_length : bool
        Sequences and items with explicit lengths (``+e``, default) or undefined (``-e``).
    padding : (int, int), optional
        ``+p f i``: align the file on *f* bytes and item contents on *i* bytes.
    compression_level : int
        zlib level 0..9 when pydcmkit deflates (``+cl``, default 6).
    fix_uid_padding : bool
        Remove the spaces some senders pad UI values with (``-up``; PS3.5 §9.1 pads UIDs with a
        NUL byte, never a space).
    """

    write_meta: bool = True
    transfer_syntax: str | None = None
    new_vr: bool = True
    group_length: str = "recalc"
    explicit_length: bool = True
    padding: tuple[int, int] | None = None
    compression_level: int = 6
    fix_uid_padding: bool = False

    def __post_init__(self):
        if self.group_length not in GROUP_LENGTH_MODES:
            raise ValueError(f"group_length must be one of {GROUP_LENGTH_MODES}, not {self.group_length!r}")
        if not 0 <= self.compression_level <= 9:
            raise ValueError(f"compression_level must be 0..9, not {self.compression_level}")
        if self.padding is not None and (len(self.padding) != 2 or min(self.padding) < 0):
            raise ValueError(f"padding must be two non-negative lengths, not {self.padding!r}")

    @property
    def is_default(self) -> bool:
        """Whether the received bytes are written as they are, behind a fresh meta header.

        ``compression_level`` does not count: a data set received deflated and kept in its
        syntax keeps its own deflate stream.
        """
        return (self.write_meta and self.transfer_syntax is None and self.new_vr
                and self.group_length == "recalc" and self.explicit_length and self.padding is None
                and not self.fix_uid_padding)

    @property
    def keeps_dataset(self) -> bool:
        """Whether the data set bytes are kept as received (only the meta header may change)."""
        return replace(self, write_meta=True).is_default


def fix_uid_padding(ds: Dataset) -> int:
    """Strip leading and trailing spaces from every UI value of ``ds`` (nested items included);
    returns the number of values corrected."""
    fixed = 0
    for elem in ds.iterall():
        if elem.VR != "UI" or elem.value is None:
            continue
        values = list(elem.value) if elem.VM > 1 else [elem.value]
        cleaned = [str(v).strip(" \x00") for v in values]
        if cleaned != [str(v) for v in values]:
            elem.value = cleaned if elem.VM > 1 else cleaned[0]
            fixed += 1
    return fixed


class EncodedFile(NamedTuple):
    """What :func:`reencode` wrote: the data set's transfer syntax and where the data set starts
    (after the meta header; 0 without one)."""

    transfer_syntax_uid: str
    dataset_offset: int


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

def _read_received(src_path, offset: int, received_ts: str) -> Dataset:
    from pydicom.filebase import DicomBytesIO
    from pydicom.filereader import read_dataset

    ts = transfer_syntax(received_ts)
    try:
        with open(src_path, "rb") as f:
            f.seek(offset)
            if ts.is_deflated:
                data = zlib.decompressobj(-zlib.MAX_WBITS).decompress(f.read())
                ds = read_dataset(DicomBytesIO(data), False, True)
            else:
                ds = read_dataset(f, ts.is_implicit, ts.is_little_endian)  # reads every value
    except zlib.error as exc:
        raise DatasetStructureError(f"cannot inflate the deflated data set: {exc}") from exc
    except (EOFError, ValueError, NotImplementedError, KeyError, struct.error) as exc:
        raise DatasetStructureError(str(exc) or type(exc).__name__) from exc
    if not len(ds):
        raise DatasetStructureError("empty dataset")
    return ds


def _parse_all(ds: Dataset) -> None:
    """Turn every raw element into a DataElement, recursively (VR lookup for implicit VR)."""
    for tag in list(ds.keys()):
        elem = ds[tag]
        if elem.VR == "SQ":
            for item in elem.value or ():
                _parse_all(item)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

class _Sink:
    """A write-only target for pydicom's DicomFileLike that counts what goes through."""

    def __init__(self, out=None):
        self.out = out
        self.count = 0

    def write(self, data) -> int:
        n = len(data)
        if self.out is not None and n:
            self.out.write(data)
        self.count += n
        return n

    def tell(self) -> int:
        return self.count

    def seek(self, *args):
        raise OSError("not seekable")


class _DeflateSink(_Sink):
    def __init__(self, out, level: int):
        super().__init__(out)
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        self.written = 0

    def write(self, data) -> int:
        chunk = self.compressor.compress(data)
        if chunk:
            self.out.write(chunk)
            self.written += len(chunk)
        self.count += len(data)
        return len(data)

    def finish(self) -> None:
        tail = self.compressor.flush()
        if (self.written + len(tail)) % 2:
            tail += b"\x00"
        self.out.write(tail)


class _Codec(NamedTuple):
    implicit: bool
    little: bool

    def file(self, target):
        from pydicom.filebase import DicomFileLike

        fp = DicomFileLike(target)
        fp.is_implicit_VR = self.implicit
        fp.is_little_endian = self.little
        return fp

    def buffer(self):
        from pydicom.filebase import DicomBytesIO

        buf = DicomBytesIO()
        buf.is_implicit_VR = self.implicit
        buf.is_little_endian = self.little
        return buf


def _charset(ds: Dataset, parent):
    return ds.get("SpecificCharacterSet", parent) or parent


def _write_elements(fp, ds: Dataset, charset) -> None:
    from pydicom.filewriter import write_data_element

    charset = _charset(ds, charset)
    for tag in sorted(ds.keys()):
        elem = ds[tag]
        if elem.VR == "SQ":
            _write_sequence(fp, elem, charset)
        else:
            write_data_element(fp, elem, charset)


def _write_sequence(fp, elem: DataElement, charset) -> None:
    fp.write_tag(elem.tag)
    if not fp.is_implicit_VR:
        fp.write(b"SQ\x00\x00")
    items = elem.value or ()
    if elem.is_undefined_length:
        fp.write_UL(UNDEFINED_LENGTH)
        for item in items:
            _write_item(fp, item, charset)
        fp.write_tag(SEQUENCE_DELIMITER)
        fp.write_UL(0)
    else:
        buf = _Codec(fp.is_implicit_VR, fp.is_little_endian).buffer()
        for item in items:
            _write_item(buf, item, charset)
        fp.write_UL(len(buf.getvalue()))
        fp.write(buf.getvalue())


def _write_item(fp, item: Dataset, charset) -> None:
    fp.write_tag(ITEM)
    if getattr(item, "is_undefined_length_sequence_item", False):
        fp.write_UL(UNDEFINED_LENGTH)
        _write_elements(fp, item, charset)
        fp.write_tag(ITEM_DELIMITER)
        fp.write_UL(0)
    else:
        buf = _Codec(fp.is_implicit_VR, fp.is_little_endian).buffer()
        _write_elements(buf, item, charset)
        fp.write_UL(len(buf.getvalue()))
        fp.write(buf.getvalue())


def _element_size(elem: DataElement, codec: _Codec, charset) -> int:
    from pydicom.filewriter import write_data_element

    sink = _Sink()
    fp = codec.file(sink)
    if elem.VR == "SQ":
        _write_sequence(fp, elem, charset)
    else:
        write_data_element(fp, elem, charset)
    return sink.count


# --------------------------------------------------------------------------------------------
# Preparing the element tree
# --------------------------------------------------------------------------------------------

def _old_vrs(ds: Dataset, codec: _Codec, charset) -> None:
    """Write post-1993 VRs as OB (explicit VR syntaxes only): the value bytes stay the same."""
    from pydicom.dataelem import DataElement
    from pydicom.filewriter import write_data_element

    charset = _charset(ds, charset)
    for tag in list(ds.keys()):
        elem = ds[tag]
        if elem.VR == "SQ":
            for item in elem.value or ():
                _old_vrs(item, codec, charset)
        elif elem.VR in NEW_VRS:
            buf = codec.buffer()
            write_data_element(buf, elem, charset)
            ds[tag] = DataElement(tag, "OB", buf.getvalue()[12:])  # 12: tag, VR, reserved, length


def _prepare(ds: Dataset, encoding: WriteEncoding, codec: _Codec, charset, pad: int, item_pad: int,
             preceding: int | None) -> None:
    """Lengths, group lengths and padding of one data set or item, after its nested items.

    ``preceding`` is the number of file bytes before the top-level data set (the meta header),
    ``None`` for a sequence item, whose content alone is aligned.
    """
    from pydicom.dataelem import DataElement

    charset = _charset(ds, charset)
    for tag in list(ds.keys()):
        if tag.group == 0xFFFC or (tag.group == 0x0002 and preceding is not None):
            del ds[tag]  # padding is rebuilt; group 0002 belongs in the meta header (PS3.10 §7.1)
    for tag in list(ds.keys()):
        elem = ds[tag]
        if elem.VR == "SQ":
            elem.is_undefined_length = not encoding.explicit_length
            for item in elem.value or ():
                item.is_undefined_length_sequence_item = not encoding.explicit_length
                _prepare(item, encoding, codec, charset, item_pad, item_pad, None)

    lengths = [tag for tag in ds.keys() if tag.element == 0]
    if encoding.group_length == "remove":
        for tag in lengths:
            del ds[tag]
        lengths = []
    elif encoding.group_length == "create":
        for group in {tag.group for tag in ds.keys()} - {tag.group for tag in lengths}:
            ds[group << 16] = DataElement(group << 16, "UL", 0)
        lengths = [tag for tag in ds.keys() if tag.element == 0]
    if not lengths and not pad:
        return
    sizes = {tag: _element_size(ds[tag], codec, charset) for tag in ds.keys() if tag.element != 0}
    for tag in lengths:
        group_size = sum(size for t, size in sizes.items() if t.group == tag.group)
        if group_size > 0xFFFFFFFF:
            del ds[tag]
        else:
            ds[tag] = DataElement(tag, "UL", group_size)
    if pad:
        total = sum(sizes.values()) + sum(_element_size(ds[t], codec, charset) for t in ds.keys() if t.element == 0)
        padding = pad - (total + (preceding or 0)) % pad
        if padding != pad:
            header = 8 if codec.implicit else 12
            while header > padding:
                padding += pad
            ds[DATASET_TRAILING_PADDING] = DataElement(DATASET_TRAILING_PADDING, "OB", bytes(padding - header))


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------

def reencode(src_path, dataset_offset: int, received_ts: str, encoding: WriteEncoding, out, *,
             sop_class_uid: str = "", sop_instance_uid: str = "") -> EncodedFile:
    """Write the data set stored in ``src_path`` from ``dataset_offset`` on, encoded in
    ``received_ts``, to ``out`` (anything with ``write``) as ``encoding`` says.

    The File Meta Information (``encoding.write_meta``) names ``sop_class_uid`` /
    ``sop_instance_uid`` (default: the data set's (0008,0016)/(0008,0018)) and the written
    transfer syntax.  When only the meta header changes (``-F``) the data set bytes are copied as
    they are; otherwise the data set is decoded and written again (see the module rules).  Pixel
    data of a compressed syntax are decoded for an uncompressed target
    (:func:`pydcmkit.codec.conversion.convert`).

    Returns
    -------
    EncodedFile
        The written transfer syntax and the offset of the data set in ``out``.

    Raises
    ------
    DatasetStructureError
        The received data set cannot be read (e.g. a broken deflate stream).
    EncodingError
        It cannot be written as asked (no decoder for its pixel data, odd padding length ...).
    OSError
        Reading or writing failed.
    """
    from pydicom.dataset import FileMetaDataset
    from pydicom.filewriter import correct_ambiguous_vr

    from ..codec.conversion import convert

    received_ts = str(received_ts).strip().rstrip("\x00")
    target = encoding.transfer_syntax or received_ts
    if encoding.keeps_dataset:
        return _copy_dataset(src_path, dataset_offset, received_ts, encoding, out, sop_class_uid, sop_instance_uid)
    if encoding.padding and (encoding.padding[0] % 2 or encoding.padding[1] % 2):
        raise EncodingError(f"cannot pad to {encoding.padding[0]}/{encoding.padding[1]} bytes: "
                            "padding lengths must be even (PS3.5 §7.1)")

    ds = _read_received(src_path, dataset_offset, received_ts)
    if encoding.fix_uid_padding:
        fix_uid_padding(ds)
    target_ts = transfer_syntax(target)
    try:
        if target != received_ts:
            ds.file_meta = FileMetaDataset()
            ds.file_meta.TransferSyntaxUID = received_ts
            convert(ds, target)
        codec = _Codec(target_ts.is_implicit, target_ts.is_little_endian)
        _parse_all(ds)
        correct_ambiguous_vr(ds, codec.little)
        if not encoding.new_vr and not codec.implicit:
            _old_vrs(ds, codec, None)
        preceding = 0
        meta = b""
        if encoding.write_meta:
            meta = file_meta_bytes(sop_class_uid or str(ds.get("SOPClassUID", "")),
                                   sop_instance_uid or str(ds.get("SOPInstanceUID", "")), target)
            preceding = len(meta)
        file_pad, item_pad = encoding.padding or (0, 0)
        _prepare(ds, encoding, codec, None, file_pad, item_pad, preceding)
    except CodecError as exc:
        raise EncodingError(str(exc)) from exc
    except _CONVERSION_ERRORS as exc:
        raise EncodingError(f"cannot encode the data set in {target_ts}: {exc}") from exc

    if meta:
        out.write(meta)
    sink = _DeflateSink(out, encoding.compression_level) if target_ts.is_deflated else _Sink(out)
    try:
        _write_elements(codec.file(sink), ds, None)
    except _CONVERSION_ERRORS as exc:
        raise EncodingError(f"cannot encode the data set in {target_ts}: {exc}") from exc
    if isinstance(sink, _DeflateSink):
        sink.finish()
    return EncodedFile(target, len(meta))


def _copy_dataset(src_path, offset, ts, encoding, out, sop_class_uid, sop_instance_uid) -> EncodedFile:
    meta = b""
    if encoding.write_meta:
        meta = file_meta_bytes(sop_class_uid, sop_instance_uid, ts)
        out.write(meta)
    with open(src_path, "rb") as f:
        f.seek(offset)
        shutil.copyfileobj(f, out, 1 << 20)
    return EncodedFile(ts, len(meta))

