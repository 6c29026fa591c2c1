"""Matching on both backends: wildcards, ranges, UID lists, universal matching, literal special
characters and injection attempts, requested keys only, extended keys, character sets."""

from __future__ import annotations

import warnings
from io import BytesIO

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.filewriter import dcmwrite

from dbhelpers import PR, SR, find, ident
from pydcmkit.db import InstanceRecord, KeySet

CT, SC = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.7"
INJECTION = "'; DROP TABLE studies; --"

#: (PatientName, PatientID, StudyDescription, StudyTime, AcquisitionDateTime, Modality)
PEOPLE = [
    ("O'NEIL^PAT", "ID'1", "C:\\DIR", "093000", "20230115093000", "CT"),
    ("100%^DONE", "ID%2", "100% DOSE", "1015", "20230115101500.5+0100", "MR"),
    ("A_B^C", "ID_3", "A_B", "10:15:30", "2023011510", "CT"),
    ("[BRACKET]^X", "ID[4]", "[x]", "235959.999999", "2024", "US"),
    ("MÜLLER^JOSÉ", "ID5", "KNÉE", "120000", "", "MR"),
    (INJECTION, "ID6", INJECTION, "", "bad", "OT"),
    ("AXB^C", "ID7", "", "0000", "20221231235959.999999", "CT"),
]


def records():
    out = []
    for n, (name, pid, desc, time, dt, modality) in enumerate(PEOPLE, start=1):
        for k in range(2):
            attrs = {"PatientName": name, "PatientID": pid, "StudyInstanceUID": f"9.2.{n}",
                     "StudyDescription": desc, "StudyTime": time, "StudyDate": "20230115",
                     "SeriesInstanceUID": f"9.3.{n}.{k}", "SeriesNumber": str(k + 1),
                     "Modality": modality if k == 0 else "SR", "SOPInstanceUID": f"9.4.{n}.{k}",
                     "SOPClassUID": CT if k == 0 else SC, "InstanceNumber": "1",
                     "AcquisitionDateTime": dt if k == 0 else ""}
            out.append(InstanceRecord({a: v for a, v in attrs.items() if v}, f"/data/{n}/{k}.dcm",
                                      "1.2.840.10008.1.2.1", 100 * n + k, 1000.0 + n, "ISO_IR 192"))
    return out


@pytest.fixture
def mdb(db):
    db.add_instances(records())
    return db


def names(db, value, keys=KeySet.DCMTK):
    return [r["PatientName"] for r in find(db, PR, ident("PATIENT", PatientName=value, PatientID=None), keys=keys)]


@pytest.mark.parametrize("pattern, expected", [
    ("*%*", ["100%^DONE"]),
    ("*_*", ["A_B^C"]),
    ("A_B*", ["A_B^C"]),
    ("A?B*", ["A_B^C", "AXB^C"]),
    ("A_B^C", ["A_B^C"]),
    ("[BRACKET]*", ["[BRACKET]^X"]),
    ("*]^X", ["[BRACKET]^X"]),
    ("O'NEIL^PAT", ["O'NEIL^PAT"]),
    ("O'*", ["O'NEIL^PAT"]),
    ("MÜLLER*", ["MÜLLER^JOSÉ"]),
    ("M?LLER^JOS?", ["MÜLLER^JOSÉ"]),
    ("müller*", []),
    ("*JOSÉ", ["MÜLLER^JOSÉ"]),
    (INJECTION, [INJECTION]),
    ("*DROP TABLE*", [INJECTION]),
    ("%", []),
    ("_", []),
    ("\\", []),
    ("?", []),
    ("*", [p[0] for p in PEOPLE]),
    ("**", [p[0] for p in PEOPLE]),
    ("", [p[0] for p in PEOPLE]),
])
def test_wildcards_and_literal_special_characters(mdb, pattern, expected):
    assert names(mdb, pattern) == expected


