#!/usr/bin/env python3
"""Query/Retrieve benchmark: DCMTK 3.6.7 ``dcmqrscp`` against pydcmkit's, on loopback.

The archive holds studies of one patient, 4 series and 25 images each (100 instances per study,
names and dates varied so that the selective queries select a few studies).  The first size of
``--sizes`` exists as small DICOM files on disk: both servers index them (pydcmkit with
``dcmqrscp --reindex``, DCMTK with ``dcmqridx``) and both serve them.  The larger sizes exist only
in pydcmkit's SQLite index: synthetic records for the other studies plus the indexed files, so
that the C-MOVE study is real at every size.

Every timing is the wall time of a whole DCMTK client process (``echoscu``, ``findscu``,
``movescu``, all with ``TCP_NODELAY=1``) from spawn to exit; the cases run alternately in rounds
(A, B, C, A, B, C ...) and the table shows medians over ``--repeat`` rounds and the median of the
per-round ratios.  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_store import PROCS, BenchError, PortAllocator, listening_ports, tail  # noqa: E402

DCMQRSCP = "/usr/bin/dcmqrscp"  # DCMTK always by absolute path: PATH may hold pydcmkit's tools
DCMQRIDX = "/usr/bin/dcmqridx"
ECHOSCU = "/usr/bin/echoscu"
FINDSCU = "/usr/bin/findscu"
MOVESCU = "/usr/bin/movescu"
STORESCP = "/usr/bin/storescp"
REPO = Path(__file__).resolve().parent.parent
PEER = "127.0.0.1"
INDEX_NAME = "pydcmkit-index.sqlite"

# ---------------------------------------------------------------------------------------------
# the archive's content: study k has patient k, 4 series of 25 images
# ---------------------------------------------------------------------------------------------
ROOT = "1.2.826.0.1.3680043.10.999.77"
SERIES_PER_STUDY, PER_SERIES = 4, 25
PER_STUDY = SERIES_PER_STUDY * PER_SERIES
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
TARGET_STUDY, TARGET_SERIES = 4, 2  # the study queried and moved (inside the first 1000 instances)
SYLLABLES = ("KA", "LO", "MI", "RE", "SU", "TA", "NO", "VE", "DA", "PI", "GO", "BE", "ZU", "FA", "HI", "JO",
             "WA", "YE", "RU", "SE", "TO", "NI", "MA", "LU")  # 24^3 = 13,824 surnames
GIVEN = ("ANNA", "JOHN", "MARIA", "PETER", "LI", "YUKI", "JOSE", "EVA", "OMAR", "INES", "KARL", "SARA")
MODALITIES = ("CT", "MR", "CR", "US", "PT", "DX")
DESCRIPTIONS = ("HEAD", "CHEST", "ABDOMEN", "KNEE", "SPINE", "PELVIS")
EPOCH = _dt.date(2000, 1, 1)
DAYS = 9131  # 25 years of study dates


def study_attrs(st: int) -> dict[str, str]:
    rng = random.Random(f"study-{st}")  # str seeds are hashed with SHA-512: stable across runs
    day = EPOCH + _dt.timedelta(days=rng.randrange(DAYS))
    birth = _dt.date(1930, 1, 1) + _dt.timedelta(days=rng.randrange(80 * 365))
    surname = "".join(rng.choice(SYLLABLES) for _ in range(3))
    return {
        "PatientName": f"{surname}^{rng.choice(GIVEN)}",
        "PatientID": f"PID{st:08d}",
        "PatientBirthDate": birth.strftime("%Y%m%d"),
        "PatientSex": rng.choice("MF"),
        "StudyInstanceUID": f"{ROOT}.2.{st}",
        "StudyDate": day.strftime("%Y%m%d"),
        "StudyTime": f"{rng.randrange(7, 19):02d}{rng.randrange(60):02d}{rng.randrange(60):02d}",
        "AccessionNumber": f"A{st:09d}",
        "StudyID": str(st % 100000),
        "StudyDescription": rng.choice(DESCRIPTIONS),
        "ReferringPhysicianName": f"REF^{rng.choice(GIVEN)}",
        "_modality": rng.choice(MODALITIES),
    }


def series_attrs(st: int, se: int, study: dict) -> dict[str, str]:
    return {"SeriesInstanceUID": f"{ROOT}.3.{st}.{se}", "SeriesNumber": str(se + 1),
            "Modality": study["_modality"], "SeriesDate": study["StudyDate"]}


def instance_uid(st: int, se: int, i: int) -> str:
    return f"{ROOT}.4.{st}.{se}.{i}"


def file_path(files_dir: Path, st: int, se: int, i: int) -> Path:
    return files_dir / f"st{st:06d}" / f"se{se}" / f"im{i:02d}.dcm"


@dataclass(frozen=True)
class Query:
    key: str
    label: str
    keys: tuple[str, ...]
    selective: bool

    def expected(self, studies: int) -> int:
        """Responses at an archive of ``studies`` studies."""
        if self.key == "study-all":
            return studies
        if self.key == "image-series":
            return PER_SERIES if studies > TARGET_STUDY else 0
        target = study_attrs(TARGET_STUDY)
        if self.key == "study-name":
            prefix = target["PatientName"].split("^")[0]
            return sum(1 for st in range(studies) if study_attrs(st)["PatientName"].startswith(prefix))
        lo, hi = date_range()
        return sum(1 for st in range(studies) if lo <= study_attrs(st)["StudyDate"] <= hi)


def date_range() -> tuple[str, str]:
    d = _dt.datetime.strptime(study_attrs(TARGET_STUDY)["StudyDate"], "%Y%m%d").date()
    return d.strftime("%Y%m%d"), (d + _dt.timedelta(days=1)).strftime("%Y%m%d")


def queries() -> list[Query]:
    target = study_attrs(TARGET_STUDY)
    study_keys = ("StudyInstanceUID", "PatientName", "PatientID", "StudyDate", "StudyTime", "AccessionNumber",
                  "StudyDescription")
    lo, hi = date_range()
    surname = target["PatientName"].split("^")[0]

    def study(extra: dict) -> tuple[str, ...]:
        return ("QueryRetrieveLevel=STUDY",) + tuple(f"{k}={extra[k]}" if k in extra else k for k in study_keys)

    return [
        Query("study-all", "STUDY, all studies", study({}), False),
        Query("study-name", f"STUDY, PatientName={surname}*", study({"PatientName": surname + "*"}), True),
        Query("study-date", f"STUDY, StudyDate={lo}-{hi}", study({"StudyDate": f"{lo}-{hi}"}), True),
        Query("image-series", f"IMAGE, one series ({PER_SERIES} images)",
              ("QueryRetrieveLevel=IMAGE", f"StudyInstanceUID={target['StudyInstanceUID']}",
               f"SeriesInstanceUID={ROOT}.3.{TARGET_STUDY}.{TARGET_SERIES}", "SOPInstanceUID", "InstanceNumber"),
              True),
    ]


# ---------------------------------------------------------------------------------------------
# workers: run as `bench_qr.py worker ...` in a child process with PYTHONPATH=repo
# ---------------------------------------------------------------------------------------------
def worker_write_files(files_dir: Path, studies: int) -> dict:
    """``studies`` studies as Explicit VR Little Endian CT files, 64x64x16 bit."""
    from pydicom import dcmwrite
    from pydicom.dataset import Dataset, FileMetaDataset

    t0 = time.perf_counter()
    pixels = bytes(range(256)) * 32  # 64 x 64 x 2 bytes
    for st in range(studies):
        study = study_attrs(st)
        for se in range(SERIES_PER_STUDY):
            series = series_attrs(st, se, study)
            os.makedirs(file_path(files_dir, st, se, 0).parent, exist_ok=True)
            for i in range(PER_SERIES):
                ds = Dataset()
                ds.SpecificCharacterSet = "ISO_IR 100"
                ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
                ds.SOPClassUID = CT_IMAGE
                ds.SOPInstanceUID = instance_uid(st, se, i)
                for kw, v in study.items():
                    if not kw.startswith("_"):
                        setattr(ds, kw, v)
                for kw, v in series.items():
                    setattr(ds, kw, v)
                ds.Manufacturer = "pydcmkit benchmark"
                ds.InstanceNumber = i + 1
                ds.ImagePositionPatient = [0.0, 0.0, float(i)]
                ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
                ds.Rows = ds.Columns = 64
                ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
                ds.PixelData = pixels
                meta = FileMetaDataset()
                meta.MediaStorageSOPClassUID = CT_IMAGE
                meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                meta.TransferSyntaxUID = EXPLICIT_LE
                ds.file_meta = meta
                dcmwrite(file_path(files_dir, st, se, i), ds, enforce_file_format=True)
    return {"seconds": time.perf_counter() - t0, "count": studies * PER_STUDY}


def synthetic_batches(first: int, last: int, batch: int = 5000):
    from pydcmkit.db import InstanceRecord

    out = []
    received = 1_700_000_000.0
    for st in range(first, last):
        study = {k: v for k, v in study_attrs(st).items() if not k.startswith("_")}
        for se in range(SERIES_PER_STUDY):
            base = {**study, **series_attrs(st, se, study_attrs(st))}
            for i in range(PER_SERIES):
                attrs = dict(base, SOPInstanceUID=instance_uid(st, se, i), SOPClassUID=CT_IMAGE,
                             InstanceNumber=str(i + 1))
                out.append(InstanceRecord(attrs, f"/nonexistent/st{st:06d}/se{se}/im{i:02d}.dcm", EXPLICIT_LE,
                                          8900, received, "ISO_IR 100", True))
                received += 1
                if len(out) >= batch:
                    yield out
                    out = []
    if out:
        yield out


def worker_build_synthetic(db_path: Path, first: int, last: int) -> dict:
    """Synthetic records of studies ``first`` .. ``last - 1`` through ``QueryDatabase.add_instances``."""
    import sqlite3

    from pydcmkit.db import open_database

    t0 = time.perf_counter()
    n = 0
    with open_database(str(db_path)) as db:
        for batch in synthetic_batches(first, last):
            db.add_instances(batch)
            n += len(batch)
    seconds = time.perf_counter() - t0
    conn = sqlite3.connect(str(db_path))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    conn.close()
    return {"seconds": seconds, "count": n}


def worker_reindex_into(db_path: Path, files_dir: Path) -> dict:
    """Index the files into an existing index (``reindex(clear=False)``), timed in-process."""
    from pydcmkit.db import open_database, reindex

    with open_database(str(db_path)) as db:
        t0 = time.perf_counter()
        result = reindex(db, [str(files_dir)], clear=False)
        seconds = time.perf_counter() - t0
        total = db.count_instances()
    return {"seconds": seconds, "count": result.count, "errors": len(result.errors), "total": total}


def worker_main(argv: list[str]) -> int:
    kind = argv[0]
    if kind == "write-files":
        out = worker_write_files(Path(argv[1]), int(argv[2]))
    elif kind == "build-synthetic":
        out = worker_build_synthetic(Path(argv[1]), int(argv[2]), int(argv[3]))
    elif kind == "reindex-into":
        out = worker_reindex_into(Path(argv[1]), Path(argv[2]))
    else:
        raise SystemExit(f"unknown worker {kind}")
    print("RESULT " + json.dumps(out))
    return 0


# ---------------------------------------------------------------------------------------------
# the parent: preparation
# ---------------------------------------------------------------------------------------------
def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else \
        f"{n // 1000}k" if n % 1000 == 0 else str(n)


def read_manifest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def config_text(port: int, move_port: int, areas: dict[str, Path]) -> str:
    rows = "\n".join(f"{ae:<8} {path}  R  (500, 1024mb)  ANY" for ae, path in areas.items())
    return (f"NetworkTCPPort  = {port}\nMaxPDUSize      = 16384\nMaxAssociations = 16\n\n"
            f"HostTable BEGIN\nmovedest = (MOVEDEST, localhost, {move_port})\nHostTable END\n\n"
            f"AETable BEGIN\n{rows}\nAETable END\n")


def ae_title(impl: str, n: int) -> str:
    return ("PY" if impl == "py" else "DT") + size_label(n).upper()


@dataclass
class Case:
    key: str
    impl: str            # "py" | "dcmtk"
    kind: str            # "echo" | "find" | "move"
    size: int
    query: Query | None = None
    runs: list = field(default_factory=list)


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.workdir: Path = args.workdir
        self.logdir = self.workdir / "logs"
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.ports = PortAllocator(args.base_port)
        self.files_count = args.sizes[0]
        self.studies = self.files_count // PER_STUDY
        self.files_dir = self.workdir / f"files-{self.files_count}"
        self.failures: list[str] = []
        self.indexing: dict = {}
        pycache = self.workdir / "pycache"
        self.py_env = dict(os.environ)
        self.py_env["PYTHONPATH"] = os.pathsep.join(
            [str(args.repo)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
        self.py_env["PYTHONPYCACHEPREFIX"] = str(pycache)
        self.py_env.pop("TCP_NODELAY", None)
        self.dcmtk_env = dict(os.environ, TCP_NODELAY="1")

    # -- helpers ----------------------------------------------------------------------------------
    def run(self, cmd: list[str], env: dict, log_name: str, timeout: float) -> tuple[float, int]:
        """Wall time (spawn to exit) and exit code of one process; blocking waitpid, no polling."""
        log = self.logdir / log_name
        p = PROCS.spawn(cmd, env, log, self.workdir)
        timer = threading.Timer(timeout, PROCS.signal_group, (p.pid, signal.SIGKILL))
        t0 = time.perf_counter()
        timer.start()
        try:
            code = p.wait()
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        PROCS.forget(p)
        if code == -signal.SIGKILL:
            raise BenchError(f"{cmd[0]} timed out after {timeout:g} s:\n" + tail(log))
        return seconds, code

    def worker(self, *argv: str, timeout: float = 7200) -> dict:
        log = f"worker-{argv[0]}.log"
        cmd = [sys.executable, str(Path(__file__).resolve()), "worker", *argv]
        _s, code = self.run(cmd, self.py_env, log, timeout)
        text = (self.logdir / log).read_text(errors="replace")
        results = [line for line in text.splitlines() if line.startswith("RESULT ")]
        if code != 0 or not results:
            raise BenchError(f"worker {argv[0]} failed ({code}):\n" + tail(self.logdir / log))
        return json.loads(results[-1][len("RESULT "):])

    def start_server(self, impl: str, cfg: Path | None, port: int, name: str):
        if impl == "dest":  # the C-MOVE destination: DCMTK's storescp, receiving without storing
            cmd = [STORESCP, "-aet", "MOVEDEST", "--ignore", str(port)]
            env = self.dcmtk_env
        elif impl == "py":
            cmd = [sys.executable, "-m", "tools.dcmqrscp", "-c", str(cfg), str(port)]
            env = self.py_env
        else:
            cmd = [DCMQRSCP, "-c", str(cfg), str(port)]
            env = self.dcmtk_env
        log = self.logdir / f"server-{name}.log"
        log.unlink(missing_ok=True)
        p = PROCS.spawn(cmd, env, log, self.workdir)
        deadline = time.monotonic() + 60
        while port not in listening_ports():
            if p.poll() is not None:
                raise BenchError(f"{name} server exited with {p.returncode}:\n" + tail(log))
            if time.monotonic() > deadline:
                raise BenchError(f"{name} server not listening on {port}:\n" + tail(log))
            time.sleep(0.02)
        return p

    # -- preparation ---------------------------------------------------------------------------------
    def warm_up(self) -> None:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(self.args.repo / "pydcmkit"),
                        str(self.args.repo / "tools"), str(Path(__file__).resolve().parent)],
                       env=self.py_env, cwd=self.workdir, stdout=subprocess.DEVNULL, timeout=300, check=False)

    def prepare_files(self) -> None:
        manifest = self.workdir / f"files-{self.files_count}.json"
        expected = {"studies": self.studies, "version": 1}
        if not self.args.regenerate and read_manifest(manifest) == expected and self.files_dir.is_dir():
            return
        shutil.rmtree(self.files_dir, ignore_errors=True)
        manifest.unlink(missing_ok=True)
        print(f"  writing {self.files_count} DICOM files to {self.files_dir} ...", flush=True)
        out = self.worker("write-files", str(self.files_dir), str(self.studies))
        print(f"  ... {out['seconds']:.1f} s", flush=True)
        manifest.write_text(json.dumps(expected))

    def file_list(self, count: int) -> list[str]:
        return [str(file_path(self.files_dir, st, se, i)) for st in range(count // PER_STUDY)
                for se in range(SERIES_PER_STUDY) for i in range(PER_SERIES)]

    def dcmqridx(self, count: int, area: Path, timeout: float) -> float:
        """Build DCMTK's index.dat of the first ``count`` files; returns the seconds it took."""
        shutil.rmtree(area, ignore_errors=True)
        area.mkdir(parents=True)
        files = self.file_list(count)
        t0 = time.perf_counter()
        for i in range(0, len(files), 2000):  # in chunks: the command line stays short
            _s, code = self.run([DCMQRIDX, str(area), *files[i:i + 2000]], self.dcmtk_env,
                                f"dcmqridx-{count}.log", timeout)
            if code != 0:
                raise BenchError(f"dcmqridx exited with {code}:\n" + tail(self.logdir / f"dcmqridx-{count}.log"))
        return time.perf_counter() - t0

    def prepare_dcmtk(self) -> None:
        """DCMTK's indexes: the first 1000 files (timed each run) and all files (built once, cached:
        dcmqridx is quadratic, 10,000 files take ~5 minutes)."""
        self.dcmtk_areas: dict[int, Path] = {}
        if self.args.skip_dcmtk:
            return
        small = min(1000, self.files_count)
        area = self.workdir / "areas" / f"dcmtk-{small}"
        print(f"  dcmqridx: {small} files ...", flush=True)
        seconds = self.dcmqridx(small, area, self.args.index_timeout)
        self.indexing["dcmtk_small"] = {"count": small, "seconds": seconds}
        self.dcmtk_areas[small] = area
        print(f"  ... {seconds:.1f} s ({small / seconds:.0f} files/s)", flush=True)
        if self.files_count == small:
            return
        area = self.workdir / "areas" / f"dcmtk-{self.files_count}"
        manifest = area.with_name(area.name + ".json")
        cached = read_manifest(manifest)
        if self.args.regenerate or not cached or not (area / "index.dat").is_file() \
                or cached.get("studies") != self.studies:
            manifest.unlink(missing_ok=True)
            print(f"  dcmqridx: {self.files_count} files (once; cached in {area}) ...", flush=True)
            seconds = self.dcmqridx(self.files_count, area, self.args.index_timeout)
            cached = {"studies": self.studies, "count": self.files_count, "seconds": seconds,
                      "date": f"{_dt.datetime.now():%Y-%m-%d %H:%M}"}
            manifest.write_text(json.dumps(cached))
            print(f"  ... {seconds:.1f} s ({self.files_count / seconds:.0f} files/s)", flush=True)
        self.indexing["dcmtk_full"] = cached
        self.dcmtk_areas[self.files_count] = area

    def prepare_py(self) -> None:
        """Our indexes: the files area re-indexed by the tool (timed), then for each larger size a
        copy of the cached synthetic index into which the files are indexed (timed)."""
        self.py_areas: dict[int, Path] = {self.files_count: self.files_dir}
        cfg = self.workdir / "cfg" / "py-reindex.cfg"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(config_text(104, 104, {ae_title("py", self.files_count): self.files_dir}))
        for suffix in ("", "-wal", "-shm"):
            (self.files_dir / (INDEX_NAME + suffix)).unlink(missing_ok=True)
        print(f"  dcmqrscp --reindex: {self.files_count} files ...", flush=True)
        seconds, code = self.run([sys.executable, "-m", "tools.dcmqrscp", "-c", str(cfg), "--reindex"],
                                 self.py_env, "py-reindex.log", self.args.index_timeout)
        if code != 0:
            raise BenchError(f"dcmqrscp --reindex exited with {code}:\n" + tail(self.logdir / "py-reindex.log"))
        self.indexing["py_files"] = {"count": self.files_count, "seconds": seconds}
        print(f"  ... {seconds:.1f} s ({self.files_count / seconds:.0f} files/s)", flush=True)
        for n in self.args.sizes[1:]:
            base = self.workdir / "base" / f"synthetic-{n}.sqlite"
            manifest = base.with_name(base.name + ".json")
            expected = {"first": self.studies, "last": n // PER_STUDY, "version": 1}
            cached = read_manifest(manifest)
            if self.args.regenerate or not base.is_file() or not cached or \
                    {k: cached.get(k) for k in expected} != expected:
                base.parent.mkdir(parents=True, exist_ok=True)
                for suffix in ("", "-wal", "-shm"):
                    Path(str(base) + suffix).unlink(missing_ok=True)
                manifest.unlink(missing_ok=True)
                print(f"  synthetic index: {n - self.files_count} records (once; cached in {base}) ...", flush=True)
                out = self.worker("build-synthetic", str(base), str(self.studies), str(n // PER_STUDY))
                cached = {**expected, "count": out["count"], "seconds": out["seconds"],
                          "date": f"{_dt.datetime.now():%Y-%m-%d %H:%M}"}
                manifest.write_text(json.dumps(cached))
                print(f"  ... {out['seconds']:.1f} s ({out['count'] / out['seconds']:.0f} records/s)", flush=True)
            self.indexing[f"synthetic_{n}"] = cached
            area = self.workdir / "areas" / f"py-{n}"
            shutil.rmtree(area, ignore_errors=True)
            area.mkdir(parents=True)
            shutil.copyfile(base, area / INDEX_NAME)
            os.sync()
            print(f"  reindex {self.files_count} files into the {size_label(n)} index ...", flush=True)
            out = self.worker("reindex-into", str(area / INDEX_NAME), str(self.files_dir))
            if out["total"] != n or out["errors"]:
                raise BenchError(f"the {size_label(n)} index holds {out['total']} instances "
                                 f"({out['errors']} errors), expected {n}")
            self.indexing[f"py_into_{n}"] = out
            print(f"  ... {out['seconds']:.1f} s ({out['count'] / out['seconds']:.0f} files/s)", flush=True)
            self.py_areas[n] = area

    # -- timed cases -----------------------------------------------------------------------------------
    def client(self, case: Case, port: int, verbose: bool = False) -> list[str]:
        ae = ae_title(case.impl, case.size)
        base = ["-aec", ae] + ((["-d"] if case.kind == "move" else ["-v"]) if verbose else [])
        if case.kind == "echo":
            return [ECHOSCU, "-aet", "BENCH", *base, PEER, str(port)]
        if case.kind == "find":
            keys = [a for k in case.query.keys for a in ("-k", k)]
            return [FINDSCU, "-S", "-aet", "BENCH", *base, *keys, PEER, str(port)]
        study = f"{ROOT}.2.{TARGET_STUDY}"
        return [MOVESCU, "-S", "-aet", "BENCH", "-aem", "MOVEDEST", *base,
                "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}", PEER, str(port)]

    def build_cases(self) -> list[Case]:
        cases = [Case("echo-dcmtk", "dcmtk", "echo", self.files_count)] if not self.args.skip_dcmtk else []
        cases.append(Case("echo-py", "py", "echo", self.files_count))
        for q in queries():
            for n in sorted(self.dcmtk_areas):
                cases.append(Case(f"{q.key}-dcmtk-{size_label(n)}", "dcmtk", "find", n, q))
            for n in self.args.sizes:
                cases.append(Case(f"{q.key}-py-{size_label(n)}", "py", "find", n, q))
        if not self.args.skip_dcmtk:
            cases.append(Case("move-dcmtk", "dcmtk", "move", self.files_count))
        for n in (self.args.sizes[0], self.args.sizes[-1]):
            if not any(c.key == f"move-py-{size_label(n)}" for c in cases):
                cases.append(Case(f"move-py-{size_label(n)}", "py", "move", n))
        return cases

    def validate(self, case: Case, port: int) -> None:
        """One untimed, verbose run: exit code 0 and the expected number of responses (C-FIND) or
        of completed sub-operations (C-MOVE, from the final response)."""
        cmd = self.client(case, port, verbose=True)
        log = f"validate-{case.key}.log"
        (self.logdir / log).unlink(missing_ok=True)
        _s, code = self.run(cmd, self.dcmtk_env, log, self.args.client_timeout)
        text = (self.logdir / log).read_text(errors="replace")
        if code != 0:
            raise BenchError(f"{case.key}: exit code {code}:\n" + tail(self.logdir / log))
        if case.kind == "find":
            expected = case.query.expected(case.size // PER_STUDY)
            got = len(re.findall(r"Find Response: \d+ \(Pending\)", text))
        elif case.kind == "move":
            expected = f"{PER_STUDY} completed, 0 failed, status 0x0000"
            final = text[text.rfind("Received Final Move Response"):]
            m = re.search(r"Completed Suboperations\s*:\s*(\d+).*?Failed Suboperations\s*:\s*(\S+).*?"
                          r"DIMSE Status\s*:\s*(0x[0-9a-fA-F]+)", final, re.S)
            got = f"{m.group(1)} completed, {m.group(2).replace('none', '0')} failed, status {m.group(3)}" if m else None
        else:
            return
        if got != expected:
            raise BenchError(f"{case.key}: got {got}, expected {expected}:\n" + tail(self.logdir / log))

    def run_cases(self, cases: list[Case], ports: dict[str, int]) -> None:
        print(f"\n== validating {len(cases)} cases (one verbose run each) ...", flush=True)
        for case in cases:
            self.validate(case, ports[case.impl])
        print(f"== {self.args.repeat} rounds of {len(cases)} cases", flush=True)
        for rnd in range(1, self.args.repeat + 1):
            line = []
            for case in cases:
                cmd = self.client(case, ports[case.impl])
                rec = {"case": case.key, "round": rnd, "ok": False}
                try:
                    seconds, code = self.run(cmd, self.dcmtk_env, f"{case.key}.log", self.args.client_timeout)
                    rec.update(seconds=seconds, exit=code, ok=code == 0)
                    if code != 0:
                        msg = f"{case.key} round {rnd}: exit code {code}"
                        self.failures.append(msg)
                        print("  " + msg + "\n" + tail(self.logdir / f"{case.key}.log"), file=sys.stderr)
                except BenchError as exc:
                    rec["error"] = str(exc)
                    self.failures.append(f"{case.key} round {rnd}: {exc}")
                case.runs.append(rec)
                line.append(f"{case.key} {rec.get('seconds', float('nan')) * 1000:.0f}")
            print(f"  r{rnd}: " + ", ".join(line), flush=True)

    def go(self) -> list[Case]:
        print(f"workdir {self.workdir}", flush=True)
        self.warm_up()
        self.prepare_files()
        self.prepare_dcmtk()
        self.prepare_py()
        move_port = self.ports.get()
        ports = {"py": self.ports.get(), "dcmtk": self.ports.get()}
        cfgdir = self.workdir / "cfg"
        py_cfg, dcmtk_cfg = cfgdir / "py.cfg", cfgdir / "dcmtk.cfg"
        py_cfg.write_text(config_text(ports["py"], move_port,
                                      {ae_title("py", n): p for n, p in self.py_areas.items()}))
        dcmtk_cfg.write_text(config_text(ports["dcmtk"], move_port,
                                         {ae_title("dcmtk", n): p for n, p in self.dcmtk_areas.items()}))
        servers = [self.start_server("dest", None, move_port, "movedest"),
                   self.start_server("py", py_cfg, ports["py"], "py")]
        if not self.args.skip_dcmtk:
            servers.append(self.start_server("dcmtk", dcmtk_cfg, ports["dcmtk"], "dcmtk"))
        cases = self.build_cases()
        try:
            self.run_cases(cases, ports)
        finally:
            for p in servers:
                PROCS.stop(p)
        return cases


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def median_ms(case: Case | None):
    vals = [r["seconds"] for r in (case.runs if case else []) if r.get("ok")]
    return statistics.median(vals) * 1000 if vals else None


def paired(a: Case | None, b: Case | None):
    """Median over rounds of a/b within the same round."""
    if a is None or b is None:
        return None
    ref = {r["round"]: r["seconds"] for r in b.runs if r.get("ok")}
    ratios = [r["seconds"] / ref[r["round"]] for r in a.runs if r.get("ok") and r["round"] in ref]
    return statistics.median(ratios) if ratios else None


def fmt(x, unit: str = "") -> str:
    if x is None:
        return "—"
    return (f"{x:.0f}" if x >= 100 else f"{x:.1f}") + unit


def fmt_ratio(x) -> str:
    return "—" if x is None else f"{x:.2f}×"


def verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def build_table(bench: Bench, cases: list[Case]) -> tuple[str, dict]:
    by_key = {c.key: c for c in cases}
    files = bench.files_count
    summary: dict = {"indexing": bench.indexing, "rows": []}
    rows = ["| measure | pydcmkit | DCMTK | pydcmkit / DCMTK | ÷ echoscu floor (DCMTK's) | target |",
            "|---|---:|---:|---:|---:|---|"]

    def row(label, ours_cell, theirs_cell, ratio_cell, floor_cell, target_cell, **extra):
        rows.append(f"| {label} | {ours_cell} | {theirs_cell} | {ratio_cell} | {floor_cell} | {target_cell} |")
        summary["rows"].append({"label": label, **extra})

    ix = bench.indexing
    py_rate = ix["py_files"]["count"] / ix["py_files"]["seconds"]
    dt_small = ix.get("dcmtk_small")
    dt_full = ix.get("dcmtk_full")
    dt_rate = dt_small["count"] / dt_small["seconds"] if dt_small else None
    theirs = "—" if dt_small is None else f"{dt_rate:.0f} files/s ({size_label(dt_small['count'])} files)"
    row(f"indexing {size_label(files)} files into an empty index, files/s (pydcmkit: whole "
        f"`dcmqrscp --reindex` process; DCMTK: dcmqridx)", f"{py_rate:.0f}", theirs,
        fmt_ratio(py_rate / dt_rate) + " (rate)" if dt_rate else "—", "", f"≥ 2000: {verdict(py_rate >= 2000)}",
        pydcmkit=py_rate, dcmtk=dt_rate)
    if dt_full and dt_full.get("count") != (dt_small or {}).get("count"):
        rate = dt_full["count"] / dt_full["seconds"]
        row(f"indexing {size_label(dt_full['count'])} files, DCMTK dcmqridx (measured once when cached, "
            f"{dt_full['date']})", "", f"{rate:.0f} files/s ({dt_full['seconds']:.0f} s)",
            fmt_ratio(py_rate / rate) + " (rate)", "", "", dcmtk=rate)
    for n in bench.args.sizes[1:]:
        into = ix[f"py_into_{n}"]
        rate = into["count"] / into["seconds"]
        row(f"indexing {size_label(files)} files into an index of {size_label(n - files)} "
            f"(`reindex(clear=False)`, in-process), files/s", f"{rate:.0f}", "", "", "",
            f"≥ 2000: {verdict(rate >= 2000)}", pydcmkit=rate, size=n)
        syn = ix[f"synthetic_{n}"]
        row(f"building the {size_label(n)} index: {syn['count']} synthetic records through "
            f"`add_instances` (once, {syn['date']}), records/s", f"{syn['count'] / syn['seconds']:.0f}",
            "", "", "", "", pydcmkit=syn["count"] / syn["seconds"], size=n)
    echo_dt, echo_py = by_key.get("echo-dcmtk"), by_key.get("echo-py")
    floor = echo_dt or echo_py
    row("echoscu (floor: whole process, association, C-ECHO, release), ms", fmt(median_ms(echo_py)),
        fmt(median_ms(echo_dt)), fmt_ratio(paired(echo_py, echo_dt)), fmt_ratio(paired(echo_py, floor)), "",
        pydcmkit=median_ms(echo_py), dcmtk=median_ms(echo_dt))
    sizes = sorted(set(bench.args.sizes) | set(bench.dcmtk_areas))
    for q in queries():
        for n in sizes:
            ours = by_key.get(f"{q.key}-py-{size_label(n)}")
            theirs = by_key.get(f"{q.key}-dcmtk-{size_label(n)}")
            ref_n = n if theirs else (files if n > files else None)
            ref = theirs or (by_key.get(f"{q.key}-dcmtk-{size_label(files)}") if n > files else None)
            ratio = paired(ours, ref)
            ratio_cell = fmt_ratio(ratio) + ("" if ref is None or ref_n == n else f" (vs DCMTK {size_label(ref_n)})")
            fl = paired(ours, floor) if ours else paired(theirs, floor)
            target = ""
            if q.selective and ours is not None and n >= 100_000:
                target = f"≤ 1.5× floor: {'n/a' if fl is None else verdict(fl <= 1.5)}"
            hits = q.expected(n // PER_STUDY)
            label = f"findscu {q.label} @ {size_label(n)} ({hits} responses), ms"
            floor_cell = fmt_ratio(fl) + (" (DCMTK)" if ours is None and theirs is not None else "")
            row(label, fmt(median_ms(ours)), fmt(median_ms(theirs)) if theirs else "—", ratio_cell,
                floor_cell, target, query=q.key, size=n, pydcmkit=median_ms(ours), dcmtk=median_ms(theirs),
                ratio=ratio, floor_ratio=fl)
    move_dt = by_key.get("move-dcmtk")
    for n in sorted({bench.args.sizes[0], bench.args.sizes[-1]}):
        ours = by_key.get(f"move-py-{size_label(n)}")
        ratio = paired(ours, move_dt)
        theirs_note = "" if n == files else f" (vs DCMTK {size_label(files)})"
        row(f"C-MOVE of a {PER_STUDY}-image study (movescu, whole process) @ {size_label(n)}, ms",
            fmt(median_ms(ours)), fmt(median_ms(move_dt)), fmt_ratio(ratio) + (theirs_note if move_dt else ""),
            fmt_ratio(paired(ours, floor)), "≤ 1.5× DCMTK: " + ("n/a" if ratio is None else verdict(ratio <= 1.5)),
            size=n, pydcmkit=median_ms(ours), dcmtk=median_ms(move_dt), ratio=ratio)
    return "\n".join(rows), summary


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="archive sizes in instances (multiples of 100); the first one exists as files on disk "
                         "and is served by both servers, the others only by pydcmkit (synthetic SQLite index)")
    ap.add_argument("--skip-million", action="store_true", help="drop sizes of 1,000,000 and more")
    ap.add_argument("--repeat", type=int, default=7, help="rounds; every timing is the median over rounds")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pydcmkit-bench-qr",
                    help="files, indexes (cached and reused between runs), configs, logs")
    ap.add_argument("--output", type=Path, help="also write the markdown table (and notes) to this file")
    ap.add_argument("--json", type=Path, help="write every run's raw numbers to this JSON file")
    ap.add_argument("--regenerate", action="store_true", help="rebuild the files and the cached indexes")
    ap.add_argument("--skip-dcmtk", action="store_true", help="pydcmkit only (no dcmqridx, no DCMTK server)")
    ap.add_argument("--repo", type=Path, default=REPO, help="pydcmkit checkout (PYTHONPATH for python -m tools.X)")
    ap.add_argument("--base-port", type=int, default=22100, help="first port tried")
    ap.add_argument("--client-timeout", type=float, default=300, help="max seconds for one client process")
    ap.add_argument("--index-timeout", type=float, default=3600, help="max seconds for one indexing process")
    args = ap.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error("--sizes: comma-separated integers")
    if args.skip_million:
        sizes = [s for s in sizes if s < 1_000_000]
    if not sizes or any(s % PER_STUDY or s < (TARGET_STUDY + 1) * PER_STUDY for s in sizes) or sizes != sorted(sizes):
        ap.error(f"--sizes: ascending multiples of {PER_STUDY}, at least {(TARGET_STUDY + 1) * PER_STUDY}")
    if len(set(sizes)) != len(sizes):
        ap.error("--sizes: duplicates")
    args.sizes = sizes
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:
        return worker_main(argv[1:])
    args = parse_args(argv)
    args.repo = args.repo.resolve()
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    for exe in (DCMQRSCP, DCMQRIDX, ECHOSCU, FINDSCU, MOVESCU, STORESCP):
        if not os.path.exists(exe):
            print(f"bench_qr: {exe} not found (install Debian's dcmtk)", file=sys.stderr)
            return 2
    started = _dt.datetime.now()
    command = shlex.join(["bench_qr.py", *argv])

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    old = {s: signal.signal(s, on_term) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    bench = Bench(args)
    try:
        cases = bench.go()
    except KeyboardInterrupt:
        for s in old:
            signal.signal(s, signal.SIG_IGN)
        print("\nbench_qr: interrupted, stopping all processes", file=sys.stderr)
        PROCS.kill_all()
        return 130
    except BenchError as exc:
        print(f"\nbench_qr: {exc}", file=sys.stderr)
        PROCS.kill_all()
        return 1
    finally:
        PROCS.kill_all()
        for s, h in old.items():
            signal.signal(s, h)

    table, summary = build_table(bench, cases)
    notes = [
        "",
        f"Command: `{command}`  ",
        f"Date: {started:%Y-%m-%d %H:%M}; host: {platform.node()} ({os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}); rounds: {args.repeat}.  ",
        f"Archive: studies of 1 patient, {SERIES_PER_STUDY} series × {PER_SERIES} images; "
        f"{size_label(bench.files_count)} instances as files (64×64×16 bit CT, Explicit VR LE) served by both; "
        "larger sizes: pydcmkit's SQLite index only (synthetic records plus the files). "
        "Clients are DCMTK 3.6.7's echoscu/findscu/movescu with TCP_NODELAY=1, as is DCMTK's dcmqrscp "
        "(default --fork); times are medians over rounds of the whole client process (spawn to exit); "
        "ratios are medians of per-round ratios. The floor is echoscu against DCMTK's dcmqrscp. "
        "C-MOVE destination: DCMTK's storescp --ignore (receives, does not write).",
    ]
    if bench.failures:
        notes.append(f"\n**{len(bench.failures)} run(s) FAILED** (see stderr / logs in {bench.logdir}).")
    text = table + "\n" + "\n".join(notes) + "\n"
    print("\n" + text)
    if args.output:
        args.output.write_text(text)
        print(f"table written to {args.output}")
    if args.json:
        raw = {"command": command, "started": started.isoformat(), "summary": summary,
               "runs": {c.key: c.runs for c in cases}}
        args.json.write_text(json.dumps(raw, indent=2))
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
