#!/usr/bin/env python3
"""Store benchmark: DCMTK 3.6.7 ``dcmsend -> dcmrecv`` against pydcmkit's, on loopback.

For every scenario the DCMTK pair and the pydcmkit variants are run alternately
(A, B, C, A, B, C, ... for ``--repeat`` rounds).  Each run starts a receiver with a fresh
output directory and its own port, times the sender process from start to exit, checks that
the receiver stored exactly as many files as were sent, reads the receiver's RSS high-water
mark (``VmHWM`` of every process in its process group) and stops it.

Results are printed as a markdown table (and written to ``--output``); see benchmarks/README.md.
Only the standard library, numpy and pydicom are used.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

DCMTK_SEND = "/usr/bin/dcmsend"  # always by absolute path: PATH may hold pydcmkit's tools
DCMTK_RECV = "/usr/bin/dcmrecv"
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"  # what dgate's IncomingCompression j2 stores
QR_AREA_AE = "BENCHQR"  # the storage area of the generated dcmqrscp.cfg (dcmsend -aec)
DGATE_AE = "CONQUESTSRV1"  # MyACRNema of the generated dicom.ini (dcmsend -aec)
GROUPS = ("large", "small", "shipped", "huge", "ingest")
PROFILE_FILE = "/etc/dcmtk/storescp.cfg"
PROFILE = "Default"
REPO = Path(__file__).resolve().parent.parent
PEER = "127.0.0.1"
MB = 1_000_000  # MB/s and RSS are reported in MB = 10^6 bytes

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
MF_GRAY_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3"


#: dcmqrscp.cfg of an ingest run: one RW storage area open to any peer.  The quota caps one
#: study at 1 GiB (DCMTK's maximum), which bounds the large corpus at ~2000 images.
QRSCP_CONFIG = """\
NetworkTCPPort  = {port}
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
{area_ae}   {area}   RW  (10, 1024mb)   ANY
AETable END
"""

#: dicom.ini of an ingest run (dgate.md §2.2): SQLite, one MAG device, FileNameSyntax 4.
DGATE_INI = """\
[sscscp]
MicroPACS                = sscscp
MyACRNema                = {ae}
TCPPort                  = {port}
SQLHost                  = localhost
SQLServer                = {db}
Username                 = dontcare
Password                 = dontcare
SqLite                   = 1
MAGDevices               = 1
MAGDevice0               = {mag0}
FileNameSyntax           = 4
IncomingCompression      = {incoming}
DroppedFileCompression   = un
ArchiveCompression       = as
"""


class BenchError(Exception):
    """A run that did not do what it should (bad exit code, wrong file count, timeout ...)."""


# ---------------------------------------------------------------------------------------------
# processes: every child gets its own process group; all are killed on exit, Ctrl-C or SIGTERM
# ---------------------------------------------------------------------------------------------
class Processes:
    def __init__(self) -> None:
        self._live: dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def spawn(self, cmd: list[str], env: dict, log_path: Path, cwd: Path) -> subprocess.Popen:
        with open(log_path, "ab") as log:
            log.write(("$ " + shlex.join(cmd) + "\n").encode())
            log.flush()
            p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        with self._lock:
            self._live[p.pid] = p
        return p

    def forget(self, p: subprocess.Popen) -> None:
        with self._lock:
            self._live.pop(p.pid, None)

    @staticmethod
    def signal_group(pgid: int, sig: int) -> None:
        # Linux never hands out a PID that is still in use as a process group id, so after the
        # leader is gone this reaches only its own leftover descendants (or nothing).
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, p: subprocess.Popen, grace: float = 10.0) -> None:
        """SIGTERM the group, wait up to ``grace`` s, then SIGKILL it."""
        if p.returncode is None:
            self.signal_group(p.pid, signal.SIGTERM)
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                self.signal_group(p.pid, signal.SIGKILL)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        if group_members(p.pid):
            self.signal_group(p.pid, signal.SIGKILL)
        self.forget(p)

    def kill_all(self) -> None:
        with self._lock:
            procs = list(self._live.values())
        for p in procs:
            self.signal_group(p.pid, signal.SIGKILL)
        for p in procs:
            try:
                if p.returncode is None:
                    p.wait(5)
            except (subprocess.TimeoutExpired, ChildProcessError):
                pass
            self.forget(p)


PROCS = Processes()


def group_members(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            pids.append(int(entry))
    return pids


def vm_hwm_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def group_peak_rss_bytes(pgid: int) -> int | None:
    """Sum of VmHWM over the live processes of the group (the receiver is one process)."""
    values = [v for v in (vm_hwm_kib(pid) for pid in group_members(pgid)) if v is not None]
    return sum(values) * 1024 if values else None


def listening_ports() -> set[int]:
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if len(parts) > 3 and parts[3] == "0A":  # TCP_LISTEN
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


class PortAllocator:
    def __init__(self, base: int) -> None:
        self.next = base

    def get(self) -> int:
        busy = listening_ports()
        for _ in range(2000):
            port, self.next = self.next, self.next + 1
            if self.next > 65000:
                self.next = 20000
            if port in busy:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(("0.0.0.0", port))
                return port
            except OSError:
                continue
            finally:
                s.close()
        raise BenchError("no free TCP port found")


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    | " + line for line in text[-lines:])


# ---------------------------------------------------------------------------------------------
# corpus
# ---------------------------------------------------------------------------------------------
def _base_dataset(sop_class: str, modality: str, rows: int, cols: int):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.StudyDate = "20240101"
    ds.SeriesDate = "20240101"
    ds.StudyTime = "120000"
    ds.AccessionNumber = "BENCH1"
    ds.Modality = modality
    ds.Manufacturer = "pydcmkit benchmark"
    ds.PatientName = "Bench^Store"
    ds.PatientID = "BENCH-STORE"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.PixelSpacing = [0.5, 0.5]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    return ds


def manifest(path: Path) -> Path:
    """Kept beside the corpus directory: the senders get the directory, it must hold DICOM files only."""
    return path.with_name(path.name + ".json")


def corpus_ready(path: Path, expected: dict) -> bool:
    try:
        return path.is_dir() and json.loads(manifest(path).read_text()) == expected
    except (OSError, ValueError):
        return False


def make_image_corpus(root: Path, name: str, count: int, rows: int, cols: int, sop_class: str,
                      modality: str, regenerate: bool) -> Path:
    """``count`` single-frame 16-bit images (Explicit VR Little Endian) in ``root/name``."""
    import numpy as np
    from pydicom import dcmwrite
    from pydicom.uid import generate_uid

    path = root / name
    expected = {"count": count, "rows": rows, "cols": cols, "sop_class": sop_class, "version": 1}
    if not regenerate and corpus_ready(path, expected):
        return path
    tmp = root / (name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    manifest(path).unlink(missing_ok=True)
    tmp.mkdir(parents=True)
    print(f"  generating {count} images {rows}x{cols}x16 bit in {path} ...", flush=True)
    t0 = time.monotonic()
    rng = np.random.default_rng(20240101)
    pixels = rng.integers(0, 4096, size=(rows, cols), dtype=np.uint16).tobytes()
    ds = _base_dataset(sop_class, modality, rows, cols)
    ds.add_new(0x7FE00010, "OW", pixels)
    for i in range(count):
        uid = generate_uid()
        ds.SOPInstanceUID = uid
        ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.InstanceNumber = i + 1
        ds.ImagePositionPatient = [0.0, 0.0, float(i)]
        dcmwrite(tmp / f"IMG{i:06d}.dcm", ds, enforce_file_format=True)
    tmp.rename(path)
    manifest(path).write_text(json.dumps(expected))
    print(f"  ... done in {time.monotonic() - t0:.1f} s", flush=True)
    return path


def make_huge_corpus(root: Path, mib: int, regenerate: bool) -> Path:
    """One multi-frame 16-bit 512x512 instance whose pixel data is ``mib`` MiB.

    The header is written by pydicom; the Pixel Data element header and value are appended by
    hand, one 512 KiB frame at a time, so the file never exists in memory.
    """
    import numpy as np
    from pydicom import dcmread, dcmwrite

    rows = cols = 512
    frame_bytes = rows * cols * 2
    frames = max(1, mib * 1024 * 1024 // frame_bytes)
    nbytes = frames * frame_bytes
    if nbytes > 0xFFFFFFFE:
        raise BenchError("--huge-mib too large for one explicit-length Pixel Data element")
    name = f"huge-{mib}MiB"
    path = root / name
    expected = {"frames": frames, "rows": rows, "cols": cols, "version": 1}
    if not regenerate and corpus_ready(path, expected):
        return path
    free = shutil.disk_usage(root).free
    if free < 3 * nbytes:
        raise BenchError(f"not enough free disk space in {root} for the {mib} MiB instance "
                         f"(need ~{3 * nbytes / MB:.0f} MB: corpus and a received copy)")
    tmp = root / (name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    manifest(path).unlink(missing_ok=True)
    tmp.mkdir(parents=True)
    print(f"  generating one {frames}-frame 512x512x16 bit instance ({nbytes / MB:.0f} MB pixel data) "
          f"in {path} ...", flush=True)
    t0 = time.monotonic()
    ds = _base_dataset(MF_GRAY_WORD_SC, "OT", rows, cols)
    del ds.PixelSpacing
    ds.ConversionType = "WSD"
    ds.NumberOfFrames = frames
    ds.FrameIncrementPointer = 0x00181063  # Frame Time
    ds.FrameTime = 40.0
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.RescaleType = "US"
    target = tmp / "HUGE000000.dcm"
    dcmwrite(target, ds, enforce_file_format=True)  # every element sorts before (7FE0,0010)
    rng = np.random.default_rng(7)
    base = rng.integers(0, 4096, size=(rows, cols), dtype=np.uint16)
    header_size = target.stat().st_size
    with open(target, "ab") as f:
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, nbytes))
        for i in range(frames):
            f.write((base ^ np.uint16(i & 0x0FFF)).tobytes())
    check = dcmread(target, stop_before_pixels=True)
    if int(check.NumberOfFrames) != frames or target.stat().st_size != header_size + 12 + nbytes:
        raise BenchError(f"generated {target} does not read back as expected")
    tmp.rename(path)
    manifest(path).write_text(json.dumps(expected))
    print(f"  ... done in {time.monotonic() - t0:.1f} s", flush=True)
    return path


@dataclass
class Corpus:
    path: Path
    count: int
    bytes: int


def describe(path: Path) -> Corpus:
    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    return Corpus(path, len(files), sum(p.stat().st_size for p in files))


def count_received(path: Path, skip_dirs: tuple = (), skip_prefix: str | None = None) -> tuple[int, int]:
    """Regular, non-hidden files below ``path`` (pydcmkit's temporary files start with a dot),
    leaving out the directories ``skip_dirs`` (dgate's database) and names starting with
    ``skip_prefix`` (dcmqrscp's index)."""
    n = size = 0
    skip = {os.path.normpath(d) for d in skip_dirs}
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(dirpath, d)) not in skip]
        for fn in filenames:
            if fn.startswith(".") or (skip_prefix and fn.startswith(skip_prefix)):
                continue
            try:
                size += os.stat(os.path.join(dirpath, fn)).st_size
            except OSError:
                continue
            n += 1
    return n, size


# ---------------------------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------------------------
@dataclass
class Variant:
    key: str
    label: str                      # row label in the table
    sender: str                     # "dcmtk" | "py"
    receiver: str                   # "dcmtk" | "py" (dcmrecv) | "py-dcmqrscp" | "py-dgate"
    send_args: tuple = ()
    recv_args: tuple = ()
    nagle: bool = False             # DCMTK as shipped (no TCP_NODELAY=1 in its environment)
    target_ratio: float | None = None
    target_rss_mb: float | None = None
    row: bool = True                # False: the reference, only shown in the DCMTK column
    called_ae: str | None = None    # dcmsend -aec (dcmqrscp: the area's AE, dgate: MyACRNema)
    incoming_compression: str = "as"  # dgate's IncomingCompression
    expect_ts: str | None = None    # transfer syntax the received files must have (checked on one)
    min_bytes_fraction: float | None = 0.95  # of the corpus bytes; None: stored compressed, not checked
    target_vs_ours: float | None = None  # ingest groups: target ratio to our dcmrecv
    runs: list = field(default_factory=list)


@dataclass
class Group:
    key: str
    title: str
    corpus: Corpus
    variants: list[Variant]
    repeat: int
    send_timeout: float
    ours: str | None = None  # ingest groups: the key of our dcmrecv (the second reference)

    @property
    def ref(self) -> Variant:
        return self.variants[0]

    def variant(self, key: str) -> Variant:
        return next(v for v in self.variants if v.key == key)


class Runner:
    def __init__(self, args, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.ports = PortAllocator(args.base_port)
        self.logdir = workdir / "logs"
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.recvroot = workdir / "received"
        self.recvroot.mkdir(parents=True, exist_ok=True)
        self.kept: list[Path] = []  # output directories of finished runs (Runner.keep)
        self.failures: list[str] = []
        pycache = workdir / "pycache"  # keep the repository's __pycache__ untouched
        self.py_env = dict(os.environ)
        self.py_env["PYTHONPATH"] = os.pathsep.join(
            [str(args.repo)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
        self.py_env["PYTHONPYCACHEPREFIX"] = str(pycache)
        self.py_env.pop("TCP_NODELAY", None)

    # commands -----------------------------------------------------------------------------
    def tool(self, impl: str, name: str) -> list[str]:
        if impl == "dcmtk":
            return [DCMTK_SEND if name == "dcmsend" else DCMTK_RECV]
        if self.args.pydcmkit_bin:
            return [str(Path(self.args.pydcmkit_bin) / name)]
        return [sys.executable, "-m", f"tools.{name}"]  # dcmsend, dcmrecv, dcmqrscp, dgate

    def receiver(self, v: Variant, port: int, outdir: Path):
        """The receiver's command line and working directory, and a function that counts what
        it stored as (files, bytes).  dcmqrscp and dgate get a generated configuration in
        ``outdir``."""
        if v.receiver in ("dcmtk", "py"):
            cmd = self.tool(v.receiver, "dcmrecv") + [str(port), "--config-file", PROFILE_FILE, PROFILE,
                                                      "--output-directory", str(outdir), *v.recv_args]
            return cmd, self.workdir, lambda: count_received(outdir)
        if v.receiver == "py-dcmqrscp":
            area = outdir / "area"
            area.mkdir()
            cfg = outdir / "dcmqrscp.cfg"
            cfg.write_text(QRSCP_CONFIG.format(port=port, area_ae=QR_AREA_AE, area=area))
            cmd = self.tool("py", "dcmqrscp") + ["-c", str(cfg), *v.recv_args, str(port)]
            return cmd, outdir, lambda: count_received(area, skip_prefix="pydcmkit-index.sqlite")
        if v.receiver == "py-dgate":
            mag0, dbase = outdir / "data", outdir / "data" / "dbase"
            dbase.mkdir(parents=True)
            (outdir / "dicom.ini").write_text(DGATE_INI.format(
                ae=DGATE_AE, port=port, db=dbase / "conquest.db3", mag0=f"{mag0}{os.sep}",
                incoming=v.incoming_compression))
            (outdir / "acrnema.map").write_text(f"{DGATE_AE:<15} 127.0.0.1   {port}   un\n")
            cmd = self.tool("py", "dgate") + [f"-w{outdir}", f"-p{port}", *v.recv_args]
            return cmd, outdir, lambda: count_received(mag0, skip_dirs=(dbase,))
        raise ValueError(f"unknown receiver {v.receiver!r}")

    def env(self, impl: str, nagle: bool) -> dict:
        if impl == "py":
            return self.py_env
        env = dict(os.environ)
        if nagle:
            env.pop("TCP_NODELAY", None)
        else:
            env["TCP_NODELAY"] = "1"
        return env

    def warm_up(self) -> None:
        """Byte-compile pydcmkit into the private pycache so no timed run pays for it."""
        if self.args.pydcmkit_bin:
            return
        cmd = [sys.executable, "-m", "compileall", "-q", str(self.args.repo / "pydcmkit"),
               str(self.args.repo / "tools")]
        subprocess.run(cmd, env=self.py_env, cwd=self.workdir, stdout=subprocess.DEVNULL, timeout=300,
                       check=False)
        for name in ("dcmsend", "dcmrecv"):
            r = subprocess.run(self.tool("py", name) + ["--version"], env=self.py_env, cwd=self.workdir,
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise BenchError(f"pydcmkit {name} --version failed ({r.returncode}):\n{r.stdout}{r.stderr}")

    # one run ------------------------------------------------------------------------------
    def run_once(self, group: Group, v: Variant, rnd: int) -> dict:
        port = self.ports.get()
        outdir = self.recvroot / f"{group.key}-{v.key}-r{rnd}"
        shutil.rmtree(outdir, ignore_errors=True)
        outdir.mkdir(parents=True)
        recv_log = self.logdir / f"{group.key}-{v.key}-r{rnd}-recv.log"
        send_log = self.logdir / f"{group.key}-{v.key}-r{rnd}-send.log"
        for p in (recv_log, send_log):
            p.unlink(missing_ok=True)
        recv_cmd, recv_cwd, count = self.receiver(v, port, outdir)
        aec = ("-aec", v.called_ae) if v.called_ae else ()
        send_cmd = self.tool(v.sender, "dcmsend") + [*aec, PEER, str(port), "--scan-directories", *v.send_args,
                                                     str(group.corpus.path)]
        rec = {"group": group.key, "variant": v.key, "round": rnd, "port": port, "ok": False,
               "recv_cmd": shlex.join(recv_cmd), "send_cmd": shlex.join(send_cmd),
               "recv_env_TCP_NODELAY": self.env(recv_impl(v), v.nagle).get("TCP_NODELAY"),
               "send_env_TCP_NODELAY": self.env(v.sender, v.nagle).get("TCP_NODELAY")}
        recv = None
        try:
            recv = PROCS.spawn(recv_cmd, self.env(recv_impl(v), v.nagle), recv_log, recv_cwd)
            deadline = time.monotonic() + self.args.startup_timeout
            while port not in listening_ports():
                if recv.poll() is not None:
                    raise BenchError(f"receiver exited with {recv.returncode} before listening on {port}:\n"
                                     + tail(recv_log))
                if time.monotonic() > deadline:
                    raise BenchError(f"receiver not listening on {port} after {self.args.startup_timeout} s:\n"
                                     + tail(recv_log))
                time.sleep(0.02)

            seconds, code = self.timed_sender(send_cmd, self.env(v.sender, v.nagle), send_log,
                                              group.send_timeout)
            rec.update(seconds=seconds, sender_exit=code)
            n, nbytes = count()
            settle = time.monotonic() + self.args.settle_timeout
            while n < group.corpus.count and time.monotonic() < settle and recv.poll() is None:
                time.sleep(0.05)
                n, nbytes = count()
            rec.update(received=n, received_bytes=nbytes)
            rec["receiver_peak_rss"] = group_peak_rss_bytes(recv.pid) if recv.poll() is None else None
            problems = []
            if code != 0:
                problems.append(f"sender exit code {code}")
            if n != group.corpus.count:
                problems.append(f"received {n} files, expected {group.corpus.count}")
            elif v.min_bytes_fraction is not None and nbytes < v.min_bytes_fraction * group.corpus.bytes:
                # headers may differ a little, data may not be missing
                problems.append(f"received only {nbytes} bytes of {group.corpus.bytes} sent")
            if v.expect_ts and n:
                ts = stored_transfer_syntax(outdir)
                rec["stored_ts"] = ts
                if ts != v.expect_ts:
                    problems.append(f"a stored file has transfer syntax {ts}, expected {v.expect_ts}")
            if recv.poll() is not None:
                problems.append(f"receiver died during the run (exit code {recv.returncode})")
            if problems:
                raise BenchError("; ".join(problems) + "\n  sender log:\n" + tail(send_log)
                                 + "\n  receiver log:\n" + tail(recv_log))
            rec["ok"] = True
            rec["rate"] = group.corpus.count / seconds
            rec["mbps"] = group.corpus.bytes / seconds / MB
        except BenchError as exc:
            rec["error"] = str(exc)
        except BaseException:  # Ctrl-C, SIGTERM: no graceful receiver shutdown, kill everything now
            PROCS.kill_all()
            raise
        finally:
            if recv is not None:
                PROCS.stop(recv)
            self.keep(outdir, group)
            os.sync()  # flush the received data now, not during the next timed run
        return rec

    def keep(self, outdir: Path, group: Group) -> None:
        """Keep a run's files until the end: on ext4 without a journal (these VMs) the inode
        allocator skips, one by one, every inode freed in the last 60 s (360 s while its block
        is dirty), so deleting 1000 files before the next run made every file creation in it
        slow, for every receiver.  The files go when the script ends, or earlier, oldest first,
        when free space would drop below four times the corpus plus 1 GiB."""
        self.kept.append(outdir)
        need = 4 * group.corpus.bytes + (1 << 30)
        while self.kept and shutil.disk_usage(self.recvroot).free < need:
            shutil.rmtree(self.kept.pop(0), ignore_errors=True)

    def remove_received(self) -> None:
        while self.kept:
            shutil.rmtree(self.kept.pop(), ignore_errors=True)

    def timed_sender(self, cmd: list[str], env: dict, log: Path, timeout: float):
        """Wall time of the sender process (start to exit) and its exit code.

        (No sender peak RSS: the rusage of a child started from this Python process includes the
        parent's memory image from before exec, so it would be meaningless.)"""
        result: dict = {}
        t0 = time.perf_counter()
        p = PROCS.spawn(cmd, env, log, self.workdir)

        def reap() -> None:
            _pid, status = os.waitpid(p.pid, 0)
            result["t1"] = time.perf_counter()
            result["status"] = status

        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        waiter.join(timeout)
        if waiter.is_alive():
            PROCS.signal_group(p.pid, signal.SIGKILL)
            waiter.join(30)
            PROCS.forget(p)
            p.returncode = -9
            raise BenchError(f"sender timed out after {timeout:g} s and was killed:\n" + tail(log))
        p.returncode = os.waitstatus_to_exitcode(result["status"])
        if group_members(p.pid):  # leftovers of the sender's group
            PROCS.signal_group(p.pid, signal.SIGKILL)
        PROCS.forget(p)
        return result["t1"] - t0, p.returncode

    # a group: A, B, C, A, B, C ... ----------------------------------------------------------
    def run_group(self, group: Group) -> None:
        c = group.corpus
        print(f"\n== {group.title}: {c.count} files, {c.bytes / MB:.1f} MB, {group.repeat} round(s)", flush=True)
        for rnd in range(1, group.repeat + 1):
            for v in group.variants:
                rec = self.run_once(group, v, rnd)
                v.runs.append(rec)
                if rec["ok"]:
                    rss = rec.get("receiver_peak_rss")
                    print(f"  r{rnd} {v.key:<22} {rec['seconds']:8.2f} s {rec['rate']:9.1f} img/s "
                          f"{rec['mbps']:8.1f} MB/s  receiver peak RSS {fmt_mb(rss)} MB", flush=True)
                else:
                    msg = f"{group.key}/{v.key} round {rnd}: {rec['error']}"
                    self.failures.append(msg)
                    print(f"  r{rnd} {v.key:<22} FAILED\n{indent(rec['error'])}\n"
                          f"    command: {rec['send_cmd']}\n    receiver: {rec['recv_cmd']}",
                          file=sys.stderr, flush=True)
                    if self.args.fail_fast:
                        raise BenchError(msg)


def recv_impl(v: Variant) -> str:
    return "dcmtk" if v.receiver == "dcmtk" else "py"


def stored_transfer_syntax(outdir: Path) -> str | None:
    """Transfer syntax of the first ``.dcm`` file below ``outdir`` (dgate's files)."""
    from pydicom import dcmread

    for dirpath, _dirnames, filenames in os.walk(outdir):
        for fn in sorted(filenames):
            if fn.endswith(".dcm"):
                meta = dcmread(os.path.join(dirpath, fn), stop_before_pixels=True).file_meta
                return str(meta.get("TransferSyntaxUID", "")) or None
    return None


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def fmt_mb(nbytes) -> str:
    return "?" if nbytes is None else f"{nbytes / MB:.0f}"


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def median_of(runs: list, key: str):
    vals = [r[key] for r in runs if r.get("ok") and r.get(key) is not None]
    return statistics.median(vals) if vals else None


def max_of(runs: list, key: str):
    vals = [r[key] for r in runs if r.get("ok") and r.get(key) is not None]
    return max(vals) if vals else None


def paired_ratio(ref: Variant, v: Variant):
    """Median over rounds of (variant rate / reference rate of the same round)."""
    ref_by_round = {r["round"]: r for r in ref.runs if r.get("ok")}
    ratios = [r["rate"] / ref_by_round[r["round"]]["rate"] for r in v.runs
              if r.get("ok") and r["round"] in ref_by_round]
    return (statistics.median(ratios), ratios) if ratios else (None, [])


def fmt_rate(x) -> str:
    if x is None:
        return "FAILED"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def build_table(groups: list[Group]) -> tuple[str, list[dict]]:
    head = ("| scenario | DCMTK img/s | pydcmkit img/s | ratio (pydcmkit/DCMTK, median of rounds) "
            "| MB/s (DCMTK / pydcmkit) | receiver peak RSS, MB (DCMTK / pydcmkit) |\n"
            "|---|---:|---:|---|---:|---:|")
    rows, summary = [head], []
    for g in groups:
        if g.ours is not None:  # ingest groups have their own table
            continue
        ref = g.ref
        ref_rate, ref_mbps, ref_rss = median_of(ref.runs, "rate"), median_of(ref.runs, "mbps"), \
            max_of(ref.runs, "receiver_peak_rss")
        for v in g.variants:
            if not v.row:
                continue
            rate, mbps, rss = median_of(v.runs, "rate"), median_of(v.runs, "mbps"), \
                max_of(v.runs, "receiver_peak_rss")
            ratio, ratios = paired_ratio(ref, v)
            failed = sum(1 for r in v.runs if not r.get("ok")) + sum(1 for r in ref.runs if not r.get("ok"))
            ratio_cell = "n/a" if ratio is None else f"{ratio:.2f}×"
            if v.target_ratio is not None:
                ratio_cell += f" (target ≥ {v.target_ratio:.1f}×: " + (
                    "n/a" if ratio is None else verdict(ratio >= v.target_ratio)) + ")"
            rss_cell = f"{fmt_mb(ref_rss)} / {fmt_mb(rss)}"
            if v.target_rss_mb is not None:
                rss_cell += f" (target < {v.target_rss_mb:.0f}: " + (
                    "n/a" if rss is None else verdict(rss / MB < v.target_rss_mb)) + ")"
            if failed:
                ratio_cell += f" — {failed} failed run(s)"
            mbps_cell = f"{'FAILED' if ref_mbps is None else f'{ref_mbps:.1f}'} / " \
                        f"{'FAILED' if mbps is None else f'{mbps:.1f}'}"
            if not v.runs:
                rows.append(f"| {v.label} | {fmt_rate(ref_rate)} | not run | | | |")
                continue
            rows.append(f"| {v.label} | {fmt_rate(ref_rate)} | {fmt_rate(rate)} | {ratio_cell} | "
                        f"{mbps_cell} | {rss_cell} |")
            summary.append({"group": g.key, "variant": v.key, "label": v.label, "reference": ref.key,
                            "dcmtk_rate": ref_rate, "pydcmkit_rate": rate, "ratio": ratio,
                            "ratios": ratios, "dcmtk_mbps": ref_mbps, "pydcmkit_mbps": mbps,
                            "dcmtk_receiver_peak_rss": ref_rss, "pydcmkit_receiver_peak_rss": rss,
                            "target_ratio": v.target_ratio, "target_rss_mb": v.target_rss_mb,
                            "failed_runs": failed})
    if len(rows) == 1:
        return "", summary
    return "\n".join(rows), summary


def build_ingest_table(groups: list[Group]) -> tuple[str, list[dict]]:
    """One row per receiver of the ingest groups, all fed by DCMTK's dcmsend: img/s, and the
    paired ratios to DCMTK's dcmrecv and to our dcmrecv of the same round."""
    head = ("| ingest: DCMTK dcmsend → receiver | img/s | MB/s | ratio to DCMTK dcmrecv | ratio to our dcmrecv "
            "| receiver peak RSS, MB |\n"
            "|---|---:|---:|---|---|---:|")
    rows, summary = [head], []
    for g in groups:
        if g.ours is None:
            continue
        ref, ours = g.ref, g.variant(g.ours)
        for v in g.variants:
            rate, mbps, rss = median_of(v.runs, "rate"), median_of(v.runs, "mbps"), \
                max_of(v.runs, "receiver_peak_rss")
            to_dcmtk, dcmtk_ratios = paired_ratio(ref, v)
            to_ours, ours_ratios = paired_ratio(ours, v)
            failed = sum(1 for r in v.runs if not r.get("ok"))
            ours_cell = "n/a" if to_ours is None else f"{to_ours:.2f}×"
            if v.target_vs_ours is not None:
                ours_cell += f" (target ≥ {v.target_vs_ours:.1f}×: " + (
                    "n/a" if to_ours is None else verdict(to_ours >= v.target_vs_ours)) + ")"
            dcmtk_cell = "n/a" if to_dcmtk is None else f"{to_dcmtk:.2f}×"
            if failed:
                dcmtk_cell += f" — {failed} failed run(s)"
            if not v.runs:
                rows.append(f"| {g.title}: {v.label} | not run | | | | |")
                continue
            rows.append(f"| {g.title}: {v.label} | {fmt_rate(rate)} | "
                        f"{'FAILED' if mbps is None else f'{mbps:.1f}'} | {dcmtk_cell} | {ours_cell} | "
                        f"{fmt_mb(rss)} |")
            summary.append({"group": g.key, "variant": v.key, "label": v.label, "rate": rate, "mbps": mbps,
                            "ratio_to_dcmtk_dcmrecv": to_dcmtk, "ratios_to_dcmtk_dcmrecv": dcmtk_ratios,
                            "ratio_to_our_dcmrecv": to_ours, "ratios_to_our_dcmrecv": ours_ratios,
                            "receiver_peak_rss": rss, "target_vs_ours": v.target_vs_ours,
                            "failed_runs": failed})
    if len(rows) == 1:
        return "", summary
    return "\n".join(rows), summary


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pydcmkit-bench",
                    help="corpus, received files, logs (the corpus is reused when it matches)")
    ap.add_argument("--output", type=Path, help="also write the markdown table (and notes) to this file")
    ap.add_argument("--json", type=Path, help="write every run's raw numbers to this JSON file")
    ap.add_argument("--repeat", type=int, default=3, help="rounds per scenario (A, B, ... alternating)")
    ap.add_argument("--large-count", type=int, default=1000, help="CT images 512x512x16 bit")
    ap.add_argument("--small-count", type=int, default=5000, help="MR images 64x64x16 bit")
    ap.add_argument("--shipped-count", type=int, default=100,
                    help="small images for the DCMTK-as-shipped (Nagle on: slow, 10-20 img/s) comparison; 0 skips it")
    ap.add_argument("--shipped-repeat", type=int, default=None, help="rounds for the as-shipped case "
                    "(None: same as --repeat)")
    ap.add_argument("--huge-mib", type=int, default=1024, help="pixel data size of the one big instance")
    ap.add_argument("--huge-repeat", type=int, default=1, help="rounds for the big-instance case")
    ap.add_argument("--skip-huge", action="store_true", help="skip the 1 GiB dcmrecv +B case")
    ap.add_argument("--skip-large", action="store_true", help="skip the large group (its corpus still serves "
                    "the ingest group)")
    ap.add_argument("--skip-small", action="store_true")
    ap.add_argument("--skip-ingest", action="store_true", help="skip the ingest group(s)")
    ap.add_argument("--only", help="run only these groups, comma-separated: " + ", ".join(GROUPS)
                    + " (e.g. --only ingest)")
    ap.add_argument("--ingest-corpora", default="large",
                    help="corpora of the ingest group (DCMTK dcmsend -> dcmrecv/dcmqrscp/dgate): large, small "
                    "or large,small (sizes from --large-count / --small-count)")
    ap.add_argument("--no-cross", action="store_true", help="skip the cross pairs (DCMTK <-> pydcmkit)")
    ap.add_argument("--parallel", type=int, default=4, help="pydcmkit dcmsend --parallel N (small corpus, and a large-corpus row without a target)")
    ap.add_argument("--regenerate", action="store_true", help="regenerate the corpus even if it matches")
    ap.add_argument("--repo", type=Path, default=REPO, help="pydcmkit checkout (PYTHONPATH for python -m tools.X)")
    ap.add_argument("--pydcmkit-bin", help="directory with installed pydcmkit console scripts dcmsend/dcmrecv "
                    "(default: python -m tools.dcmsend / tools.dcmrecv from --repo)")
    ap.add_argument("--base-port", type=int, default=21100, help="first port tried; every receiver gets a new one")
    ap.add_argument("--send-timeout", type=float, default=1800, help="max seconds for one sender run")
    ap.add_argument("--huge-timeout", type=float, default=900, help="max seconds for one big-instance send")
    ap.add_argument("--startup-timeout", type=float, default=30, help="max seconds for a receiver to listen")
    ap.add_argument("--settle-timeout", type=float, default=5,
                    help="max seconds to wait for files to appear after the sender exited")
    ap.add_argument("--fail-fast", action="store_true", help="stop at the first failed run")
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.huge_repeat < 1:
        ap.error("--repeat and --huge-repeat must be >= 1")
    args.ingest_corpora = [c.strip() for c in args.ingest_corpora.split(",") if c.strip()]
    if not set(args.ingest_corpora) <= {"large", "small"}:
        ap.error("--ingest-corpora takes large, small or large,small")
    if args.only is not None:
        only = {g.strip() for g in args.only.split(",") if g.strip()}
        if not only or not only <= set(GROUPS):
            ap.error("--only takes a comma-separated list of " + ", ".join(GROUPS))
        args.skip_large, args.skip_small, args.skip_huge, args.skip_ingest = \
            "large" not in only, "small" not in only, "huge" not in only, "ingest" not in only
        if "shipped" not in only:
            args.shipped_count = 0
    return args


def build_groups(args, corpus_root: Path) -> list[Group]:
    cross = not args.no_cross
    groups = []
    nofsync = ("--no-fsync",)

    def D(key, label, **kw):
        return Variant(key, label, **kw)

    if not args.skip_large and args.large_count > 0:
        c = describe(make_image_corpus(corpus_root, f"large-{args.large_count}", args.large_count, 512, 512,
                                       CT_IMAGE, "CT", args.regenerate))
        t = f"large ({c.count} CT 512×512×16 bit)"
        vs = [D("dcmtk", "DCMTK → DCMTK", sender="dcmtk", receiver="dcmtk", row=False),
              D("py", f"{t}, single association", sender="py", receiver="py", target_ratio=1.0),
              D("py-nofsync", f"{t}, single association, our dcmrecv --no-fsync", sender="py", receiver="py",
                recv_args=nofsync, target_ratio=1.0),
              D(f"py-p{args.parallel}", f"{t}, our dcmsend --parallel {args.parallel} (DCMTK: single assoc.)",
                sender="py", receiver="py", send_args=("--parallel", str(args.parallel)))]
        if cross:
            vs += [D("x-dcmtk-py", f"{t}, cross: DCMTK dcmsend → our dcmrecv", sender="dcmtk", receiver="py"),
                   D("x-dcmtk-py-nofsync", f"{t}, cross: DCMTK dcmsend → our dcmrecv --no-fsync",
                     sender="dcmtk", receiver="py", recv_args=nofsync),
                   D("x-py-dcmtk", f"{t}, cross: our dcmsend → DCMTK dcmrecv", sender="py", receiver="dcmtk")]
        groups.append(Group("large", t, c, vs, args.repeat, args.send_timeout))

    if not args.skip_small and args.small_count > 0:
        c = describe(make_image_corpus(corpus_root, f"small-{args.small_count}", args.small_count, 64, 64,
                                       MR_IMAGE, "MR", args.regenerate))
        t = f"small ({c.count} MR 64×64×16 bit)"
        par = ("--parallel", str(args.parallel))
        vs = [D("dcmtk", "DCMTK → DCMTK", sender="dcmtk", receiver="dcmtk", row=False),
              D("py", f"{t}, single association", sender="py", receiver="py", target_ratio=0.5),
              D("py-nofsync", f"{t}, single association, our dcmrecv --no-fsync", sender="py", receiver="py",
                recv_args=nofsync, target_ratio=0.5),
              D(f"py-p{args.parallel}", f"{t}, our dcmsend --parallel {args.parallel} (DCMTK: single assoc.)",
                sender="py", receiver="py", send_args=par, target_ratio=1.0),
              D(f"py-p{args.parallel}-nofsync",
                f"{t}, our dcmsend --parallel {args.parallel}, dcmrecv --no-fsync (DCMTK: single assoc.)",
                sender="py", receiver="py", send_args=par, recv_args=nofsync, target_ratio=1.0)]
        if cross:
            vs += [D("x-dcmtk-py", f"{t}, cross: DCMTK dcmsend → our dcmrecv", sender="dcmtk", receiver="py"),
                   D("x-dcmtk-py-nofsync", f"{t}, cross: DCMTK dcmsend → our dcmrecv --no-fsync",
                     sender="dcmtk", receiver="py", recv_args=nofsync),
                   D("x-py-dcmtk", f"{t}, cross: our dcmsend → DCMTK dcmrecv", sender="py", receiver="dcmtk")]
        groups.append(Group("small", t, c, vs, args.repeat, args.send_timeout))

    if args.shipped_count > 0:
        c = describe(make_image_corpus(corpus_root, f"small-{args.shipped_count}", args.shipped_count, 64, 64,
                                       MR_IMAGE, "MR", args.regenerate and args.shipped_count != args.small_count))
        t = f"small ({c.count} MR 64×64), DCMTK as shipped (Nagle on, no TCP_NODELAY=1)"
        vs = [D("dcmtk-shipped", "DCMTK as shipped", sender="dcmtk", receiver="dcmtk", nagle=True, row=False),
              D("py", f"{t}, single association", sender="py", receiver="py")]
        groups.append(Group("shipped", t, c, vs, args.shipped_repeat or args.repeat, args.send_timeout))

    if not args.skip_ingest:
        for which in args.ingest_corpora:
            if which == "large" and args.large_count > 0:
                c = describe(make_image_corpus(corpus_root, f"large-{args.large_count}", args.large_count, 512, 512,
                                               CT_IMAGE, "CT", args.regenerate and args.skip_large))
                t = f"large ({c.count} CT 512×512×16 bit)"
            elif which == "small" and args.small_count > 0:
                c = describe(make_image_corpus(corpus_root, f"small-{args.small_count}", args.small_count, 64, 64,
                                               MR_IMAGE, "MR", args.regenerate and args.skip_small))
                t = f"small ({c.count} MR 64×64×16 bit)"
            else:
                continue
            vs = [D("dcmtk", "DCMTK dcmrecv (reference)", sender="dcmtk", receiver="dcmtk"),
                  D("dcmrecv", "our dcmrecv", sender="dcmtk", receiver="py"),
                  D("dcmqrscp", "our dcmqrscp (one RW storage area)", sender="dcmtk", receiver="py-dcmqrscp",
                    called_ae=QR_AREA_AE),
                  D("dgate-as", "our dgate, IncomingCompression = as", sender="dcmtk", receiver="py-dgate",
                    called_ae=DGATE_AE, incoming_compression="as", target_vs_ours=0.8),
                  D("dgate-j2", "our dgate, IncomingCompression = j2 (JPEG lossless)", sender="dcmtk",
                    receiver="py-dgate", called_ae=DGATE_AE, incoming_compression="j2", expect_ts=JPEG_LOSSLESS,
                    min_bytes_fraction=None)]
            groups.append(Group(f"ingest-{which}", t, c, vs, args.repeat, args.send_timeout, ours="dcmrecv"))

    if not args.skip_huge:
        c = describe(make_huge_corpus(corpus_root, args.huge_mib, args.regenerate))
        size = "1 GiB" if args.huge_mib == 1024 else f"{args.huge_mib} MiB"
        t = f"one {size} instance, dcmrecv +B"
        bp = ("--bit-preserving",)
        vs = [D("dcmtk", "DCMTK → DCMTK +B", sender="dcmtk", receiver="dcmtk", recv_args=bp, row=False),
              D("x-dcmtk-py", f"{t}: DCMTK dcmsend → our dcmrecv +B", sender="dcmtk", receiver="py",
                recv_args=bp, target_rss_mb=200),
              D("py", f"{t}: our dcmsend → our dcmrecv +B", sender="py", receiver="py", recv_args=bp,
                target_rss_mb=200)]
        groups.append(Group("huge", t, c, vs, args.huge_repeat, args.huge_timeout))
    return groups


def main(argv=None) -> int:
    args = parse_args(argv)
    args.repo = args.repo.resolve()
    for exe in (DCMTK_SEND, DCMTK_RECV, PROFILE_FILE):
        if not os.path.exists(exe):
            print(f"bench_store: {exe} not found (install Debian's dcmtk)", file=sys.stderr)
            return 2
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = _dt.datetime.now()
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(["bench_store.py", *argv])

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGINT too: a shell may start us with SIGINT ignored, Ctrl-C must still stop every child
    old = {s: signal.signal(s, on_term) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    runner = Runner(args, workdir)
    groups: list[Group] = []
    try:
        print(f"workdir {workdir}; corpus ...", flush=True)
        groups = build_groups(args, workdir / "corpus")
        runner.warm_up()
        for g in groups:
            runner.run_group(g)
    except KeyboardInterrupt:
        for s in old:
            signal.signal(s, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        print("\nbench_store: interrupted, stopping all processes", file=sys.stderr)
        PROCS.kill_all()
        return 130
    except BenchError as exc:
        print(f"\nbench_store: {exc}", file=sys.stderr)
        PROCS.kill_all()
        if not groups or not any(v.runs for g in groups for v in g.variants):
            return 1
    finally:
        PROCS.kill_all()
        runner.remove_received()
        for s, h in old.items():
            signal.signal(s, h)

    table, summary = build_table(groups)
    ingest_table, ingest_summary = build_ingest_table(groups)
    summary += ingest_summary
    store_note = (
        "DCMTK 3.6.7 (/usr/bin) runs with TCP_NODELAY=1 except in the \"as shipped\" row; both sides use "
        f"`--config-file {PROFILE_FILE} {PROFILE}`; peer {PEER}. img/s and MB/s (10^6 bytes of DICOM files) "
        "are medians over rounds of the sender's wall time (process start to exit); the ratio is the median of "
        "per-round ratios against the DCMTK → DCMTK run of the same round; peak RSS is the receiver's VmHWM "
        "(max over rounds). Our dcmrecv fsyncs every file unless `--no-fsync`; DCMTK never does. Cross rows: "
        "the pydcmkit column is the mixed pair, the DCMTK column the DCMTK → DCMTK pair.")
    ingest_note = (
        "Ingest: every row is fed by DCMTK 3.6.7's dcmsend (TCP_NODELAY=1, one association, peer "
        f"{PEER}); img/s and MB/s are medians over rounds of the sender's wall time; the ratios are medians "
        "of per-round ratios to DCMTK's dcmrecv and to our dcmrecv of the same round; peak RSS is the receiver's "
        f"VmHWM (max over rounds). dcmrecv: `--config-file {PROFILE_FILE} {PROFILE}`; dcmqrscp: a generated "
        f"dcmqrscp.cfg with one RW storage area (dcmsend -aec {QR_AREA_AE}); dgate: a generated dicom.ini "
        f"(SQLite, FileNameSyntax 4, one MAG device), `dgate -w<dir> -p<port>`, dcmsend -aec {DGATE_AE}. "
        "Our dcmrecv, dcmqrscp and dgate fsync every file before answering; DCMTK never does.")
    notes = [t for t in (table, ingest_table) if t]
    notes = [line for t in notes for line in (t, "")] + [
        f"Command: `{command}`  ",
        f"Date: {started:%Y-%m-%d %H:%M}; host: {platform.node()} ({os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}); rounds: {args.repeat} (big instance: {args.huge_repeat}).  ",
        "  \n".join(n for n, shown in ((store_note, table), (ingest_note, ingest_table)) if shown),
    ]
    if runner.failures:
        notes.append(f"\n**{len(runner.failures)} run(s) FAILED** (see stderr / logs in {runner.logdir}).")
    text = "\n".join(notes) + "\n"
    print("\n" + text)
    if args.output:
        args.output.write_text(text)
        print(f"table written to {args.output}")
    if args.json:
        raw = {"command": command, "started": started.isoformat(), "summary": summary,
               "runs": [r for g in groups for v in g.variants for r in v.runs],
               "corpus": {g.key: {"path": str(g.corpus.path), "count": g.corpus.count, "bytes": g.corpus.bytes}
                          for g in groups}}
        args.json.write_text(json.dumps(raw, indent=2))
    if runner.failures:
        print(f"\nbench_store: {len(runner.failures)} run(s) FAILED:", file=sys.stderr)
        for f in runner.failures:
            print("  - " + f.splitlines()[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
