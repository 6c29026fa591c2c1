"""pydcmkit.conquest.hl7: HL7 v2 fields -> worklist rows by the HL7 sources of dicom.sql."""

import pytest

from pydcmkit.conquest.hl7 import HL7Error, parse_segments, worklist_rows
from pydcmkit.conquest.sql import default_dicom_sql

FIELDS = default_dicom_sql().worklist.fields


def obr(n: int, accession: str, procedure: str, start: str, modality: str) -> str:
    fields = ["OBR", str(n), "", accession, procedure, "", "", start] + [""] * 13 + [modality]
    assert fields[21] == modality
    return "|".join(fields)


MESSAGE = ("MSH|^~\\&|HIS|HOSP|||20240101||ORM^O01|1|P|2.3\r\n"
           "PID|1||X|PAT1|DOE^JANE||198001311200|F\n"
           + obr(1, "ACC1", "P1^First procedure", "20240105093000", "MR") + "\r"
           + obr(2, "ACC2", "P2^Second procedure", "20240106", "CT") + "\r")


def test_segments_split_on_cr_lf_and_crlf():
    names = [s[0] for s in parse_segments(MESSAGE)]
    assert names == ["MSH", "PID", "OBR", "OBR"]


def test_one_row_per_obr_with_the_patient_before_it():
    rows = worklist_rows(MESSAGE, FIELDS, new_uid=lambda: "1.2.3")
    assert [r["AccessionN"] for r in rows] == ["ACC1", "ACC2"]
    assert {r["PatientID"] for r in rows} == {"PAT1"}
    assert rows[0]["PatientBir"] == "19800131"           # DT_DATE keeps 8 characters
    assert rows[0]["StartDate"] == "20240105" and rows[0]["StartTime"] == "093000"
    assert rows[1]["StartDate"] == "20240106" and "StartTime" not in rows[1]
    assert rows[0]["ReqProcID"] == "P1" and rows[0]["ReqProcDes"] == "First procedure"
    assert rows[0]["Modality"] == "MR" and rows[1]["Modality"] == "CT"


def test_a_message_without_obr_gives_one_row():
    rows = worklist_rows("MSH|^~\\&\rPID|1||X|PAT9|A^B\r", FIELDS, new_uid=lambda: "1.2.3")
    assert rows == [{"PatientID": "PAT9", "PatientNam": "A^B"}]


def test_generated_sources():
    from dataclasses import replace
    fields = [replace(FIELDS[0], hl7="*AN"), replace(FIELDS[7], hl7="*UI")]
    [row] = worklist_rows("PID|1||X|P\r", fields, new_uid=lambda: "1.2.3.4")
    assert len(row["AccessionN"]) == 16 and row["AccessionN"].isdigit()
    assert row["StudyInsta"] == "1.2.3.4"


def test_no_pid_is_an_error():
    with pytest.raises(HL7Error, match="PID"):
        worklist_rows("MSH|^~\\&\rEVN|A01\r", FIELDS, new_uid=lambda: "1")
