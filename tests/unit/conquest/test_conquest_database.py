"""pydcmkit.conquest.database: dgate's tables, storing, C-FIND/C-MOVE selection, worklist,
UIDMODS, deletes, finders (dgate.md §4, §5, §7.2, §10) -- on SQLite and on PostgreSQL.

PostgreSQL runs on the throwaway server of tests/unit/db/conftest.py; the PostgreSQL tests are
skipped when neither its binaries nor ``PYDCMKIT_TEST_POSTGRES_URL`` are available.
"""

from __future__ import annotations

import glob
import os
import re
import shutil

import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from pydcmkit.conquest.database import (ConquestDatabase, ConquestDatabaseError, InconsistentObjectError,
                                        RawQueryRefused, fix_patient_id)
from pydcmkit.conquest.ini import parse_dicom_ini
from pydcmkit.conquest.naming import object_path, write_object
from pydcmkit.conquest.sql import DEFAULT_DICOM_SQL, parse_dicom_sql
from pydcmkit.conquest.remote import UidGenerator
from pydcmkit.db.base import DatabaseError
from pydcmkit.db.matching import QueryError
from pydcmkit.db.model import InformationModel, Level
from tests.unit.db.conftest import pg_server_url, pg_url  # noqa: F401 - the throwaway PostgreSQL server

pytestmark = [pytest.mark.filterwarnings("ignore:Invalid value for VR"),
              pytest.mark.filterwarnings("ignore:The value length")]

NOW = 1_700_000_123.9
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"


def postgres_available() -> bool:
    if os.environ.get("PYDCMKIT_TEST_POSTGRES_URL"):
        return True
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or bool(shutil.which("initdb") and shutil.which("postgres"))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "conquest.db3")
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries (initdb, postgres) or psycopg not available")
    return request.getfixturevalue("pg_url")


def make_ini(tmp_path, extra: str = ""):
    return parse_dicom_ini(f"""[sscscp]
MyACRNema = CONQUESTSRV1
SQLServer = {tmp_path}/conquest.db3
SqLite = 1
MAGDevices = 1
MAGDevice0 = {tmp_path}/data/
UIDPrefix = 99999.99999
{extra}""")


@pytest.fixture
def ini(tmp_path):
    return make_ini(tmp_path, "EnableComputedFields = 1\n")


@pytest.fixture
def db(url, ini):
    database = ConquestDatabase.open(ini, url=url, clock=lambda: NOW)
    yield database
    database.close()


def raw(ds: Dataset, tag: int, vr: str, value: bytes) -> None:
    ds[tag] = RawDataElement(Tag(tag), vr, len(value), value, 0, False, True)


def obj(pid="P1", name="DOE^JOHN", study="1.2.3", series="1.2.3.4", sop="1.2.3.4.5", modality="CT", **kw) -> Dataset:
    ds = Dataset()
    ds.PatientID = pid
    ds.PatientName = name
    ds.PatientBirthDate = "19600203"
    ds.PatientSex = "M"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.SOPInstanceUID = sop
    ds.SOPClassUID = CT_IMAGE
    ds.Modality = modality
    ds.StudyDate = "20200102"
    ds.StudyTime = "101500"
    ds.StudyDescription = "HEAD"
    ds.SeriesNumber = "1"
    ds.InstanceNumber = sop.rsplit(".", 1)[-1]
    for key, value in kw.items():
        setattr(ds, key, value)
    return ds


def rows(db, table, fields, where=""):
    return db.raw_query(table, fields, where, may_modify=True)


def query(level, **keys) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for key, value in keys.items():
        setattr(ds, key, value)
    return ds


def answers(db, level, **keys) -> list[dict[str, str]]:
    out = []
    for answer in db.find(None, query(level, **keys)):
        plain = {}
        for elem in answer:
            v = elem.value
            if elem.VR == "SQ":
                v = [{e.keyword: str(e.value) for e in item} for item in v]
            elif isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
                v = "\\".join(str(x) for x in v)
            plain[elem.keyword] = v if elem.VR == "SQ" else ("" if v is None else str(v))
        out.append(plain)
    return out


@pytest.fixture
def filled(db):
    """Two patients: P1 (a CT series of 2 images and an MR series in study 1.2.3, a second study
    1.2.9), P2 (one study)."""
    db.add_object(obj(), "MAG0", "P1/a.dcm")
    db.add_object(obj(sop="1.2.3.4.6"), "MAG0", "P1/b.dcm")
    db.add_object(obj(series="1.2.3.7", sop="1.2.3.7.1", modality="MR", SeriesNumber="2"), "MAG0", "P1/c.dcm")
    db.add_object(obj(study="1.2.9", series="1.2.9.1", sop="1.2.9.1.1", StudyDate="20211231",
                      StudyDescription="CHEST 100%"), "MAG0", "P1/d.dcm")
    db.add_object(obj(pid="P2", name="Smith^Anna", study="2.1", series="2.1.1", sop="2.1.1.1", modality="US",
                      StudyDate="20190615", PatientSex="F", PatientBirthDate="19801224"), "MAG0", "P2/e.dcm")
    return db


# -- schema (dgate.md §4.2) --------------------------------------------------------------------

