"""The query database: an index of stored instances answering Query/Retrieve identifiers.

One interface (:class:`QueryDatabase`), two backends with the same schema and the same answers:
SQLite (the embedded default: one file, WAL, safe for several processes) and PostgreSQL (a URL,
through psycopg 3) for several servers sharing one index.  Typical use::

    db = open_database("/srv/area")                      # /srv/area/pydcmkit-index.sqlite
    db.add_instance(record_from_file(path))
    for response in db.find(InformationModel.STUDY_ROOT, identifier, keys=KeySet.DCMTK,
                            retrieve_ae_title="QRSCP"):
        ...
"""

from __future__ import annotations

import os

from .base import AddResult, DatabaseError, IndexedFile, QueryDatabase, StudyUsage
from .matching import IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS, UNABLE_TO_PROCESS, QueryError
from .model import InformationModel, Key, KeySet, Level
from .records import InstanceRecord, InvalidFileError, record_from_dataset, record_from_file
from .reindex import ReindexResult, reindex

#: File name of the SQLite index inside a storage area (does not clash with DCMTK's ``index.dat``).
DEFAULT_INDEX_NAME = "pydcmkit-index.sqlite"

__all__ = [
    "AddResult", "DEFAULT_INDEX_NAME", "DatabaseError", "IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS", "IndexedFile",
    "InformationModel", "InstanceRecord", "InvalidFileError", "Key", "KeySet", "Level", "QueryDatabase",
    "QueryError", "ReindexResult", "StudyUsage", "UNABLE_TO_PROCESS", "open_database", "record_from_dataset",
    "record_from_file", "reindex",
]


def open_database(target: str | os.PathLike, **options) -> QueryDatabase:
    """Open (creating when needed) the query database named by ``target``.

    * ``postgresql://...`` or ``postgres://...``: PostgreSQL (:class:`~.postgres.PostgresDatabase`);
    * ``sqlite:///path/to/file`` or a plain path: SQLite (:class:`~.sqlite.SQLiteDatabase`); an
      existing directory means the file :data:`DEFAULT_INDEX_NAME` in it.

    ``options`` go to the backend (``timeout`` for SQLite, ``connect_timeout`` for PostgreSQL).
    Raises :class:`DatabaseError` when the database cannot be opened.
    """
    text = os.fspath(target)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresDatabase

        return PostgresDatabase(text, **options)
    if text.startswith("sqlite://"):
        text = text[len("sqlite://"):]
        if not text:
            raise DatabaseError("sqlite:// URL without a path")
    elif "://" in text:
        raise DatabaseError(f"unsupported index database URL: {text.split('://', 1)[0]}://")
    if os.path.isdir(text):
        text = os.path.join(text, DEFAULT_INDEX_NAME)
    from .sqlite import SQLiteDatabase

    return SQLiteDatabase(text, **options)
