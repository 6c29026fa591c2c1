"""Durable, atomic writing of DICOM files.

An instance is written to an unnamed file (``O_TMPFILE``; a hidden temporary name where that is
not available) in the storage directory, flushed to disk, and only then given its final name,
whose directory is synced too.  A reader
therefore never sees a partial file under an instance name, and a success status sent after
:meth:`AtomicFile.commit` returns refers to data that survives a crash or power loss.
"""

from __future__ import annotations

import errno
import os
import secrets
import struct
import threading
from pathlib import Path

from .. import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

TEMP_PREFIX = ".pydcmkit-"
TEMP_SUFFIX = ".part"


def _element(group: int, elem: int, vr: bytes, value: bytes) -> bytes:
    if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
        return struct.pack("<HH2sHI", group, elem, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


def _ui(value: str) -> bytes:
    raw = value.encode("ascii", "replace")
    return raw + b"\x00" if len(raw) % 2 else raw


def _text(value: str, pad: bytes = b" ") -> bytes:
    raw = value.encode("ascii", "replace")
    return raw + pad if len(raw) % 2 else raw


def file_meta_bytes(sop_class_uid: str, sop_instance_uid: str, transfer_syntax_uid: str, *,
                    source_ae: str | None = None,
                    implementation_class_uid: str = IMPLEMENTATION_CLASS_UID,
                    implementation_version_name: str = IMPLEMENTATION_VERSION_NAME) -> bytes:
    """The 128-byte preamble, ``DICM`` and the File Meta Information group (PS3.10 §7.1).

    ``source_ae`` adds (0002,0016) Source Application Entity Title, as DCMTK's bit-preserving
    mode does.
    """
    elems = [
        _element(0x0002, 0x0001, b"OB", b"\x00\x01"),
        _element(0x0002, 0x0002, b"UI", _ui(sop_class_uid)),
        _element(0x0002, 0x0003, b"UI", _ui(sop_instance_uid)),
        _element(0x0002, 0x0010, b"UI", _ui(transfer_syntax_uid)),
        _element(0x0002, 0x0012, b"UI", _ui(implementation_class_uid)),
        _element(0x0002, 0x0013, b"SH", _text(implementation_version_name)),
    ]
    if source_ae:
        elems.append(_element(0x0002, 0x0016, b"AE", _text(source_ae.strip()[:16])))
    body = b"".join(elems)
    return b"\x00" * 128 + b"DICM" + _element(0x0002, 0x0000, b"UL", struct.pack("<I", len(body))) + body


def fsync_directory(path: str | Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_AT_FDCWD = -100
_flush_pool = None
_flush_pool_lock = threading.Lock()


def _flusher():
    """The helper threads of :meth:`AtomicFile.start_flush` (made on first use)."""
    global _flush_pool
    with _flush_pool_lock:
        if _flush_pool is None:
            from concurrent.futures import ThreadPoolExecutor
            _flush_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="pydcmkit-flush")
        return _flush_pool
_AT_SYMLINK_FOLLOW = 0x400
_libc = None


def _link_open_file(fd: int, target: str) -> None:
    """Give the unnamed file open as ``fd`` (``O_TMPFILE``) the name ``target`` (Linux ``linkat``
    through ``/proc/self/fd``); ``FileExistsError`` if ``target`` exists."""
    global _libc
    if _libc is None:
        import ctypes
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.linkat(_AT_FDCWD, f"/proc/self/fd/{fd}".encode(), _AT_FDCWD, os.fsencode(target),
                    _AT_SYMLINK_FOLLOW) != 0:
        import ctypes
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), target)


