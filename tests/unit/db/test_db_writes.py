"""Writing the index on both backends: idempotent inserts, replacement, removal, quotas'
bookkeeping, concurrent writers (threads and processes) and re-indexing from files."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
from dataclasses import replace

import pytest

from dbhelpers import PR, SR, find, ident, synthetic_records
from pydcmkit.db import (DEFAULT_INDEX_NAME, DatabaseError, InstanceRecord, KeySet, open_database,
                         record_from_file, reindex)


def rec(sop: str, *, series="9.3.1", study="9.2.1", patient="P1", name="DOE^JOHN", path=None, received=1.0,
        size=10, **attrs) -> InstanceRecord:
    values = {"PatientID": patient, "PatientName": name, "StudyInstanceUID": study, "SeriesInstanceUID": series,
              "SOPInstanceUID": sop, "SOPClassUID": "1.2.840.10008.5.1.4.1.1.2", **attrs}
    return InstanceRecord(values, path or f"/d/{sop}.dcm", "1.2.840.10008.1.2.1", size, received, "")


def all_sops(db) -> list[str]:
    return [r["SOPInstanceUID"] for r in find(db, SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None,
                                                            SOPInstanceUID=None))]


def test_insert_is_idempotent_per_sop_instance_uid(db):
    first = db.add_instance(rec("9.4.1"))
    assert first and first.new and first.replaced_path is None
    again = db.add_instance(rec("9.4.1", received=99.0))
    assert not again and again.replaced_path is None
    assert db.count_instances() == 1
    assert db.lookup("9.4.1").received == 1.0      # identical apart from the receive time: untouched
    assert db.add_instances([rec("9.4.1"), rec("9.4.2"), rec("9.4.2")]) == 1
    assert db.count_instances() == 2


def test_duplicate_with_another_file_replaces_the_record(db):
    db.add_instance(rec("9.4.1", path="/d/old.dcm"))
    result = db.add_instance(rec("9.4.1", path="/d/new.dcm", received=5.0, size=20))
    assert not result.new and result.replaced_path == "/d/old.dcm"
    got = db.lookup("9.4.1")
    assert (got.path, got.file_size, got.received) == ("/d/new.dcm", 20, 5.0)
    assert db.count_instances() == 1


def test_latest_instance_defines_entity_attributes(db):
    db.add_instance(rec("9.4.1", name="DOE^JON", StudyDescription="OLD"))
    db.add_instance(rec("9.4.2", name="DOE^JOHN", StudyDescription="NEW"))
    got = find(db, PR, ident("STUDY", PatientID="P1", PatientName=None, StudyInstanceUID=None,
                             StudyDescription=None))
    assert [(r["PatientName"], r["StudyDescription"]) for r in got] == [("DOE^JOHN", "NEW")]


def test_moving_an_instance_removes_emptied_entities(db):
    db.add_instance(rec("9.4.1", series="9.3.1", study="9.2.1", patient="P1"))
    db.add_instance(rec("9.4.1", series="9.3.2", study="9.2.2", patient="P2"))
    assert [r["PatientID"] for r in find(db, PR, ident("PATIENT", PatientID=None))] == ["P2"]
    assert [r["SeriesInstanceUID"] for r in find(db, SR, ident("SERIES", StudyInstanceUID=None,
                                                               SeriesInstanceUID=None))] == ["9.3.2"]
    # a series re-parented to another study takes its instances along
    db.add_instance(rec("9.4.2", series="9.3.2", study="9.2.3", patient="P2"))
    got = find(db, SR, ident("SERIES", StudyInstanceUID=None, SeriesInstanceUID=None))
    assert [(r["StudyInstanceUID"], r["SeriesInstanceUID"]) for r in got] == [("9.2.3", "9.3.2")]
    assert all_sops(db) == ["9.4.1", "9.4.2"]


def test_remove_instance_and_study(db):
    db.add_instances([rec("9.4.1"), rec("9.4.2", series="9.3.2"), rec("9.4.3", study="9.2.2", series="9.3.3"),
                      rec("9.4.4", study="9.2.3", series="9.3.4", patient="P2")])
    assert db.remove_instance("9.4.1") == "/d/9.4.1.dcm"
    assert db.remove_instance("9.4.1") is None
    assert [r["SeriesInstanceUID"] for r in find(db, SR, ident("SERIES", StudyInstanceUID="9.2.1",
                                                               SeriesInstanceUID=None))] == ["9.3.2"]
    assert db.remove_study("9.2.1") == ["/d/9.4.2.dcm"]
    assert db.remove_study("9.2.1") == []
    assert db.remove_instance("9.4.4") == "/d/9.4.4.dcm"
    assert [r["PatientID"] for r in find(db, PR, ident("PATIENT", PatientID=None))] == ["P1"]
    assert all_sops(db) == ["9.4.3"]
    db.clear()
    assert db.count_instances() == 0
    assert find(db, PR, ident("PATIENT", PatientID=None)) == []


def test_quota_bookkeeping(db):
    db.add_instances([rec("9.4.1", received=30.0, size=100), rec("9.4.2", received=10.0, size=50),
                      rec("9.4.3", study="9.2.2", series="9.3.3", received=20.0, size=7)])
    usage = db.study_usage()
    assert [(u.study_instance_uid, u.instances, u.bytes, u.last_received) for u in usage] == [
        ("9.2.2", 1, 7, 20.0), ("9.2.1", 2, 150, 30.0)]
    assert [f.sop_instance_uid for f in db.study_instances("9.2.1")] == ["9.4.2", "9.4.1"]
    assert db.storage_used() == 157


def test_records_round_trip(db, corpus_dir):
    originals = [record_from_file(corpus_dir / n, received=float(i)) for i, n in
                 enumerate(("ct1.dcm", "mr1.dcm", "sc8.dcm"))]
    db.add_instances(originals)
    assert list(db.records()) == originals


def test_invalid_records_are_refused(db):
    with pytest.raises(ValueError):
        db.add_instance(rec(""))
    with pytest.raises(ValueError):
        db.add_instance(rec("9.4.1", series=""))
    assert db.count_instances() == 0


# --- concurrency ---------------------------------------------------------------------------------

def _overlapping(worker: int, n: int = 60) -> list[InstanceRecord]:
    # every worker adds the same patients/studies/series; SOP UIDs overlap between neighbours
    out = []
    for k in range(n):
        sop = worker * (n // 2) + k
        out.append(rec(f"9.4.{sop}", series=f"9.3.{sop % 7}", study=f"9.2.{sop % 7 % 3}", patient=f"P{sop % 7 % 3}",
                       path=f"/d/{sop}.dcm"))
    return out


def _expected_sops(workers: int, n: int = 60) -> set[str]:
    return {r.sop_instance_uid for w in range(workers) for r in _overlapping(w, n)}


def _check_no_lost_or_duplicated_rows(db, workers: int) -> None:
    expected = _expected_sops(workers)
    sops = all_sops(db)
    assert len(sops) == len(set(sops)) == db.count_instances()
    assert set(sops) == expected
    assert len(find(db, PR, ident("PATIENT", PatientID=None))) == 3
    assert len(find(db, SR, ident("STUDY", StudyInstanceUID=None))) == 3
    series = find(db, SR, ident("SERIES", StudyInstanceUID=None, SeriesInstanceUID=None,
                                NumberOfSeriesRelatedInstances=None), keys=KeySet.EXTENDED)
    assert len(series) == 7
    assert sum(int(r["NumberOfSeriesRelatedInstances"]) for r in series) == len(expected)


def test_concurrent_threads(db):
    workers, errors = 6, []
    barrier = threading.Barrier(workers)

    def work(w):
        try:
            barrier.wait()
            for r in _overlapping(w):
                db.add_instance(r)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _check_no_lost_or_duplicated_rows(db, workers)


def _process_worker(url: str, w: int, start, batch: bool) -> None:
    database = open_database(url)
    start.wait()
    records = _overlapping(w)
    if batch:
        database.add_instances(records[:30])
        database.add_instances(records[30:])
    else:
        for r in records:
            database.add_instance(r)
    database.close()


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_concurrent_processes(db, db_url, batch):
    ctx = multiprocessing.get_context("fork")
    workers = 4
    start = ctx.Event()
    procs = [ctx.Process(target=_process_worker, args=(db_url, w, start, batch)) for w in range(workers)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * workers
    _check_no_lost_or_duplicated_rows(db, workers)


def test_concurrent_add_and_remove_lose_nothing(db):
    db.add_instances([rec(f"9.4.{k}", series="9.3.1") for k in range(40)])
    errors = []

    def remover():
        try:
            for k in range(40):
                db.remove_instance(f"9.4.{k}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def adder():
        try:
            for k in range(100, 140):
                db.add_instance(rec(f"9.4.{k}", series="9.3.1"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=remover), threading.Thread(target=adder)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(all_sops(db)) == sorted(f"9.4.{k}" for k in range(100, 140))


def test_a_forked_child_does_not_reuse_the_parents_connections(db, db_url):
    db.add_instance(rec("9.4.1"))
    ctx = multiprocessing.get_context("fork")

    def child():
        db.add_instance(rec("9.4.2"))  # the inherited object opens its own connection
        os._exit(0 if db.count_instances() == 2 else 1)

    p = ctx.Process(target=child)
    p.start()
    p.join(30)
    assert p.exitcode == 0
    assert all_sops(db) == ["9.4.1", "9.4.2"]   # the parent's pooled connection still works


# --- re-index --------------------------------------------------------------------------------------

def test_reindex_from_files(db, corpus_dir, tmp_path):
    area = tmp_path / "area"
    shutil.copytree(corpus_dir, area)
    (area / "sub").mkdir()
    shutil.copy(area / "ct1.dcm", area / "sub" / "copy_of_ct1.dcm")          # same SOP UID twice
    shutil.copy(area / "mr1.dcm", area / ".pydcmkit-0123456789abcdef.part")   # writer's temp file
    (area / DEFAULT_INDEX_NAME).write_bytes(b"SQLite format 3\x00")
    (area / "index.dat").write_bytes(b"QRDB05")
    db.add_instance(rec("9.9.9"))  # stale: the rebuilt index describes exactly the files
    result = reindex(db, [area])
    count, errors = result
    assert count == 11
    assert errors == [(str(area / "notdicom.txt"), f"{area / 'notdicom.txt'}: not a DICOM file")]
    assert db.count_instances() == 10
    assert db.lookup("9.9.9") is None
    assert db.lookup("1.2.826.0.1.3680043.10.999.4.111").path == str(area / "sub" / "copy_of_ct1.dcm")
    assert db.lookup("1.2.826.0.1.3680043.10.999.4.111").received == os.stat(area / "sub" / "copy_of_ct1.dcm").st_mtime
    got = find(db, SR, ident("STUDY", StudyInstanceUID=None, StudyDate="2023*"))
    assert len(got) == 0  # DA has no wildcards
    got = find(db, SR, ident("STUDY", StudyInstanceUID=None, StudyDate="20230101-20231231"))
    assert len(got) == 2


def test_reindex_keeps_relative_paths_and_can_add(db, corpus_dir, tmp_path, monkeypatch):
    shutil.copytree(corpus_dir, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    count, errors = reindex(db, ["data/ct1.dcm", "data/mr1.dcm", "data/notdicom.txt"])
    assert (count, len(errors)) == (2, 1)
    count, errors = reindex(db, ["data/ct2.dcm"], clear=False, is_new=False)
    assert (count, errors) == (1, [])
    paths = {r.path: r.is_new for r in db.records()}
    assert paths == {"data/ct1.dcm": True, "data/mr1.dcm": True, "data/ct2.dcm": False}


def test_bulk_reindex_of_synthetic_records(db):
    records = synthetic_records(1200)
    assert db.add_instances(records[:700]) == 700
    assert db.add_instances(records[600:]) == 500
    assert db.count_instances() == 1200
    studies = find(db, SR, ident("STUDY", StudyInstanceUID=None))
    assert len(studies) == 1200 // 60


# --- opening --------------------------------------------------------------------------------------

def test_open_database_targets(tmp_path):
    with open_database(tmp_path) as d1:
        d1.add_instance(rec("9.4.1"))
    assert (tmp_path / DEFAULT_INDEX_NAME).exists()
    with open_database(f"sqlite://{tmp_path / DEFAULT_INDEX_NAME}") as d2:
        assert d2.count_instances() == 1
    with pytest.raises(DatabaseError):
        open_database("mysql://localhost/x")
    with pytest.raises(DatabaseError):
        open_database(tmp_path / "missing" / "index.sqlite")
    with pytest.raises(DatabaseError):
        d1.count_instances()  # closed


def test_schema_version_mismatch_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    open_database(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE pydcmkit_schema SET version = 0")
    with pytest.raises(DatabaseError, match="schema version 0"):
        open_database(path)


def test_unreachable_postgres_is_a_database_error(tmp_path):
    with pytest.raises(DatabaseError, match="cannot connect"):
        open_database(f"postgresql://nobody@/x?host={tmp_path}&port=1", connect_timeout=1)


def test_record_replace_keeps_other_fields(db):
    r = rec("9.4.1")
    db.add_instance(replace(r, is_new=False))
    assert db.lookup("9.4.1").is_new is False


def _open_new_file(path, barrier, results):
    barrier.wait(10)
    try:
        open_database(path).close()
        results.put("ok")
    except DatabaseError as exc:
        results.put(str(exc))


def test_processes_creating_the_same_new_file_at_once(tmp_path):
    # switching a new file to WAL answers "database is locked" without waiting for the busy
    # timeout; servers whose workers open a new area index at the same moment must not fail
    ctx = multiprocessing.get_context("fork")
    failures = []
    for round_ in range(15):
        path = str(tmp_path / f"new{round_}.sqlite")
        barrier, results = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_open_new_file, args=(path, barrier, results)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        failures += [r for r in (results.get(timeout=5) for _ in procs) if r != "ok"]
    assert failures == []
