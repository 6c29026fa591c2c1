"""ScannedHead: the texts dgate reads from a received object's head, worked out from the element
bytes, are the texts of the general path (any Dataset of the same raw elements)."""

from __future__ import annotations

import glob
import os

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

from pydcmkit.conquest.naming import ScannedHead, _dataset_text, dataset_text
from pydcmkit.conquest.service import NAMING_TAGS, scan_head
from pydcmkit.conquest.sql import load_dicom_sql
from pydcmkit.storage.inputs import ReadMode, read_instance
from pydcmkit.storage.scan import DatasetStructureError, scan_dataset

DATA = os.path.join(os.path.dirname(pydicom.__file__), "data")
TEST_FILES = os.path.join(DATA, "test_files")
UNCOMPRESSED_OR_ENCAPSULATED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
                                "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.5",
                                "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.80"}


def _samples() -> list[str]:
    paths = sorted(glob.glob(os.path.join(TEST_FILES, "*.dcm")) +
                   glob.glob(os.path.join(DATA, "charset_files", "*.dcm")))
    chosen = []
    for path in paths:
        try:
            inst = read_instance(path, ReadMode.FILE_ONLY)
        except Exception:  # noqa: BLE001 - files that are not Part 10 or are meant to be broken
            continue
        ts = inst.transfer_syntax_uid
        if ts not in UNCOMPRESSED_OR_ENCAPSULATED:
            continue
        with open(path, "rb") as f:
            data = f.read()
        try:  # truncated and broken samples are refused before any name is made
            scan_dataset(data, inst.dataset_offset, implicit=(ts == "1.2.840.10008.1.2"),
                         little_endian=(ts != "1.2.840.10008.1.2.2"))
        except DatasetStructureError:
            continue
        chosen.append(path)
    return chosen


SAMPLES = _samples()
_SQL = load_dicom_sql(None)
SCHEMA_TAGS = frozenset(t for table in (_SQL.patient, _SQL.study, _SQL.series, _SQL.image) for t in table.tags)


def test_the_samples_cover_character_sets_and_big_endian():
    names = {os.path.basename(p) for p in SAMPLES}
    assert len(SAMPLES) >= 40
    assert "MR_small_bigendian.dcm" in names
    assert sum(1 for p in SAMPLES if "charset_files" in p) >= 10


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: os.path.relpath(p, DATA))
def test_texts_equal_the_general_path(path):
    inst = read_instance(path, ReadMode.FILE_ONLY)
    ts = inst.transfer_syntax_uid
    with open(path, "rb") as f:
        data = f.read()
    little = ts != "1.2.840.10008.1.2.2"
    # every top-level element before the pixel data, plus what the name and the rows read
    every = {int(e.tag) for e in pydicom.dcmread(path, stop_before_pixels=True) if e.tag < 0x7FE00000}
    wanted = frozenset(every | NAMING_TAGS | SCHEMA_TAGS)
    found = scan_dataset(data, inst.dataset_offset, implicit=(ts == "1.2.840.10008.1.2"), little_endian=little,
                         wanted=wanted)
    head = scan_head(data, inst.dataset_offset, ts, wanted)
    assert type(head) is ScannedHead
    general = Dataset({BaseTag(t): RawDataElement(BaseTag(t), None, len(v), v, 0, True, little)
                       for t, v in sorted(found.items())})
    general.file_meta = head.file_meta
    for tag in sorted(wanted):
        expected = _dataset_text(general, tag)
        assert dataset_text(head, tag) == expected, f"{path}: ({tag >> 16:04X},{tag & 0xFFFF:04X})"
        assert dataset_text(head, tag) == expected  # the remembered answer


def test_a_changed_element_is_read_again():
    path = os.path.join(TEST_FILES, "CT_small.dcm")
    inst = read_instance(path, ReadMode.FILE_ONLY)
    with open(path, "rb") as f:
        data = f.read()
    head = scan_head(data, inst.dataset_offset, inst.transfer_syntax_uid, NAMING_TAGS)
    assert dataset_text(head, 0x00100020) == "1CT1"
    head.PatientID = "NEW-ID"
    assert dataset_text(head, 0x00100020) == "NEW-ID"
    del head.PatientName
    assert dataset_text(head, 0x00100010) is None
    assert dataset_text(head, 0x00080060) == "CT"


def test_a_value_not_scanned_is_absent():
    path = os.path.join(TEST_FILES, "CT_small.dcm")
    inst = read_instance(path, ReadMode.FILE_ONLY)
    with open(path, "rb") as f:
        data = f.read()
    head = scan_head(data, inst.dataset_offset, inst.transfer_syntax_uid, frozenset({0x00080018}))
    assert dataset_text(head, 0x00100020) is None
    assert dataset_text(head, 0x00080018) == pydicom.dcmread(path).SOPInstanceUID
