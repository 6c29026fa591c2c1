"""pydcmkit.conquest.sql: dgate's dicom.sql (dgate.md §4.1, §4.2, §7.2 get_sqldef, §13.7).

The reader is a port of ConQuest's lex.cpp and parse.cpp; the messages are those of parse.cpp.
"""

from __future__ import annotations

import pytest

from pydcmkit.conquest.errors import CONSOLE, STDERR, ConquestConfigError
from pydcmkit.conquest.ini import parse_dicom_ini
from pydcmkit.conquest.sql import (DEFAULT_DICOM_SQL, EXTRA_COLUMNS, LEVELS, SqlField,
                                   default_dicom_sql, load_dicom_sql, parse_dicom_sql)

# dgate.md §4.2: (column as created, tag, width or None for dates) per table, in order
SPEC_PATIENTS = [("PatientID", 0x00100020, 64), ("PatientNam", 0x00100010, 64),
                 ("PatientBir", 0x00100030, None), ("PatientSex", 0x00100040, 16)]
SPEC_STUDIES = [("StudyInsta", 0x0020000D, 64), ("StudyDate", 0x00080020, None),
                ("StudyTime", 0x00080030, 16), ("StudyID", 0x00200010, 16),
                ("StudyDescr", 0x00081030, 64), ("AccessionN", 0x00080050, 16),
                ("ReferPhysi", 0x00080090, 64), ("PatientsAg", 0x00101010, 16),
                ("PatientsWe", 0x00101030, 16), ("StudyModal", 0x00080061, 64),
                ("PatientNam", 0x00100010, 64), ("PatientBir", 0x00100030, None),
                ("PatientSex", 0x00100040, 16), ("PatientID", 0x00100020, 64)]
SPEC_SERIES = [("SeriesInst", 0x0020000E, 64), ("SeriesNumb", 0x00200011, 12),
               ("SeriesDate", 0x00080021, None), ("SeriesTime", 0x00080031, 16),
               ("SeriesDesc", 0x0008103E, 64), ("Modality", 0x00080060, 16),
               ("PatientPos", 0x00185100, 16), ("ContrastBo", 0x00180010, 64),
               ("Manufactur", 0x00080070, 64), ("ModelName", 0x00081090, 64),
               ("BodyPartEx", 0x00180015, 64), ("ProtocolNa", 0x00181030, 64),
               ("StationNam", 0x00081010, 16), ("Institutio", 0x00080080, 64),
               ("FrameOfRef", 0x00200052, 64), ("SeriesPat", 0x00100020, 64),
               ("StudyInsta", 0x0020000D, 64)]
SPEC_IMAGES = [("SOPInstanc", 0x00080018, 64), ("SOPClassUI", 0x00080016, 64),
               ("ImageNumbe", 0x00200013, 12), ("ImageDate", 0x00080023, None),
               ("ImageTime", 0x00080033, 16), ("EchoNumber", 0x00180086, 64),
               ("NumberOfFr", 0x00280008, 12), ("AcqDate", 0x00080022, None),
               ("AcqTime", 0x00080032, 16), ("ReceivingC", 0x00181250, 16),
               ("AcqNumber", 0x00200012, 12), ("SliceLocat", 0x00201041, 16),
               ("SamplesPer", 0x00280002, 5), ("PhotoMetri", 0x00280004, 16),
               ("QRows", 0x00280010, 5), ("QColumns", 0x00280011, 5),
               ("BitsStored", 0x00280101, 5), ("ImageType", 0x00080008, 128),
               ("ImageID", 0x00540400, 16), ("ImagePat", 0x00100020, 64),
               ("SeriesInst", 0x0020000E, 64)]
