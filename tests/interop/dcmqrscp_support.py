"""dcmqrscp (``python3 -m tools.dcmqrscp``) as a subprocess for the loopback tests, with the
configuration of dcmqrscp.md §2.6 on free ports, and DCMTK's SCUs as peers (absolute paths).

The configuration is a superset of §2.6: besides QRSCP (RW, the §2.6 peers) and QRREAD (R, ANY)
it holds QROPEN (the same area, ANY peer), QRIP (the same area, peer ``(ECHOSCU, 127.0.0.1, 0)``,
which only ``-dhl`` admits), QUOTA (``(2, 3kb)``, ANY) and move destinations that point to
one DCMTK storescp: DESTAE (in the vendor group), OTHERDEST (not in it), IPDEST (configured as
127.0.0.1) and GONE (nothing listens).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.interop.conftest import wait_listening
from tests.support.procs import REPO, dcmtk, free_port, ours, stop_group

ROOT = "1.2.826.0.1.3680043.10.999"
STUDY_CT, STUDY_MR, STUDY_SC = f"{ROOT}.2.1", f"{ROOT}.2.2", f"{ROOT}.2.3"
SPEC_FILES = ("ct1.dcm", "ct2.dcm", "ct3.dcm", "mr1.dcm")  # what §9 stores into QRSCP
STORED_NAME = re.compile(r"^(CT|MR|SC|OT|XX)_[0-9a-f]{16}\.dcm$")

CONFIG = """\
# dcmqrscp.md §2.6, plus the AEs and destinations of the pydcmkit tests
NetworkTCPPort  = {port}
MaxPDUSize      = 16384
MaxAssociations = {max_associations}

HostTable BEGIN
dest_scp   = (DESTAE, localhost, {dest_port})
find_scu   = (FINDSCU, localhost, 0)
store_scu  = (STORESCU, localhost, 0)
move_scu   = (MOVESCU, localhost, 0)
get_scu    = (GETSCU, localhost, 0)
all_scus   = find_scu, store_scu, move_scu, get_scu, dest_scp
other_dest = (OTHERDEST, localhost, {dest_port})
ip_dest    = (IPDEST, 127.0.0.1, {dest_port})
gone       = (GONE, localhost, {gone_port})
HostTable END

VendorTable BEGIN
"Test Vendor" = all_scus
VendorTable END

