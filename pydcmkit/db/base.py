"""The query database interface, shared by the SQLite and PostgreSQL backends.

A :class:`QueryDatabase` indexes stored instances (one row per SOP Instance UID under its patient,
study and series) and answers C-FIND, C-MOVE and C-GET identifiers.  Both backends use the same
schema (:mod:`.schema`) and the same SQL (:mod:`.matching`), so they give the same answers.

Entity attributes follow the latest instance added: adding an instance whose patient, study or
series already exists updates that entity's attributes when they differ (and moves the entity
when its parent changed), so a corrected re-send wins, as the replaced records would in DCMTK.

Thread and process safety: every operation borrows a connection from a small pool, so one
database object may be shared by threads; a forked child never reuses its parent's connections.
Writes run in short transactions that are retried on deadlocks and races with other writers
(other threads, processes or hosts).

Where the answers differ from DCMTK's ``index.dat`` (one flat record per image, scanned in full):

* entity attributes are those of the latest instance added, where DCMTK answers from the first
  matching image record, and a key is matched against that one value per entity;
* a key of a level below the query level is returned empty (DCMTK copies the first image's value;
  with ``-XF`` such identifiers are refused anyway);
* a level outside the model is refused (0xC000) even when the index is empty, where DCMTK only
  notices while comparing records;
* ``?`` matches one character, not one byte of UTF-8; a DT value without UTC offset is taken as
  UTC, not local time.
"""

from __future__ import annotations

import abc
import functools
import os
import random
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from pydicom.dataset import Dataset

from ..status import ExitCode, ToolError
from . import matching
from .matching import QueryError, UNABLE_TO_PROCESS
from .model import STORED_KEYS, UNIQUE_KEYS, InformationModel, KeySet, Level
from .records import InstanceRecord
from .schema import PARENT_COLUMN, SCHEMA_VERSION, Dialect, ddl, level_columns

__all__ = ["AddResult", "DatabaseError", "IndexedFile", "QueryDatabase", "QueryError", "SqlBackend", "StudyUsage"]


class DatabaseError(ToolError):
    """The index database cannot be opened or used (unreachable server, wrong schema version,
    locked beyond the timeout, I/O error)."""

    exit_code = ExitCode.CANNOT_WRITE_OUTPUT_FILE


@dataclass(frozen=True)
class AddResult:
    """Outcome of :meth:`QueryDatabase.add_instance`; true when the SOP Instance UID was new.

    ``replaced_path`` is the file of the previous record of the same SOP Instance UID when the new
    record points to another file (dcmqrscp then deletes the old file, ``dcmqrscp.md`` §5).
    """

    new: bool
    replaced_path: str | None = None

    def __bool__(self) -> bool:
        return self.new


@dataclass(frozen=True)
class IndexedFile:
    """One indexed instance as C-MOVE/C-GET and quota handling need it."""

    path: str
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    file_size: int
    received: float
    is_new: bool


@dataclass(frozen=True)
class StudyUsage:
    """Storage used by one study (for per-study quotas): instances, bytes, latest receive time."""

    study_instance_uid: str
    instances: int
    bytes: int
    last_received: float


class _Pool:
    """Idle connections for reuse; a connection is used by one operation at a time."""

    def __init__(self, connect, max_idle: int = 8):
        self._connect = connect
        self._idle: list = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._max_idle = max_idle
        self.closed = False

    def acquire(self):
        with self._lock:
            if self.closed:
                raise DatabaseError("the index database is closed")
            if self._pid != os.getpid():
                # inherited over fork(): never touch the parent's connections, not even to close them
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def release(self, conn, healthy: bool, close) -> None:
        with self._lock:
            if healthy and not self.closed and self._pid == os.getpid() and len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        if self._pid == os.getpid():
            close(conn)

    def close(self, close) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        if self._pid == os.getpid():
            for conn in idle:
                close(conn)


_UNKNOWN = object()  # an entity row not read yet
_ENTITY_LEVELS = (Level.PATIENT, Level.STUDY, Level.SERIES)