class AtomicFile:
    """A file written without a visible name and published under its final name by :meth:`commit`.

    On Linux the data go to an unnamed ``O_TMPFILE`` inode in ``directory``, which gets its name
    only when complete: a crash at any point leaves nothing behind.  Elsewhere (or on a file
    system without ``O_TMPFILE``) a hidden temporary name (``.pydcmkit-<hex>.part``) is used and
    renamed.

    Parameters
    ----------
    directory : path
        Directory for the data; the final name must be on the same file system (any path below
        the storage directory is).
    durable : bool
        Flush the data and the directory entry to disk before :meth:`commit` returns.
    """

    def __init__(self, directory: str | Path, durable: bool = True):
        self.directory = str(directory)
        self.durable = durable
        self.size = 0
        self.closed = False
        self.synced = False
        self.unnamed = False
        self._flushing = None
        flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
        if hasattr(os, "O_TMPFILE"):
            try:
                self._fd = os.open(self.directory, flags | os.O_TMPFILE, 0o644)
                self.unnamed = True
                self.temp_path = f"/proc/self/fd/{self._fd}"
                return
            except (IsADirectoryError, NotADirectoryError) as exc:
                if isinstance(exc, NotADirectoryError) or not os.path.isdir(self.directory):
                    raise
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                    raise
        self.temp_path = os.path.join(self.directory, f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}")
        self._fd = os.open(self.temp_path, flags | os.O_CREAT | os.O_EXCL, 0o644)

    def write(self, data) -> None:
        mv = memoryview(data)
        while mv:
            n = os.write(self._fd, mv)
            self.size += n
            mv = mv[n:]

    def _close(self) -> None:
        if not self.closed:
            self._settle(raise_error=False)
            self.closed = True
            os.close(self._fd)

    def flush_to_disk(self) -> None:
        """Flush the data (and the file size) to disk; timestamps need not be (``fdatasync``)."""
        if self._flushing is not None:
            self._settle(raise_error=True)
        elif self.durable and not self.closed:
            getattr(os, "fdatasync", os.fsync)(self._fd)

    def start_flush(self) -> None:
        """Begin :meth:`flush_to_disk` on a helper thread, once every byte is written, so that
        work needing no durable data (reading the header back, making the name) overlaps the
        wait for the disk; :meth:`commit` waits for it (and fails as it would have) and
        :meth:`discard` lets it finish first."""
        if self.durable and not self.closed and not self.synced and self._flushing is None:
            self._flushing = _flusher().submit(getattr(os, "fdatasync", os.fsync), self._fd)

    def _settle(self, raise_error: bool) -> None:
        future, self._flushing = self._flushing, None
        if future is None:
            return
        try:
            future.result()
        except OSError:
            if raise_error:
                raise

    def commit(self, final_path: str | Path, *, overwrite: bool = True) -> None:
        """Sync and publish as ``final_path``.

        With ``overwrite=False`` an existing file is never replaced: ``FileExistsError`` is raised
        and the data are kept for another attempt under another name.
        """
        final_path = str(final_path)
        if not self.synced:  # a retry under another name needs no second flush
            self.flush_to_disk()
            self.synced = True
        if self.unnamed:
            if overwrite:
                staged = os.path.join(os.path.dirname(final_path) or ".",
                                      f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}")
                _link_open_file(self._fd, staged)
                try:
                    os.replace(staged, final_path)
                except OSError:  # a name too long, a directory in the way: no staged name left behind
                    os.unlink(staged)
                    raise
            else:
                _link_open_file(self._fd, final_path)  # EEXIST instead of replacing
            self._close()
        else:
            self._close()
            if overwrite:
                os.replace(self.temp_path, final_path)
            else:
                os.link(self.temp_path, final_path)  # fails with EEXIST instead of replacing
                os.unlink(self.temp_path)
        if self.durable:
            fsync_directory(os.path.dirname(final_path) or ".")

    def discard(self) -> None:
        try:
            self._close()
        except OSError:
            pass
        if not self.unnamed:
            try:
                os.unlink(self.temp_path)
            except FileNotFoundError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.discard()
        return False


def is_temporary_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def describe_os_error(exc: OSError) -> str:
    """DCMTK-like reason text for a failed file operation."""
    if exc.errno == errno.EEXIST:
        return "File exists"
    return exc.strerror or str(exc)
