"""Load (issue 5): 16 concurrent associations, each storing 200 small instances with DCMTK's
storescu, into each server.  All 3,200 must be stored as files, none lost or duplicated, and (for
dcmqrscp and dgate) indexed exactly once; the server's peak memory (VmHWM) is reported.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pydicom
import pytest

from tests.robustness.servers import target  # noqa: F401  (fixture)
from tests.support import corpus
from tests.support.procs import dcmtk

ASSOCIATIONS, PER_ASSOCIATION = 16, 200
ROOT = corpus.ROOT + ".55"
HWM_LIMIT_KB = 400 * 1024


def sop_uid(a: int, i: int) -> str:
    return f"{ROOT}.4.{a + 1}.{i + 1}"


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> list[list[str]]:
    """16 directories of 200 small CT instances (8x8 pixels), one patient/study/series each."""
    base = tmp_path_factory.mktemp("load")
    out = []
    for a in range(ASSOCIATIONS):
        folder = base / f"batch{a:02d}"
        folder.mkdir()
        files = []
        for i in range(PER_ASSOCIATION):
            files.append(corpus.make(str(folder), f"{i:03d}.dcm", corpus.CT, sop_uid(a, i), f"LOAD^P{a:02d}",
                                     f"LOAD{a:02d}", "19700101", "O", f"{ROOT}.2.{a + 1}", "20240101", "120000",
                                     f"ACC{a:02d}", "1", "LOAD", f"{ROOT}.3.{a + 1}", 1, "CT", i + 1, size=8))
        out.append(files)
    return out


def storescu(port: int, called_ae: str, files: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([dcmtk("storescu"), "-aet", "LOADSCU", "-aec", called_ae, "-to", "60", "-ta", "60",
                           "-td", "120", "127.0.0.1", str(port), *files], capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, env=dict(os.environ, TCP_NODELAY="1"))


def stored_uid(path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"]).SOPInstanceUID)


def queries_and_moves(target, stop: threading.Event, out: list) -> None:
    """While the stores go on: C-FIND of all studies and a C-MOVE of the first study to a DCMTK
    storescp (MOVEDEST), again and again; every one must succeed."""
    base = ["-aet", "LOADQR", "-aec", target.called_ae, "-to", "60", "-ta", "60", "-td", "120"]
    peer = ["127.0.0.1", str(target.port)]
    env = dict(os.environ, TCP_NODELAY="1")
    while not stop.is_set() and len(out) < 200:
        find = subprocess.run([dcmtk("findscu"), *base, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k",
                               "StudyInstanceUID", *peer], capture_output=True, text=True, timeout=120, env=env)
        move = subprocess.run([dcmtk("movescu"), *base, "-S", "-aem", "MOVEDEST", "-k", "QueryRetrieveLevel=STUDY",
                               "-k", f"StudyInstanceUID={ROOT}.2.1", *peer], capture_output=True, text=True,
                              timeout=120, env=env)
        out.append((find.returncode, move.returncode, find.stderr[-500:] + move.stderr[-500:]))


def test_sixteen_associations_store_3200_instances(target, batches, tmp_path):
    dest = None
    stop, qr = threading.Event(), []
    if target.kind != "dcmrecv":  # the archives also answer C-FIND and C-MOVE during the load
        dest = subprocess.Popen([dcmtk("storescp"), "--ignore", str(target.dest_port)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=tmp_path)
    worker = threading.Thread(target=queries_and_moves, args=(target, stop, qr)) if dest else None
    try:
        if worker:
            worker.start()
        started = time.monotonic()
        with ThreadPoolExecutor(ASSOCIATIONS) as pool:
            results = list(pool.map(lambda files: storescu(target.port, target.called_ae, files), batches))
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        if worker:
            worker.join(300)
        if dest is not None:
            dest.kill()
            dest.wait(10)
    if worker:
        print(f"\n{target.kind}: {len(qr)} C-FIND + C-MOVE pairs during the load")
        assert qr, "no C-FIND/C-MOVE ran during the load"
        assert [(f, m) for f, m, _ in qr if f or m] == [], [e for f, m, e in qr if f or m][:3]
    for r in results:
        assert r.returncode == 0, r.stderr[-2000:]
        assert "E: " not in r.stderr, r.stderr[-2000:]

    expected = sorted(sop_uid(a, i) for a in range(ASSOCIATIONS) for i in range(PER_ASSOCIATION))
    files = target.stored_files()
    stored = sorted(stored_uid(p) for p in files)
    indexed = target.indexed_uids()
    hwm = target.memory_kb("VmHWM")
    print(f"\n{target.kind}: {len(files)} files, {'-' if indexed is None else len(indexed)} index rows in "
          f"{elapsed:.1f} s ({len(files) / elapsed:.0f}/s); VmHWM {hwm} kB")
    assert stored == expected  # every instance, each exactly once, no stray or temporary file
    if indexed is not None:
        assert sorted(indexed) == expected
    assert target.alive()
    assert target.tracebacks() == [], target.log[-4000:]
    assert hwm < HWM_LIMIT_KB