EXTRA = [("accesstime", "int"), ("qtimestamp", "int"), ("qflags", "int"), ("qspare", "varchar(64)")]
SPEC_COLUMNS = {
    "DICOMPatients": ["PatientID", "PatientNam", "PatientBir", "PatientSex"],
    "DICOMStudies": ["StudyInsta", "StudyDate", "StudyTime", "StudyID", "StudyDescr", "AccessionN", "ReferPhysi",
                     "PatientsAg", "PatientsWe", "StudyModal", "PatientNam", "PatientBir", "PatientSex", "PatientID"],
    "DICOMSeries": ["SeriesInst", "SeriesNumb", "SeriesDate", "SeriesTime", "SeriesDesc", "Modality", "PatientPos",
                    "ContrastBo", "Manufactur", "ModelName", "BodyPartEx", "ProtocolNa", "StationNam", "Institutio",
                    "FrameOfRef", "SeriesPat", "StudyInsta"],
    "DICOMImages": ["SOPInstanc", "SOPClassUI", "ImageNumbe", "ImageDate", "ImageTime", "EchoNumber", "NumberOfFr",
                    "AcqDate", "AcqTime", "ReceivingC", "AcqNumber", "SliceLocat", "SamplesPer", "PhotoMetri",
                    "QRows", "QColumns", "BitsStored", "ImageType", "ImageID", "ImagePat", "SeriesInst"],
    "DICOMWorkList": ["AccessionN", "PatientID", "PatientNam", "PatientBir", "PatientSex", "MedicalAle",
                      "ContrastAl", "StudyInsta", "ReqPhysici", "ReqProcDes", "Modality", "ReqContras", "ScheduledA",
                      "StartDate", "StartTime", "PerfPhysic", "SchedPSDes", "SchedPSID", "SchedStati", "SchedPSLoc",
                      "PreMedicat", "SchedPSCom", "ReqProcID", "ReqProcPri"],
}


def table_columns(db, table) -> list[tuple[str, str]]:
    if db.backend.dialect.name == "sqlite":
        return [(r[1].lower(), r[2].lower().replace(" ", "")) for r in db.backend.read(f"PRAGMA table_info({table})")]
    out = []
    for name, kind, length in db.backend.read(
            "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = lower(?) ORDER BY ordinal_position", (table,)):
        kind = {"character varying": "varchar", "character": "char", "integer": "int"}.get(kind, kind)
        out.append((name, f"{kind}({length})" if length else kind))
    return out