SPEC_WORKLIST = [("AccessionN", "OBR.3"), ("PatientID", "PID.4"), ("PatientNam", "PID.5"),
                 ("PatientBir", "PID.7"), ("PatientSex", "PID.8"), ("MedicalAle", "---"),
                 ("ContrastAl", "---"), ("StudyInsta", "---"), ("ReqPhysici", "OBR.16"),
                 ("ReqProcDes", "OBR.4.1"), ("Modality", "OBR.21"), ("ReqContras", "---"),
                 ("ScheduledA", "---"), ("StartDate", "OBR.7.DATE"), ("StartTime", "OBR.7.TIME"),
                 ("PerfPhysic", "---"), ("SchedPSDes", "---"), ("SchedPSID", "OBR.4"),
                 ("SchedStati", "OBR.24"), ("SchedPSLoc", "---"), ("PreMedicat", "---"),
                 ("SchedPSCom", "---"), ("ReqProcID", "OBR.4.0"), ("ReqProcPri", "OBR.27")]

# the shape of ConQuest's shipped file: '#' lines inside the header comment, tabs, mixed
# indentation, and no comma between the last two Study entries
SHIPPED_STYLE = """\
/*
#       DICOM Database layout
#\t5 databases need to be defined:
#\t\t*Patient*
#\t\t\t*Study*
# Format for DICOM databases :
#\t{ Group, Element, Column Name, Column Length, SQL-Type, DICOM-Type }
*/

*Patient*
{
\t{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR },
        { 0x0010, 0x0030, "PatientBirthDate", 8, SQL_C_DATE, DT_DATE }
}

*Study*
{
\t{ 0x0020, 0x000d, "StudyInstanceUID", 64, SQL_C_CHAR, DT_UI },
\t{ 0x0010, 0x0040, "PatientSex", 16, SQL_C_CHAR, DT_STR }

\t{ 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_STR }
}
"""


def spec_rows(table) -> list[tuple[str, int, int | None]]:
    return [(f.column, f.tag, None if f.sql_type == "SQL_C_DATE" else f.length) for f in table.columns]


def error_of(text: str) -> ConquestConfigError:
    with pytest.raises(ConquestConfigError) as info:
        parse_dicom_sql(text, "t.sql")
    assert info.value.exit_code == 1
    return info.value


# ------------------------------------------------------------------------------------------------
# the default schema (§4.2)
# ------------------------------------------------------------------------------------------------


def test_default_schema_matches_the_spec_table():
    schema = default_dicom_sql()
    assert schema.path is None
    assert [t.name for t in schema.tables] == ["DICOMPatients", "DICOMStudies", "DICOMSeries",
                                               "DICOMImages", "DICOMWorkList"]
    assert spec_rows(schema.patient) == SPEC_PATIENTS
    assert spec_rows(schema.study) == SPEC_STUDIES
    assert spec_rows(schema.series) == SPEC_SERIES
    assert spec_rows(schema.image) == SPEC_IMAGES
    assert [(f.column, f.hl7) for f in schema.worklist.columns] == SPEC_WORKLIST


def test_default_schema_keys_and_links():
    schema = default_dicom_sql()
    assert schema.patient.primary_key.column == "PatientID"
    assert schema.study.primary_key.column == "StudyInsta"
    assert schema.study.parent_link.tag == 0x00100020
    assert schema.series.parent_link.column == "StudyInsta"
    assert schema.image.parent_link.column == "SeriesInst"
    assert schema.patient.parent_link is None
    assert schema.worklist.primary_key is None and schema.worklist.parent_link is None


def test_default_schema_matching_types():
    schema = default_dicom_sql()
    assert schema.study.column("StudyModal").dicom_type == "DT_MSTR"
    assert schema.image.column("ImageType").dicom_type == "DT_MSTR"
    assert schema.image.column("EchoNumber").dicom_type == "DT_MSTR"
    assert schema.study.column("StudyTime").dicom_type == "DT_TIME"
    assert schema.study.column("StudyTime").match_type == "DT_DATE"
    assert schema.series.column("SeriesInst").dicom_type == "DT_UI"
    assert schema.image.column("QRows").dicom_type == "DT_UINT16"
    assert schema.study.column("studydescription").column == "StudyDescr"


