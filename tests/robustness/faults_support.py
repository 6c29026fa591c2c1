"""Helpers of the fault, security and scale-out tests: instances made in memory (hostile values
included), C-STORE / C-FIND over the hand-written upper layer of :mod:`tests.interop.rawclient`,
many stores on parallel associations that remember which ones were answered Success, checks of
what a storage area and its index hold, and a private PostgreSQL server a test may stop and start.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pydicom.config
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import dcmread
from pydicom.filewriter import write_dataset

from tests.interop import rawclient as raw
from tests.support import corpus, procs

CT = corpus.CT
IMPLICIT, EXPLICIT = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"
STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
PATIENT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
ROOT = f"{corpus.ROOT}.77"
SUCCESS = 0x0000


# ---------------------------------------------------------------------------------------------
# instances

def ct(sop_uid: str, *, study_uid: str = f"{ROOT}.1", series_uid: str = f"{ROOT}.2", patient_id: str = "FAULT1",
       patient_name: str = "FAULT^PATIENT", study_date: str = "20240102", series_date: str = "20240102",
       modality: str = "CT", size: int = 16, number: int = 1, study_id: str = "S1") -> Dataset:
    """A CT image with the given values, set as they are (no validation: hostile values stay)."""
    settings = pydicom.config.settings
    saved = settings.reading_validation_mode, settings.writing_validation_mode
    settings.reading_validation_mode = settings.writing_validation_mode = pydicom.config.IGNORE
    try:
        return _ct(sop_uid, study_uid, series_uid, patient_id, patient_name, study_date, series_date, modality,
                   size, number, study_id)
    finally:
        settings.reading_validation_mode, settings.writing_validation_mode = saved


def _ct(sop_uid, study_uid, series_uid, patient_id, patient_name, study_date, series_date, modality, size, number,
        study_id) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID, ds.SOPInstanceUID = CT, sop_uid
    ds.StudyDate, ds.StudyTime, ds.SeriesDate = study_date, "101500", series_date
    ds.AccessionNumber, ds.Modality = "ACC1", modality
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = patient_name, patient_id, "19700101", "O"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = study_id, 1, number
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = size
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = ((np.arange(size * size) % 4096).astype(np.uint16)).tobytes()
    return ds


def encode(ds: Dataset, explicit: bool = False) -> bytes:
    """The dataset in Implicit (or Explicit) VR Little Endian, as sent in P-DATA."""
    settings = pydicom.config.settings
    saved = settings.writing_validation_mode
    settings.writing_validation_mode = pydicom.config.IGNORE
    try:
        return _encode(ds, explicit)
    finally:
        settings.writing_validation_mode = saved


def _encode(ds: Dataset, explicit: bool) -> bytes:
    buf = DicomBytesIO()
    buf.is_little_endian, buf.is_implicit_VR = True, not explicit
    write_dataset(buf, ds)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# a peer speaking the upper layer by hand

class Peer:
    """One association of :class:`tests.interop.rawclient.RawAssociation` with contexts
    1 CT Implicit LE, 3 Study Root FIND, 5 Patient Root FIND."""

    CONTEXTS = ((1, CT, (IMPLICIT,)), (3, STUDY_FIND, (IMPLICIT,)), (5, PATIENT_FIND, (IMPLICIT,)))

    def __init__(self, port: int, called: str, calling: str = "RAWSCU", timeout: float = 20.0,
                 source: str | None = None):
        if source is None:
            self.assoc = raw.RawAssociation(port, timeout=timeout)
        else:
            self.assoc = raw.RawAssociation.__new__(raw.RawAssociation)
            self.assoc.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                                       source_address=(source, 0))
            self.assoc.max_pdv, self.assoc.accepted = 16000, {}
        self.answer = self.assoc.associate(self.CONTEXTS, calling=calling, called=called)
        self.msg_id = 0

    @property
    def accepted(self) -> bool:
        return self.answer == 0x02

    def store(self, ds: Dataset | bytes, sop_uid: str | None = None) -> int:
        data = ds if isinstance(ds, bytes) else encode(ds)
        uid = sop_uid if sop_uid is not None else ds.SOPInstanceUID
        if not isinstance(uid, str):  # a backslash made it multi-valued: send it as written
            uid = "\\".join(map(str, uid))
        self.msg_id += 1
        self.assoc.send_command(1, raw.c_store_rq(self.msg_id, CT, uid))
        self.assoc.send_dataset(1, data)
        return raw.status_of(self.assoc.read_command())

    def find(self, identifier: Dataset, ctx_id: int = 3) -> tuple[list[Dataset], int]:
        """A C-FIND: the identifiers of the pending responses and the final status."""
        self.msg_id += 1
        sop_class = STUDY_FIND if ctx_id == 3 else PATIENT_FIND
        self.assoc.send_command(ctx_id, raw.c_find_rq(self.msg_id, sop_class))
        self.assoc.send_dataset(ctx_id, encode(identifier))
        found = []
        while True:
            rsp = self.read_message()
            status = raw.status_of(rsp[0])
            if status in (0xFF00, 0xFF01):
                found.append(dcmread(DicomBytesIO(rsp[1]), force=True) if rsp[1] is not None else Dataset())
                continue
            return found, status

    def read_message(self) -> tuple[dict, bytes | None]:
        """A command and, when it announces one, its dataset (implicit VR LE bytes)."""
        command = self.assoc.read_command()
        if command.get(0x0800) and int.from_bytes(command[0x0800], "little") != 0x0101:
            return command, self.assoc.read_dataset()
        return command, None

    def release(self) -> None:
        try:
            self.assoc.release()
        except (OSError, ConnectionError):
            self.assoc.close()

    def close(self) -> None:
        self.assoc.close()


def find_identifier(level: str, **values) -> Dataset:
    """A C-FIND identifier (``Dataset`` keywords, ``None`` for a universal key)."""
    settings = pydicom.config.settings
    saved = settings.reading_validation_mode
    settings.reading_validation_mode = pydicom.config.IGNORE
    try:
        ds = Dataset()
        ds.QueryRetrieveLevel = level
        for keyword, value in values.items():
            setattr(ds, keyword, "" if value is None else value)
        return ds
    finally:
        settings.reading_validation_mode = saved


def store_one(port: int, called: str, ds: Dataset, calling: str = "RAWSCU") -> int:
    """One C-STORE on an association of its own; its status (ConnectionError if the peer fails)."""
    peer = Peer(port, called, calling)
    assert peer.accepted, f"association to {called} not accepted (PDU 0x{peer.answer:02x})"
    try:
        return peer.store(ds)
    finally:
        peer.release()


@dataclass
class StoreLoad:
    """``workers`` associations storing ``per_worker`` instances each, in threads; :attr:`answered`
    maps each SOP Instance UID to the status it was answered with (absent: no answer)."""

    port: int
    called: str
    workers: int = 3
    per_worker: int = 40
    size: int = 64
    prefix: str = f"{ROOT}.5"
    answered: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(self.workers)]

    def uid(self, worker: int, n: int) -> str:
        return f"{self.prefix}.{worker + 1}.{n + 1}"

    def _run(self, worker: int) -> None:
        try:
            peer = Peer(self.port, self.called, f"LOAD{worker}")
            for n in range(self.per_worker):
                uid = self.uid(worker, n)
                ds = ct(uid, study_uid=f"{self.prefix}.0.{worker % 2}", series_uid=f"{self.prefix}.0.{worker}.9",
                        patient_id=f"LOADPAT{worker % 2}", size=self.size, number=n + 1)
                status = peer.store(ds)
                with self._lock:
                    self.answered[uid] = status
            peer.release()
        except (OSError, ConnectionError) as exc:
            with self._lock:
                self.errors.append(exc)

    def start(self) -> StoreLoad:
        for t in self._threads:
            t.start()
        return self

    def successes(self) -> int:
        with self._lock:
            return sum(1 for s in self.answered.values() if s == SUCCESS)

    def join(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), "store threads still running"

    def succeeded(self) -> set[str]:
        return {uid for uid, s in self.answered.items() if s == SUCCESS}


def c_move(port: int, called: str, study_uid: str, dest: str, *, calling: str = "MOVESCU",
           ssl_context=None) -> list[tuple[int, dict]]:
    """A Study Root C-MOVE with pynetdicom (over TLS with ``ssl_context``): ``(status, counts)``
    of every response."""
    from pydicom.dataset import Dataset
    from pynetdicom import AE
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelMove as MOVE

    import tests.interop.peers  # noqa: F401  (quiet pynetdicom logging)
    ae = AE(ae_title=calling)
    ae.add_requested_context(MOVE)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 60
    assoc = ae.associate("127.0.0.1", port, ae_title=called,
                         tls_args=(ssl_context, None) if ssl_context is not None else None)
    assert assoc.is_established
    ident = Dataset()
    ident.QueryRetrieveLevel, ident.StudyInstanceUID = "STUDY", study_uid
    out = []
    try:
        for status, _ in assoc.send_c_move(ident, dest, MOVE):
            assert status is not None, "no C-MOVE response"
            counts = {k: int(status.get(f"NumberOf{k.capitalize()}Suboperations", -1))
                      for k in ("remaining", "completed", "failed", "warning")}
            out.append((int(status.Status), counts))
    finally:
        assoc.release()
    return out


def wait_until(predicate, timeout: float = 20.0, what: str = "condition"):
    """:func:`tests.support.procs.wait_until` with the longer wait these fault cases need."""
    return procs.wait_until(predicate, timeout=timeout, what=what)


# ---------------------------------------------------------------------------------------------
# what a storage area holds

def files_below(root: Path, skip=("dbase",)) -> list[Path]:
    """Regular files below ``root`` (hidden ones included; index databases and lock files and
    the folders ``skip`` left out)."""
    out = []
    for path in Path(root).rglob("*"):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or rel.split("/")[0] in skip:
            continue
        if path.name.startswith("pydcmkit-index.sqlite") or path.name.endswith(".lock"):
            continue
        out.append(path)
    return sorted(out)


def complete_uid(path: Path) -> str:
    """The SOP Instance UID of a stored object, after checking that its pixel data is whole."""
    from pydcmkit.conquest.naming import read_object
    ds = read_object(path)
    assert len(ds.PixelData) == ds.Rows * ds.Columns * 2, f"{path}: truncated pixel data"
    return str(ds.SOPInstanceUID)


def sqlite_check(db: Path) -> None:
    """The database opens, passes its integrity and foreign key checks."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def qr_rows(area: Path) -> list[tuple[str, str]]:
    """``(sop_instance_uid, path)`` of a dcmqrscp area's SQLite index."""
    with sqlite3.connect(f"file:{area / 'pydcmkit-index.sqlite'}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute("SELECT sop_instance_uid, path FROM instances").fetchall()


def pg_rows(url: str, area: Path) -> list[tuple[str, str]]:
    """``(sop_instance_uid, path)`` of a dcmqrscp area's index in PostgreSQL."""
    import psycopg
    from psycopg import sql

    from pydcmkit.services.archive import area_schema
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql.SQL("SELECT sop_instance_uid, path FROM {}.instances").format(
            sql.Identifier(area_schema(str(area))))).fetchall()