def indexes(db) -> set[str]:
    if db.backend.dialect.name == "sqlite":
        return {r[0].lower() for r in db.backend.read("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return {r[0] for r in db.backend.read("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}


@pytest.mark.parametrize("table", list(SPEC_COLUMNS))
def test_columns_as_created(db, table):
    columns = table_columns(db, table)
    names = [c for c, _ in columns]
    expected = [c.lower() for c in SPEC_COLUMNS[table]] + [c for c, _ in EXTRA]
    if table == "DICOMImages":
        expected += ["objectfile", "devicename"]
    assert names == expected
    assert all(len(c) <= 10 for c in names)
    kinds = dict(columns)
    assert kinds["accesstime"] in ("int", "integer") and kinds["qspare"] == "varchar(64)"
    if table == "DICOMStudies":
        assert kinds["studydate"] == "char(8)" and kinds["studymodal"] == "varchar(64)"
    if table == "DICOMImages":
        assert kinds["objectfile"] == "varchar(255)" and kinds["devicename"] == "varchar(32)"
        assert kinds["imagetype"] == "varchar(128)" and kinds["qrows"] == "varchar(5)"


def test_uidmods_and_indexes(db):
    assert [c for c, _ in table_columns(db, "UIDMODS")] == ["modtime", "olduid", "modtype", "newuid", "stage",
                                                           "annotation"]
    db.initialize_tables(0)
    assert {"study_lnk", "idx_patientid", "idx_patientid_studyinsta", "series_lnk", "series_pat",
            "idx_studyinsta_seriesinst", "images_lnk", "images_pat", "idx_seriesinst_sopinstanc", "mods_old",
            "mods_stage", "mods_joint", "mods_back"} <= indexes(db)
    db.initialize_tables(1)
    assert "study_lnk" not in indexes(db) and "images_pat" not in indexes(db)


def test_initialize_tables_keeps_a_worklist_with_rows(filled):
    filled.add_record("DICOMWorkList", ["AccessionN", "PatientID"], ["A1", "P9"])
    filled.change_uid("1.2.3")
    filled.initialize_tables(0)
    assert rows(filled, "DICOMPatients", "PatientID") == []
    assert rows(filled, "DICOMImages", "SOPInstanc") == []
    assert rows(filled, "DICOMWorkList", "AccessionN") == [("A1",)]
    assert len(rows(filled, "UIDMODS", "OldUID")) == 1
    filled.initialize_tables(2)
    assert rows(filled, "DICOMWorkList", "AccessionN") == []
    with pytest.raises(ConquestDatabaseError):
        filled.initialize_tables(3)


def test_initialize_tables_recreates_an_empty_worklist(db):
    db.initialize_tables(1)
    assert [c for c, _ in table_columns(db, "DICOMWorkList")][:2] == ["accessionn", "patientid"]


# -- storing (dgate.md §4.3) ------------------------------------------------------------------------


def test_values_as_stored(db):
    ds = obj(StudyDescription="HEAD  ")
    raw(ds, 0x00200011, "IS", b" 1")
    raw(ds, 0x00081030, "LO", b" HEAD \x00")
    raw(ds, 0x00280010, "US", b"\x00\x02")
    raw(ds, 0x00080008, "CS", b"ORIGINAL\\PRIMARY")
    ds.StudyTime = "170346.000000"
    result = db.add_object(ds, "MAG0", "P1/1.2.3.4_0001_000005_17000001230000.dcm")
    assert result.image_added and result.series_added and result.study_added and result.patient_added
    assert rows(db, "DICOMSeries", "SeriesNumb,Modality,SeriesPat,StudyInsta") == [(" 1", "CT", "P1", "1.2.3")]
    assert rows(db, "DICOMStudies", "StudyDescr,StudyDate,StudyTime,StudyModal,PatientID,PatientNam") == [
        (" HEAD", "20200102", "170346.000000", "CT", "P1", "DOE^JOHN")]
    assert rows(db, "DICOMImages", "QRows,ImageType,ImagePat,SeriesInst,ObjectFile,DeviceName") == [
        ("512", "ORIGINAL\\PRIMARY", "P1", "1.2.3.4", "P1/1.2.3.4_0001_000005_17000001230000.dcm", "MAG0")]
    for table in ("DICOMPatients", "DICOMStudies", "DICOMSeries", "DICOMImages"):
        (access,), = rows(db, table, "AccessTime")
        assert int(access) == int(NOW) & ~31


def test_values_longer_than_the_column_are_cut(db):
    db.add_object(obj(StudyID="X" * 40), "MAG0", "a.dcm")
    assert rows(db, "DICOMStudies", "StudyID") == [("X" * 16,)]


def test_missing_patient_id_is_00000000(db):
    ds = obj()
    del ds.PatientID
    db.add_object(ds, "MAG0", "a.dcm")
    assert rows(db, "DICOMPatients", "PatientID") == [("00000000",)]
    assert rows(db, "DICOMImages", "ImagePat") == [("00000000",)]


def test_fix_patient_id():
    assert fix_patient_id("") == "00000000" and fix_patient_id(None, allow_empty=True) == ""
    assert fix_patient_id("0001234567", fix_philips=True) == "1234567"
    assert fix_patient_id("0012345678", fix_philips=True) == "12345678"
    assert fix_patient_id("0000001234", fix_philips=True) == "0000001234"
    assert fix_patient_id("01234567", fix_kodak=True) == "1234567"
    assert fix_patient_id("01234567") == "01234567"


def test_object_without_uids_is_refused(db):
    ds = obj()
    del ds.SeriesInstanceUID
    with pytest.raises(ConquestDatabaseError, match="Series Instance UID"):
        db.add_object(ds, "MAG0", "a.dcm")
    assert rows(db, "DICOMPatients", "PatientID") == []


def test_duplicate_updates_the_rows(db):
    assert db.add_object(obj(), "MAG0", "P1/a.dcm").image_added
    again = db.add_object(obj(StudyDescription="HEAD NEW", SeriesDescription="AX"), "MAG1", "P1/a2.dcm")
    assert not again.image_added and not again.patient_added and not again
    assert rows(db, "DICOMImages", "SOPInstanc,ObjectFile,DeviceName") == [("1.2.3.4.5", "P1/a2.dcm", "MAG1")]
    assert rows(db, "DICOMStudies", "StudyDescr") == [("HEAD NEW",)]
    assert rows(db, "DICOMSeries", "SeriesDesc") == [("AX",)]


def test_empty_values_never_blank_a_column(db):
    db.add_object(obj(StudyDescription="HEAD"), "MAG0", "a.dcm")
    ds = obj(sop="1.2.3.4.6")
    del ds.StudyDescription
    ds.StudyDate = ""
    db.add_object(ds, "MAG0", "b.dcm")
    assert rows(db, "DICOMStudies", "StudyDescr,StudyDate") == [("HEAD", "20200102")]


def test_study_modality_collects_every_series_modality(db):
    db.add_object(obj(), "MAG0", "a.dcm")
    db.add_object(obj(series="1.2.3.5", sop="1.2.3.5.1", modality="MR"), "MAG0", "b.dcm")
    db.add_object(obj(series="1.2.3.6", sop="1.2.3.6.1", modality="CT"), "MAG0", "c.dcm")
    db.add_object(obj(series="1.2.3.8", sop="1.2.3.8.1", modality="C"), "MAG0", "d.dcm")     # a token, not a substring
    db.add_object(obj(series="1.2.3.9", sop="1.2.3.9.1", modality="RTSTRUCT"), "MAG0", "e.dcm")
    assert rows(db, "DICOMStudies", "StudyModal") == [("CT\\MR\\C\\RTSTRUCT",)]


def test_study_modality_ignores_the_objects_own_modalities_in_study(db):
    db.add_object(obj(ModalitiesInStudy=["XX", "YY"]), "MAG0", "a.dcm")
    assert rows(db, "DICOMStudies", "StudyModal") == [("CT",)]


def test_known_sex_and_birth_date_are_not_overwritten(db):
    db.add_object(obj(), "MAG0", "a.dcm")
    db.add_object(obj(sop="1.2.3.4.6", PatientSex="O", PatientBirthDate="19600101"), "MAG0", "b.dcm")
    assert rows(db, "DICOMPatients", "PatientSex,PatientBir") == [("M", "19600203")]
    db.add_object(obj(sop="1.2.3.4.7", PatientSex="F", PatientBirthDate="19610203", PatientName="DOE^JANE"),
                  "MAG0", "c.dcm")
    assert rows(db, "DICOMPatients", "PatientSex,PatientBir,PatientNam") == [("F", "19610203", "DOE^JANE")]


@pytest.mark.parametrize("conflict, column", [
    (dict(pid="P2", sop="9.9"), "PatientID"),                        # the study belongs to P1
    (dict(study="1.2.99", sop="9.9"), "StudyInsta"),                 # the series belongs to study 1.2.3
    (dict(series="1.2.3.99"), "SeriesInst"),                         # the image belongs to series 1.2.3.4
])
def test_inconsistent_links_are_refused(db, conflict, column):
    db.add_object(obj(), "MAG0", "a.dcm")
    before = {t: rows(db, t, "AccessTime") for t in ("DICOMPatients", "DICOMStudies", "DICOMSeries", "DICOMImages")}
    with pytest.raises(InconsistentObjectError) as info:
        db.add_object(obj(**conflict), "MAG0", "b.dcm")
    assert info.value.column == column and "inconsistent link" in str(info.value)
    assert info.value.exit_code == 1
    after = {t: rows(db, t, "AccessTime") for t in before}
    assert after == before
    assert rows(db, "DICOMPatients", "PatientID") == [("P1",)]


def test_image_of_another_patient_is_refused(db):
    db.add_object(obj(), "MAG0", "a.dcm")
    with pytest.raises(InconsistentObjectError):
        db.add_object(obj(pid="P2", study="7.7", series="7.7.7"), "MAG0", "b.dcm")
    assert rows(db, "DICOMStudies", "StudyInsta") == [("1.2.3",)]


# -- C-FIND (dgate.md §4.4, §10) ----------------------------------------------------------------


def test_patient_level(filled):
    got = answers(filled, "PATIENT", PatientID="", PatientName="", PatientSex="")
    assert got == [
        {"QueryRetrieveLevel": "PATIENT", "PatientName": "DOE^JOHN", "PatientID": "P1", "PatientSex": "M"},
        {"QueryRetrieveLevel": "PATIENT", "PatientName": "Smith^Anna", "PatientID": "P2", "PatientSex": "F"}]


def test_study_level_with_upper_keys_and_unknown_keys_left_out(filled):
    got = answers(filled, "STUDY", PatientID="P1", StudyInstanceUID="", StudyDate="", InstitutionName="",
                  OperatorsName="", SeriesInstanceUID="")
    assert sorted(a["StudyInstanceUID"] for a in got) == ["1.2.3", "1.2.9"]
    assert set(got[0]) == {"QueryRetrieveLevel", "PatientID", "StudyInstanceUID", "StudyDate"}


def test_image_level_answers_carry_upper_level_keys(filled):
    got = answers(filled, "IMAGE", SOPInstanceUID="1.2.3.4.5", StudyDate="", Modality="", PatientName="",
                  SeriesInstanceUID="")
    assert got == [{"QueryRetrieveLevel": "IMAGE", "Modality": "CT", "StudyDate": "20200102",
                    "PatientName": "DOE^JOHN", "SeriesInstanceUID": "1.2.3.4", "SOPInstanceUID": "1.2.3.4.5"}]


def test_empty_keys_are_returned_empty(filled):
    got = answers(filled, "STUDY", StudyInstanceUID="2.1", AccessionNumber="", ReferringPhysicianName="")
    assert got == [{"QueryRetrieveLevel": "STUDY", "AccessionNumber": "", "ReferringPhysicianName": "",
                    "StudyInstanceUID": "2.1"}]


@pytest.mark.parametrize("keys, expected", [
    (dict(PatientName="DOE*"), ["1.2.3", "1.2.9"]),
    (dict(PatientName="*ith*"), ["2.1"]),
    (dict(PatientName="D?E^JOHN"), ["1.2.3", "1.2.9"]),
    (dict(PatientName="doe*"), []),                         # DT_STR wildcards are case-sensitive
    (dict(PatientName="*"), ["1.2.3", "1.2.9", "2.1"]),
    (dict(PatientName="**"), ["1.2.3", "1.2.9", "2.1"]),
    (dict(StudyDate="20200101-20201231"), ["1.2.3"]),
    (dict(StudyDate="20200102-"), ["1.2.3", "1.2.9"]),
    (dict(StudyDate="-20200102"), ["1.2.3", "2.1"]),
    (dict(StudyDate="20211231"), ["1.2.9"]),
    (dict(StudyDate="2021*"), ["1.2.9"]),
    (dict(StudyTime="1000-1100"), ["1.2.3", "1.2.9", "2.1"]),
    (dict(StudyInstanceUID=["1.2.9", "2.1", "7.7"]), ["1.2.9", "2.1"]),
    (dict(StudyInstanceUID="1.2.9"), ["1.2.9"]),
    (dict(StudyInstanceUID="1.2.*"), ["1.2.3", "1.2.9"]),
    (dict(ModalitiesInStudy="MR"), ["1.2.3"]),
    (dict(ModalitiesInStudy="CT"), ["1.2.3", "1.2.9"]),
    (dict(ModalitiesInStudy="C"), []),
    (dict(ModalitiesInStudy=["US", "MR"]), ["1.2.3", "2.1"]),
    (dict(ModalitiesInStudy="*R*"), ["1.2.3"]),
    (dict(StudyDescription="CHEST 100%"), ["1.2.9"]),
    (dict(StudyDescription="*100%"), ["1.2.9"]),
    (dict(StudyDescription="CHEST 1_0%"), []),              # _ and % are not wildcards
    (dict(StudyDescription="*0_"), []),
    (dict(PatientID="P2 "), ["2.1"]),                       # trailing spaces removed
])
def test_matching(filled, keys, expected):
    got = answers(filled, "STUDY", **({"StudyInstanceUID": ""} | keys))
    assert sorted(a["StudyInstanceUID"] for a in got) == expected


def test_case_insensitive_strings(url, tmp_path):
    schema = parse_dicom_sql(re.sub(r'("PatientName",\s+64, SQL_C_CHAR, )DT_STR', r"\1DT_ISTR", DEFAULT_DICOM_SQL))
    assert schema.patient.column("PatientNam").dicom_type == "DT_ISTR"
    db = ConquestDatabase.open(make_ini(tmp_path), url=url, dicom_sql=schema)
    try:
        db.add_object(obj(name="Müller^Anna"), "MAG0", "a.dcm")
        db.add_object(obj(pid="P2", name="SMITH^J", study="2.1", series="2.1.1", sop="2.1.1.1"), "MAG0", "b.dcm")
        for value, expected in (("smith^j", ["P2"]), ("sm*", ["P2"]), ("*^?", ["P2"]), ("müller*", ["P1"]),
                                ("SMITH", []), ("%", []), ("_*", [])):
            got = answers(db, "PATIENT", PatientID="", PatientName=value)
            assert [a["PatientID"] for a in got] == expected, value
    finally:
        db.close()


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", "x' OR 'a'='a", "P1'; DROP TABLE DICOMPatients; --",
                                     "%", "_", "*' OR '1'='1", "\\", "P1\\' OR 1=1 --", "1.2.3' OR 1=1 --\\9.9",
                                     "') OR ('1'='1", "P1' UNION SELECT PatientID FROM DICOMPatients --"])
