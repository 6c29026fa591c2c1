"""pydcmkit.conquest.naming: dgate's FileNameSyntax, devices and .v2/.dcm files (dgate.md §5)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from pydcmkit.conquest.ini import parse_dicom_ini
from pydcmkit.conquest.naming import (DeviceFullError, choose_device, clean, dataset_text, device_path,
                                      device_root, encode_dcm, encode_v2, is_object_file, object_path,
                                      read_object, read_v2, walk_object_files, write_object, write_v2)

SERIES_UID = "1.3.46.670589.5.2.10.2156913941.892665339.860724"
NOW = 1795413932
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.70"


def raw(ds: Dataset, tag: int, vr: str, value: bytes) -> None:
    """Put an element as it comes off the wire (pydicom has not converted it)."""
    ds[tag] = RawDataElement(Tag(tag), vr, len(value), value, 0, False, True)


def spec_object(**overrides) -> Dataset:
    """The object of dgate.md §5.2's example (series 1, image 2000)."""
    ds = Dataset()
    ds.PatientID = "0009703828"
    ds.PatientName = "HEAD^EXP2"
    ds.StudyInstanceUID = "1.3.46.670589.5.2.10.2156913941.892665339.1"
    ds.SeriesInstanceUID = SERIES_UID
    ds.SOPInstanceUID = "1.3.46.670589.5.2.10.2156913941.892665339.718742"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.SeriesNumber = "1"
    ds.InstanceNumber = "2000"
    ds.Modality = "MR"
    ds.StudyID = "42"
    ds.StudyDescription = "Brain w/o"
    ds.StudyDate = "20240925"
    for key, value in overrides.items():
        setattr(ds, key, value)
    return ds


def ini_text(root, extra: str = "") -> object:
    return parse_dicom_ini(f"[sscscp]\nMAGDevices = 2\nMAGDevice0 = {root}/mag0/\nMAGDevice1 = {root}/mag1/\n{extra}")


# -- cleaning ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("HEAD^EXP2", "HEAD^EXP2"),
    ('a/b\\c;d>e<f|g,h.i j:k?l*m"n', "a_b_c_d_e_f_g_h_i_j_k_l_m_n"),
    ("DOE^JOHN  ", "DOE^JOHN"),           # trailing spaces become _ and go
    ("ID__", "ID"),
    ("abc\rdef", "abc"),                  # the value ends at CR / LF / any control character
    ("abc\ndef", "abc"),
    ("abc\x00../../etc", "abc"),
    ("\x01abc", "unknown"),
    ("", "unknown"),
    (None, "unknown"),
    ("...", "unknown"),
    ("..", "unknown"),
    ("../../etc/passwd", "______etc_passwd"),
    ("x" * 80, "x" * 65),
    ("x" * 64 + "._", "x" * 64),          # cut to 65, then trailing _ removed
    ("Müller", "Müller"),
])
def test_clean(value, expected):
    assert clean(value) == expected


def test_cleaned_values_never_hold_separators_or_dots():
    for value in ("a/b", "..", ".", "/", "\\..\\", "a.b.c", " . "):
        cleaned = clean(value)
        assert "/" not in cleaned and "\\" not in cleaned and "." not in cleaned and cleaned


# -- FileNameSyntax -----------------------------------------------------------------------------


def test_spec_example_syntax_4():
    assert object_path(spec_object(), 4, 0, now=NOW) == (
        "0009703828/1.3.46.670589.5.2.10.2156913941.892665339.860724_0001_002000_17954139320000.dcm")


def test_default_syntax_is_4():
    assert object_path(spec_object(), now=NOW) == object_path(spec_object(), 4, now=NOW)


SOP = "1.3.46.670589.5.2.10.2156913941.892665339.718742"
STUDY = "1.3.46.670589.5.2.10.2156913941.892665339.1"


@pytest.mark.parametrize("syntax, expected", [
    (0, "HEAD^EXP_00097038/1_2000_1795413932.v2"),
    (1, "HEAD^EXP_00097038/0001_002000_17954139320005.v2"),
    (2, f"HEAD^EXP_00097038/{SERIES_UID}_0001_002000_17954139320005.v2"),
    (3, f"0009703828/{SERIES_UID}_0001_002000_17954139320005.v2"),
    (4, f"0009703828/{SERIES_UID}_0001_002000_17954139320005.dcm"),
    (5, f"HEAD^EXP2/{SERIES_UID}_0001_002000_17954139320005.v2"),
    (6, f"0009703828/{STUDY}/{SERIES_UID}/{SOP}.v2"),
    (7, f"{STUDY}/{SERIES_UID}/{SOP}.v2"),
    (8, f"0009703828/{STUDY}/{SERIES_UID}/{SOP}.dcm"),
    (9, f"{STUDY}/{SERIES_UID}/{SOP}.dcm"),
    (10, f"Images/{SOP}.dcm"),
    (11, f"HEAD^EXP2/{STUDY}/{SERIES_UID}/{SOP}.dcm"),
    (12, f"HEAD^EXP2_0009703828/MR_42/1/{SOP}.dcm"),
    (13, "HEAD^EXP_00097038/1_2000_1795413932.v2"),     # unknown numbers are syntax 0
    ("-1", "HEAD^EXP_00097038/1_2000_1795413932.v2"),
    ("abc", "HEAD^EXP_00097038/1_2000_1795413932.v2"),
    ("4", f"0009703828/{SERIES_UID}_0001_002000_17954139320005.dcm"),
])
def test_every_numbered_syntax(syntax, expected):
    assert object_path(spec_object(), syntax, 5, now=NOW) == expected


