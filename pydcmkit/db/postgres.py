"""The shared backend: a PostgreSQL database given by URL, through psycopg 3.

Several pydcmkit servers, on one host or many, can share one index.  Transactions run at READ
COMMITTED; inserts are ``INSERT ... ON CONFLICT DO NOTHING`` followed by a read, so concurrent
writers adding the same patient, study, series or instance converge on one row, and a transaction
that loses a race (deadlock, a parent deleted under it) is retried.  Entities are deleted only
after locking them (``SELECT ... FOR UPDATE``), so an instance added concurrently is never lost.
Find results are streamed (single-row mode): rows are read as the caller consumes them.

Commits are durable as the server is configured; an index that can be rebuilt from the files may
trade that for speed with ``?options=-csynchronous_commit%3Doff`` in the URL.  Several indexes (one
per storage area, say) can share one database in separate schemas: ``schema="area1"`` (created
when missing), or ``?options=-csearch_path%3Darea1`` in the URL (the schema must exist).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .base import DatabaseError, QueryDatabase, SqlBackend
from .schema import POSTGRES

#: advisory lock key serialising schema creation between servers starting together
_SCHEMA_LOCK = 0x70646B71  # "pdkq"


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise DatabaseError("PostgreSQL support needs psycopg 3: pip install 'pydcmkit[postgres]'") from exc
    return psycopg


class PostgresBackend(SqlBackend):
    """Connections to the PostgreSQL database at ``url`` (``postgresql://user@host/db``, or any
    libpq connection string), set up as above; the schema, if any, comes from
    :meth:`_create_schema` and is created under an advisory lock.

    ``connect_timeout`` bounds each connection attempt, in seconds; ``schema`` names a PostgreSQL
    schema to work in (created when missing).
    """

    dialect = POSTGRES
    _lock_row = "FOR UPDATE"

    def __init__(self, url: str, *, connect_timeout: float = 10.0, schema: str | None = None):
        self.url = url
        self.connect_timeout = connect_timeout
        self.schema = schema
        super().__init__()
        psycopg = _psycopg()
        try:
            with self._connection() as conn:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                    if schema is not None:
                        conn.execute(psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                            psycopg.sql.Identifier(schema)))
                    self._create_schema(conn)
        except psycopg.Error as exc:
            raise DatabaseError(f"index database {self._safe_url()}: {exc}") from exc

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._safe_url()!r})"

    def _safe_url(self) -> str:
        """The URL without its password, for messages."""
        try:
            from psycopg.conninfo import conninfo_to_dict, make_conninfo

            params = conninfo_to_dict(self.url)
            params.pop("password", None)
            return make_conninfo(**params)
        except Exception:  # noqa: BLE001 - best effort only
            return "<url>"

    def _connect(self):
        psycopg = _psycopg()
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)))
            if self.schema is not None:
                conn.execute(psycopg.sql.SQL("SET search_path TO {}").format(psycopg.sql.Identifier(self.schema)))
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot connect to the index database {self._safe_url()}: {exc}") from exc
        return conn

    def _close_connection(self, conn) -> None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass

    def _healthy(self, conn) -> bool:
        from psycopg.pq import TransactionStatus

        return not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE

    @contextmanager
    def _write_transaction(self, conn):
        with conn.transaction():
            yield

    def _retryable(self, exc: BaseException) -> bool:
        from psycopg import errors

        return isinstance(exc, (errors.DeadlockDetected, errors.SerializationFailure, errors.UniqueViolation,
                                errors.ForeignKeyViolation, errors.LockNotAvailable))

    def _stream(self, conn, sql: str, params: Sequence) -> Iterator[tuple]:
        # single-row mode: one round trip, rows read from the socket as they are consumed; closing
        # early cancels the rest of the query
        with conn.cursor() as cur:
            yield from cur.stream(sql, tuple(params))

    def _wrap_error(self, exc: Exception) -> Exception:
        return DatabaseError(f"index database {self._safe_url()}: {exc}")


class PostgresDatabase(PostgresBackend, QueryDatabase):
    """Query database in the PostgreSQL database at ``url`` (``postgresql://user@host/db``, or
    any libpq connection string); the schema is created when missing.

    ``connect_timeout`` bounds each connection attempt, in seconds.
    """
