"""Matching rules without a database: date/time normalisation and ranges (DCMTK's own test vectors
of ``DcmAttributeMatching``), wildcard translation, levels, key sets, character sets."""

from __future__ import annotations

import pytest

from dbhelpers import ident
from pydcmkit.db import InformationModel, KeySet, Level, QueryError
from pydcmkit.db.matching import (NORMALIZERS, choose_charset, encodable, normalize_date, normalize_datetime,
                                  normalize_time, parse_level, parse_range)
from pydcmkit.db.model import Matching, keys_for
from pydcmkit.db.schema import POSTGRES, SQLITE


def matches(kind: Matching, query: str, candidate: str) -> bool:
    bounds = parse_range(kind, query)
    cand = NORMALIZERS[kind](candidate)
    if bounds is None or cand is None:
        return False
    lo, hi = bounds
    return (lo is None or lo <= cand) and (hi is None or cand <= hi)


@pytest.mark.parametrize("query, candidate, expected", [
    ("1987.08.02", "19870802", True),
    ("-20000101", "20000101", True),
    ("-20000101", "19990531", True),
    ("-20000101", "20010101", False),
    ("20000101-", "20010101", True),
    ("20000101-", "19991231", False),
    ("19990101-20000305", "20000101", True),
    ("19990101-20000305", "19980107", False),
    ("19990101-20000305", "20000306", False),
    ("19990101-20000305", "122713.114122", False),
    ("20160101-20181231", "20170713", True),
    ("20230229", "20230229", False),     # not a date
])
def test_date_matching(query, candidate, expected):
    assert matches(Matching.DATE, query, candidate) is expected


@pytest.mark.parametrize("query, candidate, expected", [
    ("11:23:17.123456", "112317.123456", True),
    ("-12", "120000", True),
    ("-12", "113059.654321", True),
    ("-12", "120000.000001", False),
    ("1200-", "120000.000000", True),
    ("12-", "115959.999999", False),
    ("11-121428.234763", "12", True),
    ("11-121428.234763", "105959.999999", False),
    ("11-121428.234763", "121428.234764", False),
    ("11-121428.234763", "20140909", False),
    ("-12", "11", True),
    ("2400", "2400", False),
])
def test_time_matching(query, candidate, expected):
    assert matches(Matching.TIME, query, candidate) is expected


@pytest.mark.parametrize("query, candidate, expected", [
    ("20170224113224.000000+0030", "20170224120224+0100", True),
    ("-2000", "20000101000000.000000", True),
    ("-2000", "19990531132417.231194", True),
    ("-2000", "20000102000000.000001", False),
    ("200001-", "2001010100", True),
    ("2000-", "19991231235959.999999", False),
    ("1999-20000305173259.123456", "1998010712+0430", False),
    ("1999-20000305173259.123456", "20000306", False),
    ("1999-20000305173259.123456", "122713.114122", False),
    ("20000101-0400-20000101-0500", "20000101043000", True),
])
def test_datetime_matching(query, candidate, expected):
    assert matches(Matching.DATETIME, query, candidate) is expected


def test_normalisers():
    assert normalize_date("20230115") == "20230115"
    assert normalize_date("2023-01-15") is None
    assert normalize_time("0930") == "093000.000000"
    assert normalize_time("093000.1") == "093000.100000"
    assert normalize_time("0930.1") is None
    assert normalize_time("093000.1234567") is None
    assert normalize_datetime("2023") == "20230101000000.000000"
    assert normalize_datetime("20230115235959.5-0130") == "20230116012959.500000"
    assert normalize_datetime("20230115+01") is None
    assert parse_range(Matching.DATE, "-") == (None, None)
    assert parse_range(Matching.DATE, "2023-") is None


@pytest.mark.parametrize("value, sqlite, postgres", [
    ("DOE*", "DOE*", "DOE%"),
    ("?OE", "?OE", "_OE"),
    ("100%*", "100%*", "100\\%%"),
    ("A_B", "A_B", "A\\_B"),
    ("C:\\D*", "C:\\D*", "C:\\\\D%"),
    ("[x]*", "[[]x]*", "[x]%"),
])
def test_wildcard_translation(value, sqlite, postgres):
    assert SQLITE.pattern(value) == sqlite
    assert POSTGRES.pattern(value) == postgres


def test_levels():
    assert parse_level(ident("image")) is Level.IMAGE
    assert parse_level(ident("PATIENTS")) is Level.PATIENT
    for bad, status in ((None, 0xA900), ("", 0xA900), ("SERI", 0xC000), ("FRAME", 0xC000)):
        with pytest.raises(QueryError) as info:
            parse_level(ident(bad))
        assert info.value.status == status


def test_information_models():
    assert InformationModel.from_sop_class("1.2.840.10008.5.1.4.1.2.2.1") is InformationModel.STUDY_ROOT
    assert InformationModel.from_sop_class("1.2.840.10008.5.1.4.1.2.1.3\0") is InformationModel.PATIENT_ROOT
    assert InformationModel.from_sop_class("1.2.840.10008.5.1.4.1.2.3.2") is InformationModel.PATIENT_STUDY_ONLY
    with pytest.raises(KeyError):
        InformationModel.from_sop_class("1.2.840.10008.5.1.4.31")
    assert InformationModel.PATIENT_STUDY_ONLY.levels == (Level.PATIENT, Level.STUDY)


def test_dcmtk_key_set_is_dcmqrscp_section_6_2():
    expected = {
        Level.PATIENT: {"PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientBirthTime",
                        "PatientSex", "OtherPatientIDs", "OtherPatientNames", "EthnicGroup", "PatientComments"},
        Level.STUDY: {"StudyDate", "StudyTime", "AccessionNumber", "StudyID", "StudyInstanceUID",
                      "ReferringPhysicianName", "StudyDescription", "NameOfPhysiciansReadingStudy",
                      "AdmittingDiagnosesDescription", "PatientAge", "PatientSize", "PatientWeight", "Occupation",
                      "AdditionalPatientHistory", "OtherStudyNumbers"},
        Level.SERIES: {"SeriesNumber", "SeriesInstanceUID", "Modality"},
        Level.IMAGE: {"InstanceNumber", "SOPInstanceUID"},
    }
    keys = keys_for(KeySet.DCMTK).values()
    assert {lv: {k.keyword for k in keys if k.level == lv} for lv in Level} == expected
    assert {k.keyword for k in keys if k.unique} == {"PatientID", "StudyInstanceUID", "SeriesInstanceUID",
                                                     "SOPInstanceUID"}
    assert set(keys) < set(keys_for(KeySet.EXTENDED).values())


def test_character_set_choice():
    assert encodable("Müller", ["ISO_IR 100"])
    assert not encodable("Müller", [""])
    assert not encodable("Müller", ["ISO_IR 144"])
    assert encodable("山田=やまだ", ["", "ISO 2022 IR 87"])
    assert encodable("Müller Γιώργος", ["ISO 2022 IR 100", "ISO 2022 IR 126"])
    assert choose_charset(["ASCII"], [[""]]) == ("",)
    assert choose_charset(["Müller"], [[""], ["ISO_IR 100"]]) == ("ISO_IR 100",)
    assert choose_charset(["Müller", "Ωmega"], [["ISO_IR 100"]]) == ("ISO_IR 192",)
