"""The observed answers of dcmqrscp.md §9 (Q1..Q11 and the -XF/-XM runs) on both backends."""

from __future__ import annotations

import pytest

from dbhelpers import PR, PSO, ROOT, SR, find, ident
from pydcmkit.db import KeySet, QueryError

S1, S2 = ROOT + ".2.1", ROOT + ".2.2"


def aet(level: str, **values) -> dict[str, str]:
    return {"QueryRetrieveLevel": level, "RetrieveAETitle": "QRSCP", **values}


def status_of(call) -> int:
    with pytest.raises(QueryError) as info:
        call()
    return info.value.status


def test_q1_patient_root_patients(spec_db):
    got = find(spec_db, PR, ident("PATIENT", PatientName=None, PatientID=None))
    assert got == [aet("PATIENT", PatientName="DOE^JOHN", PatientID="PAT001"),
                   aet("PATIENT", PatientName="SMITH^JANE", PatientID="PAT002")]


def test_q2_wildcard_name_at_study_level_of_study_root(spec_db):
    got = find(spec_db, SR, ident("STUDY", PatientName="DOE*", StudyInstanceUID=None, StudyDate=None))
    assert got == [aet("STUDY", StudyDate="20230115", PatientName="DOE^JOHN", StudyInstanceUID=S1)]


@pytest.mark.parametrize("value, studies", [
    ("20230101-20230331", [S1]),   # Q3
    ("20230601-", [S2]),           # Q3b
    ("-20230201", [S1]),           # Q3b
    ("20230115", [S1]),
    ("-", [S1, S2]),
    ("20230116-20230619", []),
    ("2023", []),                  # not a date: never matches
    ("20231345", []),
])
def test_q3_date_ranges(spec_db, value, studies):
    got = find(spec_db, SR, ident("STUDY", StudyDate=value, StudyInstanceUID=None))
    assert [r["StudyInstanceUID"] for r in got] == studies
    assert all(set(r) == {"QueryRetrieveLevel", "RetrieveAETitle", "StudyDate", "StudyInstanceUID"} for r in got)


def test_q3c_matching_is_case_sensitive(spec_db):
    assert find(spec_db, SR, ident("STUDY", PatientName="doe*", StudyInstanceUID=None)) == []
    assert len(find(spec_db, SR, ident("STUDY", PatientName="?MITH^JANE", StudyInstanceUID=None))) == 1


def test_q4_series_of_a_study(spec_db):
    got = find(spec_db, SR, ident("SERIES", StudyInstanceUID=S1, SeriesInstanceUID=None, Modality=None,
                                  SeriesNumber=None))
    assert got == [
        aet("SERIES", Modality="CT", StudyInstanceUID=S1, SeriesInstanceUID=ROOT + ".3.11", SeriesNumber="1"),
        aet("SERIES", Modality="CT", StudyInstanceUID=S1, SeriesInstanceUID=ROOT + ".3.12", SeriesNumber="2")]


def test_q5_images_of_a_series(spec_db):
    got = find(spec_db, SR, ident("IMAGE", StudyInstanceUID=S1, SeriesInstanceUID=ROOT + ".3.11",
                                  SOPInstanceUID=None, InstanceNumber=None))
    assert [(r["SOPInstanceUID"], r["InstanceNumber"]) for r in got] == [(ROOT + ".4.111", "1"), (ROOT + ".4.112", "2")]
    assert set(got[0]) == {"QueryRetrieveLevel", "RetrieveAETitle", "StudyInstanceUID", "SeriesInstanceUID",
                           "SOPInstanceUID", "InstanceNumber"}


def test_q6_missing_higher_unique_key_is_0xc000(spec_db):
    assert status_of(lambda: spec_db.find(SR, ident("SERIES", Modality="MR", SeriesInstanceUID=None))) == 0xC000


def test_q6b_empty_higher_unique_key_is_universal(spec_db):
    got = find(spec_db, SR, ident("SERIES", Modality="MR", SeriesInstanceUID=None, StudyInstanceUID=None))
    assert [r["SeriesInstanceUID"] for r in got] == [ROOT + ".3.21"]


def test_q7_missing_level_is_0xa900(spec_db):
    assert status_of(lambda: spec_db.find(SR, ident(None, StudyInstanceUID=None))) == 0xA900
    assert status_of(lambda: spec_db.find(SR, ident("", StudyInstanceUID=None))) == 0xA900


def test_q8_uid_list(spec_db):
    got = find(spec_db, SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None,
                                  SOPInstanceUID=f"{ROOT}.4.111\\{ROOT}.4.211"))
    assert [r["SOPInstanceUID"] for r in got] == [ROOT + ".4.111", ROOT + ".4.211"]


def test_q9_unsupported_keys_are_dropped(spec_db):
    got = find(spec_db, SR, ident("STUDY", ModalitiesInStudy=None, NumberOfStudyRelatedInstances=None,
                                  StudyInstanceUID=None, SOPClassUID=None))
    assert got == [aet("STUDY", StudyInstanceUID=S1), aet("STUDY", StudyInstanceUID=S2)]


