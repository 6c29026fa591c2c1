"""Index records: the fast header reader agrees with pydicom on every encoding it meets."""

from __future__ import annotations

import os
import warnings

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian)

from pydcmkit.db import InvalidFileError, record_from_dataset, record_from_file
from pydcmkit.db.records import _pydicom_record

CT = "1.2.840.10008.5.1.4.1.1.2"


def same(a, b) -> bool:
    return (a.attributes, a.path, a.transfer_syntax_uid, a.file_size, a.specific_character_set) == \
        (b.attributes, b.path, b.transfer_syntax_uid, b.file_size, b.specific_character_set)


@pytest.mark.parametrize("name", ["ct1.dcm", "ct3.dcm", "mr1.dcm", "sc1.dcm", "sc8.dcm", "priv1.dcm",
                                  "nometa.dcm", "nonstorage.dcm", "baduid.dcm"])
def test_corpus_files(corpus_dir, name):
    fast = record_from_file(corpus_dir / name)
    assert same(fast, _pydicom_record(str(corpus_dir / name)))
    assert fast.path == str(corpus_dir / name)
    assert fast.file_size == os.path.getsize(corpus_dir / name)


def test_corpus_values(corpus_dir):
    r = record_from_file(corpus_dir / "mr1.dcm")
    assert r.attributes["PatientName"] == "SMITH^JANE"
    assert r.attributes["SeriesNumber"] == "1"
    assert r.transfer_syntax_uid == ImplicitVRLittleEndian
    assert r.specific_character_set == "ISO_IR 100"
    assert record_from_file(corpus_dir / "nometa.dcm").transfer_syntax_uid == ImplicitVRLittleEndian


def _write(tmp_path, ds: Dataset, ts: str, name: str = "x.dcm", meta: bool = True) -> str:
    path = str(tmp_path / name)
    if meta:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path, enforce_file_format=meta, implicit_vr=ts == ImplicitVRLittleEndian,
                   little_endian=ts != ExplicitVRBigEndian)
    return path


def _dataset(**extra) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = CT, "1.2.3.4.5"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.3.2", "1.2.3.3"
    ds.PatientID, ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "ID 1", "CT", "7", "01"
    ds.OtherPatientIDs = ["A", "B"]
    for k, v in extra.items():
        setattr(ds, k, v)
    return ds


@pytest.mark.parametrize("charset, name", [
    ("ISO_IR 100", "MÜLLER^JOSÉ"),
    ("ISO_IR 192", "Ω^中文"),
    ("GB18030", "王^小东"),
    (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう"),
    (["ISO 2022 IR 100", "ISO 2022 IR 126"], "Müller^Γιώργος"),
])
def test_character_sets(tmp_path, charset, name):
    ds = _dataset(SpecificCharacterSet=charset, PatientName=name, StudyDescription=name.split("^")[0])
    path = _write(tmp_path, ds, ExplicitVRLittleEndian)
    fast = record_from_file(path)
    assert fast.attributes["PatientName"] == name
    assert same(fast, _pydicom_record(path))


@pytest.mark.parametrize("ts", [ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian,
                                DeflatedExplicitVRLittleEndian])
def test_transfer_syntaxes_and_skipped_elements(tmp_path, ts):
    inner = Dataset()
    inner.ReferencedSOPInstanceUID = "9.9"
    inner.ReferencedImageSequence = Sequence([Dataset(), Dataset()])
    ds = _dataset(PatientName="DOE^JOHN", StudyDate="20230115", ReferencedStudySequence=Sequence([inner, Dataset()]))
    ds.ReferencedStudySequence.is_undefined_length = True
    ds.ReferencedStudySequence[0].is_undefined_length_sequence_item = True
    ds.add_new(0x00091010, "OB", b"\x01" * 200_000)   # a big element before the wanted ones
    ds.add_new(0x7FE00010, "OW", b"\x00" * 512)
    path = _write(tmp_path, ds, ts)
    fast = record_from_file(path)
    assert fast.transfer_syntax_uid == ts
    assert fast.attributes["PatientName"] == "DOE^JOHN"
    assert fast.attributes["OtherPatientIDs"] == "A\\B"
    assert fast.attributes["InstanceNumber"] == "01"
    assert same(fast, _pydicom_record(path))


def test_dataset_without_meta_header(tmp_path):
    path = _write(tmp_path, _dataset(PatientName="X^Y"), ImplicitVRLittleEndian, meta=False)
    assert record_from_file(path).attributes["PatientName"] == "X^Y"


def test_files_that_cannot_be_indexed(tmp_path, corpus_dir):
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "text").write_text("hello, world, this is not DICOM at all")
    (tmp_path / "dicm").write_bytes(b"\0" * 128 + b"DICM")
    data = (corpus_dir / "ct1.dcm").read_bytes()
    (tmp_path / "truncated").write_bytes(data[:300])
    no_series = _dataset()
    del no_series.SeriesInstanceUID
    _write(tmp_path, no_series, ExplicitVRLittleEndian, "noseries.dcm")
    for name in ("empty", "text", "dicm", "truncated", "noseries.dcm", "missing"):
        with pytest.raises(InvalidFileError) as info:
            record_from_file(tmp_path / name)
        assert str(tmp_path / name) in str(info.value)


def test_record_from_dataset_defaults(tmp_path):
    ds = _dataset(PatientName="A^B")
    path = _write(tmp_path, ds, ExplicitVRLittleEndian)
    r = record_from_dataset(dcmread(path), path, received=5.0, is_new=False)
    assert (r.transfer_syntax_uid, r.file_size, r.received, r.is_new) == (ExplicitVRLittleEndian,
                                                                          os.path.getsize(path), 5.0, False)
    assert r.value("AvailableTransferSyntaxUID") == ExplicitVRLittleEndian
    r = record_from_dataset(ds, "/nowhere.dcm", transfer_syntax_uid=ImplicitVRLittleEndian)
    assert (r.transfer_syntax_uid, r.file_size) == (ImplicitVRLittleEndian, 0)