def test_injection_attempts_match_nothing_and_change_nothing(filled, hostile):
    before = {t: rows(filled, t, "AccessTime") for t in ("DICOMPatients", "DICOMStudies", "DICOMSeries", "DICOMImages")}
    for key in ("PatientID", "PatientName", "StudyInstanceUID", "StudyDate", "ModalitiesInStudy", "StudyDescription"):
        assert answers(filled, "STUDY", **({"StudyInstanceUID": ""} | {key: hostile})) == [], key
        assert answers(filled, "IMAGE", **({"SOPInstanceUID": ""} | {key: hostile})) == [], key
    assert filled.select_for_retrieve(query("PATIENT", PatientID=hostile)) == []
    assert filled.patient_finder("=" + hostile) == []
    assert filled.change_uid_back(hostile) == ""
    assert filled.delete("patient", hostile) == []
    after = {t: rows(filled, t, "AccessTime") for t in before}
    assert after == before


def test_computed_fields(filled):
    got = answers(filled, "PATIENT", PatientID="P1", NumberOfPatientRelatedStudies="",
                  NumberOfPatientRelatedSeries="", NumberOfPatientRelatedInstances="")
    assert got == [{"QueryRetrieveLevel": "PATIENT", "PatientID": "P1", "NumberOfPatientRelatedStudies": "2",
                    "NumberOfPatientRelatedSeries": "3", "NumberOfPatientRelatedInstances": "4"}]
    got = answers(filled, "STUDY", StudyInstanceUID="1.2.3", NumberOfStudyRelatedSeries="",
                  NumberOfStudyRelatedInstances="")
    assert got[0]["NumberOfStudyRelatedSeries"] == "2" and got[0]["NumberOfStudyRelatedInstances"] == "3"
    got = answers(filled, "SERIES", SeriesInstanceUID="", Modality="CT", NumberOfSeriesRelatedInstances="")
    assert sorted((a["SeriesInstanceUID"], a["NumberOfSeriesRelatedInstances"]) for a in got) == [
        ("1.2.3.4", "2"), ("1.2.9.1", "1")]
    got = answers(filled, "PATIENT", PatientName="Smith*", NumberOfPatientRelatedInstances="")
    assert got[0]["NumberOfPatientRelatedInstances"] == "1"