def test_injection_attempts_change_nothing(mdb):
    for key in ("PatientID", "StudyInstanceUID", "StudyDate", "StudyTime", "StudyDescription"):
        identifier = ident("STUDY", **{"StudyInstanceUID": None, "PatientID": None, key: INJECTION})
        got = find(mdb, SR, identifier, keys=KeySet.EXTENDED)
        assert [r["PatientID"] for r in got] == (["ID6"] if key == "StudyDescription" else [])
    assert find(mdb, SR, ident("IMAGE", StudyInstanceUID="1' OR '1'='1", SeriesInstanceUID=None,
                               SOPInstanceUID=None)) == []
    assert find(mdb, SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None,
                               SOPInstanceUID="9.4.1.0') OR ('1'='1")) == []
    assert mdb.count_instances() == 2 * len(PEOPLE)
    assert len(find(mdb, SR, ident("STUDY", StudyInstanceUID=None))) == len(PEOPLE)


def test_backslash_is_a_value_delimiter_matched_literally(mdb):
    got = find(mdb, SR, ident("STUDY", StudyInstanceUID=None, StudyDescription="C:\\DIR"))
    assert [r["StudyDescription"] for r in got] == ["C:\\DIR"]
    got = find(mdb, SR, ident("STUDY", StudyInstanceUID=None, StudyDescription="C:\\D*"))
    assert [r["StudyInstanceUID"] for r in got] == ["9.2.1"]


@pytest.mark.parametrize("value, studies", [
    ("1015", ["9.2.2"]),                      # 1015 == 101500
    ("101500", ["9.2.2"]),
    ("1000-1100", ["9.2.2", "9.2.3"]),        # 10:15:30 in the old format is a valid time
    ("-0930", ["9.2.1", "9.2.7"]),
    ("-09", ["9.2.7"]),                       # 09 means 09:00:00.000000, not the whole hour
    ("2359-", ["9.2.4"]),
    ("235959.999999", ["9.2.4"]),
    ("12-12", ["9.2.5"]),
    ("25", []),
    ("abc", []),
])
def test_time_ranges(mdb, value, studies):
    got = find(mdb, SR, ident("STUDY", StudyInstanceUID=None, StudyTime=value))
    assert [r["StudyInstanceUID"] for r in got] == studies


@pytest.mark.parametrize("value, sops", [
    ("20230115093000", ["9.4.1.0"]),
    ("20230115-20230115235959", ["9.4.1.0", "9.4.2.0", "9.4.3.0"]),   # +0100 is 09:15:00.5 UTC
    ("202301150915-202301150916", ["9.4.2.0"]),
    ("-2022", []),                          # 2022 means 2022-01-01 00:00: nothing before ...
    ("-2023", ["9.4.7.0"]),                 # ... 2022-12-31 23:59:59.999999 is before 2023
    ("2024-", ["9.4.4.0"]),
    ("20230115110000+0100", ["9.4.3.0"]),   # 10:00 UTC
    ("20230115081500-0100-20230115091600-0100", ["9.4.1.0", "9.4.2.0", "9.4.3.0"]),  # '-' in offsets and as range
    ("bad", []),
])
def test_datetime_ranges(mdb, value, sops):
    got = find(mdb, SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None, SOPInstanceUID=None,
                              AcquisitionDateTime=value), keys=KeySet.EXTENDED)
    assert [r["SOPInstanceUID"] for r in got] == sops


def test_uid_lists(mdb):
    got = find(mdb, SR, ident("SERIES", StudyInstanceUID="9.2.1\\9.2.5\\9.2.99", SeriesInstanceUID=None))
    assert [r["SeriesInstanceUID"] for r in got] == ["9.3.1.0", "9.3.1.1", "9.3.5.0", "9.3.5.1"]
    got = find(mdb, SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None,
                              SOPInstanceUID="9.4.3.1\\9.4.3.1\\9.4.1.0"))
    assert [r["SOPInstanceUID"] for r in got] == ["9.4.1.0", "9.4.3.1"]
    # no wildcards for UIDs
    assert find(mdb, SR, ident("STUDY", StudyInstanceUID="9.2.*")) == []


def test_exact_match_for_other_vrs(mdb):
    got = find(mdb, SR, ident("SERIES", StudyInstanceUID="9.2.1", SeriesNumber="2", SeriesInstanceUID=None))
    assert [r["SeriesInstanceUID"] for r in got] == ["9.3.1.1"]
    assert find(mdb, SR, ident("SERIES", StudyInstanceUID="9.2.1", SeriesNumber="*", SeriesInstanceUID=None)) == []


