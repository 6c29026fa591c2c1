"""ConQuest's dicom.sql: the database definition (``kFactorFile``, dgate.md §4.1, §4.2).

The file has a C-style comment header, then the blocks ``*Patient*``, ``*Study*``, ``*Series*``,
``*Image*`` and ``*WorkList*``, each ``{ {...}, {...} }`` of entries
``{ group, element, "ColumnName", length, SQL_C_CHAR|SQL_C_DATE, DICOM-type }``; worklist entries
have a seventh string, the HL7 source (``"PID.4"``, ``"OBR.7.DATE"``, ``*AN``, ``*UI``, ``---``).
The first entry of each level is its primary key, the last entry of Study, Series and Image the
link to the parent level; the worklist has no key.

The reader is a port of dgate 1.5.0e's lexer (lex.cpp) and parser (parse.cpp), because the
format has no grammar beyond that code:

* the keywords ``/*``, ``*/``, ``*Patient*`` ... ``*WorkList*``, ``{``, ``}``, ``,``, ``"``,
  ``SQL_C_CHAR``, ``SQL_C_DATE`` and the ``DT_...`` types are recognised *anywhere*, also inside
  words (the longest one at a place wins: ``DT_UINT16`` is not ``DT_UI`` + ``NT16``); every other
  run of characters up to white space or a keyword is a word; a NUL byte ends the file;
* comments are only allowed between blocks; an unterminated one runs to the end of the file;
* an entry is read by position: the separators (commas, quotes) are skipped without being
  checked, so a missing comma between two entries -- as in ConQuest's own shipped file -- does
  not matter, but a missing field shifts the others and ends in ``Expected { Group, Element,
  Column, Length, SQLType, DICOMType }``;
* numbers: ``0x``/``0X`` followed by hex digits (anything else counts as 0), otherwise C
  ``atoi``, both cut to 16 bits;
* ``DT_TIME`` is matched as ``DT_DATE`` (range matching); ``DT_ISTR`` is matched
  case-insensitively (``UPPER()``);
* column names are cut to ``TruncateFieldNames`` characters (10 by default: ``PatientName`` ->
  ``PatientNam``) and lengths capped by ``MaxFieldLength`` while the file is read.

Errors end dgate with status 1 (dgate.md §1.5); :class:`~pydcmkit.conquest.errors.ConquestConfigError`
carries dgate's exact stderr / log lines.  When no dicom.sql exists, :func:`load_dicom_sql`
falls back to :data:`DEFAULT_DICOM_SQL`, the normalised schema of dgate.md §4.2 (revision 19)
-- dgate itself refuses to run ``-r``, ``-k`` or ``-a`` without the file.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import CONSOLE, STDERR, ConquestConfigError
from .printf import atoi, c_format

if TYPE_CHECKING:
    from .ini import DicomIni

__all__ = [
    "DEFAULT_DICOM_SQL",
    "DICOM_TYPES",
    "DicomSql",
    "EXTRA_COLUMNS",
    "IMAGE_EXTRA_COLUMNS",
    "LEVELS",
    "SQLDEF_FORMAT",
    "SQL_TYPES",
    "SqlField",
    "SqlTable",
    "UIDMODS_COLUMNS",
    "default_dicom_sql",
    "load_dicom_sql",
    "parse_dicom_sql",
]

#: The levels of dicom.sql in file order, with dgate's default table names.
LEVELS: Mapping[str, str] = {
    "Patient": "DICOMPatients",
    "Study": "DICOMStudies",
    "Series": "DICOMSeries",
    "Image": "DICOMImages",
    "WorkList": "DICOMWorkList",
}
SQL_TYPES = ("SQL_C_CHAR", "SQL_C_DATE")
DICOM_TYPES = ("DT_STR", "DT_MSTR", "DT_ISTR", "DT_DATE", "DT_UINT16", "DT_UINT32", "DT_TIME",
               "DT_UI", "DT_FL", "DT_FD", "DT_STARTSEQUENCE", "DT_ENDSEQUENCE")
#: ``get_sqldef:`` default format: group, element, column, length, SQL type, DICOM type.
SQLDEF_FORMAT = "0x%4.4x, 0x%4.4x %20s %4d %10s %12s"

#: Columns dgate adds to every table of dicom.sql (AccessTime: Unix time of the last write).
EXTRA_COLUMNS = (("AccessTime", "int"), ("qTimeStamp", "int"), ("qFlags", "int"),
                 ("qSpare", "varchar(64)"))
#: Columns dgate adds to the image table after :data:`EXTRA_COLUMNS`; ``ObjectFile`` is relative
#: to the MAG device root, ``DeviceName`` is ``MAG0``, ``MAG1`` ...
IMAGE_EXTRA_COLUMNS = (("ObjectFile", "varchar(255)"), ("DeviceName", "varchar(32)"))
#: The UID remapping table (not in dicom.sql; no extra columns).
UIDMODS_COLUMNS = (("MODTime", "int"), ("OldUID", "varchar(64)"), ("MODType", "varchar(32)"),
                   ("NewUID", "varchar(64)"), ("Stage", "varchar(32)"), ("Annotation", "varchar(64)"))

_KEYWORDS = sorted(("/*", "*/", "*Patient*", "*Study*", "*Series*", "*Image*", "*WorkList*",
                    "{", "}", ",", '"') + SQL_TYPES + DICOM_TYPES, key=len, reverse=True)
_KEYWORD_STARTS = frozenset(keyword[0] for keyword in _KEYWORDS)
_WHITE = "\r\n\t "
_END = "<end>"
_SYM_NAMES = {"DT_STR": "DT_STR", "DT_MSTR": "DT_MSTR", "DT_DATE": "DT_DATE (DA)",
              "DT_TIME": "DT_DATE (DA)", "DT_UINT16": "DT_UINT16 (US)",
              "DT_UINT32": "DT_UINT32 (UL)", "DT_UI": "DT_UI (UI)",
              "DT_STARTSEQUENCE": "Start sequence", "DT_ENDSEQUENCE": "End sequence"}
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


# ------------------------------------------------------------------------------------------------
# Data model
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlField:
    """One entry of dicom.sql: a DICOM attribute and the column that stores it.

    ``name`` is the column name as written, ``column`` the name of the SQL column (``name`` cut
    to ``TruncateFieldNames``); ``length`` is the width used (capped by ``MaxFieldLength``),
    ``declared_length`` the one written.  ``dicom_type`` is as written (``DT_TIME`` stays
    ``DT_TIME``; :attr:`match_type` gives the matching dgate applies).  ``hl7`` is the HL7 source
    of a worklist entry (empty elsewhere).  Sequence markers (``DT_STARTSEQUENCE`` /
    ``DT_ENDSEQUENCE``, worklist only) describe the (0040,0100) nesting and have no column.
    """

    group: int
    element: int
    name: str
    length: int
    sql_type: str
    dicom_type: str
    hl7: str = ""
    column: str = ""
    declared_length: int = -1

    def __post_init__(self) -> None:
        if not self.column:
            object.__setattr__(self, "column", self.name)
        if self.declared_length < 0:
            object.__setattr__(self, "declared_length", self.length)

    @property
    def tag(self) -> int:
        """``(group << 16) | element``."""
        return (self.group << 16) | self.element

    @property
    def is_sequence_marker(self) -> bool:
        return self.dicom_type in ("DT_STARTSEQUENCE", "DT_ENDSEQUENCE")

    @property
    def match_type(self) -> str:
        """The matching dgate applies: ``DT_TIME`` is parsed as ``DT_DATE`` (dgate.md §4.1)."""
        return "DT_DATE" if self.dicom_type == "DT_TIME" else self.dicom_type

    @property
    def sql_definition(self) -> str:
        """The column type: ``char(8)`` for ``SQL_C_DATE``, ``varchar(length)`` otherwise."""
        return "char(8)" if self.sql_type == "SQL_C_DATE" else f"varchar({self.length})"

    def format(self, fmt: str = SQLDEF_FORMAT) -> str:
        """The entry through a ``get_sqldef`` format (dgate's symbolic type names)."""
        return c_format(fmt, (self.group, self.element, self.column, self.length, self.sql_type,
                              _SYM_NAMES.get(self.dicom_type, "--bad--")))


@dataclass(frozen=True)
class SqlTable:
    """The entries of one level and the table that holds them."""

    level: str
    name: str
    fields: tuple[SqlField, ...] = ()
    max_field_length: int = field(default=0, compare=False)

    @property
    def columns(self) -> tuple[SqlField, ...]:
        """The entries that are columns (sequence markers left out)."""
        return tuple(f for f in self.fields if not f.is_sequence_marker)

    @property
    def primary_key(self) -> SqlField | None:
        """The first entry (``PatientID``, ``StudyInsta`` ...); the worklist has none."""
        if self.level == "WorkList" or not self.fields:
            return None
        return self.fields[0]

    @property
    def parent_link(self) -> SqlField | None:
        """The last entry of Study, Series and Image: the key of the level above."""
        if self.level not in ("Study", "Series", "Image") or not self.fields:
            return None
        return self.fields[-1]

    @property
    def tags(self) -> tuple[int, ...]:
        """The DICOM tags stored, in column order (a tag may appear twice: the parent link)."""
        return tuple(f.tag for f in self.columns)

    def field_for(self, group: int, element: int) -> SqlField | None:
        """The first column that stores (group, element), ``None`` when the level has none."""
        for f in self.columns:
            if (f.group, f.element) == (group, element):
                return f
        return None

    def column(self, name: str) -> SqlField | None:
        """The column of that SQL (or dicom.sql) name, ASCII case-insensitive."""
        wanted = name.translate(_ASCII_LOWER)
        for f in self.columns:
            if wanted in (f.column.translate(_ASCII_LOWER), f.name.translate(_ASCII_LOWER)):
                return f
        return None

    def sql_columns(self) -> tuple[tuple[str, str], ...]:
        """(column, SQL type) of the table dgate creates: the entries, then the extra columns.

        The image table ends with ``ObjectFile`` (255 wide, or ``MaxFieldLength`` when that is
        1...254) and ``DeviceName``.
        """
        columns = tuple((f.column, f.sql_definition) for f in self.columns) + EXTRA_COLUMNS
        if self.level == "Image":
            width = self.max_field_length if 0 < self.max_field_length < 255 else 255
            columns += ((IMAGE_EXTRA_COLUMNS[0][0], f"varchar({width})"), IMAGE_EXTRA_COLUMNS[1])
        return columns


@dataclass(frozen=True)
class DicomSql:
    """The five levels of dicom.sql.  ``path`` is ``None`` for the built-in default schema."""

    patient: SqlTable
    study: SqlTable
    series: SqlTable
    image: SqlTable
    worklist: SqlTable
    path: str | None = None

    @property
    def tables(self) -> tuple[SqlTable, ...]:
        return (self.patient, self.study, self.series, self.image, self.worklist)

    def table(self, name: str) -> SqlTable:
        """A table by table name (``DICOMStudies``) or level (``study``, as ``get_sqldef:``),
        ASCII case-insensitive."""
        wanted = name.translate(_ASCII_LOWER)
        for table in self.tables:
            if wanted in (table.name.translate(_ASCII_LOWER), table.level.translate(_ASCII_LOWER)):
                return table
        raise KeyError(name)

    def sqldef(self, level: str, index: int, fmt: str | None = None) -> str:
        """``get_sqldef:level,i[,fmt]``: entry ``index`` of a level, empty when out of range."""
        table = self.table(level)
        if not 0 <= index < len(table.fields):
            return ""
        return table.fields[index].format(fmt or SQLDEF_FORMAT)


# ------------------------------------------------------------------------------------------------
# The lexer and parser of dgate
# ------------------------------------------------------------------------------------------------


def _keyword_at(text: str, pos: int) -> str | None:
    if text[pos] not in _KEYWORD_STARTS:
        return None
    for keyword in _KEYWORDS:
        if text.startswith(keyword, pos):
            return keyword
    return None


def _tokens(text: str) -> list[tuple[bool, str]]:
    """(is_keyword, text) for each token of lex.cpp; a NUL ends the input."""
    text = text.split("\0", 1)[0]
    tokens: list[tuple[bool, str]] = []
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in _WHITE:
            pos += 1
        if pos >= n:
            return tokens
        keyword = _keyword_at(text, pos)
        if keyword:
            tokens.append((True, keyword))
            pos += len(keyword)
            continue
        start = pos
        while pos < n and text[pos] not in _WHITE and not _keyword_at(text, pos):
            pos += 1
        tokens.append((False, text[start:pos]))


class _Stream:
    """``Lex::Get`` / ``Lex::Peek``: a cursor that stays on the end token."""

    def __init__(self, tokens: list[tuple[bool, str]]):
        self.tokens = tokens + [(True, _END)]
        self.index = -1

    def get(self) -> tuple[bool, str]:
        if self.index < len(self.tokens) - 1:
            self.index += 1
        return self.tokens[self.index]


def _c_str(token: tuple[bool, str]) -> str:
    """``Tk.Str`` as ``printf("%s")`` shows it: keywords have no string (glibc prints ``(null)``)."""
    return "(null)" if token[0] else token[1]


def _number(token: tuple[bool, str]) -> int:
    """``ConvertNumber``: ``0x`` + hex digits (others count 0), else ``atoi``; 16 bits."""
    text = "" if token[0] else token[1]
    if len(text) > 2 and text[1] in "xX":
        value = 0
        for c in text[2:]:
            value = ((value << 4) + (int(c, 16) if c in string.hexdigits else 0)) & 0xFFFF
        return value
    return atoi(text) & 0xFFFF


class _SqlError(Exception):
    def __init__(self, reason: str, output: tuple[tuple[str, str], ...]):
        super().__init__(reason)
        self.reason = reason
        self.output = output


def _parse(text: str, truncate: int, max_length: int) -> dict[str, list[SqlField]]:
    levels: dict[str, list[SqlField]] = {level: [] for level in LEVELS}
    stream = _Stream(_tokens(text))
    tk = stream.get()
    while True:
        keyword, value = tk
        if keyword and value == "/*":
            while True:
                tk = stream.get()
                if tk == (True, "*/") or tk == (True, _END):
                    break
        elif keyword and value.startswith("*") and value.endswith("*") and len(value) > 2:
            level = value.strip("*")
            _parse_block(stream, levels[level], level == "WorkList", truncate, max_length)
        elif keyword and value == _END:
            return levels
        else:
            line = f"Parse error : Parse : {_c_str(tk)}"
            raise _SqlError(line, ((STDERR, line + "\n"),))
        tk = stream.get()


def _parse_block(stream: _Stream, fields: list[SqlField], has_hl7: bool, truncate: int,
                 max_length: int) -> None:
    tk = stream.get()
    if tk != (True, "{"):
        line = f"Expected: Database  {{ : {_c_str(tk)}"
        raise _SqlError(line, ((STDERR, line + "\n"),))
    tk = stream.get()
    while tk == (True, "{"):
        group = stream.get()
        stream.get()
        element = stream.get()
        stream.get()
        stream.get()
        column = stream.get()
        stream.get()
        stream.get()
        length = stream.get()
        stream.get()
        sql_type = stream.get()
        stream.get()
        dicom_type = stream.get()
        tk = stream.get()
        hl7 = ""
        if has_hl7 and tk == (True, ","):
            stream.get()
            source = stream.get()
            hl7 = "" if source[0] else source[1]
            stream.get()
            tk = stream.get()
        if tk != (True, "}"):
            got = ", ".join(_c_str(t) for t in (group, element, column, length, sql_type, dicom_type))
            lines = ("Expected { Group, Element, Column, Length, SQLType, DICOMType }",
                     f"Got {{ {got} }}")
            raise _SqlError(" / ".join(lines), tuple((STDERR, line + "\n") for line in lines))
        tk = stream.get()
        if tk == (True, ","):
            tk = stream.get()
        if not (sql_type[0] and sql_type[1] in SQL_TYPES):
            line = f"Unknown SQL Type: {_c_str(sql_type)}"
            raise _SqlError(line, ((STDERR, line + "\n"),))
        if not (dicom_type[0] and dicom_type[1] in DICOM_TYPES):
            line = f"Unknown DICOM Type: {_c_str(dicom_type)}"
            raise _SqlError(line, ((STDERR, line + "\n"),))
        name = "" if column[0] else column[1]
        declared = _number(length)
        fields.append(SqlField(
            group=_number(group), element=_number(element), name=name,
            column=name[:truncate] if truncate > 0 else name,
            length=max_length if 0 < max_length <= declared else declared,
            declared_length=declared, sql_type=sql_type[1], dicom_type=dicom_type[1], hl7=hl7))


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------


def parse_dicom_sql(data: bytes | str, file: str = "dicom.sql", *, truncate_field_names: int = 10,
                    max_field_length: int = 0,
                    table_names: Mapping[str, str] | None = None) -> DicomSql:
    """Parse the content of a dicom.sql (module docstring).

    Parameters
    ----------
    data : bytes or str
        The file content (bytes are decoded as UTF-8 with ``surrogateescape``).
    file : str
        The file name used in messages.
    truncate_field_names, max_field_length : int
        ``TruncateFieldNames`` and ``MaxFieldLength`` of dicom.ini (0: no cut, no cap).
    table_names : mapping, optional
        Level (``Patient`` ...) to table name, from ``PatientTableName`` ...; default
        :data:`LEVELS`.

    Returns
    -------
    DicomSql

    Raises
    ------
    ConquestConfigError
        A syntax error (exit 1); ``output`` holds dgate's stderr lines, and for an error between
        blocks also ``***Could not load kfactor file: <file>`` in the log.
    """
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    try:
        levels = _parse(text, truncate_field_names, max_field_length)
    except _SqlError as exc:
        output = exc.output
        if exc.reason.startswith("Parse error"):
            output += ((CONSOLE, f"***Could not load kfactor file: {file}\n"),)
        raise ConquestConfigError(f"{file}: {exc.reason}", file, output) from None
    names = dict(LEVELS)
    names.update(table_names or {})
    tables = [SqlTable(level, names[level], tuple(fields), max_field_length)
              for level, fields in levels.items()]
    return DicomSql(*tables, path=file)


def load_dicom_sql(path: str | os.PathLike[str] | None = None, *, ini: DicomIni | None = None,
                   fallback: bool = True, truncate_field_names: int | None = None,
                   max_field_length: int | None = None) -> DicomSql:
    """Read dicom.sql, or take the default schema when there is none.

    Parameters
    ----------
    path : path, optional
        The file; default ``ini.kfactor_file`` (``kFactorFile``, resolved against the base
        directory).
    ini : DicomIni, optional
        Gives the file, ``TruncateFieldNames``, ``MaxFieldLength`` and the table names.
    fallback : bool
        When the file cannot be read, return :func:`default_dicom_sql` (``True``) or fail as
        dgate does (``False``).
    truncate_field_names, max_field_length : int, optional
        Override the dicom.ini values (defaults without ``ini``: 10 and 0).

    Returns
    -------
    DicomSql

    Raises
    ------
    ConquestConfigError
        Syntax errors; with ``fallback=False`` also a missing file, which dgate logs as
        ``***Could not load kfactor file: <file>`` before exit 1.
    """
    settings = _settings(ini, truncate_field_names, max_field_length)
    if path is None:
        file = ini.kfactor_file if ini is not None else "dicom.sql"
    else:
        file = os.fspath(path)
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as exc:
        if fallback:
            return default_dicom_sql(**settings)
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConquestConfigError(f"cannot read kfactor file {file}: {reason}", file,
                                  ((CONSOLE, f"***Could not load kfactor file: {file}\n"),)) from None
    return parse_dicom_sql(data, file, **settings)


def default_dicom_sql(*, truncate_field_names: int = 10, max_field_length: int = 0,
                      table_names: Mapping[str, str] | None = None) -> DicomSql:
    """ConQuest's default schema (:data:`DEFAULT_DICOM_SQL`), with ``path`` ``None``."""
    parsed = parse_dicom_sql(DEFAULT_DICOM_SQL, "dicom.sql", truncate_field_names=truncate_field_names,
                             max_field_length=max_field_length, table_names=table_names)
    return DicomSql(*parsed.tables, path=None)


def _settings(ini: DicomIni | None, truncate: int | None, max_length: int | None) -> dict:
    if ini is not None:
        names = {level: ini.table_name(level) for level in LEVELS}
        truncate = ini.truncate_field_names if truncate is None else truncate
        max_length = ini.max_field_length if max_length is None else max_length
    else:
        names = dict(LEVELS)
    return {"truncate_field_names": 10 if truncate is None else truncate,
            "max_field_length": 0 if max_length is None else max_length, "table_names": names}


#: The normalised dicom.sql of dgate.md §4.2 (revision 19; ``QRows``/``QColumns`` since 1.5.0).
DEFAULT_DICOM_SQL = """\
/*
   dicom.sql -- ConQuest DICOM database layout, normalised (SQLite, MySQL, PostgreSQL, ODBC).
   Revision 19, the default of pydcmkit when no kFactorFile exists (dgate.md section 4.2).

   Levels: Patient > Study > Series > Image, and WorkList.  The first entry of each level is
   its primary key; the last entry of Study, Series and Image links to the level above.
   Entries:  { group, element, "Column", length, SQL type, DICOM type }
   WorkList: { group, element, "Column", length, SQL type, DICOM type, "HL7 source" }
*/

*Patient*
{
  { 0x0010, 0x0020, "PatientID",                 64, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x0010, "PatientName",               64, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x0030, "PatientBirthDate",           8, SQL_C_DATE, DT_DATE },
  { 0x0010, 0x0040, "PatientSex",                16, SQL_C_CHAR, DT_STR }
}

*Study*
{
  { 0x0020, 0x000d, "StudyInstanceUID",          64, SQL_C_CHAR, DT_UI },
  { 0x0008, 0x0020, "StudyDate",                  8, SQL_C_DATE, DT_DATE },
  { 0x0008, 0x0030, "StudyTime",                 16, SQL_C_CHAR, DT_TIME },
  { 0x0020, 0x0010, "StudyID",                   16, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x1030, "StudyDescription",          64, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0050, "AccessionNumber",           16, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0090, "ReferPhysician",            64, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x1010, "PatientsAge",               16, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x1030, "PatientsWeight",            16, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0061, "StudyModality",             64, SQL_C_CHAR, DT_MSTR },
  { 0x0010, 0x0010, "PatientName",               64, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x0030, "PatientBirthDate",           8, SQL_C_DATE, DT_DATE },
  { 0x0010, 0x0040, "PatientSex",                16, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x0020, "PatientID",                 64, SQL_C_CHAR, DT_STR }
}

*Series*
{
  { 0x0020, 0x000e, "SeriesInstanceUID",         64, SQL_C_CHAR, DT_UI },
  { 0x0020, 0x0011, "SeriesNumber",              12, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0021, "SeriesDate",                 8, SQL_C_DATE, DT_DATE },
  { 0x0008, 0x0031, "SeriesTime",                16, SQL_C_CHAR, DT_TIME },
  { 0x0008, 0x103e, "SeriesDescription",         64, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0060, "Modality",                  16, SQL_C_CHAR, DT_STR },
  { 0x0018, 0x5100, "PatientPosition",           16, SQL_C_CHAR, DT_STR },
  { 0x0018, 0x0010, "ContrastBolusAgent",        64, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0070, "Manufacturer",              64, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x1090, "ModelName",                 64, SQL_C_CHAR, DT_STR },
  { 0x0018, 0x0015, "BodyPartExamined",          64, SQL_C_CHAR, DT_STR },
  { 0x0018, 0x1030, "ProtocolName",              64, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x1010, "StationName",               16, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0080, "Institution",               64, SQL_C_CHAR, DT_STR },
  { 0x0020, 0x0052, "FrameOfReferenceUID",       64, SQL_C_CHAR, DT_UI },
  { 0x0010, 0x0020, "SeriesPat",                 64, SQL_C_CHAR, DT_STR },
  { 0x0020, 0x000d, "StudyInstanceUID",          64, SQL_C_CHAR, DT_UI }
}

*Image*
{
  { 0x0008, 0x0018, "SOPInstanceUID",            64, SQL_C_CHAR, DT_UI },
  { 0x0008, 0x0016, "SOPClassUID",               64, SQL_C_CHAR, DT_UI },
  { 0x0020, 0x0013, "ImageNumber",               12, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0023, "ImageDate",                  8, SQL_C_DATE, DT_DATE },
  { 0x0008, 0x0033, "ImageTime",                 16, SQL_C_CHAR, DT_TIME },
  { 0x0018, 0x0086, "EchoNumber",                64, SQL_C_CHAR, DT_MSTR },
  { 0x0028, 0x0008, "NumberOfFrames",            12, SQL_C_CHAR, DT_STR },
  { 0x0008, 0x0022, "AcqDate",                    8, SQL_C_DATE, DT_DATE },
  { 0x0008, 0x0032, "AcqTime",                   16, SQL_C_CHAR, DT_TIME },
  { 0x0018, 0x1250, "ReceivingCoil",             16, SQL_C_CHAR, DT_STR },
  { 0x0020, 0x0012, "AcqNumber",                 12, SQL_C_CHAR, DT_STR },
  { 0x0020, 0x1041, "SliceLocation",             16, SQL_C_CHAR, DT_STR },
  { 0x0028, 0x0002, "SamplesPerPixel",            5, SQL_C_CHAR, DT_UINT16 },
  { 0x0028, 0x0004, "PhotoMetricInterpretation", 16, SQL_C_CHAR, DT_STR },
  { 0x0028, 0x0010, "QRows",                      5, SQL_C_CHAR, DT_UINT16 },
  { 0x0028, 0x0011, "QColumns",                   5, SQL_C_CHAR, DT_UINT16 },
  { 0x0028, 0x0101, "BitsStored",                 5, SQL_C_CHAR, DT_UINT16 },
  { 0x0008, 0x0008, "ImageType",                128, SQL_C_CHAR, DT_MSTR },
  { 0x0054, 0x0400, "ImageID",                   16, SQL_C_CHAR, DT_STR },
  { 0x0010, 0x0020, "ImagePat",                  64, SQL_C_CHAR, DT_STR },
  { 0x0020, 0x000e, "SeriesInstanceUID",         64, SQL_C_CHAR, DT_UI }
}

*WorkList*
{
  { 0x0008, 0x0050, "AccessionNumber",           16, SQL_C_CHAR, DT_STR,  "OBR.3" },
  { 0x0010, 0x0020, "PatientID",                 64, SQL_C_CHAR, DT_STR,  "PID.4" },
  { 0x0010, 0x0010, "PatientName",               64, SQL_C_CHAR, DT_STR,  "PID.5" },
  { 0x0010, 0x0030, "PatientBirthDate",           8, SQL_C_DATE, DT_DATE, "PID.7" },
  { 0x0010, 0x0040, "PatientSex",                16, SQL_C_CHAR, DT_STR,  "PID.8" },
  { 0x0010, 0x2000, "MedicalAlerts",             64, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0010, 0x2110, "ContrastAllergies",         64, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0020, 0x000d, "StudyInstanceUID",          64, SQL_C_CHAR, DT_UI,   "---" },
  { 0x0032, 0x1032, "ReqPhysician",              64, SQL_C_CHAR, DT_STR,  "OBR.16" },
  { 0x0032, 0x1060, "ReqProcDescription",        64, SQL_C_CHAR, DT_STR,  "OBR.4.1" },
  { 0x0040, 0x0100, "--------",                   0, SQL_C_CHAR, DT_STARTSEQUENCE, "---" },
  { 0x0008, 0x0060, "Modality",                  16, SQL_C_CHAR, DT_STR,  "OBR.21" },
  { 0x0032, 0x1070, "ReqContrastAgent",          64, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0040, 0x0001, "ScheduledAE",               16, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0040, 0x0002, "StartDate",                  8, SQL_C_DATE, DT_DATE, "OBR.7.DATE" },
  { 0x0040, 0x0003, "StartTime",                 16, SQL_C_CHAR, DT_TIME, "OBR.7.TIME" },
  { 0x0040, 0x0006, "PerfPhysician",             64, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0040, 0x0007, "SchedPSDescription",        64, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0040, 0x0009, "SchedPSID",                 16, SQL_C_CHAR, DT_STR,  "OBR.4" },
  { 0x0040, 0x0010, "SchedStationName",          16, SQL_C_CHAR, DT_STR,  "OBR.24" },
  { 0x0040, 0x0011, "SchedPSLocation",           16, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0040, 0x0012, "PreMedication",             64, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0040, 0x0400, "SchedPSComments",           64, SQL_C_CHAR, DT_STR,  "---" },
  { 0x0040, 0x0100, "---------",                  0, SQL_C_CHAR, DT_ENDSEQUENCE, "---" },
  { 0x0040, 0x1001, "ReqProcID",                 16, SQL_C_CHAR, DT_STR,  "OBR.4.0" },
  { 0x0040, 0x1003, "ReqProcPriority",           16, SQL_C_CHAR, DT_STR,  "OBR.27" }
}
"""