def test_computed_fields_need_enable_computed_fields(url, tmp_path):
    db = ConquestDatabase.open(make_ini(tmp_path), url=url)
    try:
        db.add_object(obj(), "MAG0", "a.dcm")
        assert answers(db, "PATIENT", PatientID="", NumberOfPatientRelatedStudies="") == [
            {"QueryRetrieveLevel": "PATIENT", "PatientID": "P1"}]
    finally:
        db.close()


def test_answer_extras(filled, tmp_path):
    got = answers(filled, "IMAGE", SOPInstanceUID="1.2.3.4.5", RetrieveAETitle="")
    assert got[0]["RetrieveAETitle"] == "CONQUESTSRV1"
    identifier = query("IMAGE", SOPInstanceUID="1.2.3.4.5")
    identifier.add_new(0x99990800, "LO", "")
    answer = next(filled.find(None, identifier))
    assert answer[0x99990800].value == "P1/a.dcm" and answer[0x99990801].value == "MAG0"
    charset = ConquestDatabase(filled.backend, filled.schema, ini=make_ini(tmp_path, "QueriesReturnISO_IR = 100"))
    assert next(charset.find("PATIENT", query("PATIENT", PatientID="P2"))).SpecificCharacterSet == "ISO_IR 100"
    assert "SpecificCharacterSet" not in next(filled.find("PATIENT", query("PATIENT", PatientID="P2")))


def test_sort_limit_offset_keys(filled):
    identifier = query("STUDY", StudyInstanceUID="", StudyDate="")
    identifier.add_new(0x99990C00, "LO", "StudyDate")
    assert [a.StudyDate for a in filled.find(None, identifier)] == ["20190615", "20200102", "20211231"]
    identifier.add_new(0x99990C01, "LO", "1")
    identifier.add_new(0x99990C02, "LO", "1")
    assert [a.StudyDate for a in filled.find(None, identifier)] == ["20200102"]
    identifier[0x99990C00].value = "StudyDate; DROP TABLE DICOMStudies"
    assert len(list(filled.find(None, identifier))) == 1      # an unknown sort column is ignored
    assert len(rows(filled, "DICOMStudies", "StudyInsta")) == 3
    assert filled.count("STUDY", query("STUDY", PatientID="P1", StudyInstanceUID="")) == 2
    assert filled.count("STUDY", query("STUDY", PatientID="P1")) == 1          # distinct answers


def test_level_errors(filled):
    with pytest.raises(QueryError) as info:
        filled.find(None, Dataset())
    assert info.value.status == 0xA900
    with pytest.raises(QueryError) as info:
        filled.find(None, query("FRAME"))
    assert info.value.status == 0xC000
    with pytest.raises(QueryError):
        filled.find(None, query("SERIES"), InformationModel.PATIENT_STUDY_ONLY)
    assert len(list(filled.find(Level.SERIES, query("STUDY"), InformationModel.STUDY_ROOT))) == 4


def test_find_is_lazy_and_can_be_closed(filled):
    gen = filled.find(None, query("IMAGE", SOPInstanceUID=""))
    first = next(gen)
    assert first.SOPInstanceUID
    gen.close()
    assert len(list(filled.find(None, query("IMAGE", SOPInstanceUID="")))) == 5


# -- C-MOVE / C-GET selection -----------------------------------------------------------------


def test_select_for_retrieve(filled):
    got = filled.select_for_retrieve(query("STUDY", StudyInstanceUID="1.2.3"))
    assert [(o.sop_instance_uid, o.device, o.object_file) for o in got] == [
        ("1.2.3.4.5", "MAG0", "P1/a.dcm"), ("1.2.3.4.6", "MAG0", "P1/b.dcm"), ("1.2.3.7.1", "MAG0", "P1/c.dcm")]
    first = got[0]
    assert first.sop_class_uid == CT_IMAGE and first.patient_id == "P1" and first.study_instance_uid == "1.2.3"
    assert first.series_instance_uid == "1.2.3.4" and first.path.endswith("/data/P1/a.dcm")
    assert [o.sop_instance_uid for o in filled.select_for_retrieve(
        query("SERIES", StudyInstanceUID="1.2.3", SeriesInstanceUID=["1.2.3.7", "2.1.1"]))] == ["1.2.3.7.1"]
    assert len(filled.select_for_retrieve(query("PATIENT", PatientID="P1"))) == 4
    assert [o.object_file for o in filled.select_for_retrieve(query("IMAGE", SOPInstanceUID="2.1.1.1"))] == ["P2/e.dcm"]
    assert filled.select_for_retrieve(query("PATIENT", PatientID="")) == []          # no key: nothing
    assert filled.select_for_retrieve(query("IMAGE", SOPInstanceUID="2.1.1.1"),
                                      InformationModel.PATIENT_STUDY_ONLY) == []
    assert filled.lookup_object("1.2.3.4.6").object_file == "P1/b.dcm"
    assert filled.lookup_object("1.2.3.4.6", "P2") is None


