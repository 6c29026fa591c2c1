"""The three servers under test (dcmrecv, dcmqrscp, dgate) behind one small interface.

Each :class:`Target` is one server process on a free 127.0.0.1 port in its own directory: its
memory from /proc, the instances it stored (files, and for dcmqrscp and dgate the index rows),
a C-ECHO with DCMTK's echoscu, and :meth:`Target.stop` (SIGTERM, then SIGKILL).  dcmqrscp runs on
a configuration written here (quotas large enough for the load test); dgate on a dicom.ini and
acrnema.map in the shape of examples/dgate.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.interop.conftest import wait_listening
from tests.interop.dcmqrscp_support import tool_env
from tests.support.procs import REPO, dcmtk, free_port, ours, stop_group

KINDS = ("dcmrecv", "dcmqrscp", "dgate")
ACSE_TIMEOUT = 2  # seconds, for the tools that have -ta

QR_CONFIG = """\
NetworkTCPPort  = {port}
MaxPDUSize      = 16384
MaxAssociations = 32

HostTable BEGIN
move_dest = (MOVEDEST, localhost, {dest_port})
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
QRSCP   {root}/STORE   RW  (500, 1024mb)   ANY
AETable END
"""

DICOM_INI = """\
[sscscp]
MicroPACS                = sscscp
MyACRNema                = CONQUESTSRV1
TCPPort                  = {port}
SQLHost                  = localhost
SQLServer                = {root}/data/dbase/conquest.db3
Username                 = dontcare
Password                 = dontcare
SQLite                   = 1
MAGDevices               = 1
MAGDevice0               = {root}/data/
FileNameSyntax           = 4
IncomingCompression      = as
DroppedFileCompression   = un
ArchiveCompression       = as
TCPIPTimeOut             = 10
"""


class Target:
    """One server process; ``called_ae`` is the AE title peers call."""

    def __init__(self, kind: str, root: Path, cmd: list[str], port: int, called_ae: str, store: Path,
                 dest_port: int = 0):
        self.kind = kind
        self.dest_port = dest_port  # the C-MOVE destination MOVEDEST of dcmqrscp and dgate
        self.root = root
        self.port = port
        self.called_ae = called_ae
        self.store = store
        self.log_path = root / f"{kind}-{port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=root, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=tool_env(), start_new_session=True)
        try:
            wait_listening(port, self.proc, timeout=30)
        except Exception:
            self.stop()
            raise

    # -- process ------------------------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc.poll() is None

    def memory_kb(self, field: str = "VmRSS") -> int:
        """``VmRSS`` (now) or ``VmHWM`` (peak) of the server process, in kB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))

    def stop(self, timeout: float = 20.0) -> int | None:
        status = stop_group(self.proc, timeout=timeout)
        if not self._log.closed:
            self._log.close()
        return status

    @property
    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def tracebacks(self) -> list[str]:
        """Log lines showing an exception that escaped a handler (a bug, even if the server lives)."""
        return [line for line in self.log.splitlines()
                if "Traceback (most recent call last)" in line or "unexpected error while serving" in line]

    # -- peers --------------------------------------------------------------------------------
    def echo(self, timeout: float = 30) -> subprocess.CompletedProcess:
        """A well-behaved C-ECHO from DCMTK's echoscu."""
        return subprocess.run([dcmtk("echoscu"), "-aet", "ECHOSCU", "-aec", self.called_ae, "-to", "10",
                               "-ta", "10", "-td", "10", "127.0.0.1", str(self.port)], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              env=dict(os.environ, TCP_NODELAY="1"))

    # -- what was stored ----------------------------------------------------------------------
    def stored_files(self) -> list[Path]:
        """Every regular file the server wrote into its storage (index databases excluded);
        hidden temporary files count, so that a leftover shows."""
        out = []
        for path in self.store.rglob("*"):
            rel = path.relative_to(self.store).as_posix()
            if not path.is_file() or rel.startswith(("dbase/", "printer_files/")):
                continue
            if path.name.startswith("pydcmkit-index.sqlite") or path.name.endswith(".lock"):
                continue
            out.append(path)
        return sorted(out)

    def indexed_uids(self) -> list[str] | None:
        """SOP Instance UIDs of the index rows (a list: duplicates show), None for dcmrecv."""
        if self.kind == "dcmrecv":
            return None
        if self.kind == "dcmqrscp":
            db, sql = self.store / "pydcmkit-index.sqlite", "SELECT sop_instance_uid FROM instances"
        else:
            db, sql = self.store / "dbase" / "conquest.db3", "SELECT SOPInstanc FROM DICOMImages"
        if not db.exists():
            return []
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            return [row[0] for row in conn.execute(sql)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start(kind: str, root: Path, attempts: int = 3) -> Target:
    """Start server ``kind`` in the fresh directory ``root`` (on another free port if a concurrent
    test took the one chosen before the server could bind it)."""
    for attempt in range(attempts):
        where = root if attempt == 0 else root.with_name(f"{root.name}-{attempt}")
        try:
            return _start(kind, where, free_port())
        except RuntimeError as exc:
            log = next(where.glob("*.log"), None)
            if attempt == attempts - 1 or log is None or "in use" not in log.read_text(errors="replace"):
                raise
            last = exc
    raise last


def _start(kind: str, root: Path, port: int) -> Target:
    root.mkdir(parents=True, exist_ok=True)
    if kind == "dcmrecv":
        store = root / "out"
        store.mkdir()
        cmd = ours("dcmrecv") + ["-xf", str(REPO / "examples" / "storescp.cfg"), "Default", "-ta",
                                 str(ACSE_TIMEOUT), "-od", str(store), str(port)]
        return Target(kind, root, cmd, port, "ANY-SCP", store)
    if kind == "dcmqrscp":
        store = root / "STORE"
        store.mkdir()
        cfg = root / "dcmqrscp.cfg"
        dest_port = free_port()
        cfg.write_text(QR_CONFIG.format(port=port, root=root, dest_port=dest_port))
        cmd = ours("dcmqrscp") + ["-c", str(cfg), "-ta", str(ACSE_TIMEOUT), str(port)]
        return Target(kind, root, cmd, port, "QRSCP", store, dest_port)
    if kind == "dgate":
        store = root / "data"
        (store / "dbase").mkdir(parents=True)
        (root / "dicom.ini").write_text(DICOM_INI.format(port=port, root=root))
        dest_port = free_port()
        (root / "acrnema.map").write_text(f"CONQUESTSRV1  127.0.0.1  {port}  un\n"
                                          f"MOVEDEST      127.0.0.1  {dest_port}  un\n")
        cmd = ours("dgate") + ["-v", f"-w{root}", f"-p{port}"]
        return Target(kind, root, cmd, port, "CONQUESTSRV1", store, dest_port)
    raise ValueError(kind)


@pytest.fixture(params=KINDS)
def target(request, tmp_path):
    """A freshly started dcmrecv, dcmqrscp or dgate (import this fixture); stopped at teardown."""
    server = start(request.param, tmp_path / request.param)
    yield server
    server.stop()
