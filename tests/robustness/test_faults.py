"""Faults under dcmqrscp and dgate (issue 5): a peer that drops mid C-STORE, SIGKILL in the middle
of many stores, a full disk, PostgreSQL going away, a C-MOVE destination that refuses or vanishes.

dcmrecv's own cases (drop, SIGKILL, full disk, SIGTERM) are in tests/interop/test_dcmrecv_interop.py.
What must hold in every case: an instance answered Success is on disk, whole, and indexed; an
instance answered otherwise leaves no file and no row; no temporary file is left where an
instance would be; the server goes on (or, after SIGKILL, starts again on the same data).
"""

from __future__ import annotations

import signal
import struct
import time

import pytest

from tests.interop import rawclient as raw
from tests.interop.dicomfiles import writing_unnamed
from tests.robustness.faults_support import (
    CT,
    ROOT,
    SUCCESS,
    Archive,
    Peer,
    PgCluster,
    StoreLoad,
    c_move,
    complete_uid,
    ct,
    echo_ok,
    encode,
    find_identifier,
    sqlite_check,
    store_one,
    wait_until,
)
from tests.support.disk import fill, mount_tmpfs, umount

pytestmark = pytest.mark.interop
KINDS = ("dcmqrscp", "dgate")


def is_failure(status: int) -> bool:
    """A C-STORE failure status (PS3.4 Annex B: A7xx, A9xx, Cxxx; also 0x0110, 0x0211 ...)."""
    return status != SUCCESS and (status >> 12) not in (0xB, 0xF)


def check_consistent(srv: Archive, answered_success: set[str]) -> dict:
    """Every instance answered Success is indexed once and whole on disk; every index row points
    to a whole file of its instance; every file in the area is a whole instance with a final
    name.  Returns counts, with the files that are not indexed (complete ones, never answered)."""
    if srv.kind == "dcmqrscp" and not srv.database or srv.kind == "dgate" and not srv.database:
        sqlite_check(srv.sqlite_path)
    rows = srv.rows()
    uids = [uid for uid, _ in rows]
    assert len(uids) == len(set(uids)), "duplicate index rows"
    missing = answered_success - set(uids)
    assert not missing, f"answered Success but not indexed: {sorted(missing)[:5]}"
    indexed_files = set()
    for uid, path in rows:
        full = srv.store / path
        assert full.is_file(), f"index row {uid} -> {path}: no file"
        assert complete_uid(full) == uid
        indexed_files.add(full)
    unindexed = []
    for path in srv.files():
        assert not path.name.startswith("."), f"temporary file left visible: {path}"
        if path not in indexed_files:
            complete_uid(path)  # whole, or this raises
            unindexed.append(path)
    return {"rows": len(rows), "unindexed": unindexed}


# ---------------------------------------------------------------------------------------------
# a peer that goes away in the middle of a large C-STORE