# -- worklist (dgate.md §10) -------------------------------------------------------------------


def fill_worklist(db):
    fields = ["AccessionN", "PatientID", "PatientNam", "PatientBir", "PatientSex", "Modality", "ScheduledA",
              "StartDate", "StartTime", "SchedPSDes", "ReqProcID"]
    db.add_record("DICOMWorkList", fields, ["ACC1", "P1", "DOE^JOHN", "19600203", "M", "CT", "CT01", "20240925",
                                            "0800", "HEAD CT", "RP1"])
    db.add_record("DICOMWorkList", fields, ["ACC2", "P2", "SMITH^ANNA", "19801224", "F", "MR", "MR01", "20240926",
                                            "0900", "KNEE", "RP2"])


def test_worklist_folding(db):
    fill_worklist(db)
    identifier = Dataset()
    identifier.PatientName = ""
    identifier.PatientID = ""
    identifier.AccessionNumber = ""
    step = Dataset()
    step.Modality = "MR"
    step.ScheduledStationAETitle = ""
    step.ScheduledProcedureStepStartDate = "20240901-20241231"
    identifier.ScheduledProcedureStepSequence = Sequence([step])
    got = list(db.find_worklist(identifier))
    assert len(got) == 1
    answer = got[0]
    assert answer.PatientName == "SMITH^ANNA" and answer.PatientID == "P2" and answer.AccessionNumber == "ACC2"
    item = answer.ScheduledProcedureStepSequence[0]
    assert (item.Modality, item.ScheduledStationAETitle, item.ScheduledProcedureStepStartDate) == (
        "MR", "MR01", "20240926")
    assert set(item.keys()) == {0x00080060, 0x00400001, 0x00400002}
    assert answer.SpecificCharacterSet == "ISO_IR 100"
    assert answer.QueryRetrieveLevel == ""
    assert len(answer.ReferencedStudySequence) == 0 and len(answer.ReferencedPatientSequence) == 0
    assert set(answer.keys()) == {0x00080005, 0x00080050, 0x00080052, 0x00081110, 0x00081120, 0x00100010,
                                  0x00100020, 0x00400100}


def test_worklist_universal_and_empty_sequences(db):
    fill_worklist(db)
    identifier = Dataset()
    identifier.PatientName = "*"
    identifier.ScheduledProcedureStepSequence = Sequence([])
    identifier.ReferencedStudySequence = Sequence([Dataset()])
    got = list(db.find_worklist(identifier))
    assert [a.PatientName for a in got] == ["DOE^JOHN", "SMITH^ANNA"]
    assert len(got[0].ScheduledProcedureStepSequence) == 0 and len(got[0].ReferencedStudySequence) == 0
    identifier.PatientID = "' OR 1=1 --"
    assert list(db.find_worklist(identifier)) == []


def test_worklist_iso_ir_setting(url, tmp_path):
    db = ConquestDatabase.open(make_ini(tmp_path, "WorkListReturnsISO_IR = 0"), url=url)
    try:
        fill_worklist(db)
        identifier = Dataset()
        identifier.AccessionNumber = "ACC1"
        answer, = db.find_worklist(identifier)
        assert "SpecificCharacterSet" not in answer
    finally:
        db.close()


# -- UIDMODS ---------------------------------------------------------------------------------


def test_changeuid_is_stable_and_reversible(url, tmp_path):
    uids = UidGenerator("99999.99999", counter=5, clock=lambda: 1795414114)
    db = ConquestDatabase.open(make_ini(tmp_path), url=url, uids=uids, clock=lambda: 1795414114)
    try:
        new = db.change_uid("1.2.3.4")
        assert new == "99999.99999.7.1795414114.5"
        assert db.change_uid("1.2.3.4") == new
        assert db.change_uid("1.2.3.5") == "99999.99999.7.1795414114.6"
        assert db.change_uid_back(new) == "1.2.3.4"
        assert db.change_uid_back("9.9") == ""
        assert db.change_uid("") == ""
        staged = db.change_uid("1.2.3.4", stage="anon1")
        assert staged != new and db.change_uid("1.2.3.4", stage="anon1") == staged
        assert db.change_uid_back(staged, stage="anon1") == "1.2.3.4"
        assert db.change_uid("7.7", new_uid="8.8") == "8.8"
        assert db.raw_query("UIDMODS", "OldUID,MODType,NewUID,Stage,MODTime", "OldUID = '1.2.3.4'", may_modify=True) == [
            ("1.2.3.4", "changeuid", new, "(empty)", "1795414114"), ("1.2.3.4", "changeuid", staged, "anon1", "1795414114")]
    finally:
        db.close()


# -- query: / query2: -----------------------------------------------------------------------------


def test_raw_query(filled):
    got = filled.raw_query("DICOMImages", "ObjectFile,DeviceName")
    assert sorted(got)[:2] == [("P1/a.dcm", "MAG0"), ("P1/b.dcm", "MAG0")]
    assert filled.raw_query("dicomimages", ["SOPInstanc"], "ImagePat = 'P2'", may_modify=True) == [("2.1.1.1",)]
    assert len(filled.raw_query("DICOMImages", "SOPInstanc", max_rows=2)) == 2
    for table, fields in (("DICOMImages; DROP TABLE x", "SOPInstanc"), ("sqlite_master", "name"),
                          ("DICOMImages", "SOPInstanc, (SELECT 1)"), ("DICOMImages", "*"), ("DICOMImages", "")):
        with pytest.raises(RawQueryRefused):
            filled.raw_query(table, fields)
    with pytest.raises(RawQueryRefused, match="allowed to modify"):
        filled.raw_query("DICOMImages", "SOPInstanc", "1=1")
    with pytest.raises(RawQueryRefused):
        filled.raw_query("DICOMImages", "SOPInstanc", "1=1; DELETE FROM DICOMImages", may_modify=True)
    assert len(filled.raw_query("DICOMImages", "SOPInstanc")) == 5