def test_q10_patient_level_not_in_study_root_is_0xc000(spec_db):
    assert status_of(lambda: spec_db.find(SR, ident("PATIENT", PatientID=None))) == 0xC000


def test_q11_higher_level_non_unique_keys_ignored_but_returned(spec_db):
    got = find(spec_db, SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None,
                                  SOPInstanceUID=f"{ROOT}.4.111\\{ROOT}.4.211", PatientID=None,
                                  PatientName="NOMATCH"))
    assert [(r["SOPInstanceUID"], r["PatientName"], r["PatientID"]) for r in got] == [
        (ROOT + ".4.111", "DOE^JOHN", "PAT001"), (ROOT + ".4.211", "SMITH^JANE", "PAT002")]


@pytest.mark.parametrize("level", ["series", "SERIESX", " SERIES "])
def test_level_is_an_upper_cased_prefix(spec_db, level):
    got = find(spec_db, SR, ident(level, StudyInstanceUID=S2, SeriesInstanceUID=None))
    assert got == [aet("SERIES", StudyInstanceUID=S2, SeriesInstanceUID=ROOT + ".3.21")]


@pytest.mark.parametrize("level", ["INSTANCE", "FRAME", "SER", "X"])
def test_unknown_level_is_0xc000(spec_db, level):
    assert status_of(lambda: spec_db.find(SR, ident(level, StudyInstanceUID=None))) == 0xC000


def test_patient_study_only_model(spec_db):
    assert [r["PatientID"] for r in find(spec_db, PSO, ident("PATIENT", PatientID=None))] == ["PAT001", "PAT002"]
    got = find(spec_db, PSO, ident("STUDY", PatientID="PAT002", StudyInstanceUID=None, StudyDescription=None))
    assert got == [aet("STUDY", StudyDescription="MR KNEE", PatientID="PAT002", StudyInstanceUID=S2)]
    assert status_of(lambda: spec_db.find(PSO, ident("SERIES", PatientID=None, StudyInstanceUID=None,
                                                     SeriesInstanceUID=None))) == 0xC000


def test_patient_root_needs_patient_id_above_study_level(spec_db):
    assert status_of(lambda: spec_db.find(PR, ident("STUDY", StudyInstanceUID=None))) == 0xC000
    got = find(spec_db, PR, ident("STUDY", PatientID="PAT001", StudyInstanceUID=None, PatientName="IGNORED"))
    assert got == [aet("STUDY", PatientName="DOE^JOHN", PatientID="PAT001", StudyInstanceUID=S1)]


def test_patient_keys_match_at_study_level_only_in_study_root(spec_db):
    # Study Root STUDY: patient keys are matched ...
    assert find(spec_db, SR, ident("STUDY", PatientID="PAT002", StudyInstanceUID=None))[0]["StudyInstanceUID"] == S2
    # ... at SERIES level they are ignored
    got = find(spec_db, SR, ident("SERIES", StudyInstanceUID=None, PatientID="PAT002", SeriesInstanceUID=None))
    assert len(got) == 3


def test_dcmtk_keys_stored_but_never_matched(spec_db):
    # PatientComments/AdditionalPatientHistory: empty ignored and not returned, non-empty never matches
    got = find(spec_db, PR, ident("PATIENT", PatientID=None, PatientComments=None))
    assert got == [aet("PATIENT", PatientID="PAT001"), aet("PATIENT", PatientID="PAT002")]
    assert find(spec_db, PR, ident("PATIENT", PatientID=None, PatientComments="*")) == []
    assert find(spec_db, SR, ident("STUDY", StudyInstanceUID=None, AdditionalPatientHistory="x")) == []


# --- -XF (strict C-FIND identifiers, dcmqrscp.md §6.5) ------------------------------------------

@pytest.mark.parametrize("model, identifier", [
    (SR, ident("STUDY", StudyInstanceUID=None, SeriesInstanceUID=None)),          # key below the level
    (SR, ident("SERIES", StudyInstanceUID=None, SeriesInstanceUID=None)),         # empty higher unique key
    (PR, ident("STUDY", PatientID=None, StudyInstanceUID=None)),                  # empty PatientID
    (PR, ident("STUDY", PatientID="PAT001", PatientName=None, StudyInstanceUID=None)),  # non-unique above
    (SR, ident("PATIENT", PatientID=None)),                                        # level not in model
    (PSO, ident("SERIES", PatientID="PAT001", StudyInstanceUID=S1, SeriesInstanceUID=None)),
    (SR, ident("SERIES", StudyInstanceUID=S1, PatientID="PAT001", SeriesInstanceUID=None)),  # patient key in SR
    (SR, ident("SERIES", StudyInstanceUID=S1)),                                    # no key at query level
    (PR, ident("SERIES", StudyInstanceUID=S1, SeriesInstanceUID=None)),           # PatientID missing
])
def test_strict_find_violations_are_0xa900(spec_db, model, identifier):
    assert status_of(lambda: spec_db.find(model, identifier, keys=KeySet.DCMTK, strict=True)) == 0xA900