def test_default_worklist_sequence():
    fields = default_dicom_sql().worklist.fields
    markers = [(i, f.dicom_type) for i, f in enumerate(fields) if f.is_sequence_marker]
    assert markers == [(10, "DT_STARTSEQUENCE"), (23, "DT_ENDSEQUENCE")]
    assert {fields[10].tag, fields[23].tag} == {0x00400100}
    inside = [f.tag for f in fields[11:23]]
    assert inside[:3] == [0x00080060, 0x00321070, 0x00400001]
    assert len(default_dicom_sql().worklist.columns) == 24


def test_pitfall_column_names_and_extra_columns():
    """§13.7: names cut to 10 characters, ObjectFile/DeviceName, no DICOMAccessUpdates."""
    schema = default_dicom_sql()
    assert schema.patient.column("PatientName").column == "PatientNam"
    assert schema.patient.sql_columns() == (("PatientID", "varchar(64)"), ("PatientNam", "varchar(64)"),
                                            ("PatientBir", "char(8)"), ("PatientSex", "varchar(16)"),
                                            *EXTRA_COLUMNS)
    assert schema.image.sql_columns()[-6:] == (
        ("AccessTime", "int"), ("qTimeStamp", "int"), ("qFlags", "int"), ("qSpare", "varchar(64)"),
        ("ObjectFile", "varchar(255)"), ("DeviceName", "varchar(32)"))
    with pytest.raises(KeyError):
        schema.table("DICOMAccessUpdates")


def test_default_schema_options():
    full = default_dicom_sql(truncate_field_names=0)
    assert full.patient.columns[1].column == "PatientName"
    capped = default_dicom_sql(max_field_length=32)
    assert capped.image.column("ImageType").length == 32
    assert capped.image.column("ImageType").declared_length == 128
    assert capped.image.column("QRows").length == 5
    assert capped.image.sql_columns()[-2] == ("ObjectFile", "varchar(32)")
    named = default_dicom_sql(table_names={"Image": "Images"})
    assert named.image.name == "Images" and named.table("images") is named.image


def test_default_text_parses_to_the_default():
    parsed = parse_dicom_sql(DEFAULT_DICOM_SQL)
    assert parsed.tables == default_dicom_sql().tables
    assert parsed.path == "dicom.sql"


def test_table_lookup_by_level_or_name():
    schema = default_dicom_sql()
    assert schema.table("study") is schema.study
    assert schema.table("DICOMSTUDIES") is schema.study
    assert schema.table("WorkList") is schema.worklist
    assert schema.study.field_for(0x0008, 0x0020).column == "StudyDate"
    assert schema.study.field_for(0x0008, 0x0080) is None
    assert schema.image.tags[0] == 0x00080018


# ------------------------------------------------------------------------------------------------
# get_sqldef
# ------------------------------------------------------------------------------------------------


def test_get_sqldef_spec_example():
    schema = default_dicom_sql()
    assert schema.sqldef("image", 0) == "0x0008, 0x0018           SOPInstanc   64 SQL_C_CHAR   DT_UI (UI)"
    assert schema.sqldef("study", 2) == "0x0008, 0x0030            StudyTime   16 SQL_C_CHAR DT_DATE (DA)"
    assert schema.sqldef("image", 12).endswith("DT_UINT16 (US)")
    assert schema.sqldef("worklist", 10).endswith("Start sequence")
    assert schema.sqldef("patient", 4) == ""
    assert schema.sqldef("patient", 0, "%s|%s|%s") == "16|32|PatientID"


def test_symbolic_names_unknown_to_dgate():
    field = SqlField(0x0010, 0x0010, "PatientName", 64, "SQL_C_CHAR", "DT_ISTR")
    assert field.format().endswith("--bad--")


# ------------------------------------------------------------------------------------------------
# the reader's rules (lex.cpp / parse.cpp)
# ------------------------------------------------------------------------------------------------


def test_shipped_style_file():
    schema = parse_dicom_sql(SHIPPED_STYLE)
    assert [f.column for f in schema.patient.fields] == ["PatientID", "PatientBir"]
    assert [f.column for f in schema.study.fields] == ["StudyInsta", "PatientSex", "PatientID"]
    assert schema.series.fields == () and schema.worklist.fields == ()


