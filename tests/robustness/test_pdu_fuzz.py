"""Hostile upper-layer input against each server (issue 5): random bytes, mutated
A-ASSOCIATE-RQs, mutated P-DATA after a valid association (tests/robustness/pdus.py).

Every case runs on its own connection, which the server must close by itself once we have
half-closed ours (no hung association).  Afterwards the server is alive, its memory and open file
descriptors and threads are back near where they were, nothing was stored, no exception escaped
a handler, and DCMTK's echoscu gets an answer.
"""

from __future__ import annotations

import collections
import os
import time

from tests.robustness import pdus
from tests.robustness.servers import target  # noqa: F401  (fixture)

SEED = 20240505
N_RANDOM, N_ASSOCIATE, N_P_DATA = 200, 350, 450
RSS_GROWTH_LIMIT_KB = 32 * 1024


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def settle(target, threads: int, fds: int, timeout: float = 10.0) -> None:
    """Wait until the threads and descriptors of finished connections are gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.threads() <= threads and open_fds(target.proc.pid) <= fds:
            return
        time.sleep(0.05)


def test_fuzzed_pdus_leave_the_server_serving(target):
    assert target.echo().returncode == 0, target.log
    rss, threads, fds = target.memory_kb(), target.threads(), open_fds(target.proc.pid)
    seen = collections.Counter()
    started = time.monotonic()
    for i, case in enumerate(pdus.cases(SEED, target.called_ae, N_RANDOM, N_ASSOCIATE, N_P_DATA)):
        outcome = pdus.play(target.port, target.called_ae, case)
        seen[case.category, outcome.answer] += 1
        assert outcome.closed, f"case {i} ({case.category} {case.mutation}): connection still open " \
                               f"after {outcome.seconds:.1f} s"
        assert target.alive(), f"{target.kind} died at case {i} ({case.category} {case.mutation}):\n{target.log[-3000:]}"
    elapsed = time.monotonic() - started
    settle(target, threads, fds)

    assert target.alive()
    grown = target.memory_kb() - rss
    print(f"\n{target.kind}: {sum(seen.values())} cases in {elapsed:.1f} s, VmRSS {rss} -> "
          f"{target.memory_kb()} kB, VmHWM {target.memory_kb('VmHWM')} kB; answers {dict(seen)}")
    assert grown < RSS_GROWTH_LIMIT_KB, f"VmRSS grew by {grown} kB"
    assert target.threads() <= threads, "association threads left behind"
    assert open_fds(target.proc.pid) <= fds, "descriptors left open"
    assert target.tracebacks() == [], target.log
    assert target.stored_files() == []
    assert target.indexed_uids() in (None, [])
    echo = target.echo()
    assert echo.returncode == 0, echo.stderr
    # every class of input reached the server and was answered or dropped
    assert {c for c, _a in seen} == {"random bytes", "A-ASSOCIATE-RQ", "P-DATA"}
    assert seen["A-ASSOCIATE-RQ", "AC"] and seen["A-ASSOCIATE-RQ", "ABORT"] and seen["P-DATA", "ABORT"]
