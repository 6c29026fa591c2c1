"""The embedded backend: one SQLite file, zero set-up.

The file is used in WAL mode (readers never block the writer nor each other) with a busy timeout;
writes take the write lock up front (``BEGIN IMMEDIATE``) so concurrent writers, threads or
processes on the same host, queue instead of failing.  ``synchronous=NORMAL``: a commit survives a
crash of the process; a power loss may lose the last commits but never corrupts the index (which
:func:`~pydcmkit.db.reindex.reindex` can rebuild from the files).  Do not put the file on a network
file system: SQLite's locking needs a local one.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .base import DatabaseError, QueryDatabase, SqlBackend
from .schema import SQLITE


class SQLiteBackend(SqlBackend):
    """Connections to the SQLite file ``path`` (created when missing), set up as above.

    ``timeout`` is how long a writer waits for the write lock held by another one, in seconds.
    ``startup`` statements run on every new connection after pydcmkit's own settings (ConQuest's
    ``SQLiteStartup``).  The schema, if any, comes from :meth:`_create_schema`.
    """

    dialect = SQLITE

    def __init__(self, path: str | os.PathLike, *, timeout: float = 60.0, create: bool = True,
                 startup: tuple[str, ...] = ()):
        self.path = os.fspath(path)
        self.timeout = timeout
        self.startup = tuple(startup)
        if not create and not os.path.exists(self.path):
            raise DatabaseError(f"{self.path}: No such file or directory")
        super().__init__()
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(f"{self.path}: {exc}") from exc
        try:
            # Switching a new file to WAL, and the first transaction after it, can answer "database
            # is locked" at once (SQLite does not call the busy handler there) when another process
            # opens the same new file at the same moment: retry within the busy timeout.
            mode = self._retry_locked(lambda: self._wal_mode(conn))
            if str(mode).lower() != "wal":
                raise DatabaseError(f"{self.path}: cannot use write-ahead logging (journal mode {mode})")
            self._retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                self._create_schema(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise DatabaseError(f"{self.path}: {exc}") from exc
        finally:
            conn.close()

    @staticmethod
    def _wal_mode(conn) -> str:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        return mode

    def _retry_locked(self, operation):
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                return operation()
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"

    def _connect(self):
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in self.startup:
                conn.execute(statement)
        except sqlite3.Error as exc:
            raise DatabaseError(f"{self.path}: {exc}") from exc
        return conn

    def _close_connection(self, conn) -> None:
        try:
            conn.close()
        except sqlite3.Error:
            pass

    def _healthy(self, conn) -> bool:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                return False
        return True

    @contextmanager
    def _write_transaction(self, conn):
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _retryable(self, exc: BaseException) -> bool:
        # writers are serialised by BEGIN IMMEDIATE and wait up to the busy timeout: no races to retry
        return False

    def _stream(self, conn, sql: str, params: Sequence) -> Iterator[tuple]:
        cur = conn.execute(sql, tuple(params))
        try:
            while True:
                rows = cur.fetchmany(256)
                if not rows:
                    return
                yield from rows
        finally:
            cur.close()

    def _wrap_error(self, exc: Exception) -> Exception:
        return DatabaseError(f"{self.path}: {exc}")


class SQLiteDatabase(SQLiteBackend, QueryDatabase):
    """Query database in the SQLite file ``path`` (created when missing).

    ``timeout`` is how long a writer waits for the write lock held by another one, in seconds.
    """