def test_strict_find_accepts_proper_identifiers(spec_db):
    got = find(spec_db, PR, ident("STUDY", PatientID="PAT001", StudyInstanceUID=None), strict=True)
    assert [r["StudyInstanceUID"] for r in got] == [S1]
    got = find(spec_db, SR, ident("STUDY", PatientName="SMITH*", StudyInstanceUID=None), strict=True)
    assert [r["StudyInstanceUID"] for r in got] == [S2]
    # unsupported keys do not count
    got = find(spec_db, SR, ident("STUDY", StudyInstanceUID=None, SOPClassUID=None), strict=True)
    assert len(got) == 2
    assert status_of(lambda: spec_db.find(SR, ident(None, StudyInstanceUID=None), strict=True)) == 0xA900


# --- retrieve (dcmqrscp.md §6.6, §9 movescu/getscu runs) ----------------------------------------

def sops(items) -> list[str]:
    return [f.sop_instance_uid for f in items]


def test_move_study(spec_db, corpus_dir):
    items = spec_db.instances_for_retrieve(SR, ident("STUDY", StudyInstanceUID=S1), keys=KeySet.DCMTK)
    assert sops(items) == [ROOT + ".4.111", ROOT + ".4.112", ROOT + ".4.121"]
    assert [f.path for f in items] == [str(corpus_dir / n) for n in ("ct1.dcm", "ct2.dcm", "ct3.dcm")]
    assert {f.sop_class_uid for f in items} == {"1.2.840.10008.5.1.4.1.1.2"}
    assert {f.transfer_syntax_uid for f in items} == {"1.2.840.10008.1.2.1"}


@pytest.mark.parametrize("model, identifier", [
    (PR, ident("SERIES", PatientID="PAT002", StudyInstanceUID=S2, SeriesInstanceUID=ROOT + ".3.21")),
    (SR, ident("SERIES", StudyInstanceUID=S2, SeriesInstanceUID=ROOT + ".3.21")),
    (PR, ident("IMAGE", PatientID="PAT002", StudyInstanceUID=S2, SeriesInstanceUID=ROOT + ".3.21",
               SOPInstanceUID=ROOT + ".4.211")),
    (PSO, ident("PATIENT", PatientID="PAT002")),
])
def test_move_and_get_single_instance(spec_db, model, identifier):
    items = spec_db.instances_for_retrieve(model, identifier, keys=KeySet.DCMTK, strict=True)
    assert sops(items) == [ROOT + ".4.211"]
    assert items[0].transfer_syntax_uid == "1.2.840.10008.1.2"


def test_move_without_higher_unique_key_matches_nothing(spec_db):
    assert spec_db.instances_for_retrieve(SR, ident("SERIES", SeriesInstanceUID=ROOT + ".3.21")) == []
    assert spec_db.instances_for_retrieve(SR, ident("PATIENT", PatientID="PAT002")) == []


def test_move_level_errors(spec_db):
    assert status_of(lambda: spec_db.instances_for_retrieve(SR, ident(None, StudyInstanceUID=S1))) == 0xA900
    assert status_of(lambda: spec_db.instances_for_retrieve(SR, ident("FRAME", StudyInstanceUID=S1))) == 0xC000


def test_move_matches_all_keys_of_the_level_unless_strict(spec_db):
    items = spec_db.instances_for_retrieve(SR, ident("SERIES", StudyInstanceUID=S1, SeriesNumber="2"))
    assert sops(items) == [ROOT + ".4.121"]
    items = spec_db.instances_for_retrieve(PR, ident("PATIENT", PatientName="DOE*"))
    assert len(items) == 3


@pytest.mark.parametrize("model, identifier", [
    (SR, ident("STUDY", StudyInstanceUID=S1, PatientID="PAT001")),                 # patient key in SR
    (SR, ident("STUDY", StudyInstanceUID=None)),                                    # empty unique key
    (SR, ident("STUDY", StudyInstanceUID=S1, StudyDate="20230115")),               # non-unique key
    (SR, ident("SERIES", SeriesInstanceUID=ROOT + ".3.21")),                       # missing higher key
    (SR, ident("STUDY", StudyInstanceUID=S1, SeriesInstanceUID=ROOT + ".3.11")),   # key below the level
    (PSO, ident("SERIES", PatientID="PAT002", StudyInstanceUID=S2, SeriesInstanceUID=ROOT + ".3.21")),
])
def test_strict_move_violations_are_0xa900(spec_db, model, identifier):
    assert status_of(lambda: spec_db.instances_for_retrieve(model, identifier, keys=KeySet.DCMTK,
                                                            strict=True)) == 0xA900