AETable BEGIN
QRSCP   {root}/STORE   RW  (10, 1024mb)   all_scus
QRREAD  {root}/READ    R   (10, 1024mb)   ANY
QROPEN  {root}/STORE   RW  (10, 1024mb)   ANY
QRIP    {root}/STORE   RW  (10, 1024mb)   (ECHOSCU, 127.0.0.1, 0)
QUOTA   {root}/QUOTA   RW  (2, 3kb)       ANY
AETable END
"""


def write_config(root: Path, *, port: int | None = None, dest_port: int | None = None,
                 max_associations: int = 16, name: str = "dcmqrscp.cfg") -> Path:
    """Write the configuration into ``root`` (creating the area directories) and return its path."""
    for area in ("STORE", "READ", "QUOTA"):
        (root / area).mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text(CONFIG.format(port=port or free_port(), dest_port=dest_port or free_port(),
                                  gone_port=free_port(), max_associations=max_associations, root=root))
    return path


def tool_env(**extra) -> dict:
    """The environment of our tool: this checkout importable, no developer PYDCMKIT_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYDCMKIT_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    empty = Path(os.environ.get("TMPDIR", "/tmp")) / f"pydcmkit-no-config-{os.getuid()}"
    empty.mkdir(exist_ok=True)
    env["PYDCMKIT_CONFIG_DIR"] = str(empty)
    env["TCP_NODELAY"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_tool(*args, cwd, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``dcmqrscp args`` to its end (start-up failures, --reindex, --help)."""
    return subprocess.run(ours("dcmqrscp") + [str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=tool_env(), stdin=subprocess.DEVNULL)


class QRServer:
    """``dcmqrscp -v -c <config> <options> <port>`` running in ``root``; :meth:`stop` ends it.
    ``database``: a PostgreSQL URL (``--database``) instead of the SQLite index in each area."""

    def __init__(self, root: Path, *options: str, config: Path | None = None, port: int | None = None,
                 dest_port: int | None = None, max_associations: int = 16, wait: bool = True,
                 database: str | None = None):
        self.root = root
        self.port = port or free_port()
        self.config = config or write_config(root, port=self.port, dest_port=dest_port,
                                             max_associations=max_associations)
        self.store = root / "STORE"
        self.log_path = root / f"dcmqrscp-{self.port}.log"
        self._log = open(self.log_path, "wb")
        if database:
            options = ("--database", database, *options)
        cmd = ours("dcmqrscp") + ["-v", "-c", str(self.config), *options, str(self.port)]
        self.proc = subprocess.Popen(cmd, cwd=root, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=tool_env(), start_new_session=True)
        if wait:
            try:
                wait_listening(self.port, self.proc)
            except Exception:
                self.stop()
                raise

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM (our server stops cleanly), SIGKILL after ``timeout``; the exit status."""
        status = stop_group(self.proc, timeout=timeout)
        if not self._log.closed:
            self._log.close()
        return status

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def area_files(self, area: str = "STORE") -> list[str]:
        """The DICOM files of a storage area (without the index and its lock files)."""
        return sorted(p.name for p in (self.root / area).iterdir() if p.name.endswith(".dcm"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def copy_corpus(data_dir: Path, root: Path) -> Path:
    if not (root / "data").exists():
        shutil.copytree(data_dir, root / "data")
    return root / "data"


# ---------------------------------------------------------------------------------------------
# DCMTK SCUs

def scu(tool: str, *args, cwd, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, TCP_NODELAY="1")
    return subprocess.run([dcmtk(tool), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def echoscu(port: int, aet: str = "FINDSCU", aec: str = "QRSCP", *, cwd) -> subprocess.CompletedProcess:
    return scu("echoscu", "-aet", aet, "-aec", aec, "127.0.0.1", port, cwd=cwd)


def storescu(port: int, *files, aet: str = "STORESCU", aec: str = "QRSCP", cwd,
             extra=()) -> subprocess.CompletedProcess:
    return scu("storescu", *extra, "-aet", aet, "-aec", aec, "127.0.0.1", port, *files, cwd=cwd)


_DUMP = re.compile(r"^I: \((?P<tag>[0-9a-f]{4},[0-9a-f]{4})\) (?P<vr>\w\w) "
                   r"(?:\[(?P<value>.*?)\]|\(no value available\)|=\S*)\s+#\s*\d+, \d+ (?P<name>\w+)")


@dataclass
class FindResult:
    proc: subprocess.CompletedProcess
    responses: list[dict] = field(default_factory=list)  # keyword -> raw value (padding kept) per response
    final: str = ""  # text of "Received Final Find Response (...)"

    def values(self, keyword: str) -> list[str]:
        return [r.get(keyword) for r in self.responses]

    def stripped(self, keyword: str) -> list[str]:
        return [(r.get(keyword) or "").rstrip(" \0") for r in self.responses]


def parse_find_output(stderr: str) -> tuple[list[dict], str]:
    """Responses and final status from ``findscu -v`` output (the per-response dataset dumps)."""
    responses: list[dict] = []
    current: dict | None = None
    final = ""
    for line in stderr.splitlines():
        if re.match(r"I: Find Response: \d+ \(Pending", line):
            current = {}
            responses.append(current)
            continue
        m = re.match(r"I: Received Final Find Response \((.*)\)", line)
        if m:
            final = m.group(1)
            current = None
            continue
        if line.startswith("I: -----") or line.startswith("I: Sending Find Request") or \
                line.startswith("I: Request Identifiers"):
            current = None
            continue
        m = _DUMP.match(line)
        if m and current is not None:
            current[m.group("name")] = m.group("value") or ""
    return responses, final


def findscu(port: int, *args, aet: str = "FINDSCU", aec: str = "QRSCP", cwd) -> FindResult:
    """``findscu -v -aet aet -aec aec args 127.0.0.1 port``: responses parsed from its log."""
    proc = scu("findscu", "-v", "-aet", aet, "-aec", aec, *args, "127.0.0.1", port, cwd=cwd)
    responses, final = parse_find_output(proc.stderr)
    return FindResult(proc, responses, final)


def keys(*pairs: str) -> list[str]:
    """``-k`` options from ``"Keyword=value"`` texts."""
    out: list[str] = []
    for pair in pairs:
        out += ["-k", pair]
    return out


class DestSCP:
    """DCMTK's storescp as C-MOVE destination, writing to ``directory``."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self._log = open(directory.parent / f"storescp-{self.port}.log", "wb")
        self.proc = subprocess.Popen([dcmtk("storescp"), "-od", str(directory), str(self.port)],
                                     cwd=directory.parent, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=dict(os.environ, TCP_NODELAY="1"),
                                     start_new_session=True)
        try:
            wait_listening(self.port, self.proc)
        except Exception:
            self.stop()
            raise

    def files(self) -> list[str]:
        return sorted(p.name for p in self.directory.iterdir())

    def clear(self) -> None:
        for p in self.directory.iterdir():
            p.unlink()

    def stop(self) -> None:
        stop_group(self.proc)
        self._log.close()


# ---------------------------------------------------------------------------------------------
# PostgreSQL (the throwaway server of tests/unit/db/conftest.py)

def postgres_missing() -> str | None:
    """Why the PostgreSQL variant cannot run here, or None."""
    if os.environ.get("PYDCMKIT_TEST_POSTGRES_URL"):
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    if not (glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb")):
        return "PostgreSQL server binaries (initdb, postgres) not found (Debian package 'postgresql')"
    return None


@pytest.fixture(scope="session")
def qr_postgres_url(request):
    """URL of a PostgreSQL database for ``dcmqrscp --database`` (skips when PostgreSQL is missing).
    A test module using it imports ``pg_server_url`` from tests.unit.db.conftest as well."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    return request.getfixturevalue("pg_server_url")


def drop_area_schemas(url: str, *areas: Path) -> None:
    """Drop the schemas dcmqrscp made for ``areas`` (matters when the server is not throwaway)."""
    import psycopg
    from psycopg import sql

    from pydcmkit.services.archive import area_schema
    with psycopg.connect(url, autocommit=True) as conn:
        for area in areas:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(area_schema(str(area)))))