def test_raw_query_where_runs_read_only(filled):
    got = filled.raw_query("DICOMImages", "SOPInstanc", "SOPInstanc IN (SELECT SOPInstanc FROM DICOMImages "
                           "WHERE ImagePat = 'P2')", may_modify=True)
    assert got == [("2.1.1.1",)]
    assert filled.raw_query("DICOMImages", "SOPInstanc", "ObjectFile LIKE 'P2/%'", may_modify=True) == [("2.1.1.1",)]
    if filled.backend.dialect.name == "postgresql":
        filled.backend.run_write(lambda conn: conn.execute("CREATE SEQUENCE q_side_effect"))
        with pytest.raises(DatabaseError, match="read-only"):
            filled.raw_query("DICOMImages", "SOPInstanc", "nextval('q_side_effect') > 0", may_modify=True)
    assert len(filled.raw_query("DICOMImages", "SOPInstanc")) == 5


# -- finders and listers (dgate.md §7.2) ---------------------------------------------------------


def test_finders(filled):
    assert filled.patient_finder("doe") == [("DOE^JOHN", "P1")]
    assert filled.patient_finder("") == [("DOE^JOHN", "P1"), ("Smith^Anna", "P2")]
    assert filled.patient_finder("=P2") == [("Smith^Anna", "P2")]
    assert filled.patient_finder("=P") == []
    assert filled.patient_finder("%") == [] and filled.patient_finder("*") == []
    assert filled.study_finder("P1") == [("20200102", "CT\\MR", "DOE^JOHN", "P1", "1.2.3"),
                                         ("20211231", "CT", "DOE^JOHN", "P1", "1.2.9")]
    assert [r[4] for r in filled.study_finder("2021")] == ["1.2.9"]
    assert [r[4] for r in filled.study_finder("201906")] == ["2.1"]
    assert [r[4] for r in filled.study_finder("20200102")] == ["1.2.3"]
    assert [r[4] for r in filled.study_finder("2019-2020")] == ["2.1", "1.2.3"]
    assert filled.series_finder("=1.2.3") == [("20200102", "", "CT", "DOE^JOHN", "P1", "1.2.3", "1.2.3.4"),
                                              ("20200102", "", "MR", "DOE^JOHN", "P1", "1.2.3", "1.2.3.7")]
    assert [r[6] for r in filled.series_finder("smith")] == ["2.1.1"]
    assert filled.image_finder("=1.2.3.4") == [("1.2.3.4.5", "DOE^JOHN", "P1", "1.2.3", "1.2.3.4", "5", ""),
                                               ("1.2.3.4.6", "DOE^JOHN", "P1", "1.2.3", "1.2.3.4", "6", "")]
    assert filled.series_lister("", "1.2.3") == ["1.2.3.4", "1.2.3.7"]
    assert filled.series_lister("P2", "1.2.3") == []
    paths = filled.image_lister("P1", "1.2.3.4")
    assert [os.path.basename(p) for p in paths] == ["a.dcm", "b.dcm"]
    assert all(p.startswith(str(filled.ini.mag_device(0)).rstrip("/")) for p in paths)


# -- deletes -----------------------------------------------------------------------------------


def stored_files(db, tmp_path) -> None:
    """Write the files the rows of ``filled`` point to."""
    for device, name in db.raw_query("DICOMImages", "DeviceName,ObjectFile"):
        path = tmp_path / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_delete_image_cascades_upward(filled):
    removed = filled.delete("image", "1.2.3.7.1")
    assert [o.object_file for o in removed] == ["P1/c.dcm"]
    assert ("1.2.3.7",) not in rows(filled, "DICOMSeries", "SeriesInst")
    assert rows(filled, "DICOMStudies", "StudyInsta", "StudyInsta = '1.2.3'") == [("1.2.3",)]
    filled.delete("image", "2.1.1.1")
    assert rows(filled, "DICOMPatients", "PatientID") == [("P1",)]
    assert rows(filled, "DICOMStudies", "StudyInsta", "PatientID = 'P2'") == []


def test_delete_study_with_patient_check(filled):
    assert filled.delete("study", "1.2.3", "P2") == []
    removed = filled.delete("study", "1.2.3", "P1")
    assert sorted(o.sop_instance_uid for o in removed) == ["1.2.3.4.5", "1.2.3.4.6", "1.2.3.7.1"]
    assert sorted(rows(filled, "DICOMSeries", "SeriesInst")) == [("1.2.9.1",), ("2.1.1",)]
    assert rows(filled, "DICOMPatients", "PatientID", "PatientID = 'P1'") == [("P1",)]


def test_delete_series_and_studies_by_date(filled):
    assert len(filled.delete(Level.SERIES, "1.2.3.4")) == 2
    assert rows(filled, "DICOMImages", "SOPInstanc", "SeriesInst = '1.2.3.4'") == []
    removed = filled.delete_studies("20190101-20200102")
    assert sorted(o.sop_instance_uid for o in removed) == ["1.2.3.7.1", "2.1.1.1"]
    assert rows(filled, "DICOMStudies", "StudyInsta") == [("1.2.9",)]


def test_delete_patient_database_only_and_with_files(filled, tmp_path):
    stored_files(filled, tmp_path)
    fill_worklist(filled)
    removed = filled.delete("patient", "P2")
    assert [o.object_file for o in removed] == ["P2/e.dcm"]
    assert (tmp_path / "data" / "P2" / "e.dcm").exists()          # -fp: files kept
    assert rows(filled, "DICOMWorkList", "PatientID") == [("P1",)]  # the patient's worklist rows go
    removed = filled.delete("patient", "P1", with_files=True)
    assert len(removed) == 4
    assert not (tmp_path / "data" / "P1").exists()                # files and empty folders gone
    assert (tmp_path / "data").exists()                            # never the device root
    for table in ("DICOMPatients", "DICOMStudies", "DICOMSeries", "DICOMImages"):
        assert rows(filled, table, "AccessTime") == []


