"""dgate (``python3 -m tools.dgate -v``) in a ConQuest-style run directory for the loopback tests.

:class:`DgateRun` writes dicom.ini (dgate.md §2.2 "Minimal working file", absolute paths) and
acrnema.map into a directory, starts the server on a free port, reads the SQLite database and
the files on MAG0, and stops the server (SIGTERM, then SIGKILL after a bounded wait).
:class:`StoreSCP` is DCMTK's storescp as a C-MOVE destination.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
from pathlib import Path

import pydicom.data
from pydicom.dataset import Dataset

from pydcmkit.codec.nki import decompress_dataset, is_nki_compressed
from pydcmkit.conquest.naming import read_object
from tests.interop.conftest import wait_listening
from tests.interop.dcmqrscp_support import scu, tool_env
from tests.support.procs import Server, dcmtk, free_port, ours, stop_group

AE = "CONQUESTSRV1"
TEST_FILES = Path(os.path.dirname(pydicom.data.__file__)) / "test_files"

INI = """\
[sscscp]
MicroPACS                = sscscp
MyACRNema                = {ae}
TCPPort                  = {port}
SQLHost                  = localhost
SQLServer                = {root}/data/dbase/conquest.db3
Username                 = dontcare
Password                 = dontcare
SQLite                   = 1
FileNameSyntax           = 4
IncomingCompression      = un
DroppedFileCompression   = un
ArchiveCompression       = as
MAGDevices               = 1
MAGDevice0               = {root}/data/
"""


def sample(name: str) -> str:
    """A file of pydicom's test set."""
    path = TEST_FILES / name
    assert path.exists(), path
    return str(path)


def free_port_pair() -> int:
    """A port P such that P and P+1 are free (``~p1`` adds 1 to a destination port)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


class DgateRun:
    """A run directory ``root`` with dicom.ini (``settings`` override or add keys) and
    acrnema.map (``amap``: lines ``AE host port code``)."""

    def __init__(self, root: Path, *, port: int | None = None, settings: dict | None = None,
                 amap: list[str] = (), ae: str = AE):
        self.root = Path(root)
        self.port = port or free_port()
        self.ae = ae
        self.mag0 = self.root / "data"
        (self.mag0 / "dbase").mkdir(parents=True, exist_ok=True)
        text = INI.format(ae=ae, port=self.port, root=self.root)
        for key, value in (settings or {}).items():
            lines = [line for line in text.splitlines() if line.split("=")[0].strip().lower() != key.lower()]
            text = "\n".join(lines) + f"\n{key:<24} = {value}\n"
        (self.root / "dicom.ini").write_text(text)
        (self.root / "acrnema.map").write_text(
            "\n".join([f"{ae}  127.0.0.1  {self.port}  un", *amap]) + "\n")
        self.proc: subprocess.Popen | None = None

    # -- process ------------------------------------------------------------------------------
    def start(self, *args: str, **env_extra) -> DgateRun:
        """``dgate -v args`` in the run directory (``env_extra`` added to its environment), waiting
        until it listens."""
        self.log_path = self.root / f"dgate-{self.port}.log"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(ours("dgate") + ["-v", *args], cwd=self.root, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=tool_env(**env_extra),
                                     start_new_session=True)
        try:
            wait_listening(self.port, self.proc)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        """Send ``sig`` (SIGKILL after ``timeout``); the exit status."""
        if self.proc is None:
            return None
        status = stop_group(self.proc, sig, timeout)
        if not self._log.closed:
            self._log.close()
        return status

    @property
    def log(self) -> str:
        if self.proc is None:
            return ""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """``dgate args`` to its end in the run directory (start-up failures)."""
        return subprocess.run(ours("dgate") + list(args), cwd=self.root, capture_output=True, text=True,
                              timeout=timeout, env=tool_env(), stdin=subprocess.DEVNULL)

    # -- archive ------------------------------------------------------------------------------
    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.mag0 / "dbase" / "conquest.db3", timeout=10) as conn:
            return conn.execute(sql, params).fetchall()

    def files(self) -> list[str]:
        """Stored objects on MAG0 relative to it (no database, temporary or printer files)."""
        out = []
        for path in self.mag0.rglob("*"):
            rel = path.relative_to(self.mag0).as_posix()
            if path.is_file() and not rel.startswith(("dbase/", "printer_files/")):
                out.append(rel)
        return sorted(out)

    def object_file(self, sop_uid: str) -> Path:
        """The stored file of ``sop_uid`` as the database says (one row)."""
        rows = self.rows("SELECT ObjectFile, DeviceName FROM DICOMImages WHERE SOPInstanc = ?", sop_uid)
        assert len(rows) == 1, rows
        assert rows[0][1] == "MAG0"
        return self.mag0 / rows[0][0]

    # -- DCMTK peers --------------------------------------------------------------------------
    def echoscu(self, aec: str | None = None) -> subprocess.CompletedProcess:
        return scu("echoscu", "-aet", "ECHOSCU", "-aec", aec or self.ae, "127.0.0.1", self.port, cwd=self.root)

    def storescu(self, *files: str, aec: str | None = None, extra=()) -> subprocess.CompletedProcess:
        return scu("storescu", *extra, "-aet", "STORESCU", "-aec", aec or self.ae, "127.0.0.1", self.port,
                   *files, cwd=self.root)

    def dcmsend(self, *files: str, aec: str | None = None) -> subprocess.CompletedProcess:
        """DCMTK's dcmsend: proposes each file's own transfer syntax (compressed ones too)."""
        return scu("dcmsend", "-aet", "DCMSEND", "-aec", aec or self.ae, "127.0.0.1", self.port, *files,
                   cwd=self.root)


class StoreSCP:
    """DCMTK's storescp on ``port`` writing into ``directory`` (``+xa``: accepts compressed data)."""

    def __init__(self, directory: Path, port: int | None = None, *options: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.server = Server([dcmtk("storescp"), *options, "-od", str(self.directory), str(self.port)], self.port,
                             self.directory.parent, wait=False, TCP_NODELAY=1)
        try:
            wait_listening(self.port, self.server.proc)
        except Exception:
            self.server.stop()
            raise

    def files(self) -> list[Path]:
        return sorted(self.directory.iterdir())

    def clear(self) -> None:
        for path in self.directory.iterdir():
            path.unlink()

    def stop(self) -> None:
        self.server.stop(signal.SIGTERM)


def read_stored(path: str | os.PathLike) -> Dataset:
    """A stored object (``.v2`` raw Implicit LE or Part 10)."""
    return read_object(path)


def transfer_syntax(path: str | os.PathLike) -> str:
    ds = read_stored(path)
    meta = getattr(ds, "file_meta", None)
    return str(meta.TransferSyntaxUID) if meta is not None else ""


def pixels(ds_or_path):
    """Decoded pixels of a stored object (NKI data decoded with pydcmkit's codec)."""
    ds = read_stored(ds_or_path) if not isinstance(ds_or_path, Dataset) else ds_or_path
    if is_nki_compressed(ds):
        ds = decompress_dataset(ds)
    return ds.pixel_array