def test_counter_is_four_lower_case_hex_digits_of_its_low_16_bits():
    assert object_path(spec_object(), 4, 0xABCDE, now=NOW).endswith("_1795413932bcde.dcm")
    assert object_path(spec_object(), 1, 10, now=NOW).endswith("_179541393200 0a.v2".replace(" ", ""))


def test_series_and_image_numbers_through_atoi():
    ds = spec_object(SeriesNumber="12", InstanceNumber="7")
    assert object_path(ds, 1, 0, now=NOW) == "HEAD^EXP_00097038/0012_000007_17954139320000.v2"
    del ds.SeriesNumber
    assert object_path(ds, 0, 0, now=NOW) == "HEAD^EXP_00097038/0_7_1795413932.v2"


def test_cleaned_id_is_cut_after_cleaning():
    ds = spec_object(PatientID="AB.CD/EF:GH" + "9" * 30)
    assert object_path(ds, 4, now=NOW).split("/")[0] == "AB_CD_EF_GH99999"           # [:16]
    assert object_path(ds, 8, now=NOW).split("/")[0] == ("AB_CD_EF_GH" + "9" * 21)   # [:32]


def test_missing_values_are_unknown():
    ds = Dataset()
    ds.SOPInstanceUID = "1.2"
    assert object_path(ds, 1, 0, now=NOW) == "unknown_unknown/0000_000000_17954139320000.v2"


# -- templates ------------------------------------------------------------------------------------


def test_template_tokens():
    ds = spec_object(StudyDescription="Brain w/o", ImageID="img.1")
    template = ("%name|%id|%modality|%studyid|%studyuid|%seriesid|%series|%seriesuid|%sopuid|%imageid|"
                "%imagenum|%image|%studydesc|%studydate|%counter|%calledae|%callingae.dcm")
    got = object_path(ds, template, 0x1f, "CALLING", "CALLED  ", now=NOW)
    assert got == (f"HEAD^EXP2|0009703828|MR|42|{STUDY}|1|0001|{SERIES_UID}|{SOP}|img_1|2000|002000|"
                   "Brain_w_o|20240925|001f|CALLED|CALLING.dcm")


def test_template_date_and_time_are_local_now():
    got = object_path(spec_object(), "%date/%time.dcm", now=NOW)
    local = time.localtime(NOW)
    assert got == time.strftime("%Y%m%d/%H%M%S.dcm", local)


def test_template_slices():
    ds = spec_object()
    assert object_path(ds, "%name[0,3]/%id[2,5]/%sopuid[0,2].dcm", now=NOW) == "HEAD/0970/1.3.dcm"
    assert object_path(ds, "%id[8,99]/x.dcm", now=NOW) == "28/x.dcm"


def test_template_any_element_also_in_sequences():
    ds = spec_object()
    item = Dataset()
    item.CodeValue = "XYZ"
    ds.ProcedureCodeSequence = Sequence([item])
    assert object_path(ds, "%V0010,0020/%V0008,0100/%v0008,0060.dcm", now=NOW) == "0009703828/XYZ/MR.dcm"
    assert object_path(ds, "%V0009,1001/a.dcm", now=NOW) == "a.dcm"  # absent: empty


def test_template_unknown_tokens_stay_literal():
    assert object_path(spec_object(), "%foo/%id%%.dcm", now=NOW) == "%foo/0009703828%%.dcm"


def test_template_token_names_longest_first():
    ds = spec_object()
    assert object_path(ds, "%seriesx/%imageid.dcm", now=NOW) == "0001x/unknown.dcm"


def test_lua_syntax_is_refused():
    with pytest.raises(ValueError, match="Lua"):
        object_path(spec_object(), "lua:Filename", now=NOW)


# -- extension and length rules ------------------------------------------------------------------


def with_ts(ds: Dataset, ts: str) -> Dataset:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ts
    return ds