def test_make_space_deletes_least_recently_used_patients(url, tmp_path):
    clock = [1000.0]
    db = ConquestDatabase.open(make_ini(tmp_path), url=url, clock=lambda: clock[0])
    try:
        for n, pid in enumerate(("OLD", "MID", "NEW")):
            clock[0] = 1000.0 + 100 * n
            db.add_object(obj(pid=pid, study=f"9.{n}", series=f"9.{n}.1", sop=f"9.{n}.1.1"), "MAG0", f"{pid}/x.dcm")
        assert db.lru_patients() == ["OLD", "MID", "NEW"]
        free = iter([10, 10, 50])
        assert db.make_space(40, free_mb=lambda root: next(free)) == ["OLD", "MID"]
        assert rows(db, "DICOMPatients", "PatientID") == [("NEW",)]
    finally:
        db.close()


# -- regen -----------------------------------------------------------------------------------


def test_regen_from_the_files(url, tmp_path):
    ini = make_ini(tmp_path)
    db = ConquestDatabase.open(ini, url=url)
    try:
        root = tmp_path / "data"
        for n, syntax in enumerate((3, 4, 8)):
            ds = obj(sop=f"1.2.3.4.{n + 1}")
            write_object(ds, root, object_path(ds, syntax, n, now=NOW))
        (root / "incoming").mkdir()
        write_object(obj(sop="9.9.9"), root, "incoming/x.dcm")
        (root / "P1" / "notes.txt").write_text("x")
        (root / "P1" / "broken.dcm").write_bytes(b"not dicom")
        db.initialize_tables(0)
        entered, failed = db.regen()
        assert (entered, failed) == (3, 1)
        files = sorted(r[0] for r in rows(db, "DICOMImages", "ObjectFile"))
        assert files == sorted(object_path(obj(sop=f"1.2.3.4.{n + 1}"), s, n, now=NOW)
                               for n, s in enumerate((3, 4, 8)))
        assert rows(db, "DICOMImages", "DeviceName", "SOPInstanc = '1.2.3.4.1'") == [("MAG0",)]
        db.initialize_tables(0)
        assert db.regen_directory("MAG0", "P1") == (3, 1)
        db.initialize_tables(0)
        assert db.regen_file(root / "P1" / object_path(obj(sop="1.2.3.4.1"), 3, 0, now=NOW).split("/", 1)[1])
        assert rows(db, "DICOMImages", "SOPInstanc") == [("1.2.3.4.1",)]
        with pytest.raises(ConquestDatabaseError, match="not on a MAG device"):
            db.regen_file(tmp_path / "conquest.db3")
    finally:
        db.close()


# -- opening -----------------------------------------------------------------------------------


def test_open_from_dicom_ini_sqlite(tmp_path):
    ini = make_ini(tmp_path, "SQLiteStartup = PRAGMA cache_size = 1000\n")
    with ConquestDatabase.open(ini) as db:
        db.add_object(obj(), "MAG0", "a.dcm")
        assert db.backend.dialect.name == "sqlite" and os.path.exists(tmp_path / "conquest.db3")
        assert db.backend.startup == ("PRAGMA cache_size = 1000",)
    with ConquestDatabase.open(make_ini(tmp_path)) as db:
        assert db.backend.startup == ()          # the code default (synchronous OFF) is not applied
        assert rows(db, "DICOMImages", "SOPInstanc") == [("1.2.3.4.5",)]


def test_open_null_driver(tmp_path):
    ini = parse_dicom_ini("[sscscp]\nSQLServer = \n")
    db = ConquestDatabase.open(ini)
    assert db.is_null
    assert not db.add_object(obj(), "MAG0", "a.dcm")
    assert list(db.find(None, query("PATIENT", PatientID=""))) == []
    assert db.select_for_retrieve(query("PATIENT", PatientID="P1")) == []
    assert db.raw_query("DICOMImages", "SOPInstanc") == [] and db.patient_finder("") == []
    db.initialize_tables(0)
    with pytest.raises(QueryError):
        db.find(None, Dataset())


@pytest.mark.parametrize("switches, name", [("MySQL = 1", "MySQL"), ("", "ODBC")])
def test_open_unsupported_drivers(tmp_path, switches, name):
    ini = parse_dicom_ini(f"[sscscp]\nSQLServer = conquest\n{switches}\n")
    with pytest.raises(ConquestDatabaseError, match=name):
        ConquestDatabase.open(ini)
    dbase = parse_dicom_ini(f"[sscscp]\nSQLServer = {tmp_path}/dbase/\n")
    with pytest.raises(ConquestDatabaseError, match="dBase"):
        ConquestDatabase.open(dbase)


def test_open_postgres_from_dicom_ini_settings(request):
    if not postgres_available() or os.environ.get("PYDCMKIT_TEST_POSTGRES_URL"):
        pytest.skip("needs the throwaway PostgreSQL server")
    from urllib.parse import parse_qs, urlsplit

    url = request.getfixturevalue("pg_url")
    parts = urlsplit(url)
    query_ = parse_qs(parts.query)
    host, port = query_["host"][0], query_["port"][0]
    schema = query_["options"][0].split("=", 1)[1]
    ini = parse_dicom_ini(f"[sscscp]\nSQLServer = {parts.path.lstrip('/')}\nPostGres = 1\nSQLHost = {host}:{port}\n"
                          f"Username = postgres\nPassword = \n")
    db = ConquestDatabase.open(ini, schema=schema)
    try:
        assert db.backend.dialect.name == "postgresql"
        db.add_object(obj(), "MAG0", "a.dcm")
        assert rows(db, "DICOMImages", "SOPInstanc") == [("1.2.3.4.5",)]
    finally:
        db.close()