def test_numbers_and_separators():
    text = ('*Patient* { { 0X0010 , 0x00FF,"Name",0x20,SQL_C_CHAR,DT_STR},'
            '{16,32,"ID",65600,SQL_C_CHAR,DT_STR}{ 0x1g, 0x, "X", 8, SQL_C_DATE, DT_DATE } }')
    fields = parse_dicom_sql(text).patient.fields
    assert [(f.group, f.element, f.name, f.length) for f in fields] == [
        (0x0010, 0x00FF, "Name", 32), (16, 32, "ID", 65600 & 0xFFFF), (0x10, 0, "X", 8)]


def test_separators_are_not_checked():
    # any token may stand where a comma or quote is expected; an unquoted name shifts the fields
    text = '*Patient* { { 0x0010 a 0x0020 b c PatientID d e 64 f SQL_C_CHAR g DT_STR } }'
    fields = parse_dicom_sql(text).patient.fields
    assert [(f.group, f.element, f.name, f.length) for f in fields] == [(0x10, 0x20, "PatientID", 64)]
    shifted = '*Patient* { { 0x0010, 0x0020, PatientID, 64, SQL_C_CHAR, DT_STR } }'
    assert error_of(shifted).output[1] == (STDERR, "Got { 0x0010, 0x0020, (null), (null), (null), (null) }\n")


def test_keywords_are_found_inside_words():
    text = '*Patient* { { 0x0010, 0x0020, "ID_DT_STR", 64, SQL_C_CHAR, DT_STR } }'
    error = error_of(text)
    assert error.output == ((STDERR, "Expected { Group, Element, Column, Length, SQLType, DICOMType }\n"),
                            (STDERR, 'Got { 0x0010, 0x0020, ID_, (null), (null), (null) }\n'))


def test_longest_keyword_wins():
    text = '*Image* { { 0x0028, 0x0010, "QRows", 5, SQL_C_CHAR, DT_UINT16 } }'
    assert parse_dicom_sql(text).image.fields[0].dicom_type == "DT_UINT16"


def test_blocks_add_up_and_comments_between_blocks():
    text = ('/* a */ *Patient* { { 1, 2, "A", 8, SQL_C_CHAR, DT_STR } } /* b */\n'
            '*Patient* { { 3, 4, "B", 8, SQL_C_CHAR, DT_STR }, }')
    assert [f.name for f in parse_dicom_sql(text).patient.fields] == ["A", "B"]


def test_unterminated_comment_ends_the_file():
    text = '*Patient* { { 1, 2, "A", 8, SQL_C_CHAR, DT_STR } } /* the rest *Study* { garbage'
    schema = parse_dicom_sql(text)
    assert len(schema.patient.fields) == 1 and schema.study.fields == ()


def test_nul_ends_the_file():
    text = '*Patient* { { 1, 2, "A", 8, SQL_C_CHAR, DT_STR } }\0 garbage garbage'
    assert len(parse_dicom_sql(text).patient.fields) == 1


def test_empty_file():
    schema = parse_dicom_sql("")
    assert all(table.fields == () for table in schema.tables)
    assert parse_dicom_sql("  \n\t\r\n /* only a comment */ ").patient.fields == ()


def test_hl7_column_only_in_the_worklist():
    text = '*WorkList* { { 0x0008, 0x0050, "AccessionNumber", 16, SQL_C_CHAR, DT_STR, "*AN" } }'
    assert parse_dicom_sql(text).worklist.fields[0].hl7 == "*AN"
    without = '*WorkList* { { 0x0008, 0x0050, "AccessionNumber", 16, SQL_C_CHAR, DT_STR } }'
    assert parse_dicom_sql(without).worklist.fields[0].hl7 == ""
    error = error_of(text.replace("*WorkList*", "*Study*"))
    assert error.output[0] == (STDERR, "Expected { Group, Element, Column, Length, SQLType, DICOMType }\n")


