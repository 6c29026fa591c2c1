"""Scale-out (issue 5): two dcmqrscp processes on different ports share one PostgreSQL database
and one storage area.  Under concurrent stores through both (the same patients and studies, and
some instances sent through both at the same moment) and queries during the load, every instance
answered Success is found and retrieved through the other server, and the index holds exactly one
row per instance, each with its file, and no file without its row.
"""

from __future__ import annotations

import threading

import pytest

from tests.interop.dcmqrscp_support import (
    DestSCP,
    QRServer,
    drop_area_schemas,
    qr_postgres_url,  # noqa: F401  (fixture)
    write_config,
)
from tests.robustness.faults_support import (
    ROOT,
    SUCCESS,
    Peer,
    c_move,
    complete_uid,
    ct,
    find_identifier,
    pg_rows,
)
from tests.support.procs import free_port
from tests.unit.db.conftest import pg_server_url  # noqa: F401  (fixture of qr_postgres_url)

pytestmark = pytest.mark.interop
PER_WORKER = 30
SHARED = 12  # instances every worker also sends, through both servers at once
STUDIES = [f"{ROOT}.30.{s}" for s in range(3)]


def instance(worker: int, n: int):
    study = STUDIES[(worker + n) % len(STUDIES)]
    return ct(f"{ROOT}.31.{worker}.{n}", study_uid=study, series_uid=f"{study}.{n % 2}", patient_id=f"SCALE{n % 2}",
              patient_name=f"SCALE^{n % 2}", size=32, number=n + 1)


def shared(n: int):
    study = STUDIES[n % len(STUDIES)]
    return ct(f"{ROOT}.32.{n}", study_uid=study, series_uid=f"{study}.{n % 2}", patient_id=f"SCALE{n % 2}",
              patient_name=f"SCALE^{n % 2}", size=32, number=1000 + n)


def test_two_dcmqrscp_sharing_postgres_and_storage(tmp_path, qr_postgres_url):  # noqa: F811
    dest = DestSCP(tmp_path / "dest")
    ports = [free_port(), free_port()]
    configs = [write_config(tmp_path, port=p, dest_port=dest.port, name=f"qr{k}.cfg") for k, p in enumerate(ports)]
    servers = []
    try:
        for port, config in zip(ports, configs):
            servers.append(QRServer(tmp_path, port=port, config=config, database=qr_postgres_url))
        answered: dict[str, list[int]] = {}
        finds: list[tuple[int, int]] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def store(worker: int) -> None:
            port = ports[worker % 2]
            try:
                peer = Peer(port, "QROPEN", f"SCALE{worker}")
                for n in range(PER_WORKER):
                    for ds in [instance(worker, n)] + ([shared(n)] if n < SHARED else []):
                        status = peer.store(ds)
                        with lock:
                            answered.setdefault(str(ds.SOPInstanceUID), []).append(status)
                peer.release()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        def query(worker: int) -> None:
            port = ports[worker % 2]
            try:
                peer = Peer(port, "QROPEN", f"QUERY{worker}")
                for _ in range(15):
                    found, status = peer.find(find_identifier("STUDY", StudyInstanceUID=None, PatientID="SCALE*"))
                    finds.append((status, len(found)))
                peer.release()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=store, args=(w,)) for w in range(4)]
        threads += [threading.Thread(target=query, args=(w,)) for w in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        expected = {f"{ROOT}.31.{w}.{n}" for w in range(4) for n in range(PER_WORKER)} | \
            {f"{ROOT}.32.{n}" for n in range(SHARED)}
        assert set(answered) == expected
        assert all(statuses == [SUCCESS] * len(statuses) for statuses in answered.values()), \
            {u: s for u, s in answered.items() if any(x != SUCCESS for x in s)}
        assert all(status == SUCCESS and 0 <= count <= len(STUDIES) for status, count in finds), finds

        # one row per instance, each with its whole file, and no file without a row
        rows = pg_rows(qr_postgres_url, tmp_path / "STORE")
        uids = [uid for uid, _ in rows]
        assert len(uids) == len(set(uids)) == len(expected)
        assert set(uids) == expected
        paths = set()
        for uid, path in rows:
            full = path if path.startswith("/") else str(tmp_path / "STORE" / path)
            assert complete_uid(full) == uid
            paths.add(full)
        on_disk = {str(p) for p in (tmp_path / "STORE").iterdir() if p.name.endswith(".dcm")}
        assert on_disk == paths
        assert not [p for p in (tmp_path / "STORE").iterdir() if p.name.startswith(".")]

        # each server finds and retrieves what went through the other
        for k, port in enumerate(ports):
            peer = Peer(port, "QROPEN", f"CHECK{k}")
            for study in STUDIES:
                found, status = peer.find(find_identifier("IMAGE", StudyInstanceUID=study, SOPInstanceUID=None,
                                                          SeriesInstanceUID=None))
                assert status == SUCCESS
                got = [str(ds.SOPInstanceUID) for ds in found]
                assert len(got) == len(set(got))
                want = {u for u in expected if instance_study(u) == study}
                assert set(got) == want, (port, study)
            peer.release()
        for k, port in enumerate(ports):
            dest.clear()
            responses = c_move(port, "QROPEN", STUDIES[k], "DESTAE")
            status, counts = responses[-1]
            want = len([u for u in expected if instance_study(u) == STUDIES[k]])
            assert status == SUCCESS and counts["completed"] == want and counts["failed"] == 0, responses
            assert len(dest.files()) == want
        for srv in servers:
            assert srv.proc.poll() is None and "Traceback" not in srv.log
    finally:
        for srv in servers:
            srv.stop()
        dest.stop()
        drop_area_schemas(qr_postgres_url, tmp_path / "STORE", tmp_path / "READ", tmp_path / "QUOTA")


def instance_study(uid: str) -> str:
    """The study an instance of this test belongs to (from its UID)."""
    parts = uid[len(ROOT) + 1:].split(".")
    if parts[0] == "31":
        worker, n = int(parts[1]), int(parts[2])
        return STUDIES[(worker + n) % len(STUDIES)]
    return STUDIES[int(parts[1]) % len(STUDIES)]
