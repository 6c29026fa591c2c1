"""ConQuest's database: the dicom.sql tables, storing objects, queries and maintenance (dgate.md §4, §7.2, §10).

:class:`ConquestDatabase` keeps the tables of dgate 1.5.0e -- ``DICOMPatients``, ``DICOMStudies``,
``DICOMSeries``, ``DICOMImages``, ``DICOMWorkList`` with the columns of dicom.sql (names cut to
``TruncateFieldNames``), the extra columns ``AccessTime``, ``qTimeStamp``, ``qFlags``, ``qSpare``,
``ObjectFile`` and ``DeviceName``, and ``UIDMODS`` -- in SQLite or PostgreSQL, through the
connection layer of :mod:`pydcmkit.db` (pool, WAL and busy timeout, retried transactions).  A
database written by dgate can be opened, and dgate can open ours.

Storing (:meth:`ConquestDatabase.add_object`, dgate.md §4.3):

* values as in the object: trailing spaces and NULs removed, leading spaces kept, cut to the
  column width; absent or empty values are not written (an update never blanks a column);
* the study's ``StudyModal`` collects the Modality of every stored series, ``\\``-separated;
* a known SOP instance updates its rows (and its ``ObjectFile``/``DeviceName``);
* ``AccessTime`` is the Unix time of the last write, rounded down to a multiple of 32 (dgate's
  ``CurrentTime``);
* an object whose UIDs link to another patient, study or series than the database says is
  refused (:class:`InconsistentObjectError`); a known sex (M/F) or birth date is not overwritten
  by an empty or 1 January value;
* everything happens in one transaction, so a refused object leaves no row behind.

Queries (dgate.md §4.4, §10) are translated to SQL with **bound parameters only**: no value that
came from the network is ever part of the statement text (ConQuest's doubling of ``'`` becomes
parameter binding).  ``*``/``?`` wildcards match case-sensitively on both engines (``GLOB`` on
SQLite, ``LIKE`` on PostgreSQL -- ConQuest on SQLite inherits ``LIKE``'s case-insensitivity;
``DT_ISTR`` columns are the case-insensitive ones); a value of only ``*`` matches everything,
also rows where the column is NULL; a multi-valued key of a ``DT_MSTR`` column matches any of its
values; UID lists are not cut at ~100 UIDs.

The NULL driver (``SQLServer`` empty) stores nothing and finds nothing, as dgate does.
"""

from __future__ import annotations

import binascii
import logging
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydicom import config as _pydicom_config
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from ..db.base import DatabaseError, SqlBackend
from ..db.matching import IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS, UNABLE_TO_PROCESS, QueryError
from ..db.model import InformationModel, Level
from ..status import ExitCode
from .naming import (dataset_text, device_path, device_root, free_space_mb, read_object,
                     walk_object_files)
from .sql import UIDMODS_COLUMNS, DicomSql, SqlField, SqlTable, load_dicom_sql

if TYPE_CHECKING:
    from .ini import DicomIni
    from .remote import UidGenerator

__all__ = [
    "AddResult", "ConquestDatabase", "ConquestDatabaseError", "InconsistentObjectError",
    "RawQueryRefused", "StoredObject", "UIDMODS", "fix_patient_id",
]

log = logging.getLogger("pydcmkit.conquest.database")

#: The UID remapping table (dgate.md §4.2), not named in dicom.ini.
UIDMODS = "UIDMODS"
QUERY_RETRIEVE_LEVEL = 0x00080052
RETRIEVE_AE_TITLE = 0x00080054
SPECIFIC_CHARACTER_SET = 0x00080005
OBJECT_FILE_KEY = 0x99990800
DEVICE_NAME_KEY = 0x99990801
SORT_KEY, LIMIT_KEY, OFFSET_KEY = 0x99990C00, 0x99990C01, 0x99990C02
#: Computed "Number of ... Related ..." keys per level (with ``EnableComputedFields``), and the
#: level they count.
COMPUTED_KEYS: Mapping[Level, Mapping[int, Level]] = {
    Level.PATIENT: {0x00201200: Level.STUDY, 0x00201202: Level.SERIES, 0x00201204: Level.IMAGE},
    Level.STUDY: {0x00201206: Level.SERIES, 0x00201208: Level.IMAGE},
    Level.SERIES: {0x00201209: Level.IMAGE},
}
_PATIENT_ID, _PATIENT_NAME, _BIRTH_DATE, _SEX = 0x00100020, 0x00100010, 0x00100030, 0x00100040
_MODALITY, _STUDY_MODALITY = 0x00080060, 0x00080061
_STUDY_UID, _SERIES_UID, _SOP_UID = 0x0020000D, 0x0020000E, 0x00080018
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ALIASES = ("p", "st", "se", "im")
#: Tables of which the keys of a query level are taken, in dgate's order of preference
#: (vrtosql.cpp: a key at SERIES level is looked for in the study table first).
_KEY_TABLES = {Level.PATIENT: (Level.PATIENT,), Level.STUDY: (Level.STUDY, Level.PATIENT),
               Level.SERIES: (Level.STUDY, Level.PATIENT, Level.SERIES),
               Level.IMAGE: (Level.STUDY, Level.PATIENT, Level.SERIES, Level.IMAGE)}
_SINGLE_VALUE_VRS = frozenset({"LT", "ST", "UT", "UR", "OB", "OW", "OD", "OF", "OL", "OV", "UN", "SQ"})
_INT_VRS = frozenset({"US", "UL", "SS", "SL", "SV", "UV"})
_FLOAT_VRS = frozenset({"FL", "FD"})


class ConquestDatabaseError(DatabaseError):
    """A ConQuest database operation failed; dgate ends a failed local action with status 1."""

    exit_code = ExitCode.COMMANDLINE_SYNTAX_ERROR


class InconsistentObjectError(ConquestDatabaseError):
    """An object refused because its UIDs contradict the database (dgate.md §4.3).

    ``table`` and ``column`` name the link that differs, ``old`` is what the database holds,
    ``new`` what the object says.  The C-STORE fails (``StorageFailedErrorCode``).
    """

    def __init__(self, message: str, *, table: str, column: str, old: str, new: str):
        super().__init__(message)
        self.table, self.column, self.old, self.new = table, column, old, new


class RawQueryRefused(ConquestDatabaseError):
    """A ``query:``/``query2:`` request that names an unknown table or column, or a WHERE clause
    from a caller that may not modify the server."""


@dataclass(frozen=True)
class AddResult:
    """What :meth:`ConquestDatabase.add_object` created: true when the image row is new."""

    image_added: bool
    series_added: bool = False
    study_added: bool = False
    patient_added: bool = False
    #: the file the image row named before, when this object replaced it by another file (the
    #: caller removes that file: a rename, or two associations storing the same instance at once)
    replaced: StoredObject | None = None

    def __bool__(self) -> bool:
        return self.image_added


@dataclass(frozen=True)
class StoredObject:
    """One stored object as C-MOVE/C-GET, deletes and listers need it.

    ``object_file`` is relative to the root of ``device`` (``MAG0`` ...); ``path`` is the full
    path when the device is known to dicom.ini, else ``None``.
    """

    device: str
    object_file: str
    sop_instance_uid: str
    sop_class_uid: str = ""
    patient_id: str = ""
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    path: str | None = None


# ------------------------------------------------------------------------------------------------
# Schema
# ------------------------------------------------------------------------------------------------


def _identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ConquestDatabaseError(f"dicom.sql: {what} {name!r} is not a plain SQL identifier")
    return name


class _Table:
    """One table of dicom.sql with validated names and the roles of its columns."""

    def __init__(self, table: SqlTable, level: Level | None, alias: str):
        self.sql = table
        self.level = level
        self.alias = alias
        self.name = _identifier(table.name, "table name")
        self.fields = tuple(f for f in table.columns)
        for f in self.fields:
            _identifier(f.column, "column")
        names = [f.column.lower() for f in self.fields]
        if len(set(names)) != len(names):
            raise ConquestDatabaseError(f"dicom.sql: table {self.name} has a column name twice "
                                        f"(after truncation to TruncateFieldNames)")
        self.pk = table.primary_key
        self.link = table.parent_link
        self.extra = tuple(name for name, _ in table.sql_columns()[len(self.fields):])
        #: the columns holding the patient ID besides the key (SeriesPat, ImagePat, the link)
        self.patient_columns = tuple(f for f in self.fields if f.tag == _PATIENT_ID)
        #: what :meth:`ConquestDatabase._values` reads per column: (field, tag, column, date?, width)
        self.value_plan = tuple((f, f.tag, f.column, f.sql_type == "SQL_C_DATE",
                                 8 if f.sql_type == "SQL_C_DATE" else f.length)
                                for f in self.fields
                                if not (f.tag == _STUDY_MODALITY and level is Level.STUDY))

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.fields) + self.extra

    def ddl(self) -> str:
        parts = []
        for name, sql_type in self.sql.sql_columns():
            field = self.sql.column(name) if name not in self.extra else None
            if field is not None:
                sql_type = "char(8)" if field.sql_type == "SQL_C_DATE" else f"varchar({max(field.length, 1)})"
            key = " PRIMARY KEY" if self.pk is not None and field is self.pk else ""
            parts.append(f"{name} {sql_type}{key}")
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({', '.join(parts)})"

    def has_column(self, name: str) -> bool:
        return name.lower() in (c.lower() for c in self.column_names)

    def canonical_column(self, name: str) -> str | None:
        for c in self.column_names:
            if c.lower() == name.lower():
                return c
        return None


def _truncate(field: SqlField, value: str, where: str) -> str:
    width = 8 if field.sql_type == "SQL_C_DATE" else field.length
    if width > 0 and len(value) > width:
        log.warning("***Truncated %s from %d to %d chars in file: %s", field.column, len(value), width, where)
        return value[:width]
    return value