def test_table_names_from_dicom_ini(tmp_path):
    (tmp_path / "dicom.sql").write_text(SHIPPED_STYLE)
    ini = parse_dicom_ini("[sscscp]\nPatientTableName = Pat\nTruncateFieldNames = 0\n"
                          "MaxFieldLength = 20\n", str(tmp_path / "dicom.ini"), base_dir=f"{tmp_path}/")
    schema = load_dicom_sql(ini=ini)
    assert schema.path == f"{tmp_path}/dicom.sql"
    assert schema.patient.name == "Pat"
    assert schema.study.name == "DICOMStudies"
    assert [(f.column, f.length) for f in schema.patient.fields] == [("PatientID", 20),
                                                                     ("PatientBirthDate", 8)]
    assert load_dicom_sql(ini=ini, truncate_field_names=4).patient.fields[0].column == "Pati"


# ------------------------------------------------------------------------------------------------
# errors (dgate exits 1)
# ------------------------------------------------------------------------------------------------


def test_error_garbage_between_blocks():
    error = error_of("*Patient* { } garbage")
    assert error.output == ((STDERR, "Parse error : Parse : garbage\n"),
                            (CONSOLE, "***Could not load kfactor file: t.sql\n"))
    assert str(error) == "t.sql: Parse error : Parse : garbage"
    assert error_of("*/").output[0] == (STDERR, "Parse error : Parse : (null)\n")


def test_error_level_without_brace():
    error = error_of("*Patient* ( )")
    assert error.output == ((STDERR, "Expected: Database  { : (\n"),)
    assert error_of("*Study*").output == ((STDERR, "Expected: Database  { : (null)\n"),)


def test_error_missing_field():
    error = error_of('*Series* { { 0x0020, 0x000e, "SeriesInstanceUID", SQL_C_CHAR, DT_UI } }')
    assert error.output == (
        (STDERR, "Expected { Group, Element, Column, Length, SQLType, DICOMType }\n"),
        (STDERR, "Got { 0x0020, 0x000e, SeriesInstanceUID, (null), (null), (null) }\n"))


def test_error_unknown_types():
    error = error_of('*Patient* { { 0x0010, 0x0020, "PatientID", 64, SQL_C_INT, DT_STR } }')
    assert error.output == ((STDERR, "Unknown SQL Type: SQL_C_INT\n"),)
    error = error_of('*Patient* { { 0x0010, 0x0020, "PatientID", 64, SQL_C_CHAR, DT_PN } }')
    assert error.output == ((STDERR, "Unknown DICOM Type: DT_PN\n"),)
    error = error_of('*Patient* { { 0x0010, 0x0020, "PatientID", 64, DT_STR, DT_STR } }')
    assert error.output == ((STDERR, "Unknown SQL Type: (null)\n"),)


def test_error_comes_at_the_first_bad_entry():
    text = ('*Patient* { { 1, 2, "A", 8, SQL_C_CHAR, DT_STR }, { 1, 2, "B", 8, SQL_C_XX, DT_STR },'
            ' { 1, 2, "C", 8, SQL_C_CHAR, DT_XX } }')
    assert error_of(text).output == ((STDERR, "Unknown SQL Type: SQL_C_XX\n"),)


def test_missing_file_falls_back_to_the_default(tmp_path):
    schema = load_dicom_sql(tmp_path / "dicom.sql")
    assert schema.path is None
    assert schema.tables == default_dicom_sql().tables
    ini = parse_dicom_ini("[sscscp]\nImageTableName = Img\n", base_dir=f"{tmp_path}/")
    assert load_dicom_sql(ini=ini).image.name == "Img"


def test_missing_file_without_fallback(tmp_path):
    missing = str(tmp_path / "dicom.sql")
    with pytest.raises(ConquestConfigError) as info:
        load_dicom_sql(missing, fallback=False)
    assert info.value.output == ((CONSOLE, f"***Could not load kfactor file: {missing}\n"),)
    assert info.value.exit_code == 1
    assert "No such file or directory" in str(info.value)


def test_levels_constant():
    assert list(LEVELS) == ["Patient", "Study", "Series", "Image", "WorkList"]