class _LevelPlan:
    """How a record fills the row of one level's table (from the model, computed once)."""

    def __init__(self, level: Level):
        self.level = level
        self.columns = level_columns(level)
        self.parent_column = PARENT_COLUMN.get(level)
        self.uid_index = self.columns.index(UNIQUE_KEYS[level].column)
        self.width = 1 + (1 if self.parent_column else 0) + len(self.columns)  # pk, [parent], columns
        # per column: the attribute keyword (None for a record field or a range key column); the
        # record fields by column; the range key columns with the normaliser of the column before
        self._keywords: list[str | None] = []
        self._fields: list[tuple[int, str]] = []
        self._normalized: list[tuple[int, object]] = []
        for key in STORED_KEYS[level]:
            if key.record_field:
                self._fields.append((len(self._keywords), key.record_field))
            self._keywords.append(None if key.record_field else key.keyword)
            if key.key_column:
                # dates and times repeat across the instances of a study: remember their keys
                normalize = functools.lru_cache(maxsize=4096)(matching.NORMALIZERS[key.matching])
                self._normalized.append((len(self._keywords), normalize))
                self._keywords.append(None)
        self.path_index = self.columns.index("path") if level is Level.IMAGE else None
        self._received = self.columns.index("received") if level is Level.IMAGE else None

    def values(self, record: InstanceRecord) -> list:
        get = record.attributes.get
        out = [get(keyword, "") for keyword in self._keywords]
        for i, name in self._fields:
            out[i] = getattr(record, name) or ""
        if "\x00" in "".join(out):
            out = [v.replace("\x00", "") for v in out]  # as in query values (matching.element_text)
        for i, normalize in self._normalized:
            v = out[i - 1]
            out[i] = normalize(v) if v else None
        if self.level is Level.IMAGE:
            out += [record.path, int(record.file_size), float(record.received), record.specific_character_set,
                    int(bool(record.is_new))]
        return out

    def with_parent(self, parent_pk, values: list) -> list:
        return [parent_pk] + values if self.parent_column else list(values)

    def split(self, row) -> tuple:
        """(pk, parent pk or None, values) of a row read with the level's SELECT."""
        if self.parent_column:
            return row[0], row[1], list(row[2:])
        return row[0], None, list(row[1:])

    def differs(self, old: list, new: list) -> bool:
        """Whether a stored row must be rewritten (an instance's receive time alone does not count)."""
        if self._received is None:
            return old != new
        r = self._received
        return old[:r] != new[:r] or old[r + 1:] != new[r + 1:]


_PLANS = {lv: _LevelPlan(lv) for lv in Level}


@dataclass(frozen=True)
class _LevelStatements:
    select: str
    insert: str
    update: str


