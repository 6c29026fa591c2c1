import struct
from io import BytesIO

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence

from pydcmkit.storage.scan import DatasetStructureError, scan_dataset


def _encode(ds, implicit=False, little=True):
    fp = DicomBytesIO()
    fp.is_implicit_VR, fp.is_little_endian = implicit, little
    write_dataset(fp, ds)
    return fp.getvalue()


def _sample():
    ds = Dataset()
    ds.SeriesDate = "20230115"
    ds.SOPInstanceUID = "1.2.3"
    item = Dataset()
    item.CodeValue = "X"
    inner = Dataset()
    inner.CodeMeaning = "deep"
    item.ConceptNameCodeSequence = Sequence([inner])
    ds.ReferencedStudySequence = Sequence([item, Dataset()])
    ds.BitsAllocated = 16
    ds.PixelData = b"\x00\x01" * 8
    return ds


@pytest.mark.parametrize("implicit,little", [(False, True), (True, True), (False, False)])
def test_values_of_wanted_top_level_tags(implicit, little):
    raw = _encode(_sample(), implicit, little)
    found = scan_dataset(raw, implicit=implicit, little_endian=little, wanted={0x00080021, 0x00080018})
    assert found[0x00080021] == b"20230115"
    assert found[0x00080018].rstrip(b"\x00") == b"1.2.3"


def test_undefined_length_sequences_and_encapsulated_pixel_data():
    path = get_testdata_file("JPEG2000.dcm")  # bundled in pydicom's wheel
    ds = dcmread(path)
    with open(path, "rb") as f:
        raw = f.read()
    offset = raw.index(b"DICM") + 4
    # skip the meta group
    group_len = struct.unpack_from("<I", raw, offset + 8)[0]
    start = offset + 12 + group_len
    found = scan_dataset(raw, start, wanted={0x00080018})
    assert found[0x00080018].rstrip(b"\x00").decode() == ds.SOPInstanceUID


def test_every_truncation_is_detected_or_consistent():
    raw = _encode(_sample())
    scan_dataset(raw)
    for cut in range(1, len(raw)):
        try:
            scan_dataset(raw[:cut])
        except DatasetStructureError:
            continue
        # a cut exactly between top-level elements is a valid (shorter) dataset
        scan_dataset(raw[:cut])


def test_length_claiming_gigabytes():
    raw = struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0x7FFFFFF0) + b"\x00" * 16
    with pytest.raises(DatasetStructureError, match="runs past"):
        scan_dataset(raw)


def test_empty_and_garbage():
    with pytest.raises(DatasetStructureError, match="empty"):
        scan_dataset(b"")
    with pytest.raises(DatasetStructureError):
        scan_dataset(b"\x08\x00\x18\x00\x01\x02\x03\x04garbage!")


def test_deep_nesting_is_bounded():
    raw = b""
    for _ in range(100):
        raw += struct.pack("<HH2sHI", 0x0008, 0x1115, b"SQ", 0, 0xFFFFFFFF) + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    with pytest.raises(DatasetStructureError, match="deeply"):
        scan_dataset(raw)


def test_unbalanced_delimiters():
    raw = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    with pytest.raises(DatasetStructureError, match="unexpected sequence delimiter"):
        scan_dataset(raw)


def test_un_of_undefined_length_holds_an_implicit_sequence():
    item = struct.pack("<HHI", 0x0008, 0x0100, 2) + b"X "  # implicit VR inside
    raw = (struct.pack("<HH2sHI", 0x0009, 0x1010, b"UN", 0, 0xFFFFFFFF)
           + struct.pack("<HHI", 0xFFFE, 0xE000, len(item)) + item
           + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
           + struct.pack("<HH2sH", 0x0010, 0x0010, b"PN", 4) + b"A^B ")
    assert scan_dataset(raw, wanted={0x00100010}) == {0x00100010: b"A^B "}