def test_exactly_the_requested_keys(mdb):
    identifier = ident("STUDY", StudyInstanceUID="9.2.1", StudyDate=None, AccessionNumber=None)
    identifier.add_new(0x00091010, "LO", "private")           # unsupported: dropped
    identifier.add_new(0x00081110, "SQ", [Dataset()])         # unsupported sequence: dropped
    got = find(mdb, SR, identifier, keys=KeySet.EXTENDED)
    assert got == [{"QueryRetrieveLevel": "STUDY", "RetrieveAETitle": "QRSCP", "StudyDate": "20230115",
                    "AccessionNumber": "", "StudyInstanceUID": "9.2.1"}]
    # without a RetrieveAETitle to add
    out = list(mdb.find(SR, ident("STUDY", StudyInstanceUID="9.2.1")))
    assert [sorted(e.keyword for e in r) for r in out] == [["QueryRetrieveLevel", "StudyInstanceUID"]]
    # keys of lower levels are returned empty; keys of higher levels with their values
    got = find(mdb, PR, ident("SERIES", PatientID="ID5", StudyInstanceUID=None, SeriesInstanceUID="9.3.5.1",
                              SOPInstanceUID=None, PatientName=None))
    assert got == [{"QueryRetrieveLevel": "SERIES", "RetrieveAETitle": "QRSCP", "SOPInstanceUID": "",
                    "PatientName": "MÜLLER^JOSÉ", "PatientID": "ID5", "StudyInstanceUID": "9.2.5",
                    "SeriesInstanceUID": "9.3.5.1", "SpecificCharacterSet": "ISO_IR 192"}]


def test_extended_keys(mdb):
    got = find(mdb, SR, ident("STUDY", StudyInstanceUID="9.2.2\\9.2.1", ModalitiesInStudy=None,
                              SOPClassesInStudy=None, NumberOfStudyRelatedSeries=None,
                              NumberOfStudyRelatedInstances=None, SOPClassUID=None), keys=KeySet.EXTENDED)
    assert got == [
        {"QueryRetrieveLevel": "STUDY", "RetrieveAETitle": "QRSCP", "ModalitiesInStudy": "CT\\SR",
         "SOPClassesInStudy": f"{CT}\\{SC}", "StudyInstanceUID": "9.2.1", "NumberOfStudyRelatedSeries": "2",
         "NumberOfStudyRelatedInstances": "2", "SOPClassUID": ""},
        {"QueryRetrieveLevel": "STUDY", "RetrieveAETitle": "QRSCP", "ModalitiesInStudy": "MR\\SR",
         "SOPClassesInStudy": f"{CT}\\{SC}", "StudyInstanceUID": "9.2.2", "NumberOfStudyRelatedSeries": "2",
         "NumberOfStudyRelatedInstances": "2", "SOPClassUID": ""}]
    got = find(mdb, PR, ident("PATIENT", PatientID="ID[4]", NumberOfPatientRelatedStudies=None,
                              NumberOfPatientRelatedSeries=None, NumberOfPatientRelatedInstances=None),
               keys=KeySet.EXTENDED)
    assert [(r["NumberOfPatientRelatedStudies"], r["NumberOfPatientRelatedSeries"],
             r["NumberOfPatientRelatedInstances"]) for r in got] == [("1", "2", "2")]
    got = find(mdb, SR, ident("SERIES", StudyInstanceUID="9.2.3", SeriesInstanceUID=None,
                              NumberOfSeriesRelatedInstances=None), keys=KeySet.EXTENDED)
    assert [r["NumberOfSeriesRelatedInstances"] for r in got] == ["1", "1"]
    got = find(mdb, SR, ident("IMAGE", StudyInstanceUID="9.2.3", SeriesInstanceUID=None, SOPInstanceUID=None,
                              SOPClassUID=SC, AvailableTransferSyntaxUID=None), keys=KeySet.EXTENDED)
    assert [(r["SOPInstanceUID"], r["AvailableTransferSyntaxUID"]) for r in got] == [("9.4.3.1", "1.2.840.10008.1.2.1")]