@pytest.mark.parametrize("ts, ext", [("1.2.840.10008.1.2", ".v2"), ("1.2.840.10008.1.2.1", ".v2"),
                                     ("1.2.840.10008.1.2.2", ".v2"), (JPEG_LOSSLESS, ".dcm"),
                                     ("1.2.840.10008.1.2.4.90", ".dcm"), ("1.2.840.10008.1.2.5", ".dcm")])
def test_v2_becomes_dcm_for_compressed_syntaxes(ts, ext):
    assert object_path(with_ts(spec_object(), ts), 3, now=NOW).endswith(ext)
    assert object_path(spec_object(), "%id/x.v2", now=NOW, transfer_syntax=ts).endswith("x" + ext)
    assert object_path(with_ts(spec_object(), ts), 4, now=NOW).endswith(".dcm")


def test_max_file_name_length_cuts_the_start_after_the_first_folder():
    full = object_path(spec_object(), 4, now=NOW)
    cut = object_path(spec_object(), 4, now=NOW, max_length=40)
    assert len(cut) == 40
    assert cut == "0009703828/" + full[len(full) - 29:]
    assert object_path(spec_object(), 4, now=NOW, max_length=0) == full


# -- path traversal ------------------------------------------------------------------------------


HOSTILE = ["../../../etc", "/etc/passwd", "..", ".", "a/../../b", "x\x00/../../y", "..\\..\\z", "\x00"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("syntax", list(range(13)) + ["%id/%studyuid/%seriesuid/%sopuid.dcm",
                                                      "%V0010,0020/%calledae/%callingae/%studydate.dcm"])
def test_received_values_stay_inside_the_device(tmp_path, value, syntax):
    ds = spec_object()
    for keyword in ("PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                    "StudyDate", "Modality", "StudyID"):
        raw(ds, int(Tag(pydicom.datadict.tag_for_keyword(keyword))),
            pydicom.datadict.dictionary_VR(keyword), value.encode("latin-1"))
    relative = object_path(ds, syntax, 0, value, value, now=NOW)
    parts = relative.split("/")
    assert not relative.startswith("/") and "\x00" not in relative
    assert all(p not in ("", ".", "..") for p in parts)
    root = tmp_path / "mag0"
    root.mkdir()
    written = write_object(spec_object(), root, relative)
    assert root.resolve() in written.resolve().parents
    assert written.exists()


def test_template_literal_leaving_the_device_is_refused():
    with pytest.raises(ValueError, match="not a path inside the device"):
        object_path(spec_object(), "../%id.dcm", now=NOW)
    with pytest.raises(ValueError):
        object_path(spec_object(), "%id/./x.dcm", now=NOW)


def test_write_object_refuses_escaping_paths(tmp_path):
    with pytest.raises(ValueError, match="leaves the storage directory"):
        write_object(spec_object(), tmp_path, "../outside.dcm")


# -- devices --------------------------------------------------------------------------------------


def test_choose_device_takes_the_first_with_enough_space(tmp_path):
    ini = ini_text(tmp_path, "MAGDeviceFullThreshold = 30\n")
    free = {f"{tmp_path}/mag0/": 30, f"{tmp_path}/mag1/": 31}
    assert choose_device(ini, free_mb=free.get) == ("MAG1", f"{tmp_path}/mag1/")
    free[f"{tmp_path}/mag0/"] = 100
    assert choose_device(ini, free_mb=free.get) == ("MAG0", f"{tmp_path}/mag0/")


def test_choose_device_full_and_ignored_threshold(tmp_path):
    ini = ini_text(tmp_path)
    with pytest.raises(DeviceFullError):
        choose_device(ini, free_mb=lambda root: 0)
    ignored = ini_text(tmp_path, "IgnoreMAGDeviceThreshold = 1\n")
    assert choose_device(ignored, free_mb=lambda root: 0)[0] == "MAG0"


def test_choose_device_measures_real_roots(tmp_path):
    (tmp_path / "mag0").mkdir()
    ini = ini_text(tmp_path, "MAGDeviceFullThreshold = 0\n")
    assert choose_device(ini)[0] == "MAG0"


def test_device_roots_and_paths(tmp_path):
    ini = ini_text(tmp_path, f"MIRRORDevices = 1\nMIRRORDevice0 = {tmp_path}/mirror/\n")
    assert device_root(ini, "MAG1") == f"{tmp_path}/mag1/"
    assert device_root(ini, "mirror0") == f"{tmp_path}/mirror/"
    assert device_path(ini, "MAG0", "P1/x.dcm") == tmp_path / "mag0" / "P1" / "x.dcm"
    assert device_path(ini, "MAG0", "P1\\x.dcm") == tmp_path / "mag0" / "P1" / "x.dcm"
    for bad in ("MAG2", "JUKEBOX0.1", "CACHE0"):
        with pytest.raises(KeyError):
            device_root(ini, bad)
    with pytest.raises(ValueError):
        device_path(ini, "MAG0", "../../x.dcm")


# -- files ---------------------------------------------------------------------------------------


def pixel_object() -> Dataset:
    ds = spec_object()
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 2, 2, 16, 12, 11
    ds.SamplesPerPixel, ds.PixelRepresentation, ds.PhotometricInterpretation = 1, 0, "MONOCHROME2"
    ds.PixelData = b"\x01\x00\x02\x00\x03\x00\x04\x00"
    return with_ts(ds, "1.2.840.10008.1.2.1")


def test_v2_is_a_raw_implicit_little_endian_dataset(tmp_path):
    ds = pixel_object()
    data = encode_v2(ds)
    assert not data.startswith(b"\x00" * 128) and b"DICM" not in data[:200]
    assert data[:4] == b"\x08\x00\x16\x00"          # (0008,0016), implicit: no VR after the tag
    assert b"\x02\x00" not in data[:2]               # no group 0002
    path = tmp_path / "P" / "x.v2"
    write_v2(ds, path)
    back = read_v2(path)
    assert back.PatientID == "0009703828" and back.Rows == 2 and back.PixelData == ds.PixelData
    assert back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2"
    assert read_object(path).SOPInstanceUID == ds.SOPInstanceUID
    buf = io.BytesIO()
    write_v2(ds, buf)
    assert buf.getvalue() == data


def test_v2_keeps_values_of_a_received_explicit_object():
    ds = pixel_object()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "Müller^Jörg"
    received = pydicom.dcmread(io.BytesIO(encode_dcm(ds)))
    back = read_v2(encode_v2(received))
    assert str(back.PatientName) == "Müller^Jörg" and back.Rows == 2


def test_dcm_is_part_10_with_rebuilt_meta(tmp_path):
    ds = pixel_object()
    ds.file_meta.ImplementationVersionName = "OTHER"
    path = write_object(ds, tmp_path, "P/x.dcm")
    back = pydicom.dcmread(path)
    assert back.preamble == b"\x00" * 128
    assert back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert back.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert back.file_meta.ImplementationVersionName != "OTHER"
    implicit = pydicom.dcmread(io.BytesIO(encode_dcm(ds, "1.2.840.10008.1.2")))
    assert implicit.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2" and implicit.Rows == 2


def test_write_object_replaces_an_existing_file(tmp_path):
    path = write_object(pixel_object(), tmp_path, "P/x.v2")
    ds = pixel_object()
    ds.PatientName = "OTHER"
    write_object(ds, tmp_path, "P/x.v2")
    assert str(read_object(path).PatientName) == "OTHER"
    assert [p.name for p in path.parent.iterdir()] == ["x.v2"]   # no temporary files left


def test_object_files_found_by_regen(tmp_path):
    for name in ("incoming/a.dcm", "printer_files/b.dcm", "P/c.v2", "P/d.DCM", "P/e.img", "P/IM0001",
                 "P/f.txt", "P/g.jpeg", "P/sub/h.dcm"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert list(walk_object_files(tmp_path)) == ["P/IM0001", "P/c.v2", "P/d.DCM", "P/e.img", "P/g.jpeg",
                                                 "P/sub/h.dcm"]
    assert list(walk_object_files(tmp_path, "P/sub")) == ["P/sub/h.dcm"]
    assert is_object_file("x.v2") and not is_object_file("x.txt") and is_object_file("noext")


# -- values ---------------------------------------------------------------------------------------


def test_dataset_text_keeps_leading_spaces_of_received_values():
    ds = Dataset()
    raw(ds, 0x00200011, "IS", b" 1")
    raw(ds, 0x00100020, "LO", b" ID1 \x00")
    raw(ds, 0x00080008, "CS", b"ORIGINAL\\PRIMARY")
    raw(ds, 0x00280010, "US", b"\x00\x02")
    assert dataset_text(ds, 0x00200011) == " 1"
    assert dataset_text(ds, 0x00100020) == " ID1"
    assert dataset_text(ds, 0x00080008) == "ORIGINAL\\PRIMARY"
    assert dataset_text(ds, 0x00280010) == "512"
    assert dataset_text(ds, 0x00100010) is None
    ds.ReferencedImageSequence = Sequence([])
    assert dataset_text(ds, 0x00081140) is None


def test_write_v2_of_nonexistent_folder_creates_it(tmp_path):
    target = tmp_path / "a" / "b" / "c.v2"
    write_v2(spec_object(), target)
    assert target.exists() and os.path.getsize(target) > 0
    assert Path(target).read_bytes() == encode_v2(spec_object())
