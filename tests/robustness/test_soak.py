"""Soak (issue 5): associations open and close continuously against each server for a bounded time
(C-ECHO, C-STORE of a small instance, and for the archives C-FIND), from two client threads at
once.  Afterwards the server still answers, stored what it was sent, and its open file
descriptors, threads and memory are back where they were after a warm-up (no leak per
association).

``PYDCMKIT_SOAK_SECONDS`` sets the duration per server (default 40 s: two minutes for the three
servers in CI; raise it for a longer soak by hand).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

from tests.robustness.servers import target  # noqa: F401  (fixture)
from tests.support import corpus
from tests.support.procs import dcmtk

SECONDS = float(os.environ.get("PYDCMKIT_SOAK_SECONDS", "40"))
WARM_UP = 5.0
ROOT = corpus.ROOT + ".77"
# per-association growth that would show as a leak: each association may not keep even one fd,
# and memory may grow by no more than a few MB over hundreds of associations (allocator noise)
RSS_SLACK_KB = 12 * 1024


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, TCP_NODELAY="1"))


def client(target, files: list[str], deadline: float, counts: dict, failures: list, lock: threading.Lock,
           worker: int) -> None:
    base = ["-aet", f"SOAK{worker}", "-aec", target.called_ae, "-to", "20", "-ta", "20", "-td", "20"]
    peer = ["127.0.0.1", str(target.port)]
    n = 0
    while time.monotonic() < deadline and len(failures) < 5:
        kind = ("echo", "store", "find")[n % 3]
        if kind == "find" and target.kind == "dcmrecv":
            kind = "echo"
        if kind == "echo":
            proc = run([dcmtk("echoscu"), *base, *peer])
        elif kind == "store":
            proc = run([dcmtk("storescu"), *base, *peer, files[n % len(files)]])
        else:
            proc = run([dcmtk("findscu"), *base, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID",
                        *peer])
        with lock:
            counts[kind] = counts.get(kind, 0) + 1
            if proc.returncode != 0:
                failures.append(f"{kind}: exit {proc.returncode}: {proc.stdout[-500:]}{proc.stderr[-500:]}")
        n += 1


def soak(target, files: list[str], seconds: float) -> tuple[dict, list]:
    counts: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    workers = [threading.Thread(target=client, args=(target, files, deadline, counts, failures, lock, w))
               for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 120)
    return counts, failures


def settle(target, seconds: float = 10.0) -> tuple[int, int]:
    """Open fds and threads once the last associations have ended (their threads may take a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        fds, threads = open_fds(target.proc.pid), target.threads()
        if threads <= 4 or time.monotonic() > deadline:
            return fds, threads
        time.sleep(0.2)


def test_associations_open_and_close_continuously_without_leaks(target, tmp_path):
    files = [corpus.make(str(tmp_path), f"soak{i}.dcm", corpus.CT, f"{ROOT}.4.{i}", "SOAK^TEST", "SOAK1",
                         "19700101", "O", f"{ROOT}.2.1", "20240101", "120000", "ACCSOAK", "1", "SOAK",
                         f"{ROOT}.3.1", 1, "CT", i + 1, size=8) for i in range(20)]
    counts, failures = soak(target, files, WARM_UP)
    assert failures == [], failures
    fds_before, threads_before = settle(target)
    rss_before = target.memory_kb()

    counts, failures = soak(target, files, SECONDS)
    total = sum(counts.values())
    fds_after, threads_after = settle(target)
    rss_after = target.memory_kb()
    print(f"\n{target.kind}: {total} associations in {SECONDS:.0f} s {counts}; fds {fds_before} -> {fds_after}, "
          f"threads {threads_before} -> {threads_after}, VmRSS {rss_before} -> {rss_after} kB, "
          f"VmHWM {target.memory_kb('VmHWM')} kB")
    assert failures == [], failures
    assert total >= 20, counts  # the soak really ran
    assert target.alive() and target.echo().returncode == 0
    assert target.tracebacks() == [], target.log[-4000:]
    assert fds_after <= fds_before, f"open files grew from {fds_before} to {fds_after}"
    assert threads_after <= threads_before, f"threads grew from {threads_before} to {threads_after}"
    assert rss_after - rss_before <= RSS_SLACK_KB, f"VmRSS grew by {rss_after - rss_before} kB"
    stored = target.stored_files()
    assert len(stored) == len(files), stored  # every instance once (re-sends replace, never duplicate)
    if target.indexed_uids() is not None:
        assert sorted(target.indexed_uids()) == sorted(f"{ROOT}.4.{i}" for i in range(len(files)))