def fix_patient_id(patient_id: str | None, *, allow_empty: bool = False, fix_philips: bool = False,
                   fix_kodak: bool = False) -> str:
    """The patient ID dgate files an object under (dgate.md §2.2).

    Without ``AllowEmptyPatientID`` a missing or empty ID is ``00000000``; ``FixPhilips`` strips 2-3
    leading zeros of a 10-digit numeric ID above ``0001000000`` starting with two zeros;
    ``FixKodak`` strips the leading zero of an 8-digit numeric ID above ``01000000``.
    """
    pid = (patient_id or "").rstrip(" \x00")
    if not pid:
        return "" if allow_empty else "00000000"
    if fix_philips and len(pid) == 10 and pid.isdigit() and pid.startswith("00") and int(pid) > 1000000:
        return pid[3:] if pid[2] == "0" else pid[2:]
    if fix_kodak and len(pid) == 8 and pid.isdigit() and pid.startswith("0") and int(pid) > 1000000:
        return pid[1:]
    return pid


def _access_time(now: float) -> int:
    """dgate's ``CurrentTime()``: Unix time with the low 5 bits cleared."""
    return int(now) & ~31


def _out(value) -> str:
    """A value read from the database: NULL is empty, char(n) padding is removed."""
    if value is None:
        return ""
    return str(value).rstrip(" ")


# ------------------------------------------------------------------------------------------------
# Query translation (dgate.md §4.4)
# ------------------------------------------------------------------------------------------------


def _query_value(text: str | None) -> str:
    """dgate's clean-up of a key value: trailing spaces and NULs gone, ``**`` and `` *`` are ``*``."""
    value = (text or "").replace("\x00", "").rstrip(" ")
    if value in ("**", " *"):
        value = "*"
    return value


class _Sql:
    """Dialect-specific SQL snippets of this module."""

    def __init__(self, dialect):
        self.d = dialect
        self.sqlite = dialect.name == "sqlite"
        self.match_op = "GLOB" if self.sqlite else "LIKE"

    def pattern(self, value: str) -> str:
        return self.d.pattern(value)

    def literal(self, value: str) -> str:
        """``value`` as a pattern that matches itself only (no wildcard of its own)."""
        if self.sqlite:
            return value.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
        return "".join("\\" + ch if ch in "%_\\" else ch for ch in value)

    @property
    def any(self) -> str:
        return "*" if self.sqlite else "%"

    def numeric(self, expr: str) -> str:
        """Sort expression ordering numbers held as text by value (``(col+0)`` in dgate)."""
        if self.sqlite:
            return f"({expr}+0)"
        return (f"(CASE WHEN {expr} ~ '^ *-{{0,1}}[0-9]+([.][0-9]*){{0,1}} *$' "
                f"THEN CAST({expr} AS double precision) END)")


def _condition(sql: _Sql, field: SqlField, expr: str, value: str) -> tuple[str, list] | None:
    """The SQL condition of one key (``None``: universal match), with its parameters."""
    if not value or not value.strip("*"):
        return None
    match = field.match_type
    wild = "*" in value or "?" in value
    if match == "DT_DATE" and "-" in value:
        low, _, high = value.partition("-")
        conds, params = [], []
        if low:
            conds.append(f"{expr} >= ?")
            params.append(low)
        if high:
            conds.append(f"{expr} <= ?")
            params.append(high)
        if not conds:
            return None
        return " AND ".join(conds), params
    if match == "DT_UI" and "\\" in value:
        uids = [u for u in value.split("\\") if u]
        if not uids:
            return "1 = 0", []  # a list of empty UIDs matches nothing
        return f"{expr} IN ({', '.join('?' * len(uids))})", uids
    if match == "DT_MSTR" and not wild:
        conds, params = [], []
        for v in value.split("\\"):
            if not v:
                continue
            lit, sep, anything = sql.literal(v), sql.literal("\\"), sql.any
            conds.append(f"{expr} = ? OR {expr} {sql.match_op} ? OR {expr} {sql.match_op} ? "
                         f"OR {expr} {sql.match_op} ?")
            params += [v, f"{lit}{sep}{anything}", f"{anything}{sep}{lit}{sep}{anything}",
                       f"{anything}{sep}{lit}"]
        if not conds:
            return "1 = 0", []
        return "(" + " OR ".join(conds) + ")", params
    if match == "DT_ISTR":
        if wild:
            return f"UPPER({expr}) {sql.match_op} UPPER(?)", [sql.pattern(value)]
        return f"UPPER({expr}) = UPPER(?)", [value]
    if wild:
        return f"{expr} {sql.match_op} ?", [sql.pattern(value)]
    return f"{expr} = ?", [value]


@dataclass
class _Key:
    """One key of a query: where its value lives and how it is matched and returned."""

    tag: int
    vr: str
    value: str
    table: _Table | None = None
    field: SqlField | None = None
    computed: Level | None = None

    @property
    def expr(self) -> str:
        return f"{self.table.alias}.{self.field.column}"


class _Plan:
    """A C-FIND at one level translated to SQL."""

    def __init__(self, level: Level, request_level: str):
        self.level = level
        self.request_level = request_level
        self.keys: list[_Key] = []        # returned keys in identifier order (computed ones too)
        self.columns: list[_Key] = []     # the keys with a column, in SELECT order
        self.sql = ""
        self.params: list = []
        self.send_ae = False
        self.send_object_file = False


# ------------------------------------------------------------------------------------------------
# The database
# ------------------------------------------------------------------------------------------------