def dgate_rows(db: Path) -> list[tuple[str, str]]:
    """``(SOPInstanc, ObjectFile)`` of a dgate SQLite database."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute("SELECT SOPInstanc, ObjectFile FROM DICOMImages").fetchall()


# ---------------------------------------------------------------------------------------------
# a private PostgreSQL server that a test may stop and start

class PgCluster:
    """``initdb`` in a temporary directory, a server on a unix socket only; :meth:`stop` and
    :meth:`start` take it away and bring it back (same data, same URL)."""

    def __init__(self):
        from tests.unit.db.conftest import _as_server_user, _pg_bindir
        self._user = _as_server_user
        self.bindir = _pg_bindir()
        self.dir = tempfile.mkdtemp(prefix="pydcmkit-pgfault-")
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.dir, "data")
        init = subprocess.run(self._user([os.path.join(self.bindir, "initdb"), "-D", self.data, "-A", "trust",
                                          "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"]),
                              capture_output=True, text=True, timeout=120, check=False)
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        from tests.support.procs import free_port
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        host = quote(self.dir, safe="")
        self.admin_url = f"postgresql://postgres@/postgres?host={host}&port={self.port}"
        self.url = f"postgresql://postgres@/pacs?host={host}&port={self.port}"
        self.start()
        import psycopg
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE pacs")

    def start(self) -> None:
        import psycopg
        self._log = open(os.path.join(self.dir, "server.log"), "a")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(self._user([
            os.path.join(self.bindir, "postgres"), "-D", self.data, "-k", self.dir, "-p", str(self.port),
            "-c", "listen_addresses=", "-c", "fsync=off",
            "-c", "full_page_writes=off", "-c", "max_connections=100"]),  # commits reach the WAL: SIGQUIT loses none
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited with {self.proc.returncode}")
            try:
                with psycopg.connect(self.admin_url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Immediate shutdown (SIGQUIT): the server drops every connection at once."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.proc is not None:
            self._log.close()
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)




# ---------------------------------------------------------------------------------------------
# dcmqrscp and dgate behind one interface

class Archive:
    """A running dcmqrscp (:class:`~tests.interop.dcmqrscp_support.QRServer`, called AE QROPEN,
    which admits any peer) or dgate (:class:`~tests.interop.dgate_support.DgateRun`)."""

    def __init__(self, kind: str, root: Path, *, database: str | None = None, settings: dict | None = None,
                 options: tuple = (), port: int | None = None, dest_port: int | None = None, amap: tuple = ()):
        self.kind, self.root, self.database = kind, Path(root), database
        self._dest_port, self._amap = dest_port, list(amap)
        self._settings, self._options, self._port = dict(settings or {}), options, port
        self.server = None
        self.start()

    def start(self) -> Archive:
        if self.kind == "dcmqrscp":
            from tests.interop.dcmqrscp_support import QRServer
            self.server = QRServer(self.root, *self._options, port=self._port, database=self.database,
                                   dest_port=self._dest_port, config=self.server.config if self.server is not None else None)
            self._port, self.ae, self.store = self.server.port, "QROPEN", self.root / "STORE"
        else:
            from tests.interop.dgate_support import DgateRun
            settings = dict(self._settings)
            if self.database:
                settings.update({"SQLite": "0", "PostGres": "1", "SQLServer": self.database})
            run = DgateRun(self.root, port=self._port, settings=settings, amap=self._amap)
            self.server = run.start(*self._options)
            self._port, self.ae, self.store = run.port, run.ae, run.mag0
        return self

    @property
    def port(self) -> int:
        return self._port

    @property
    def pid(self) -> int:
        return self.server.proc.pid

    def alive(self) -> bool:
        return self.server.proc.poll() is None

    @property
    def log(self) -> str:
        return self.server.log

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.kind == "dgate":
            return self.server.stop(sig)
        if sig == signal.SIGKILL and self.server.proc.poll() is None:
            os.killpg(self.server.proc.pid, signal.SIGKILL)
            self.server.proc.wait(10)
        return self.server.stop()

    @property
    def sqlite_path(self) -> Path:
        if self.kind == "dcmqrscp":
            return self.store / "pydcmkit-index.sqlite"
        return Path(self._settings.get("SQLServer") or self.store / "dbase" / "conquest.db3")

    def rows(self) -> list[tuple[str, str]]:
        """``(SOP Instance UID, path relative to the storage area)`` of every index row."""
        if self.kind == "dcmqrscp":
            rows = pg_rows(self.database, self.store) if self.database else qr_rows(self.store)
            return [(uid, os.path.relpath(path, self.store) if os.path.isabs(path) else path) for uid, path in rows]
        if self.database:
            import psycopg
            with psycopg.connect(self.database, autocommit=True) as conn:
                return conn.execute("SELECT SOPInstanc, ObjectFile FROM DICOMImages").fetchall()
        return dgate_rows(self.sqlite_path)

    def files(self) -> list[Path]:
        return files_below(self.store)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.server is not None:
            self.stop()


def echo_ok(port: int, called: str) -> bool:
    from tests.support.procs import dcmtk
    r = subprocess.run([dcmtk("echoscu"), "-aet", "ECHOSCU", "-aec", called, "-to", "10", "-ta", "10", "-td", "10",
                        "127.0.0.1", str(port)], capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
                       check=False)
    return r.returncode == 0
