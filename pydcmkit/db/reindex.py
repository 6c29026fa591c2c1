"""Rebuild a query database from the files on disk (the role of DCMTK's ``dcmqridx``).

Files are read with the fast header reader (:func:`~.records.record_from_file`) and added in
batches, one transaction per batch.  Temporary files of the atomic writer (``.pydcmkit-*.part``),
the SQLite index files and DCMTK's ``index.dat`` are skipped silently; every other file that is not
a DICOM instance is reported in ``errors`` and the walk goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from ..storage.writer import is_temporary_name
from .base import QueryDatabase
from .records import InstanceRecord, InvalidFileError, record_from_file

BATCH = 500
_INDEX_FILES = ("pydcmkit-index.sqlite", "index.dat")


class ReindexResult(NamedTuple):
    """Number of files indexed (a SOP Instance UID met twice counts twice, the later file wins),
    and ``(path, reason)`` of every file that was not."""

    count: int
    errors: list[tuple[str, str]]


def _skipped(name: str) -> bool:
    return is_temporary_name(name) or name.startswith(_INDEX_FILES)


def walk_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[str, float]]:
    """``(path, mtime)`` of the files below ``paths`` (files or directories), in a stable order;
    paths keep the form given (relative stays relative)."""
    for top in paths:
        top = os.fspath(top)
        if not os.path.isdir(top):
            try:
                yield top, os.stat(top).st_mtime
            except OSError:
                yield top, 0.0
            continue
        stack = [top]
        while stack:
            d = stack.pop()
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name)
            except OSError:
                continue
            subdirs = []
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.path)
                elif not _skipped(entry.name):
                    try:
                        yield entry.path, entry.stat().st_mtime
                    except OSError:
                        yield entry.path, 0.0
            stack.extend(reversed(subdirs))


def reindex(db: QueryDatabase, paths: Iterable[str | os.PathLike], *, clear: bool = True,
            is_new: bool = True, progress: Callable[[str], None] | None = None) -> ReindexResult:
    """Index every DICOM file below ``paths`` (directories or files) into ``db``.

    With ``clear`` (the default) the database is emptied first, so it then describes exactly the
    files found.  The receive time of each record is the file's modification time.  ``progress``
    is called with each path before it is read (``dcmqridx -v``: ``registering: <file>``).
    """
    if clear:
        db.clear()
    count = 0
    errors: list[tuple[str, str]] = []
    batch: list[InstanceRecord] = []
    for path, mtime in walk_files(paths):
        if progress is not None:
            progress(path)
        try:
            batch.append(record_from_file(path, received=mtime, is_new=is_new))
        except InvalidFileError as exc:
            errors.append((path, str(exc)))
            continue
        if len(batch) >= BATCH:
            db.add_instances(batch)
            count += len(batch)
            batch = []
    if batch:
        count += len(batch)
        db.add_instances(batch)
    return ReindexResult(count, errors)