@pytest.mark.parametrize("value, studies", [
    ("MR", ["9.2.2", "9.2.5"]),
    ("US\\OT", ["9.2.4", "9.2.6"]),
    ("?T", ["9.2.1", "9.2.3", "9.2.6", "9.2.7"]),
    ("SR", ["9.2.1", "9.2.2", "9.2.3", "9.2.4", "9.2.5", "9.2.6", "9.2.7"]),
    ("XA", []),
])
def test_modalities_in_study_matching(mdb, value, studies):
    got = find(mdb, SR, ident("STUDY", StudyInstanceUID=None, ModalitiesInStudy=value), keys=KeySet.EXTENDED)
    assert [r["StudyInstanceUID"] for r in got] == studies


def test_sop_classes_in_study_and_counts_matching(mdb):
    got = find(mdb, SR, ident("STUDY", StudyInstanceUID=None, SOPClassesInStudy=SC), keys=KeySet.EXTENDED)
    assert len(got) == len(PEOPLE)
    # counts are return keys only: a value does not restrict
    got = find(mdb, SR, ident("STUDY", StudyInstanceUID=None, NumberOfStudyRelatedInstances="5"),
               keys=KeySet.EXTENDED)
    assert len(got) == len(PEOPLE)


def _over_the_wire(identifier: Dataset) -> Dataset:
    """Encode and decode an identifier as a DIMSE peer would (values decoded on access)."""
    buf = BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dcmwrite(buf, identifier, implicit_vr=True, little_endian=True)
    buf.seek(0)
    return dcmread(buf, force=True)


@pytest.mark.parametrize("charset", ["ISO_IR 100", "ISO_IR 192", ["", "ISO 2022 IR 100"]])
def test_query_values_decoded_from_the_request_character_set(mdb, charset):
    identifier = ident("PATIENT", PatientName="MÜLLER*", PatientID=None)
    identifier.SpecificCharacterSet = charset
    got = find(mdb, PR, _over_the_wire(identifier))
    assert [r["PatientName"] for r in got] == ["MÜLLER^JOSÉ"]
    expected = charset if isinstance(charset, str) else "\\".join(charset)
    assert got[0]["SpecificCharacterSet"] == expected


def test_response_character_set(mdb):
    # ASCII values, no character set requested: no (0008,0005) (observed default)
    got = find(mdb, PR, ident("PATIENT", PatientName=None, PatientID="ID7"))
    assert "SpecificCharacterSet" not in got[0]
    # values that need more than ASCII: the request's set when it can hold them, else UTF-8
    got = find(mdb, PR, ident("PATIENT", PatientName=None, PatientID="ID5"))
    assert got[0]["SpecificCharacterSet"] == "ISO_IR 192"
    identifier = ident("PATIENT", PatientName=None, PatientID="ID5")
    identifier.SpecificCharacterSet = "ISO_IR 144"  # Cyrillic cannot hold Ü
    got = find(mdb, PR, identifier)
    assert got[0]["SpecificCharacterSet"] == "ISO_IR 192"
    # an explicit preference list
    identifier = ident("PATIENT", PatientName=None, PatientID="ID5")
    out = next(mdb.find(PR, identifier, charsets=[["ISO_IR 148"], ["ISO_IR 100"]]))
    assert out.SpecificCharacterSet == "ISO_IR 148"
    # the response encodes in the announced character set
    buf = BytesIO()
    dcmwrite(buf, out, implicit_vr=True, little_endian=True)
    assert "MÜLLER".encode("iso8859_9") in buf.getvalue()


def test_find_streams_lazily_and_can_be_closed(mdb):
    gen = mdb.find(SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None, SOPInstanceUID=None))
    first = next(gen)
    assert first.SOPInstanceUID == "9.4.1.0"
    mdb.add_instance(InstanceRecord({"PatientID": "NEW", "StudyInstanceUID": "9.2.100", "SeriesInstanceUID": "9.3.100",
                                     "SOPInstanceUID": "9.4.100"}, "/data/new.dcm"))
    gen.close()
    assert mdb.count_instances() == 2 * len(PEOPLE) + 1