class _Statements:
    """The write statements of one dialect."""

    def __init__(self, d: Dialect):
        self.levels = {}
        for lv, plan in _PLANS.items():
            ucol = plan.columns[plan.uid_index]
            cols = ([plan.parent_column] if plan.parent_column else []) + list(plan.columns)
            self.levels[lv] = _LevelStatements(
                d.sql(f"SELECT pk, {', '.join(cols)} FROM {lv.table} WHERE {ucol} = ?"),
                d.sql(f"INSERT INTO {lv.table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                      f"ON CONFLICT ({ucol}) DO NOTHING RETURNING pk"),
                d.sql(f"UPDATE {lv.table} SET {', '.join(c + ' = ?' for c in cols)} WHERE pk = ?"))
        parts, joins = [], []
        for lv in _ENTITY_LEVELS:
            plan, a = _PLANS[lv], lv.alias
            cols = ["pk"] + ([plan.parent_column] if plan.parent_column else []) + list(plan.columns)
            parts += [f"{a}.{c}" for c in cols]
            joins.append(f"LEFT JOIN {lv.table} {a} ON {a}.{plan.columns[plan.uid_index]} = ?")
        self.state = d.sql(f"SELECT {', '.join(parts)} FROM (SELECT 1 AS one) x {' '.join(joins)}")


class SqlBackend(abc.ABC):
    """The connection plumbing shared by every schema: a pool, write transactions with retries.

    A backend class implements the hooks below for one database engine (:mod:`.sqlite`,
    :mod:`.postgres`); a schema either subclasses it (:class:`QueryDatabase`, overriding
    :meth:`_create_schema`) or uses a backend object directly through :meth:`run_write`,
    :meth:`read` and :meth:`stream` (ConQuest's dicom.sql tables, :mod:`pydcmkit.conquest.database`).
    Backends are context managers; :meth:`close` closes the pooled connections.
    """

    dialect: Dialect
    #: how often a write transaction is attempted when it loses a race with another writer
    write_attempts = 8

    def __init__(self):
        self._pool = _Pool(self._connect)

    # -- backend hooks --------------------------------------------------------------------------

    @abc.abstractmethod
    def _connect(self):
        """A new DB-API connection in autocommit mode, set up for this backend."""

    @abc.abstractmethod
    def _close_connection(self, conn) -> None: ...

    @abc.abstractmethod
    def _healthy(self, conn) -> bool:
        """Whether ``conn`` may go back to the pool (no open transaction, not broken)."""

    @abc.abstractmethod
    @contextmanager
    def _write_transaction(self, conn):
        """A write transaction on ``conn``: commit on success, roll back on error."""

    @abc.abstractmethod
    def _retryable(self, exc: BaseException) -> bool:
        """Whether ``exc`` means a lost race (deadlock, concurrent insert or delete) worth a retry."""

    @abc.abstractmethod
    def _stream(self, conn, sql: str, params: Sequence) -> Iterator[tuple]:
        """Rows of a SELECT, fetched lazily (closing the iterator abandons the rest)."""

    def _fetchall(self, conn, sql: str, params: Sequence) -> list[tuple]:
        return conn.execute(sql, tuple(params)).fetchall()

    def _wrap_error(self, exc: Exception) -> Exception:
        return DatabaseError(f"index database error: {exc}")

    _lock_row = ""  # "FOR UPDATE" where the backend needs row locks

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _connection(self):
        conn = self._pool.acquire()
        healthy = False
        try:
            yield conn
            healthy = True
        except GeneratorExit:  # a find generator closed early (C-CANCEL): the connection is fine
            healthy = True
            raise
        finally:
            self._pool.release(conn, healthy and self._healthy(conn), self._close_connection)

    def _run_write(self, work):
        """Run ``work(conn)`` in a write transaction, retrying lost races; returns its result."""
        for attempt in range(self.write_attempts):
            try:
                with self._connection() as conn:
                    with self._write_transaction(conn):
                        return work(conn)
            except DatabaseError:
                raise
            except Exception as exc:  # noqa: BLE001 - backend errors are classified below
                if self._retryable(exc) and attempt + 1 < self.write_attempts:
                    time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
                    continue
                if isinstance(exc, (ValueError, TypeError)):
                    raise
                raise self._wrap_error(exc) from exc
        raise AssertionError("unreachable")

    def _read(self, sql: str, params: Sequence = (), *, compiled: bool = False) -> list[tuple]:
        """All rows of ``sql`` (written with ``?`` placeholders unless ``compiled``)."""
        try:
            with self._connection() as conn:
                return self._fetchall(conn, sql if compiled else self.dialect.sql(sql), params)
        except DatabaseError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._wrap_error(exc) from exc

    def _create_schema(self, conn) -> None:
        """Create this database's tables when missing (run once at open, in a transaction)."""

    # -- public access for schemas built on a backend object ------------------------------------

    def run_write(self, work):
        """Run ``work(conn)`` in one write transaction, retrying races; returns its result.

        ``conn`` is a DB-API connection of :attr:`dialect` (``conn.execute(sql, params)``); write
        the SQL with ``?`` placeholders through ``dialect.sql``.  Backend errors other than
        ``ValueError``/``TypeError`` raised by ``work`` become :class:`DatabaseError`.
        """
        return self._run_write(work)

    def read(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """All rows of a query written with ``?`` placeholders."""
        return self._read(sql, params)

    def stream(self, sql: str, params: Sequence = ()) -> Iterator[tuple]:
        """Rows of a query written with ``?`` placeholders, fetched as the caller consumes them;
        closing the generator early abandons the rest (C-CANCEL)."""
        try:
            with self._connection() as conn:
                yield from self._stream(conn, self.dialect.sql(sql), params)
        except (DatabaseError, GeneratorExit):
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._wrap_error(exc) from exc

    def close(self) -> None:
        """Close the pooled connections; the database cannot be used afterwards."""
        self._pool.close(self._close_connection)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False



class QueryDatabase(SqlBackend):
    """Index of stored instances answering Query/Retrieve identifiers.

    Use :func:`pydcmkit.db.open_database` to get one.  Databases are context managers.
    """

    def __init__(self):
        super().__init__()
        self._statements = _Statements(self.dialect)


    def _create_schema(self, conn) -> None:
        for statement in ddl(self.dialect):
            conn.execute(statement)
        row = conn.execute("SELECT version FROM pydcmkit_schema").fetchone()
        if row is None:
            conn.execute(self.dialect.sql("INSERT INTO pydcmkit_schema (version) VALUES (?)"), (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise DatabaseError(f"index schema version {row[0]} is not the supported version {SCHEMA_VERSION}: "
                                f"re-create the index (re-index the storage area)")

    # -- writing --------------------------------------------------------------------------------

    def add_instance(self, record: InstanceRecord) -> AddResult:
        """Index one instance; idempotent per SOP Instance UID.

        A record for a known SOP Instance UID replaces the previous one (nothing is written when it
        is identical apart from the receive time).  Safe under concurrent writers.
        """
        record.check()
        return self._run_write(lambda conn: self._add(conn, record, {}))

    def add_instances(self, records: Iterable[InstanceRecord]) -> int:
        """Index many instances in one transaction (re-indexing); returns how many were new."""
        batch = list(records)
        for rec in batch:
            rec.check()
        if not batch:
            return 0

        def work(conn):
            cache: dict = {}
            return sum(1 for rec in batch if self._add(conn, rec, cache).new)

        return self._run_write(work)

    def _add(self, conn, record: InstanceRecord, cache: dict) -> AddResult:
        values = {lv: plan.values(record) for lv, plan in _PLANS.items()}
        rows = dict.fromkeys(_ENTITY_LEVELS, _UNKNOWN)
        if any((lv, values[lv][_PLANS[lv].uid_index]) not in cache for lv in _ENTITY_LEVELS):
            # one round trip for the current state of the patient, study and series
            uids = [values[lv][_PLANS[lv].uid_index] for lv in _ENTITY_LEVELS]
            state = conn.execute(self._statements.state, uids).fetchone()
            pos = 0
            for lv in _ENTITY_LEVELS:
                part = state[pos:pos + _PLANS[lv].width]
                rows[lv] = None if part[0] is None else part
                pos += _PLANS[lv].width
        pk = None
        for lv in _ENTITY_LEVELS:
            pk, _ = self._upsert(conn, lv, pk, values[lv], cache, rows[lv])
        old = self._upsert_instance(conn, pk, values[Level.IMAGE])
        if old is None:
            return AddResult(True)
        old_path = old[_PLANS[Level.IMAGE].path_index]
        return AddResult(False, old_path if old_path != record.path else None)

    def _upsert(self, conn, level: Level, parent_pk, values: list, cache: dict, row=_UNKNOWN
                ) -> tuple[int, list | None]:
        """Insert or update the entity of ``level``; returns (pk, previous values or None if new).

        ``row`` is its current row (pk, [parent,] values...) when already read, None when known
        missing, ``_UNKNOWN`` when it must be read."""
        plan, sql = _PLANS[level], self._statements.levels[level]
        uid = values[plan.uid_index]
        ckey = (level, uid)
        cached = cache.get(ckey)
        if cached is not None and cached[1] == parent_pk and cached[2] == values:
            return cached[0], cached[2]
        if cached is not None:
            row = _UNKNOWN
        while True:
            if row is _UNKNOWN:
                row = conn.execute(sql.select, (uid,)).fetchone()
            if row is None:
                got = conn.execute(sql.insert, plan.with_parent(parent_pk, values)).fetchone()
                if got is None:
                    row = _UNKNOWN  # another writer inserted it just now: read theirs
                    continue
                cache[ckey] = (got[0], parent_pk, values)
                return got[0], None
            pk, old_parent, old = plan.split(row)
            if plan.differs(old, values) or old_parent != parent_pk:
                conn.execute(sql.update, plan.with_parent(parent_pk, values) + [pk])
                if plan.parent_column and old_parent != parent_pk:
                    self._drop_if_empty(conn, Level(level - 1), old_parent)
            cache[ckey] = (pk, parent_pk, values)
            return pk, old

    def _upsert_instance(self, conn, series_pk, values: list) -> list | None:
        """Insert the instance (the common case first); on a known SOP Instance UID update it when
        it changed.  Returns the previous values, None when it was new."""
        sql = self._statements.levels[Level.IMAGE]
        got = conn.execute(sql.insert, [series_pk] + values).fetchone()
        if got is not None:
            return None
        _, old = self._upsert(conn, Level.IMAGE, series_pk, values, {})
        return old

    def _drop_if_empty(self, conn, level: Level, pk) -> None:
        """Delete the entity ``pk`` of ``level`` and then its ancestors while they have no children.

        Where the backend has row locks the entity is locked first, so that no child can be added
        between the check and the delete."""
        d = self.dialect
        while level is not Level.IMAGE and pk is not None:
            child = Level(level + 1)
            if self._lock_row:
                if conn.execute(d.sql(f"SELECT pk FROM {level.table} WHERE pk = ? {self._lock_row}"),
                                (pk,)).fetchone() is None:
                    return
            if conn.execute(d.sql(f"SELECT 1 FROM {child.table} WHERE {PARENT_COLUMN[child]} = ? LIMIT 1"),
                            (pk,)).fetchone() is not None:
                return
            parent = None
            if level in PARENT_COLUMN:
                row = conn.execute(d.sql(f"SELECT {PARENT_COLUMN[level]} FROM {level.table} WHERE pk = ?"),
                                   (pk,)).fetchone()
                parent = row[0] if row else None
            conn.execute(d.sql(f"DELETE FROM {level.table} WHERE pk = ?"), (pk,))
            if level is Level.PATIENT:
                return
            level, pk = Level(level - 1), parent

    def remove_instance(self, sop_instance_uid: str) -> str | None:
        """Remove an instance (and its series, study, patient when they become empty); returns
        the file path it had, or None when it was not indexed."""
        d = self.dialect

        def work(conn):
            row = conn.execute(d.sql("SELECT pk, series_pk, path FROM instances WHERE sop_instance_uid = ?"),
                               (sop_instance_uid,)).fetchone()
            if row is None:
                return None
            conn.execute(d.sql("DELETE FROM instances WHERE pk = ?"), (row[0],))
            self._drop_if_empty(conn, Level.SERIES, row[1])
            return row[2]

        return self._run_write(work)

    def remove_study(self, study_instance_uid: str) -> list[str]:
        """Remove a whole study (quota handling); returns the paths of its files."""
        d = self.dialect

        def work(conn):
            row = conn.execute(d.sql("SELECT pk, patient_pk FROM studies WHERE study_instance_uid = ?"),
                               (study_instance_uid,)).fetchone()
            if row is None:
                return []
            paths = [r[0] for r in conn.execute(d.sql(
                "SELECT i.path FROM instances i JOIN series se ON se.pk = i.series_pk WHERE se.study_pk = ? "
                "ORDER BY i.pk"), (row[0],)).fetchall()]
            conn.execute(d.sql("DELETE FROM studies WHERE pk = ?"), (row[0],))
            self._drop_if_empty(conn, Level.PATIENT, row[1])
            return paths

        return self._run_write(work)

    def clear(self) -> None:
        """Remove every record."""
        def work(conn):
            for level in reversed(Level):
                conn.execute(f"DELETE FROM {level.table}")

        self._run_write(work)

    # -- querying -------------------------------------------------------------------------------

    def find(self, model: InformationModel, identifier: Dataset, *, keys: KeySet = KeySet.EXTENDED,
             strict: bool = False, retrieve_ae_title: str | None = None,
             charsets=None, unencodable: str = "utf8", as_elements: bool = False) -> Iterator[Dataset]:
        """C-FIND: validate ``identifier`` now, then return a generator of response identifiers.

        Raises :class:`QueryError` before any row is read: 0xA900 for a missing level or (with
        ``strict``, dcmqrscp ``-XF``) an identifier violating §6.5; 0xC000 for an unknown level, a
        level outside ``model`` or a missing unique key of a level above the query level.

        One response per matching entity of the query level, in the order entities were first
        indexed, rows fetched lazily (close the generator to stop, e.g. on C-CANCEL).  Each holds
        the requested supported ``keys`` (see :mod:`.model`), QueryRetrieveLevel, RetrieveAETitle
        when given, and (0008,0005) when the values need more than ASCII.  ``charsets`` lists the
        character sets to try for the response, in order (each a list of defined terms); by default
        the request's own, then ``ISO_IR 192``; it may also be a callable taking the request's
        character set (a tuple of terms, empty when absent) and returning that list.  A value that no
        candidate can encode is handled by ``unencodable``: ``utf8`` answers in ``ISO_IR 192``;
        ``transliterate`` / ``discard`` approximate / drop the characters the last candidate lacks
        (dcmqrscp ``-Ct`` / ``-Cd``).  With ``as_elements`` each response is the list of
        ``(tag, VR, value text)`` of :func:`.matching.response_elements` instead of a dataset (a
        C-FIND SCP encodes them without building datasets).
        """
        ident = matching.parse_identifier(model, identifier, keys)
        if strict:
            matching.check_find_identifier(ident)
        if ident.level not in model.levels:
            raise QueryError(UNABLE_TO_PROCESS,
                             f"level {ident.level.name} is not part of the {model.title} information model")
        missing = matching.missing_unique_key(ident)
        if missing is not None:
            raise QueryError(UNABLE_TO_PROCESS, f"no unique key ({UNIQUE_KEYS[missing].keyword}) "
                                                f"at level {missing.name}")
        plan = matching.plan_find(ident, self.dialect, keys)
        if charsets is None:
            charsets = (ident.charset or ("",), ("ISO_IR 192",))
        elif callable(charsets):
            charsets = charsets(tuple(ident.charset or ()))
        return self._find_rows(plan, retrieve_ae_title, charsets, unencodable, as_elements)

    def _find_rows(self, plan, retrieve_ae_title, charsets, unencodable="utf8", as_elements=False) -> Iterator:
        build = matching.response_elements if as_elements else matching.build_response
        try:
            with self._connection() as conn:
                for row in self._stream(conn, plan.sql, plan.params):
                    yield build(plan, row, retrieve_ae_title=retrieve_ae_title, charsets=charsets,
                                unencodable=unencodable)
        except (DatabaseError, GeneratorExit):
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._wrap_error(exc) from exc

    def instances_for_retrieve(self, model: InformationModel, identifier: Dataset, *,
                               keys: KeySet = KeySet.EXTENDED, strict: bool = False) -> list[IndexedFile]:
        """C-MOVE/C-GET: every instance below the entities matching ``identifier``.

        Matching is that of C-FIND (``dcmqrscp.md`` §6.6), but a level outside ``model`` or a missing
        unique key of a higher level simply matches nothing.  With ``strict`` (dcmqrscp ``-XM``) a
        violation of §6.6 raises :class:`QueryError` 0xA900.  The list is complete (its length is
        the number of sub-operations), in indexing order.
        """
        ident = matching.parse_identifier(model, identifier, keys)
        if strict:
            matching.check_retrieve_identifier(ident)
        if ident.level not in model.levels or matching.missing_unique_key(ident) is not None:
            return []
        sql, params = matching.plan_retrieve(ident, self.dialect, keys)
        return [self._indexed(row) for row in self._read(sql, params, compiled=True)]

    @staticmethod
    def _indexed(row) -> IndexedFile:
        return IndexedFile(row[0], row[1], row[2], row[3], int(row[4]), float(row[5]), bool(row[6]))

    # -- bookkeeping ----------------------------------------------------------------------------

    def count_instances(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM instances")[0][0])

    def storage_used(self) -> int:
        """Total size in bytes of the indexed files."""
        return int(self._read("SELECT COALESCE(SUM(file_size), 0) FROM instances")[0][0])

    def study_usage(self) -> list[StudyUsage]:
        """Per-study usage, least recently updated study first (dcmqrscp's study quota)."""
        rows = self._read(
            "SELECT st.study_instance_uid, COUNT(i.pk), COALESCE(SUM(i.file_size), 0), COALESCE(MAX(i.received), 0) "
            "FROM studies st JOIN series se ON se.study_pk = st.pk JOIN instances i ON i.series_pk = se.pk "
            "GROUP BY st.pk, st.study_instance_uid ORDER BY 4, st.pk")
        return [StudyUsage(r[0], int(r[1]), int(r[2]), float(r[3])) for r in rows]

    def usage_of_study(self, study_instance_uid: str) -> StudyUsage | None:
        """The usage of one study, or None when it has no indexed instance (cheap: one indexed
        lookup, for checking the quotas of every stored instance)."""
        rows = self._read(
            "SELECT COUNT(i.pk), COALESCE(SUM(i.file_size), 0), COALESCE(MAX(i.received), 0) "
            "FROM studies st JOIN series se ON se.study_pk = st.pk JOIN instances i ON i.series_pk = se.pk "
            "WHERE st.study_instance_uid = ?", (study_instance_uid,))
        if not rows or not int(rows[0][0]):
            return None
        return StudyUsage(study_instance_uid, int(rows[0][0]), int(rows[0][1]), float(rows[0][2]))

    def count_studies(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM studies")[0][0])

    def study_instances(self, study_instance_uid: str) -> list[IndexedFile]:
        """The instances of a study, oldest received first (dcmqrscp's per-study size quota)."""
        cols = ", ".join("i." + c for c in matching.RETRIEVE_COLUMNS)
        rows = self._read(f"SELECT {cols} FROM instances i JOIN series se ON se.pk = i.series_pk "
                          "JOIN studies st ON st.pk = se.study_pk WHERE st.study_instance_uid = ? "
                          "ORDER BY i.received, i.pk", (study_instance_uid,))
        return [self._indexed(r) for r in rows]

    def lookup(self, sop_instance_uid: str) -> IndexedFile | None:
        """The indexed file of one SOP Instance UID, or None."""
        cols = ", ".join("i." + c for c in matching.RETRIEVE_COLUMNS)
        rows = self._read(f"SELECT {cols} FROM instances i WHERE i.sop_instance_uid = ?", (sop_instance_uid,))
        return self._indexed(rows[0]) if rows else None

    def records(self) -> Iterator[InstanceRecord]:
        """Every indexed instance as a full record, in indexing order (``dcmqridx -p``)."""
        levels = (Level.IMAGE, Level.SERIES, Level.STUDY, Level.PATIENT)
        select, fields = [], []  # fields: keyword per selected column (None: not an attribute)
        for lv in levels:
            keyword_of = {k.column: k.keyword for k in STORED_KEYS[lv] if k.record_field is None}
            for col in level_columns(lv):
                select.append(f"{lv.alias}.{col}")
                fields.append(keyword_of.get(col))
        image = {col: n for n, col in enumerate(level_columns(Level.IMAGE))}
        sql = (f"SELECT {', '.join(select)} FROM instances i JOIN series se ON se.pk = i.series_pk "
               "JOIN studies st ON st.pk = se.study_pk JOIN patients p ON p.pk = st.patient_pk ORDER BY i.pk")
        with self._connection() as conn:
            for row in self._stream(conn, self.dialect.sql(sql), ()):
                attrs = {kw: v for kw, v in zip(fields, row) if kw and v}
                yield InstanceRecord(attrs, row[image["path"]], row[image["transfer_syntax_uid"]],
                                     int(row[image["file_size"]]), float(row[image["received"]]),
                                     row[image["specific_character_set"]], bool(row[image["is_new"]]))
