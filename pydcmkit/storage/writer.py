"""Durable, atomic writing of DICOM files.

An instance is written to a hidden temporary file in the storage directory, flushed to disk
(``fsync``), and only then renamed to its final name, whose directory is synced too.  A reader
therefore never sees a partial file under an instance name, and a success status sent after
:meth:`AtomicFile.commit` returns refers to data that survives a crash or power loss.
"""

from __future__ import annotations

import errno
import os
import secrets
import struct
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


class AtomicFile:
    """A file written under a temporary name and published by :meth:`commit`.

    Parameters
    ----------
    directory : path
        Directory for the temporary file; the final name must be on the same file system
        (any path below the storage directory is).
    durable : bool
        ``fsync`` the data and the directory entry before :meth:`commit` returns.
    """

    def __init__(self, directory: str | Path, durable: bool = True):
        self.directory = str(directory)
        self.durable = durable
        self.temp_path = os.path.join(self.directory, f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}")
        self._fd = os.open(self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
        self.size = 0
        self.closed = False

    def write(self, data) -> None:
        mv = memoryview(data)
        while mv:
            n = os.write(self._fd, mv)
            self.size += n
            mv = mv[n:]

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._fd)

    def flush_to_disk(self) -> None:
        """Flush the data (and the file size) to disk; timestamps need not be (``fdatasync``)."""
        if self.durable:
            getattr(os, "fdatasync", os.fsync)(self._fd)

    def commit(self, final_path: str | Path, *, overwrite: bool = True) -> None:
        """Sync and rename to ``final_path``.

        With ``overwrite=False`` an existing file is never replaced: ``FileExistsError`` is raised
        and the temporary file is kept for another attempt.
        """
        if not self.closed:
            self.flush_to_disk()
            self._close()
        final_path = str(final_path)
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