class ConquestDatabase:
    """dgate's database on SQLite or PostgreSQL (module docstring).

    Open one with :meth:`open` (from dicom.ini) or build it on a backend of :mod:`pydcmkit.db`
    (``backend=None`` is dgate's NULL driver).  Thread-safe; a context manager.

    Parameters
    ----------
    backend : SqlBackend or None
        The connection layer (:class:`~pydcmkit.db.sqlite.SQLiteBackend`,
        :class:`~pydcmkit.db.postgres.PostgresBackend`); ``None``: store nothing, find nothing.
    schema : DicomSql
        The tables (dicom.sql, or its default).
    ini : DicomIni, optional
        Supplies ``AllowEmptyPatientID``, ``FixPhilips``/``FixKodak``, ``EnableComputedFields``,
        ``QueriesReturnISO_IR``, ``WorkListReturnsISO_IR``, the query sort orders, ``LRUSort``,
        ``MyACRNema``, ``UIDPrefix`` and the device roots.
    create : bool
        Create missing tables and indexes now.
    clock : callable
        Unix time for ``AccessTime`` and UIDMODS.
    uids : UidGenerator, optional
        Makes new UIDs for ``changeuid`` (default: one with ``UIDPrefix``).
    """

    def __init__(self, backend: SqlBackend | None, schema: DicomSql, *, ini: DicomIni | None = None,
                 create: bool = True, clock: Callable[[], float] = time.time,
                 uids: UidGenerator | None = None):
        self.backend = backend
        self.schema = schema
        self.ini = ini
        self.clock = clock
        self._uids = uids
        self.tables = {lv: _Table(t, lv, _ALIASES[lv]) for lv, t in
                       zip(Level, (schema.patient, schema.study, schema.series, schema.image))}
        self.worklist = _Table(schema.worklist, None, "wl")
        for lv in (Level.PATIENT, Level.STUDY, Level.SERIES, Level.IMAGE):
            if self.tables[lv].pk is None:
                raise ConquestDatabaseError(f"dicom.sql: the {lv.name.lower()} level has no entries")
        if backend is not None:
            self._sql = _Sql(backend.dialect)
            if create:
                backend.run_write(lambda conn: self._create_missing(conn, indexes=True))

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    def open(cls, ini: DicomIni, *, dicom_sql: DicomSql | None = None, url: str | None = None,
             create: bool = True, timeout: float = 60.0, clock: Callable[[], float] = time.time,
             uids: UidGenerator | None = None, **options) -> ConquestDatabase:
        """The database dicom.ini names (dgate.md §2.2).

        * ``SQLServer`` empty: the NULL driver (nothing stored, nothing found);
        * ``SqLite = 1``: the SQLite file ``SQLServer`` (relative to the current directory);
          ``SQLiteStartup`` runs on each connection when dicom.ini sets it (its code default,
          ``PRAGMA synchronous = OFF``, is not applied: pydcmkit keeps ``NORMAL`` so that a crash
          cannot corrupt the file);
        * ``PostGres = 1``: PostgreSQL, database ``SQLServer`` on ``SQLHost`` (``host`` or
          ``host:port``) as ``Username``/``Password``; ``SQLServer`` may also be a
          ``postgresql://`` URL;
        * ``url`` overrides all of it (``postgresql://...``, ``sqlite:///path`` or a path).

        MySQL, ODBC and the built-in dBase driver are not available: a clear error.  ``dicom_sql``
        replaces dicom.sql (``kFactorFile``, or the default schema); other ``options`` go to the
        backend (``connect_timeout``, ``schema`` of PostgreSQL).

        Raises
        ------
        ConquestDatabaseError
            An unsupported driver or a schema that cannot be used.
        DatabaseError
            The database cannot be opened.
        """
        schema = dicom_sql if dicom_sql is not None else load_dicom_sql(ini=ini)
        from ..db.postgres import PostgresBackend
        from ..db.sqlite import SQLiteBackend

        if url is not None:
            if url.startswith(("postgresql://", "postgres://")):
                backend = PostgresBackend(url, **options)
            else:
                path = url[len("sqlite://"):] if url.startswith("sqlite://") else url
                backend = SQLiteBackend(path, timeout=timeout, **options)
            return cls(backend, schema, ini=ini, create=create, clock=clock, uids=uids)
        settings = ini.database
        if settings.kind == "null":
            return cls(None, schema, ini=ini, create=False, clock=clock, uids=uids)
        if settings.kind == "sqlite":
            startup = (settings.sqlite_startup,) if ini.has("SQLiteStartup") and settings.sqlite_startup else ()
            backend = SQLiteBackend(settings.server, timeout=timeout, startup=startup)
        elif settings.kind == "postgres":
            backend = PostgresBackend(_postgres_conninfo(settings), **options)
        else:
            names = {"mysql": "MySQL", "odbc": "ODBC", "dbase": "built-in dBase III"}
            raise ConquestDatabaseError(
                f"{ini.path}: SQLServer = {settings.server!r} needs the {names.get(settings.kind, settings.kind)} "
                f"driver, which pydcmkit does not have; use SqLite = 1 or PostGres = 1")
        return cls(backend, schema, ini=ini, create=create, clock=clock, uids=uids)

    @property
    def is_null(self) -> bool:
        """Whether this is dgate's NULL driver (no database configured)."""
        return self.backend is None

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- helpers --------------------------------------------------------------------------------

    def _q(self, sql: str) -> str:
        return self.backend.dialect.sql(sql)

    def _exec(self, conn, sql: str, params: Sequence = ()):
        return conn.execute(self._q(sql), tuple(params))

    def _read(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self.backend.read(sql, params)

    @property
    def _all_tables(self) -> tuple[_Table, ...]:
        return tuple(self.tables[lv] for lv in Level) + (self.worklist,)

    def _table_exists(self, conn, name: str) -> bool:
        if self._sql.sqlite:
            row = self._exec(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(?)",
                             (name,)).fetchone()
        else:
            row = self._exec(conn, "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
                                   "AND table_name = lower(?)", (name,)).fetchone()
        return row is not None

    def _uidmods_ddl(self) -> str:
        return f"CREATE TABLE IF NOT EXISTS {UIDMODS} ({', '.join(f'{n} {t}' for n, t in UIDMODS_COLUMNS)})"

    def _index_statements(self) -> list[str]:
        """dgate's indexes of ``-i`` mode 0 (dgate.md §4.2), for the columns of this schema."""
        st, se, im = self.tables[Level.STUDY], self.tables[Level.SERIES], self.tables[Level.IMAGE]
        out = []

        def add(name: str, table: _Table, *columns: SqlField | None) -> None:
            if all(c is not None for c in columns):
                out.append(f"CREATE INDEX IF NOT EXISTS {name} ON {table.name} "
                           f"({', '.join(c.column for c in columns)})")

        sex = st.sql.field_for(0x0010, 0x0040)
        add("study_lnk", st, st.link)
        add("idx_patientid", st, sex)  # dgate indexes PatientSex under this name (harmless bug)
        add("idx_patientid_studyinsta", st, st.link, st.pk)
        add("series_lnk", se, se.link)
        add("series_pat", se, se.patient_columns[0] if se.patient_columns else None)
        add("idx_studyinsta_seriesinst", se, se.link, se.pk)
        add("images_lnk", im, im.link)
        add("images_pat", im, im.patient_columns[0] if im.patient_columns else None)
        add("idx_seriesinst_sopinstanc", im, im.link, im.pk)
        out += [f"CREATE INDEX IF NOT EXISTS mods_old ON {UIDMODS} (OldUID)",
                f"CREATE INDEX IF NOT EXISTS mods_stage ON {UIDMODS} (Stage)",
                f"CREATE INDEX IF NOT EXISTS mods_joint ON {UIDMODS} (OldUID, Stage)",
                f"CREATE INDEX IF NOT EXISTS mods_back ON {UIDMODS} (NewUID, Stage)"]
        return out

    def _create_missing(self, conn, *, indexes: bool) -> None:
        for table in self._all_tables:
            conn.execute(table.ddl())
        conn.execute(self._uidmods_ddl())
        if indexes:
            for statement in self._index_statements():
                conn.execute(statement)

    # -- -i: (re)create the tables --------------------------------------------------------------

    def initialize_tables(self, mode: int = 0) -> None:
        """``-i[N]`` / ``initializetables:`` (dgate.md §1.4): re-create the tables, empty.

        Mode 0 re-creates the patient, study, series and image tables with dgate's indexes, mode
        1 without indexes; the worklist is kept when it holds rows, otherwise re-created too.
        Mode 2 re-creates the worklist only (rows or not).  UIDMODS is created when missing and
        otherwise kept, so UIDs changed before map the same way after a re-initialisation.
        """
        if self.backend is None:
            return
        if mode not in (0, 1, 2):
            raise ConquestDatabaseError(f"initialize tables: unknown mode {mode} (0, 1 or 2)")

        def work(conn):
            wl = self.worklist
            keep = False
            if mode != 2 and self._table_exists(conn, wl.name):
                keep = self._exec(conn, f"SELECT 1 FROM {wl.name} LIMIT 1").fetchone() is not None
            if not keep:
                conn.execute(f"DROP TABLE IF EXISTS {wl.name}")
                conn.execute(wl.ddl())
            if mode != 2:
                for lv in reversed(Level):
                    conn.execute(f"DROP TABLE IF EXISTS {self.tables[lv].name}")
                for lv in Level:
                    conn.execute(self.tables[lv].ddl())
                conn.execute(self._uidmods_ddl())
                if mode == 0:
                    for statement in self._index_statements():
                        conn.execute(statement)

        self.backend.run_write(work)

    # -- storing --------------------------------------------------------------------------------

    def _setting(self, name: str, default=False):
        return getattr(self.ini, name) if self.ini is not None else default

    def patient_id_of(self, ds: Dataset) -> str:
        """The patient ID an object is filed under (:func:`fix_patient_id` with dicom.ini's switches)."""
        return fix_patient_id(dataset_text(ds, _PATIENT_ID),
                              allow_empty=self._setting("allow_empty_patient_id"),
                              fix_philips=self._setting("fix_philips"), fix_kodak=self._setting("fix_kodak"))

    def _values(self, table: _Table, ds: Dataset, patient_id: str, where: str) -> dict[str, str]:
        values = {}
        for f, tag, column, is_date, width in table.value_plan:  # (StudyModal: the series' Modality, below)
            if tag == _PATIENT_ID:
                text = patient_id
            else:
                text = dataset_text(ds, tag) or ""
                if is_date:
                    text = text.replace(".", "").replace("/", "")
            if text:
                values[column] = _truncate(f, text, where) if 0 < width < len(text) else text
        return values

    def add_object(self, ds: Dataset, device: str, object_file: str) -> AddResult:
        """Enter an object in the database (dgate.md §4.3; module docstring).

        Parameters
        ----------
        ds : Dataset
            The object (values are read as stored: :func:`~pydcmkit.conquest.naming.dataset_text`).
        device : str
            ``MAG0`` ...
        object_file : str
            Its path relative to the device root, ``/``-separated.

        Returns
        -------
        AddResult
            Which rows are new (false everywhere with the NULL driver).

        Raises
        ------
        InconsistentObjectError
            The study belongs to another patient, the series to another study or patient, or the
            image to another series or patient; nothing is written.
        ConquestDatabaseError
            The object has no SOP Instance, Series Instance or Study Instance UID.
        """
        if self.backend is None:
            return AddResult(False)
        for tag, name in ((_SOP_UID, "SOP Instance UID"), (_SERIES_UID, "Series Instance UID"),
                          (_STUDY_UID, "Study Instance UID")):
            if not dataset_text(ds, tag):
                raise ConquestDatabaseError(f"{object_file}: object without {name}: not entered in the database")
        patient_id = self.patient_id_of(ds)
        modality = dataset_text(ds, _MODALITY) or ""
        now = _access_time(self.clock())
        tables = self.tables
        rows = {lv: self._values(tables[lv], ds, patient_id, object_file) for lv in Level}
        extra_image = {"ObjectFile": object_file, "DeviceName": device}

        def work(conn):
            pid = patient_id
            if not pid:  # AllowEmptyPatientID: take the patient of the study when there is one
                st = tables[Level.STUDY]
                row = self._exec(conn, f"SELECT {st.link.column} FROM {st.name} WHERE {st.pk.column} = ?",
                                 (rows[Level.STUDY][st.pk.column],)).fetchone()
                if row is not None and _out(row[0]):
                    pid = _out(row[0])
                    for lv in Level:
                        for f in tables[lv].patient_columns:
                            rows[lv][f.column] = pid
            added = dict.fromkeys(Level, False)
            before: dict[str, str] = {}
            for lv in Level:  # copies: a retried transaction starts from the object's values again
                if lv is Level.PATIENT and not pid:
                    continue
                added[lv] = self._upsert(conn, tables[lv], dict(rows[lv]), now,
                                         extra_image if lv is Level.IMAGE else {}, pid,
                                         modality=modality if lv is Level.STUDY else None,
                                         previous=before if lv is Level.IMAGE else None)
            replaced = None
            old_device, old_file = before.get("DeviceName", ""), before.get("ObjectFile", "")
            if old_file and (old_device, old_file) != (device, object_file):
                replaced = self._stored_object(old_device, old_file, dataset_text(ds, _SOP_UID) or "")
            return AddResult(added[Level.IMAGE], added[Level.SERIES], added[Level.STUDY], added[Level.PATIENT],
                             replaced)

        return self.backend.run_write(work)

    def _upsert(self, conn, table: _Table, values: dict[str, str], now: int, extra: dict[str, str],
                patient_id: str, *, modality: str | None = None, previous: dict | None = None) -> bool:
        """Insert or update one row; True when inserted.  ``previous`` receives the ``extra``
        columns (ObjectFile, DeviceName) of an existing row."""
        pk = table.pk.column
        key = values.get(pk, "")
        columns = [f.column for f in table.fields]
        row = self._exec(conn, f"SELECT {', '.join(columns)}, AccessTime{''.join(', ' + c for c in extra)} "
                               f"FROM {table.name} WHERE {pk} = ?", (key,)).fetchone()
        modal = table.sql.field_for(0x0008, 0x0061) if modality is not None else None
        if row is None:
            if modal is not None and modality:
                values[modal.column] = _truncate(modal, modality, key)
            cols = list(values) + ["AccessTime"] + list(extra)
            params = list(values.values()) + [now] + list(extra.values())
            self._exec(conn, f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                       params)
            return True
        stored = {c: _out(v) for c, v in zip(columns, row)}
        stored_time = row[len(columns)]
        stored_extra = {c: _out(v) for c, v in zip(extra, row[len(columns) + 1:])}
        if previous is not None:
            previous.update(stored_extra)
        where = f"{pk} = '{key}'"
        # links: a study of another patient, a series of another study, an image of another series
        checks = []
        if table.link is not None:
            checks.append(table.link)
        checks += [f for f in table.patient_columns if f is not table.link and f is not table.pk]
        for f in checks:
            old, new = stored.get(f.column, ""), values.get(f.column, "")
            if old and new and old != new:
                message = (f"Refused to enter inconsistent link {f.column} into {table.name}: PatientID = "
                           f"'{patient_id}' {where}, Old='{old}', Refused='{new}'")
                log.error("***%s", message)
                raise InconsistentObjectError(message, table=table.name, column=f.column, old=old, new=new)
        for f in table.fields:
            old, new = stored.get(f.column, ""), values.get(f.column)
            if not old or new is None or old == new:
                continue
            if f.tag == _SEX and new[:1] not in ("M", "m", "F", "f"):
                del values[f.column]  # a known sex is not overwritten by O, U ...
            elif f.tag == _BIRTH_DATE and new[4:8] == "0101" and old[4:8] != "0101":
                del values[f.column]  # nor a birth date by 1 January
            elif table.level is Level.PATIENT or f.tag in (_PATIENT_NAME, _BIRTH_DATE, _SEX):
                log.info("Inconsistent %s in %s: PatientID = '%s' %s, Old='%s', New='%s'",
                         f.column, table.name, patient_id, where, old, new)
        if modal is not None and modality:
            current = stored.get(modal.column, "")
            if modality not in current.split("\\"):
                current = f"{current}\\{modality}" if current else modality
            values[modal.column] = _truncate(modal, current, key)
        if (stored_time == now and all(stored.get(c, "") == v for c, v in values.items())
                and all(stored_extra.get(c, "") == v for c, v in extra.items())):
            return False  # nothing to change (a burst of images of one series within a second)
        sets = list(values) + ["AccessTime"] + list(extra)
        params = list(values.values()) + [now] + list(extra.values()) + [key]
        self._exec(conn, f"UPDATE {table.name} SET {', '.join(c + ' = ?' for c in sets)} WHERE {pk} = ?", params)
        return False

    # -- looking objects up ---------------------------------------------------------------------

    def _stored_object(self, device, object_file, sop, sop_class="", patient="", study="", series="") -> StoredObject:
        device, object_file = _out(device), _out(object_file)
        path = None
        if self.ini is not None and device and object_file:
            try:
                path = str(device_path(self.ini, device, object_file))
            except (KeyError, ValueError):
                path = None
        return StoredObject(device, object_file, _out(sop), _out(sop_class), _out(patient), _out(study),
                            _out(series), path)

    def _image_columns(self) -> str:
        """The columns of a :class:`StoredObject` row (:meth:`_stored_object`), image and series
        tables aliased as in :meth:`_joins`."""
        im, se = self.tables[Level.IMAGE], self.tables[Level.SERIES]
        sop_class = im.sql.field_for(0x0008, 0x0016)
        im_pat = im.patient_columns[0].column if im.patient_columns else None
        cols = [f"{im.alias}.DeviceName", f"{im.alias}.ObjectFile", f"{im.alias}.{im.pk.column}",
                f"{im.alias}.{sop_class.column}" if sop_class else "''",
                f"{im.alias}.{im_pat}" if im_pat else "''",
                f"{se.alias}.{se.link.column}", f"{im.alias}.{im.link.column}"]
        return ", ".join(cols)

    def _image_select(self) -> tuple[str, str]:
        """(columns, FROM with the series join) reading :class:`StoredObject` rows."""
        im, se = self.tables[Level.IMAGE], self.tables[Level.SERIES]
        frm = (f"FROM {im.name} {im.alias} LEFT JOIN {se.name} {se.alias} "
               f"ON {se.alias}.{se.pk.column} = {im.alias}.{im.link.column}")
        return self._image_columns(), frm

    def _objects(self, where: str, params: Sequence, order: bool = True) -> list[StoredObject]:
        cols, frm = self._image_select()
        im, se = self.tables[Level.IMAGE], self.tables[Level.SERIES]
        sql = f"SELECT {cols} {frm}" + (f" WHERE {where}" if where else "")
        if order:
            sql += f" ORDER BY {se.alias}.{se.link.column}, {im.alias}.{im.link.column}, {im.alias}.{im.pk.column}"
        return [self._stored_object(*r) for r in self._read(sql, params)]

    def lookup_object(self, sop_instance_uid: str, patient_id: str | None = None) -> StoredObject | None:
        """Where an object is stored (dgate's ``GetFileName``): ``None`` when unknown or virtual
        (no file name).  A re-sent object is written to the same device and name (§4.3)."""
        if self.backend is None or not sop_instance_uid:
            return None
        im = self.tables[Level.IMAGE]
        where, params = f"{im.alias}.{im.pk.column} = ?", [sop_instance_uid]
        if patient_id and im.patient_columns:
            where += f" AND {im.alias}.{im.patient_columns[0].column} = ?"
            params.append(patient_id)
        found = self._objects(where, params, order=False)
        for obj in found:
            if obj.device and obj.object_file:
                return obj
        return None

    # -- C-FIND ---------------------------------------------------------------------------------

    @staticmethod
    def _level_of(level, identifier: Dataset | None) -> tuple[Level, str]:
        if level is None:
            text = _query_value(dataset_text(identifier, QUERY_RETRIEVE_LEVEL) if identifier is not None else "")
            if not text:
                raise QueryError(IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS, "missing Query/Retrieve Level")
        elif isinstance(level, Level):
            return level, level.name
        else:
            text = str(level)
        upper = text.strip().upper()
        for lv in Level:
            if upper == lv.name:
                return lv, lv.name
        raise QueryError(UNABLE_TO_PROCESS, f"illegal Query/Retrieve Level: {text!r}")

    def _map_key(self, level: Level, tag: int, worklist: bool = False) -> tuple[_Table, SqlField] | None:
        group, element = tag >> 16, tag & 0xFFFF
        candidates = (self.worklist,) if worklist else tuple(self.tables[lv] for lv in _KEY_TABLES[level])
        for table in candidates:
            field = table.sql.field_for(group, element)
            if field is not None:
                return table, field
        return None

    def _joins(self, base: Level, top: Level) -> str:
        """FROM clause: the base level's table joined upward to ``top`` (child link = parent key)."""
        t = self.tables[base]
        out = f"FROM {t.name} {t.alias}"
        lv = base
        while lv > top:
            child, parent = self.tables[lv], self.tables[Level(lv - 1)]
            out += (f" JOIN {parent.name} {parent.alias} ON {child.alias}.{child.link.column} = "
                    f"{parent.alias}.{parent.pk.column}")
            lv = Level(lv - 1)
        return out

    def _sort_terms(self, text: str, tables: Sequence[_Table]) -> list[tuple[str, bool]]:
        """``<Level>QuerySortOrder`` / (9999,0C00) checked: known columns only, ``ASC``/``DESC``."""
        terms = []
        for part in text.split(","):
            words = part.split()
            if not words:
                continue
            name, desc = words[0], len(words) > 1 and words[1].upper() == "DESC"
            if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
                raise ValueError(part)
            table_name, _, column = name.rpartition(".")
            numeric = "number" in column.lower()
            found = None
            for t in tables:
                if table_name and table_name.lower() not in (t.name.lower(), t.alias):
                    continue
                canonical = t.canonical_column(column) or t.canonical_column(column[:10])
                if canonical:
                    found = f"{t.alias}.{canonical}"
                    break
            if found is None:
                raise ValueError(part)
            terms.append((self._sql.numeric(found) if numeric else found, desc))
        return terms

    def _plan_find(self, level: Level, request_level: str, identifier: Dataset) -> _Plan:
        plan = _Plan(level, request_level)
        computed = COMPUTED_KEYS.get(level, {}) if self._setting("enable_computed_fields") else {}
        sort_text, limit, offset = "", None, None
        for elem in identifier:
            tag = int(elem.tag)
            if tag & 0xFFFF == 0 or tag >> 16 == 0x0002 or tag in (QUERY_RETRIEVE_LEVEL, SPECIFIC_CHARACTER_SET):
                continue
            if tag == RETRIEVE_AE_TITLE:
                plan.send_ae = True
                continue
            if tag in (OBJECT_FILE_KEY, DEVICE_NAME_KEY):
                plan.send_object_file = level is Level.IMAGE
                continue
            if tag == SORT_KEY:
                sort_text = dataset_text(identifier, tag) or ""
                continue
            if tag == LIMIT_KEY:
                limit = _count_value(dataset_text(identifier, tag))
                continue
            if tag == OFFSET_KEY:
                offset = _count_value(dataset_text(identifier, tag))
                continue
            if tag >> 16 == 0x9999 or elem.VR == "SQ":
                continue
            if tag in computed:
                plan.keys.append(_Key(tag, "IS", "", computed=computed[tag]))
                continue
            mapped = self._map_key(level, tag)
            if mapped is None:
                continue  # no column: left out of the answer (dgate.md §10)
            vr = elem.VR if elem.VR not in (None, "UN") and " or " not in str(elem.VR) else _dictionary_vr(tag)
            key = _Key(tag, vr, _query_value(dataset_text(identifier, tag)), mapped[0], mapped[1])
            plan.keys.append(key)
            plan.columns.append(key)
        top = level
        for key in plan.columns:
            top = min(top, key.table.level)
        used = [self.tables[lv] for lv in Level if top <= lv <= level]
        conds, params = [], []
        for key in plan.columns:
            cond = _condition(self._sql, key.field, key.expr, key.value)
            if cond is not None:
                conds.append(cond[0])
                params += cond[1]
        select = [key.expr for key in plan.columns]
        if plan.send_object_file:
            im = self.tables[Level.IMAGE]
            select += [f"{im.alias}.ObjectFile", f"{im.alias}.DeviceName"]
        order: list[tuple[str, bool]] = []
        try:
            if sort_text:
                order = self._sort_terms(sort_text, used)
            elif self.ini is not None and self.ini.query_sort_order(level.name.capitalize()):
                order = self._sort_terms(self.ini.query_sort_order(level.name.capitalize()), used)
        except ValueError as exc:
            log.warning("query sort order %r ignored: %s is not a column of the queried tables", sort_text or
                        self.ini.query_sort_order(level.name.capitalize()), exc)
            order = []
        if not order and level in (Level.PATIENT, Level.STUDY):
            name = next((k for k in plan.columns if k.tag == _PATIENT_NAME), None)
            if name is not None:
                order = [(name.expr, False)]
        if not select:  # no key with a column: one answer per entity, with the level only
            select = [f"{self.tables[level].alias}.{self.tables[level].pk.column}"]
        sort_aliases = []
        for n, (expr, desc) in enumerate(order):
            select.append(f"{expr} AS q_sort{n}")
            sort_aliases.append(f"q_sort{n}" + (" DESC" if desc else ""))
        sql = f"SELECT DISTINCT {', '.join(select)} {self._joins(level, top)}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        if sort_aliases:
            sql += " ORDER BY " + ", ".join(sort_aliases)
        if limit is not None or offset is not None:
            sql += " LIMIT ?" + (" OFFSET ?" if offset is not None else "")
            params.append(limit if limit is not None else -1 if self._sql.sqlite else None)
            if offset is not None:
                params.append(offset)
        plan.sql, plan.params = sql, params
        return plan

    def find(self, level: Level | str | None, identifier: Dataset, model: InformationModel | None = None, *,
             retrieve_ae_title: str | None = None) -> Iterator[Dataset]:
        """C-FIND on the database (dgate.md §4.4, §10): check now, then a generator of answers.

        Parameters
        ----------
        level : Level, str or None
            ``PATIENT``, ``STUDY``, ``SERIES`` or ``IMAGE``; ``None`` takes the identifier's
            Query/Retrieve Level.
        identifier : Dataset
            The request.  Keys are the dicom.sql columns of the level and of the levels above it
            (a SERIES key is looked for in the study table first, then patient, then series, as
            dgate does); other attributes are ignored and left out of the answers.  (9999,0800)/
            (0801) return ObjectFile/DeviceName at IMAGE level, (9999,0C00) sorts on a column,
            (9999,0C01)/(0C02) limit and offset.
        model : InformationModel, optional
            Refuse a level outside the model (0xC000).
        retrieve_ae_title : str, optional
            (0008,0054) of the answers when requested (default ``MyACRNema``).

        Returns
        -------
        iterator of Dataset
            One answer per distinct row: the requested keys that have a column (empty ones
            empty), ``QueryRetrieveLevel``, the computed "Number of ... Related ..." keys with
            ``EnableComputedFields``, (0008,0005) ``ISO_IR N`` with ``QueriesReturnISO_IR``.
            Rows are fetched as the caller consumes them; close the generator to stop (C-CANCEL).

        Raises
        ------
        QueryError
            0xA900 without a level, 0xC000 for an unknown level or one outside ``model``.
        """
        lv, text = self._level_of(level, identifier)
        if model is not None and lv not in model.levels:
            raise QueryError(UNABLE_TO_PROCESS, f"level {lv.name} is not part of the {model.title} information model")
        if self.backend is None:
            return iter(())
        plan = self._plan_find(lv, text, identifier)
        ae = retrieve_ae_title if retrieve_ae_title is not None else (self.ini.ae_title if self.ini else "")
        return self._answers(plan, ae)

    def _answers(self, plan: _Plan, ae: str) -> Iterator[Dataset]:
        charset = self._setting("queries_return_iso_ir", 0)
        for row in self.backend.stream(plan.sql, plan.params):
            values = {}
            answer = Dataset()
            pos = 0
            for key in plan.columns:
                values[key.tag] = (key, _out(row[pos]))
                pos += 1
            for key in plan.keys:
                if key.computed is not None:
                    count = self._count_related(plan.level, key.computed, [v for v in values.values()])
                    _put(answer, key.tag, "IS", str(count))
                else:
                    _put(answer, key.tag, key.vr, values[key.tag][1])
            if plan.send_object_file:
                _put(answer, OBJECT_FILE_KEY, "LT", _out(row[pos]))
                _put(answer, DEVICE_NAME_KEY, "LT", _out(row[pos + 1]))
            _put(answer, QUERY_RETRIEVE_LEVEL, "CS", plan.request_level)
            if plan.send_ae:
                _put(answer, RETRIEVE_AE_TITLE, "AE", ae)
            if charset:
                _put(answer, SPECIFIC_CHARACTER_SET, "CS", f"ISO_IR {charset}")
            yield answer

    def _count_related(self, level: Level, lower: Level, returned: list[tuple[_Key, str]]) -> int:
        """A computed "Number of ... Related ..." value: the rows of ``lower`` whose keys equal
        the returned values (the level's own unique key alone when it was returned)."""
        pk_tag = self.tables[level].pk.tag
        pairs = [(k.tag, v) for k, v in returned if v]
        if any(tag == pk_tag for tag, _ in pairs):
            pairs = [(tag, v) for tag, v in pairs if tag == pk_tag]
        conds, params, top = [], [], lower
        for tag, value in pairs:
            mapped = self._map_key(lower, tag)
            if mapped is None:
                continue
            table, field = mapped
            top = min(top, table.level)
            conds.append(f"{table.alias}.{field.column} = ?")
            params.append(value)
        base = self.tables[lower]
        sql = f"SELECT COUNT(DISTINCT {base.alias}.{base.pk.column}) {self._joins(lower, top)}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        return int(self._read(sql, params)[0][0])

    def count(self, level: Level | str | None, identifier: Dataset) -> int:
        """How many answers :meth:`find` would give ((9999,9999) "count only" of dgate)."""
        if self.backend is None:
            return 0
        lv, text = self._level_of(level, identifier)
        plan = self._plan_find(lv, text, identifier)
        return int(self._read(f"SELECT COUNT(*) FROM ({plan.sql}) q_count", plan.params)[0][0])

    # -- C-MOVE / C-GET -------------------------------------------------------------------------

    def select_for_retrieve(self, identifier: Dataset, model: InformationModel | None = None, *,
                            level: Level | str | None = None) -> list[StoredObject]:
        """The stored objects a C-MOVE or C-GET sends (dgate.md §10): every image matching the
        identifier's keys, looked up as an IMAGE query (so STUDY, SERIES and IMAGE keys all
        apply), with its device and ObjectFile.

        An identifier without any non-empty key selects nothing (dgate would send the whole
        archive); a level outside ``model`` selects nothing.  Virtual images (no file name) are
        left out.
        """
        if self.backend is None:
            return []
        lv, _ = self._level_of(level, identifier)
        if model is not None and lv not in model.levels:
            return []
        conds, params, top = [], [], Level.SERIES
        for elem in identifier:
            tag = int(elem.tag)
            if tag & 0xFFFF == 0 or tag >> 16 in (0x0002, 0x9999) or elem.VR == "SQ" or tag in (
                    QUERY_RETRIEVE_LEVEL, RETRIEVE_AE_TITLE, SPECIFIC_CHARACTER_SET):
                continue
            mapped = self._map_key(Level.IMAGE, tag)
            if mapped is None:
                continue
            table, field = mapped
            cond = _condition(self._sql, field, f"{table.alias}.{field.column}", _query_value(dataset_text(identifier, tag)))
            if cond is None:
                continue
            conds.append(cond[0])
            params += cond[1]
            top = min(top, table.level)
        if not conds:
            return []
        im, se = self.tables[Level.IMAGE], self.tables[Level.SERIES]
        sql = (f"SELECT DISTINCT {self._image_columns()} {self._joins(Level.IMAGE, top)} WHERE {' AND '.join(conds)} "
               f"ORDER BY {se.alias}.{se.link.column}, {im.alias}.{im.link.column}, {im.alias}.{im.pk.column}")
        return [obj for obj in (self._stored_object(*r) for r in self._read(sql, params))
                if obj.device and obj.object_file]

    # -- worklist -------------------------------------------------------------------------------

    def _worklist_nodes(self, ds: Dataset, out: list, selected: list) -> None:
        for elem in ds:
            tag = int(elem.tag)
            if tag & 0xFFFF == 0 or tag >> 16 in (0x0002, 0x9999) or tag in (
                    QUERY_RETRIEVE_LEVEL, SPECIFIC_CHARACTER_SET, RETRIEVE_AE_TITLE):
                continue
            if elem.VR == "SQ":
                items = elem.value or []
                if len(items) > 1:
                    continue
                children: list = []
                if items:
                    self._worklist_nodes(items[0], children, selected)
                out.append(("seq", tag, children))
                continue
            field = self.worklist.sql.field_for(tag >> 16, tag & 0xFFFF)
            if field is None:
                continue
            vr = elem.VR if elem.VR not in (None, "UN") and " or " not in str(elem.VR) else _dictionary_vr(tag)
            key = _Key(tag, vr, _query_value(dataset_text(ds, tag)), self.worklist, field)
            out.append(("key", key))
            selected.append(key)

    def find_worklist(self, identifier: Dataset, *, retrieve_ae_title: str | None = None) -> Iterator[Dataset]:
        """Modality Worklist C-FIND on ``DICOMWorkList`` (dgate.md §10).

        The table is flat; the query's sequences of at most one item (the (0040,0100) Scheduled
        Procedure Step, at any depth) are unfolded into its columns, and each answer folds the
        values back into the same structure (a sequence whose keys have no column comes back
        empty).  Answers also carry empty (0008,1110) and (0008,1120) sequences when not asked,
        (0008,0005) ``ISO_IR N`` (``WorkListReturnsISO_IR``, 100 by default) and an empty
        (0008,0052).
        """
        if self.backend is None:
            return iter(())
        nodes: list = []
        selected: list[_Key] = []
        self._worklist_nodes(identifier, nodes, selected)
        send_ae = RETRIEVE_AE_TITLE in identifier
        conds, params = [], []
        for key in selected:
            cond = _condition(self._sql, key.field, key.expr, key.value)
            if cond is not None:
                conds.append(cond[0])
                params += cond[1]
        wl = self.worklist
        select = [k.expr for k in selected] or [f"{wl.alias}.{wl.fields[0].column}"]
        sql = f"SELECT DISTINCT {', '.join(select)} FROM {wl.name} {wl.alias}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        if any(node[0] == "key" and node[1].tag == _PATIENT_NAME for node in nodes):
            sql += f" ORDER BY {wl.alias}.{wl.sql.field_for(0x0010, 0x0010).column}"
        charset = self._setting("work_list_returns_iso_ir", 100)
        ae = retrieve_ae_title if retrieve_ae_title is not None else (self.ini.ae_title if self.ini else "")

        def answers():
            for row in self.backend.stream(sql, params):
                values = {id(k): _out(v) for k, v in zip(selected, row)}
                answer = Dataset()
                _fold(answer, nodes, values)
                for tag in (0x00081110, 0x00081120):
                    if tag not in answer:
                        answer.add(DataElement(tag, "SQ", DicomSequence([])))
                if charset:
                    _put(answer, SPECIFIC_CHARACTER_SET, "CS", f"ISO_IR {charset}")
                _put(answer, QUERY_RETRIEVE_LEVEL, "CS", "")
                if send_ae:
                    _put(answer, RETRIEVE_AE_TITLE, "AE", ae)
                yield answer

        return answers()

    # -- records (addrecord:, worklist filling) -------------------------------------------------

    def _known_table(self, name: str) -> _Table | None:
        for t in self._all_tables:
            if t.name.lower() == name.strip().lower():
                return t
        return None

    def add_record(self, table: str, fields: Sequence[str], values: Sequence[str]) -> None:
        """``addrecord:`` with the values already parsed: one row of known columns, bound values.
        AccessTime is set when not given.  Raises :class:`RawQueryRefused` for unknown names."""
        if self.backend is None:
            return
        t = self._known_table(table)
        if t is None:
            raise RawQueryRefused(f"addrecord: unknown table {table!r}")
        if len(fields) != len(values):
            raise RawQueryRefused(f"addrecord: {len(fields)} fields but {len(values)} values")
        cols = []
        for f in fields:
            c = t.canonical_column(f.strip())
            if c is None:
                raise RawQueryRefused(f"addrecord: {t.name} has no column {f.strip()!r}")
            cols.append(c)
        params = list(values)
        if "AccessTime" not in cols:
            cols.append("AccessTime")
            params.append(_access_time(self.clock()))
        self.backend.run_write(lambda conn: self._exec(
            conn, f"INSERT INTO {t.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", params))

    # -- query: / query2: ----------------------------------------------------------------------

    def raw_query(self, table: str, fields: str | Sequence[str], where: str = "", *, may_modify: bool = False,
                  max_rows: int = 0) -> list[tuple[str, ...]]:
        """``query:`` / ``query2:`` (dgate.md §7.2): ``SELECT fields FROM table WHERE where``.

        dgate pastes all three parts into the statement.  Here ``table`` must be one of the
        tables of dicom.sql or ``UIDMODS`` and ``fields`` a comma-separated list of its column
        names (checked, never pasted unchecked), so without a WHERE clause nothing but a plain
        read of known columns can run.

        ``where`` is SQL and is passed as is -- **only** when ``may_modify`` is true, i.e. the
        caller is a peer allowed to modify the server (the remote layer's access hook): a WHERE
        clause can read any table through sub-queries and can be made arbitrarily slow, so it is
        as powerful as database access.  Defences that remain: one statement only (``;`` is
        refused), run in a read-only transaction (PostgreSQL ``SET TRANSACTION READ ONLY``,
        SQLite ``PRAGMA query_only``).

        Parameters
        ----------
        max_rows : int
            ``query2:``: thin the rows evenly to about this many (0: all).

        Returns
        -------
        list of tuple of str
            The rows, NULL as empty text.
        """
        if self.backend is None:
            return []
        t = self._known_table(table)
        columns: list[str]
        if t is not None:
            known = t.canonical_column
            tname = t.name
        elif table.strip().lower() == UIDMODS.lower():
            names = [n for n, _ in UIDMODS_COLUMNS]
            known = lambda c: next((n for n in names if n.lower() == c.lower()), None)  # noqa: E731
            tname = UIDMODS
        else:
            raise RawQueryRefused(f"query: unknown table {table!r}")
        parts = fields.split(",") if isinstance(fields, str) else list(fields)
        columns = []
        for part in parts:
            name = part.strip()
            c = known(name)
            if c is None:
                raise RawQueryRefused(f"query: {tname} has no column {name!r}")
            columns.append(c)
        if not columns:
            raise RawQueryRefused("query: no fields")
        where = where.strip()
        if where and not may_modify:
            raise RawQueryRefused("query: a WHERE clause is only accepted from peers allowed to modify the server")
        if ";" in where:
            raise RawQueryRefused("query: a WHERE clause must be one condition, without ';'")
        sql = f"SELECT {', '.join(columns)} FROM {tname}" + (f" WHERE {where}" if where else "")

        def work(conn):
            if self._sql.sqlite:
                conn.execute("PRAGMA query_only = ON")
                try:
                    return conn.execute(sql).fetchall()
                finally:
                    conn.execute("PRAGMA query_only = OFF")
            conn.execute("SET TRANSACTION READ ONLY")
            return conn.execute(sql).fetchall()  # no parameters: '%' is not a placeholder

        rows = [tuple(_out(v) for v in r) for r in self.backend.run_write(work)]
        if max_rows > 0 and len(rows) > max_rows:
            step = len(rows) / max_rows
            rows = [rows[int(i * step)] for i in range(max_rows)]
        return rows

    # -- deleterecord: ------------------------------------------------------------------------

    def delete_records(self, table: str, where: str) -> int:
        """``deleterecord:table,where`` (dgate.md §7.2): ``DELETE FROM table WHERE where``.

        ``table`` must be one of the tables of dicom.sql or ``UIDMODS``; ``where`` is SQL passed
        as is (the remote layer lets only peers that may modify the server send it), one
        condition without ``;``, and must not be empty (a whole table is emptied by
        ``initializetables:``, not by accident).  Returns the number of rows deleted.
        """
        if self.backend is None:
            return 0
        t = self._known_table(table)
        if t is not None:
            tname = t.name
        elif table.strip().lower() == UIDMODS.lower():
            tname = UIDMODS
        else:
            raise RawQueryRefused(f"deleterecord: unknown table {table!r}")
        where = where.strip()
        if not where:
            raise RawQueryRefused("deleterecord: a WHERE condition is required")
        if ";" in where:
            raise RawQueryRefused("deleterecord: a WHERE clause must be one condition, without ';'")
        return self.backend.run_write(lambda conn: conn.execute(f"DELETE FROM {tname} WHERE {where}").rowcount)

    # -- deletes --------------------------------------------------------------------------------

    def delete(self, level: Level | str, uid: str, patient_id: str | None = None, *,
               with_files: bool = False) -> list[StoredObject]:
        """Delete a patient, study, series or image (dgate.md §1.4 ``-fp -ft -fs -fi -z``, §7.2
        ``deletepatient:`` ... ``deleteimage:``).

        All rows of the entity and below go; the levels above go when they are left empty (a
        patient's worklist rows go with the patient, as in dgate).  ``patient_id`` (the
        ``PATID:`` of ``[PATID:]UID``) restricts a study, series or image to that patient.

        Returns the objects whose rows were removed.  With ``with_files`` their files (and
        MIRROR copies) are deleted after the rows, and folders left empty are removed up to the
        device root; otherwise the caller owns the files (``-fp``: database only).
        """
        lv = level if isinstance(level, Level) else self._level_of(level, None)[0]
        if self.backend is None or not uid:
            return []
        t = self.tables[lv]
        conds = [f"{t.alias}.{t.pk.column} = ?"]
        params = [uid]
        top = lv
        if patient_id and lv is not Level.PATIENT:
            if t.patient_columns:
                conds.append(f"{t.alias}.{t.patient_columns[0].column} = ?")
            else:
                st = self.tables[Level.STUDY]
                conds.append(f"{st.alias}.{st.link.column} = ?")
                top = Level.STUDY
            params.append(patient_id)
        return self._delete_where(lv, top, " AND ".join(conds), params, with_files)

    def delete_studies(self, date: str, *, with_files: bool = False) -> list[StoredObject]:
        """``deletestudies:`` -- every study whose StudyDate matches ``date`` (a date or a range,
        matched as a C-FIND key)."""
        if self.backend is None:
            return []
        st = self.tables[Level.STUDY]
        field = st.sql.field_for(0x0008, 0x0020)
        cond = _condition(self._sql, field, f"{st.alias}.{field.column}", _query_value(date)) if field else None
        if cond is None:
            return []
        return self._delete_where(Level.STUDY, Level.STUDY, cond[0], cond[1], with_files)

    def _delete_where(self, level: Level, top: Level, where: str, params: Sequence, with_files: bool
                      ) -> list[StoredObject]:
        t = self.tables[level]

        def work(conn):
            keys = [_out(r[0]) for r in self._exec(
                conn, f"SELECT DISTINCT {t.alias}.{t.pk.column} {self._joins(level, top)} WHERE {where}",
                params).fetchall()]
            removed: list[StoredObject] = []
            for key in keys:
                removed += self._delete_entity(conn, level, key)
            return removed

        removed = self.backend.run_write(work)
        if with_files:
            self.remove_files(removed)
        return removed

    def _delete_entity(self, conn, level: Level, key: str) -> list[StoredObject]:
        """Delete one entity and everything below it, then the entities above it that are left
        empty (dgate's ``NewDeleteFromDB``); returns the removed objects."""
        tables = self.tables
        t = tables[level]
        st, se, im = tables[Level.STUDY], tables[Level.SERIES], tables[Level.IMAGE]
        parent_key = None
        if t.link is not None:
            row = self._exec(conn, f"SELECT {t.link.column} FROM {t.name} WHERE {t.pk.column} = ?",
                             (key,)).fetchone()
            parent_key = _out(row[0]) if row is not None else None
        cols, frm = self._image_select()
        where = {Level.IMAGE: f"{im.alias}.{im.pk.column} = ?", Level.SERIES: f"{im.alias}.{im.link.column} = ?",
                 Level.STUDY: f"{se.alias}.{se.link.column} = ?", Level.PATIENT: f"{st.alias}.{st.link.column} = ?"}
        if level is Level.PATIENT:
            frm += f" JOIN {st.name} {st.alias} ON {st.alias}.{st.pk.column} = {se.alias}.{se.link.column}"
        objects = [self._stored_object(*r) for r in self._exec(
            conn, f"SELECT {cols} {frm} WHERE {where[level]}", (key,)).fetchall()]
        keys = {level: [key]}
        for lv in Level:
            if lv > level:
                child = tables[lv]
                keys[lv] = [_out(r[0]) for pk in keys[Level(lv - 1)] for r in self._exec(
                    conn, f"SELECT {child.pk.column} FROM {child.name} WHERE {child.link.column} = ?",
                    (pk,)).fetchall()]
        for lv in reversed(Level):
            if lv >= level:
                for k in keys[lv]:
                    self._exec(conn, f"DELETE FROM {tables[lv].name} WHERE {tables[lv].pk.column} = ?", (k,))
        if level is Level.PATIENT:
            self._delete_worklist_of(conn, key)
        lv, pk = level, parent_key
        while lv > Level.PATIENT and pk:
            child, parent = tables[lv], tables[Level(lv - 1)]
            if self._exec(conn, f"SELECT 1 FROM {child.name} WHERE {child.link.column} = ? LIMIT 1",
                          (pk,)).fetchone() is not None:
                break
            grand = None
            if parent.link is not None:
                row = self._exec(conn, f"SELECT {parent.link.column} FROM {parent.name} WHERE {parent.pk.column} = ?",
                                 (pk,)).fetchone()
                grand = _out(row[0]) if row is not None else None
            self._exec(conn, f"DELETE FROM {parent.name} WHERE {parent.pk.column} = ?", (pk,))
            if parent.level is Level.PATIENT:
                self._delete_worklist_of(conn, pk)
            lv, pk = Level(lv - 1), grand
        return objects

    def _delete_worklist_of(self, conn, patient_id: str) -> None:
        wl = self.worklist
        field = wl.sql.field_for(0x0010, 0x0020)
        if field is not None:
            self._exec(conn, f"DELETE FROM {wl.name} WHERE {field.column} = ?", (patient_id,))

    def remove_files(self, objects: Iterable[StoredObject]) -> list[str]:
        """Delete the files of removed objects and their MIRROR copies, then the folders left
        empty up to the device root.  Returns the files that could not be deleted (a missing
        file is not an error)."""
        failed = []
        for obj in objects:
            for device in self._copies(obj.device):
                try:
                    root = device_root(self.ini, device)
                    path = device_path(self.ini, device, obj.object_file)
                except (KeyError, ValueError, AttributeError):
                    continue
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    log.error("***Could not remove IOD %s: %s", path, exc.strerror)
                    failed.append(str(path))
                    continue
                _remove_empty_folders(Path(path).parent, Path(os.path.abspath(root)))
        return failed

    def _copies(self, device: str) -> list[str]:
        out = [device]
        match = re.fullmatch(r"MAG(\d+)", device.strip(), re.IGNORECASE)
        if match and self.ini is not None and self.ini.mirror_device(int(match.group(1))):
            out.append(f"MIRROR{match.group(1)}")
        return out

    # -- UIDMODS --------------------------------------------------------------------------------

    def _uid_generator(self) -> UidGenerator:
        if self._uids is None:
            from .remote import DEFAULT_UID_PREFIX, UidGenerator

            prefix = self.ini.uid_prefix if self.ini is not None else DEFAULT_UID_PREFIX
            self._uids = UidGenerator(prefix, clock=self.clock)
        return self._uids

    def change_uid(self, old_uid: str, *, mod_type: str = "changeuid", stage: str | None = None,
                   new_uid: str | None = None) -> str:
        """``changeuid:`` (dgate.md §7.2, §7.4): the new UID for ``old_uid``, the same one every
        time (remembered in UIDMODS with ``MODType``, ``Stage`` -- ``(empty)`` without a stage --
        and ``MODTime``).  A first request takes ``new_uid`` when given (``ChangeUIDTo``), else a
        new ``<UIDPrefix>.7.<time>.<counter>``.  An empty UID stays empty."""
        if not old_uid:
            return ""
        if self.backend is None:
            return new_uid or self._uid_generator().changed_uid()
        stage_value = stage or "(empty)"

        def work(conn):
            if not self._sql.sqlite:  # serialise the first mapping of a UID between servers
                self._exec(conn, "SELECT pg_advisory_xact_lock(?)", (binascii.crc32(old_uid.encode()) & 0x7FFFFFFF,))
            row = self._exec(conn, f"SELECT NewUID FROM {UIDMODS} WHERE OldUID = ? AND Stage = ?",
                             (old_uid, stage_value)).fetchone()
            if row is not None:
                return _out(row[0])
            made = new_uid or self._uid_generator().changed_uid()
            self._exec(conn, f"INSERT INTO {UIDMODS} (MODTime, OldUID, MODType, NewUID, Stage) VALUES (?, ?, ?, ?, ?)",
                       (int(self.clock()), old_uid, mod_type[:32], made, stage_value[:32]))
            return made

        return self.backend.run_write(work)

    def change_uid_back(self, new_uid: str, *, mod_type: str | None = None, stage: str | None = None) -> str:
        """``changeuidback:``: the old UID that was changed into ``new_uid``, empty when unknown."""
        if not new_uid or self.backend is None:
            return ""
        sql = f"SELECT OldUID FROM {UIDMODS} WHERE NewUID = ? AND Stage = ?"
        params = [new_uid, stage or "(empty)"]
        if mod_type:
            sql += " AND MODType = ?"
            params.append(mod_type)
        rows = self._read(sql, params)
        return _out(rows[0][0]) if rows else ""

    # -- finders and listers (dgate.md §7.2) ----------------------------------------------------

    def _finder_text(self, text: str, expr_id: str, expr_name: str) -> tuple[list[str], list]:
        text = (text or "").strip()
        if not text:
            return [], []
        if text.startswith("="):
            value = text[1:]
            return [f"({expr_id} = ? OR {expr_name} = ?)"], [value, value]
        pattern = f"{self._sql.any}{self._sql.literal(text)}{self._sql.any}"
        op = self._sql.match_op
        return [f"(UPPER({expr_id}) {op} UPPER(?) OR UPPER({expr_name}) {op} UPPER(?))"], [pattern, pattern]

    def patient_finder(self, text: str = "") -> list[tuple[str, str]]:
        """``patientfinder:local|str``: (name, ID) of the patients whose ID or name contains
        ``str`` (case-insensitive; ``=str``: equals), by name."""
        if self.backend is None:
            return []
        p = self.tables[Level.PATIENT]
        name = p.sql.field_for(0x0010, 0x0010)
        conds, params = self._finder_text(text, f"{p.alias}.{p.pk.column}", f"{p.alias}.{name.column}")
        sql = f"SELECT DISTINCT {p.alias}.{name.column}, {p.alias}.{p.pk.column} FROM {p.name} {p.alias}"
        sql += (" WHERE " + " AND ".join(conds) if conds else "") + f" ORDER BY 1, 2"
        return [tuple(_out(v) for v in r) for r in self._read(sql, params)]

    def _date_condition(self, expr: str, text: str) -> tuple[str, list] | None:
        """The StudyDate match of ``studyfinder``: ``YYYY``, ``YYYYMM``, ``YYYYMMDD`` or a range."""
        if re.fullmatch(r"\d{4}|\d{6}|\d{8}", text):
            if len(text) == 8:
                return f"{expr} = ?", [text]
            return f"{expr} >= ? AND {expr} <= ?", [text, text + "9" * (8 - len(text))]
        match = re.fullmatch(r"(\d{4,8})?-(\d{4,8})?", text)
        if match and (match.group(1) or match.group(2)):
            conds, params = [], []
            if match.group(1):
                conds.append(f"{expr} >= ?")
                params.append(match.group(1))
            if match.group(2):
                conds.append(f"{expr} <= ?")
                params.append(match.group(2) + "9" * (8 - len(match.group(2))))
            return " AND ".join(conds), params
        return None

    def study_finder(self, text: str = "") -> list[tuple[str, ...]]:
        """``studyfinder:local|str``: (StudyDate, StudyModality, name, ID, StudyUID) of the
        studies whose patient ID or name contains ``str``, or whose StudyDate matches it when it
        is a date (``YYYY``, ``YYYYMM``, ``YYYYMMDD``, ``a-b``); by date."""
        if self.backend is None:
            return []
        st = self.tables[Level.STUDY]
        f = {tag: st.sql.field_for(tag >> 16, tag & 0xFFFF) for tag in (0x00080020, 0x00080061, 0x00100010)}
        a = st.alias
        cols = [f"{a}.{f[0x00080020].column}", f"{a}.{f[0x00080061].column}", f"{a}.{f[0x00100010].column}",
                f"{a}.{st.link.column}", f"{a}.{st.pk.column}"]
        conds, params = self._finder_text(text, cols[3], cols[2])
        date = self._date_condition(cols[0], text.strip()) if text else None
        if date is not None and conds:
            conds = [f"({conds[0]} OR ({date[0]}))"]
            params = params + date[1]
        sql = f"SELECT DISTINCT {', '.join(cols)} FROM {st.name} {a}"
        sql += (" WHERE " + " AND ".join(conds) if conds else "") + " ORDER BY 1, 3, 5"
        return [tuple(_out(v) for v in r) for r in self._read(sql, params)]

    def series_finder(self, text: str = "") -> list[tuple[str, ...]]:
        """``seriesfinder:local|str``: (StudyDate, SeriesTime, Modality, name, ID, StudyUID,
        SeriesUID); ``=STUDYUID`` lists one study, otherwise patient ID or name contains ``str``."""
        if self.backend is None:
            return []
        st, se = self.tables[Level.STUDY], self.tables[Level.SERIES]
        sf = lambda tag: st.sql.field_for(tag >> 16, tag & 0xFFFF).column  # noqa: E731
        ef = lambda tag: se.sql.field_for(tag >> 16, tag & 0xFFFF).column  # noqa: E731
        cols = [f"{st.alias}.{sf(0x00080020)}", f"{se.alias}.{ef(0x00080031)}", f"{se.alias}.{ef(0x00080060)}",
                f"{st.alias}.{sf(0x00100010)}", f"{st.alias}.{st.link.column}", f"{st.alias}.{st.pk.column}",
                f"{se.alias}.{se.pk.column}"]
        text = (text or "").strip()
        if text.startswith("="):
            conds, params = [f"{cols[5]} = ?"], [text[1:]]
        else:
            conds, params = self._finder_text(text, cols[4], cols[3])
        sql = f"SELECT DISTINCT {', '.join(cols)} {self._joins(Level.SERIES, Level.STUDY)}"
        sql += (" WHERE " + " AND ".join(conds) if conds else "") + " ORDER BY 1, 6, 2, 7"
        return [tuple(_out(v) for v in r) for r in self._read(sql, params)]

    def image_finder(self, text: str = "") -> list[tuple[str, ...]]:
        """``imagefinder:local|=SERIESUID``: (SOPUID, name, ID, StudyUID, SeriesUID,
        InstanceNumber, SliceLocation) of a series (or of the patients whose ID or name contains
        ``str``), by instance number."""
        if self.backend is None:
            return []
        st, se, im = self.tables[Level.STUDY], self.tables[Level.SERIES], self.tables[Level.IMAGE]
        number = im.sql.field_for(0x0020, 0x0013)
        slice_ = im.sql.field_for(0x0020, 0x1041)
        cols = [f"{im.alias}.{im.pk.column}", f"{st.alias}.{st.sql.field_for(0x0010, 0x0010).column}",
                f"{st.alias}.{st.link.column}", f"{st.alias}.{st.pk.column}", f"{im.alias}.{im.link.column}",
                f"{im.alias}.{number.column}" if number else "''", f"{im.alias}.{slice_.column}" if slice_ else "''"]
        text = (text or "").strip()
        if text.startswith("="):
            conds, params = [f"{cols[4]} = ?"], [text[1:]]
        else:
            conds, params = self._finder_text(text, cols[2], cols[1])
        order = self._sql.numeric(cols[5]) if number else cols[0]
        sql = (f"SELECT DISTINCT {', '.join(cols)}, {order} AS q_sort0 {self._joins(Level.IMAGE, Level.STUDY)}"
               + (" WHERE " + " AND ".join(conds) if conds else "") + " ORDER BY 5, q_sort0, 1")
        return [tuple(_out(v) for v in r[:7]) for r in self._read(sql, params)]

    def series_lister(self, patient_id: str, study_uid: str) -> list[str]:
        """``serieslister:local|PATID|STUDYUID``: the series UIDs of a study (of that patient
        when ``PATID`` is given)."""
        if self.backend is None or not study_uid:
            return []
        se = self.tables[Level.SERIES]
        sql = f"SELECT DISTINCT {se.pk.column} FROM {se.name} WHERE {se.link.column} = ?"
        params = [study_uid]
        if patient_id and se.patient_columns:
            sql += f" AND {se.patient_columns[0].column} = ?"
            params.append(patient_id)
        return [_out(r[0]) for r in self._read(sql + " ORDER BY 1", params)]

    def image_lister(self, patient_id: str, series_uid: str) -> list[str]:
        """``imagelister:local|PATID|SERIESUID``: the full paths of a series' files (device
        root + ObjectFile; objects on unknown devices are left out)."""
        if self.backend is None or not series_uid:
            return []
        im = self.tables[Level.IMAGE]
        where, params = f"{im.alias}.{im.link.column} = ?", [series_uid]
        if patient_id and im.patient_columns:
            where += f" AND {im.alias}.{im.patient_columns[0].column} = ?"
            params.append(patient_id)
        return [obj.path for obj in self._objects(where, params) if obj.path]

    # -- LRU, makespace ---------------------------------------------------------------------------

    def lru_patients(self) -> list[str]:
        """Patient IDs, least recently used first (``LRUSort``: ``StudyDate``, ``PatientBir`` or,
        by default, ``AccessTime``)."""
        if self.backend is None:
            return []
        p, st = self.tables[Level.PATIENT], self.tables[Level.STUDY]
        sort = (self.ini.lru_sort if self.ini is not None else "").strip().lower()
        if sort == "studydate":
            date = st.sql.field_for(0x0008, 0x0020)
            sql = (f"SELECT {p.alias}.{p.pk.column}, MIN({st.alias}.{date.column}) AS q_sort0 FROM {p.name} {p.alias} "
                   f"LEFT JOIN {st.name} {st.alias} ON {st.alias}.{st.link.column} = {p.alias}.{p.pk.column} "
                   f"GROUP BY {p.alias}.{p.pk.column} ORDER BY q_sort0, 1")
        elif sort == "patientbir":
            birth = p.sql.field_for(0x0010, 0x0030)
            sql = f"SELECT {p.pk.column} FROM {p.name} ORDER BY {birth.column}, 1"
        else:
            sql = f"SELECT {p.pk.column} FROM {p.name} ORDER BY AccessTime, 1"
        return [_out(r[0]) for r in self._read(sql)]

    def make_space(self, megabytes: int, *, free_mb: Callable[[str], int] = free_space_mb) -> list[str]:
        """``makespace:MB`` / ``-ffMB``: while the MAG device with the most free space has less
        than ``megabytes`` free, delete the least recently used patient (rows and files).
        Returns the deleted patient IDs."""
        deleted: list[str] = []
        if self.backend is None or self.ini is None:
            return deleted
        roots = self.ini.mag_device_roots
        if not roots:
            return deleted
        for patient in self.lru_patients():
            if max(free_mb(r) for r in roots) >= megabytes:
                break
            self.delete(Level.PATIENT, patient, with_files=True)
            deleted.append(patient)
        return deleted

    # -- regen ----------------------------------------------------------------------------------

    def _device_of(self, path: str) -> tuple[str, str]:
        full = Path(os.path.abspath(path))
        if self.ini is not None:
            for n, root in enumerate(self.ini.mag_device_roots):
                base = Path(os.path.abspath(root))
                if base == full or base in full.parents:
                    return f"MAG{n}", full.relative_to(base).as_posix()
        raise ConquestDatabaseError(f"{path}: not on a MAG device of dicom.ini")

    def regen_file(self, path: str | os.PathLike[str], device: str | None = None) -> AddResult:
        """``regenfile:`` / ``-fe``: read a stored file and enter it (its device is found from its
        path unless given; ObjectFile is the path relative to the device root)."""
        text = os.fspath(path)
        if device is None:
            device, relative = self._device_of(text)
        else:
            root = Path(os.path.abspath(device_root(self.ini, device)))
            relative = Path(os.path.abspath(text)).relative_to(root).as_posix()
        ds = read_object(text)
        return self.add_object(ds, device, relative)

    def regen_directory(self, device: str, directory: str = "") -> tuple[int, int]:
        """``regendir:DEV,DIR`` / ``-frDEV,DIR`` (``regendevice:`` with no DIR): enter every object
        file below a folder of a device (``*.v2``, ``*.dcm``, ``*.img``, names without extension;
        not ``incoming`` and ``printer_files``).  Returns (entered, failed); failures are logged
        and skipped."""
        root = device_root(self.ini, device)
        entered = failed = 0
        for relative in walk_object_files(root, directory):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = read_object(os.path.join(root, relative))
                self.add_object(ds, device, relative)
                entered += 1
            except Exception as exc:  # noqa: BLE001 - unreadable or refused files are skipped
                if isinstance(exc, DatabaseError) and not isinstance(exc, ConquestDatabaseError):
                    raise  # the database itself failed: stop
                log.warning("***regen: %s%s not entered: %s", root, relative, exc)
                failed += 1
        return entered, failed

    def regen_device(self, device: str) -> tuple[int, int]:
        """``regendevice:DEV`` / ``-arDEV``: :meth:`regen_directory` of the whole device."""
        return self.regen_directory(device, "")

    def regen(self) -> tuple[int, int]:
        """``regen:`` (``-r`` after ``-i``): every MAG device; returns (entered, failed)."""
        entered = failed = 0
        if self.ini is None:
            return 0, 0
        for n in range(max(self.ini.mag_devices, 0)):
            e, f = self.regen_device(f"MAG{n}")
            entered, failed = entered + e, failed + f
        return entered, failed


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def _postgres_conninfo(settings) -> str:
    """libpq connection string from SQLHost (``host`` or ``host:port``), SQLServer (database or
    URL), Username, Password."""
    server = settings.server
    if server.startswith(("postgresql://", "postgres://")):
        return server
    host, _, port = settings.host.partition(":")

    def quote(v: str) -> str:
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = [f"dbname={quote(server)}"]
    if host:
        parts.append(f"host={quote(host)}")
    if port.isdigit():
        parts.append(f"port={port}")
    if settings.username:
        parts.append(f"user={quote(settings.username)}")
    if settings.password:
        parts.append(f"password={quote(settings.password)}")
    return " ".join(parts)


def _count_value(text: str | None) -> int | None:
    from .printf import atoi

    if text is None or not text.strip():
        return None
    return max(atoi(text), 0)


def _dictionary_vr(tag: int) -> str:
    try:
        vr = dictionary_VR(tag)
    except KeyError:
        return "LO"
    return "US" if " or " in vr and vr.startswith("US") else ("OB" if " or " in vr else vr)


def _put(ds: Dataset, tag: int, vr: str, text: str) -> None:
    """Add an answer element from its stored text."""
    value: object
    if vr in _INT_VRS:
        try:
            value = int(text.split("\\")[0]) if text else None
        except ValueError:
            value = None
    elif vr in _FLOAT_VRS:
        try:
            value = float(text.split("\\")[0]) if text else None
        except ValueError:
            value = None
    elif vr == "SQ":
        value = DicomSequence([])
    elif "\\" in text and vr not in _SINGLE_VALUE_VRS:
        value = text.split("\\")
    elif vr in ("OB", "OW", "UN"):
        value = text.encode("latin-1", "replace")
    else:
        value = text
    ds.add(DataElement(tag, vr, value, validation_mode=_pydicom_config.IGNORE))


def _fold(answer: Dataset, nodes: list, values: Mapping[int, str]) -> None:
    for node in nodes:
        if node[0] == "key":
            key = node[1]
            _put(answer, key.tag, key.vr, values.get(id(key), ""))
        else:
            _, tag, children = node
            if not any(c[0] == "key" or c[2] for c in children):
                answer.add(DataElement(tag, "SQ", DicomSequence([])))
                continue
            item = Dataset()
            _fold(item, children, values)
            answer.add(DataElement(tag, "SQ", DicomSequence([item])))


def _remove_empty_folders(folder: Path, root: Path) -> None:
    folder = Path(os.path.abspath(folder))
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