@pytest.mark.parametrize("how", ["close", "abort"])
@pytest.mark.parametrize("kind", KINDS)
def test_peer_dropping_mid_large_store_leaves_nothing(tmp_path, kind, how):
    uid = f"{ROOT}.10.1"
    data = encode(ct(uid, size=1024))  # 2 MiB
    with Archive(kind, tmp_path) as srv:
        peer = Peer(srv.port, srv.ae)
        assert peer.accepted
        peer.assoc.send_command(1, raw.c_store_rq(1, CT, uid))
        peer.assoc.send_dataset(1, data[:len(data) // 3], last=False)
        if kind == "dcmqrscp":  # writes as it receives, into an unnamed file
            wait_until(lambda: writing_unnamed(srv.pid, srv.store), what="the server to start writing")
        else:  # collects the dataset in memory
            time.sleep(0.3)
        if how == "abort":
            peer.assoc.sock.sendall(struct.pack(">BBIBBBB", 0x07, 0, 4, 0, 0, 0, 0))
        peer.close()
        wait_until(lambda: not writing_unnamed(srv.pid, srv.store), what="the partial instance to be dropped")
        time.sleep(0.3)
        assert srv.alive()
        assert srv.files() == [] and srv.rows() == []
        assert echo_ok(srv.port, srv.ae)
        assert store_one(srv.port, srv.ae, ct(uid, size=1024)) == SUCCESS
        assert [u for u, _ in srv.rows()] == [uid]
        check_consistent(srv, {uid})
        assert "Traceback" not in srv.log


# ---------------------------------------------------------------------------------------------
# SIGKILL while three associations store, then a restart on the same data

@pytest.mark.parametrize("kind", KINDS)
def test_sigkill_mid_many_stores_then_restart(tmp_path, kind):
    srv = Archive(kind, tmp_path)
    try:
        load = StoreLoad(srv.port, srv.ae, workers=3, per_worker=60, size=64).start()
        wait_until(lambda: load.successes() >= 25, timeout=60, what="25 stores answered Success")
        srv.stop(signal.SIGKILL)
        load.join(30)
        succeeded = load.succeeded()
        assert 25 <= len(succeeded) < 180, "the kill came too late to be in the middle"
        assert all(status == SUCCESS for status in load.answered.values())
        # after the kill, before any restart: the area is consistent already
        state = check_consistent(srv, succeeded)
        assert len(state["unindexed"]) <= 3, state  # at most one in flight per association
        srv.start()
        state = check_consistent(srv, succeeded)
        assert echo_ok(srv.port, srv.ae)
        # the archive serves: a new instance, and again one that was in flight at the kill
        in_flight = [load.uid(w, sum(1 for u in load.answered if u.startswith(load.uid(w, 0)[:-1])))
                     for w in range(3)]
        for uid in [f"{ROOT}.11.1", *in_flight]:
            assert store_one(srv.port, srv.ae, ct(uid, size=64)) == SUCCESS, uid
        check_consistent(srv, succeeded | {f"{ROOT}.11.1", *in_flight})
        peer = Peer(srv.port, srv.ae)
        found, status = peer.find(find_identifier("STUDY", StudyInstanceUID=None, PatientID=None))
        peer.release()
        assert status == SUCCESS
        assert {f"{ROOT}.5.0.0", f"{ROOT}.5.0.1"} <= {str(ds.StudyInstanceUID) for ds in found}
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# full disk: the storage area on a small tmpfs

@pytest.fixture
def tiny(tmp_path):
    """A 1 MiB tmpfs at tmp_path/area (skips when mounting is impossible)."""
    area = tmp_path / "area"
    reason = mount_tmpfs(area, "1m")
    if reason:
        pytest.skip(reason)
    yield area
    umount(area)


@pytest.mark.parametrize("kind", KINDS)
def test_full_disk_fails_the_store_leaves_nothing_and_recovers(tmp_path, tiny, kind):
    if kind == "dcmqrscp":
        (tmp_path / "STORE").symlink_to(tiny)
        srv = Archive(kind, tmp_path)
    else:
        (tmp_path / "db").mkdir()
        (tmp_path / "data").symlink_to(tiny)
        srv = Archive(kind, tmp_path, settings={"SQLServer": f"{tmp_path}/db/conquest.db3",
                                                "IgnoreMAGDeviceThreshold": "1"})
    with srv:
        assert store_one(srv.port, srv.ae, ct(f"{ROOT}.12.1")) == SUCCESS
        # larger than the whole disk
        status = store_one(srv.port, srv.ae, ct(f"{ROOT}.12.2", size=1024))
        assert is_failure(status), hex(status)
        check_consistent(srv, {f"{ROOT}.12.1"})
        assert sorted(u for u, _ in srv.rows()) == [f"{ROOT}.12.1"]
        # a full disk
        filler = fill(tiny)
        status = store_one(srv.port, srv.ae, ct(f"{ROOT}.12.3", size=128))
        assert is_failure(status), hex(status)
        filler.unlink()
        assert sorted(u for u, _ in srv.rows()) == [f"{ROOT}.12.1"]
        check_consistent(srv, {f"{ROOT}.12.1"})
        # space is back: the same instance is stored
        assert store_one(srv.port, srv.ae, ct(f"{ROOT}.12.3", size=128)) == SUCCESS
        state = check_consistent(srv, {f"{ROOT}.12.1", f"{ROOT}.12.3"})
        assert state["unindexed"] == [] and state["rows"] == 2
        assert srv.alive() and "Traceback" not in srv.log


# ---------------------------------------------------------------------------------------------
# PostgreSQL stopped under the server

@pytest.fixture(scope="module")
def cluster():
    """A private PostgreSQL server the tests stop and start."""
    from tests.interop.dcmqrscp_support import postgres_missing
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    pg = PgCluster()
    yield pg
    pg.close()


def try_store(port: int, called: str, ds) -> int | str:
    """The C-STORE status, or how the server said no without one (``rejected``, ``aborted``)."""
    try:
        peer = Peer(port, called)
    except (OSError, ConnectionError):
        return "aborted"
    if not peer.accepted:
        peer.close()
        return "rejected"
    try:
        return peer.store(ds)
    except (OSError, ConnectionError):
        return "aborted"
    finally:
        peer.release()


@pytest.mark.parametrize("kind", KINDS)
def test_postgres_stopped_stores_fail_and_service_resumes(tmp_path, cluster, kind):
    first, during, after = f"{ROOT}.13.{int(kind == 'dgate')}.1", f"{ROOT}.13.{int(kind == 'dgate')}.2", \
        f"{ROOT}.13.{int(kind == 'dgate')}.3"
    with Archive(kind, tmp_path, database=cluster.url) as srv:
        assert store_one(srv.port, srv.ae, ct(first)) == SUCCESS
        held = Peer(srv.port, srv.ae)  # an association open across the outage
        assert held.accepted
        cluster.stop()
        try:
            outcomes = [try_store(srv.port, srv.ae, ct(during)), held.store(ct(during))]
            for outcome in outcomes:
                assert outcome != SUCCESS and (not isinstance(outcome, int) or is_failure(outcome)), outcomes
            # the held association answered with a status: it is a C-STORE failure, not an abort
            assert isinstance(outcomes[1], int)
            assert srv.alive()
        finally:
            held.release()
            cluster.start()
        wait_until(lambda: try_store(srv.port, srv.ae, ct(after)) == SUCCESS, timeout=60,
                   what="stores to succeed again")
        assert store_one(srv.port, srv.ae, ct(during)) == SUCCESS
        assert sorted(u for u, _ in srv.rows()) == sorted([first, during, after])
        check_consistent(srv, {first, during, after})
        assert srv.alive()


# ---------------------------------------------------------------------------------------------
# a C-MOVE destination that refuses or goes away

MOVED = 6


def _archive_with_study(kind, root, dest_port):
    srv = Archive(kind, root, dest_port=dest_port, amap=(f"DESTAE  127.0.0.1  {dest_port}  un",
                                                         f"GONE    127.0.0.1  {dest_port + 1}  un"))
    for n in range(MOVED):
        assert store_one(srv.port, srv.ae, ct(f"{ROOT}.14.{n}", study_uid=f"{ROOT}.14",
                                              number=n + 1)) == SUCCESS
    return srv


@pytest.mark.parametrize("dest", ["refuses", "nothing listens"])
@pytest.mark.parametrize("kind", KINDS)
def test_move_to_a_destination_that_cannot_be_reached(tmp_path, kind, dest):
    from tests.support.procs import Server, dcmtk, free_port
    port = free_port()
    srv = _archive_with_study(kind, tmp_path, port)
    scp = None
    try:
        if dest == "refuses":
            scp = Server([dcmtk("storescp"), "--refuse", str(port)], port, tmp_path, wait=True)
            ae = "DESTAE"
        else:
            ae = "GONE"
        responses = c_move(srv.port, srv.ae, f"{ROOT}.14", ae)
        status, counts = responses[-1]
        assert status == 0xA702, responses  # Refused: out of resources, unable to perform sub-operations
        assert counts["completed"] == 0 and counts["failed"] == MOVED and counts["warning"] in (0, -1)
        assert srv.alive() and echo_ok(srv.port, srv.ae)
    finally:
        if scp is not None:
            scp.stop()
        srv.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_move_destination_vanishing_mid_move(tmp_path, kind):
    from tests.support.procs import Server, dcmtk, free_port
    port = free_port()
    srv = _archive_with_study(kind, tmp_path, port)
    (tmp_path / "dest").mkdir()
    scp = Server([dcmtk("storescp"), "--sleep-during", "1", "-od", str(tmp_path / "dest"), str(port)], port,
                 tmp_path, wait=True)
    try:
        import threading
        result = {}
        mover = threading.Thread(target=lambda: result.update(r=c_move(srv.port, srv.ae, f"{ROOT}.14", "DESTAE")))
        mover.start()
        wait_until(lambda: len(list((tmp_path / "dest").iterdir())) >= 2, timeout=30, what="two files moved")
        scp.stop(signal.SIGKILL)
        mover.join(60)
        assert not mover.is_alive()
        received = len(list((tmp_path / "dest").iterdir()))
        responses = result["r"]
        status, counts = responses[-1]
        assert status == 0xB000, responses  # sub-operations complete, one or more failures
        assert counts["completed"] + counts["failed"] + max(counts["warning"], 0) == MOVED
        assert counts["completed"] >= 1 and counts["failed"] >= 1
        assert received - 1 <= counts["completed"] <= received
        # every pending response counted consistently
        for pending, c in responses[:-1]:
            assert pending == 0xFF00
            assert c["remaining"] + c["completed"] + c["failed"] + max(c["warning"], 0) == MOVED
        assert srv.alive() and echo_ok(srv.port, srv.ae)
    finally:
        scp.stop()
        srv.stop()
