"""dcmqrscp's storage areas: the quota sequence of dcmqrscp.md §5, concurrent stores (threads and
``--processes``), and ``--reindex`` of files copied into an area."""

from __future__ import annotations

import subprocess
import warnings

import pytest
from pydicom import dcmread

from pydcmkit.db import open_database
from tests.interop.dcmqrscp_support import (ROOT, STORED_NAME, STUDY_CT, STUDY_MR, STUDY_SC, QRServer, copy_corpus,
                                            findscu, keys, run_tool, scu, storescu, write_config)
from tests.support import corpus

CT1, CT2, CT3, MR1, SC1 = (f"{ROOT}.4.{n}" for n in (111, 112, 121, 211, 311))


def area_instances(server: QRServer, area: str) -> list[str]:
    """SOP Instance UIDs of the files of an area (sorted)."""
    return sorted(dcmread(server.root / area / name, stop_before_pixels=True).SOPInstanceUID
                  for name in server.area_files(area))


def image_query(server: QRServer, aec: str) -> list[str]:
    r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=IMAGE", "StudyInstanceUID", "SeriesInstanceUID",
                                         "SOPInstanceUID"), aet="ANYSCU", aec=aec, cwd=server.root)
    assert r.final == "Success", r.proc.stderr
    return sorted(r.stripped("SOPInstanceUID"))


# ---------------------------------------------------------------------------------------------
# quota (2, 3kb): the observed sequence of §5

def test_quota_sequence(tmp_path, data_dir):
    copy_corpus(data_dir, tmp_path)
    sizes = {n: (tmp_path / "data" / n).stat().st_size for n in ("ct1.dcm", "ct2.dcm", "ct3.dcm")}
    assert all(1024 < s < 1536 for s in sizes.values()), sizes  # two fit into 3 kB, three do not
    steps = [("ct1.dcm", [CT1]), ("ct2.dcm", [CT1, CT2]), ("ct3.dcm", [CT2, CT3]), ("mr1.dcm", [CT2, CT3, MR1]),
             ("sc1.dcm", [MR1, SC1])]
    with QRServer(tmp_path) as server:
        for name, expected in steps:
            proc = storescu(server.port, f"data/{name}", aet="ANYSCU", aec="QUOTA", cwd=tmp_path)
            assert proc.returncode == 0, proc.stderr
            assert area_instances(server, "QUOTA") == expected, (name, server.log)
            assert image_query(server, "QUOTA") == expected, name
        r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=STUDY", "StudyInstanceUID"), aet="ANYSCU",
                    aec="QUOTA", cwd=tmp_path)
        assert r.stripped("StudyInstanceUID") == [STUDY_MR, STUDY_SC]
        assert "study quota" in server.log and "size quota" in server.log
        assert all(STORED_NAME.match(n) for n in server.area_files("QUOTA"))


def test_image_larger_than_the_study_quota_is_refused(tmp_path, data_dir):
    copy_corpus(data_dir, tmp_path)
    big = corpus.make(str(tmp_path / "data"), "big.dcm", corpus.CT, f"{ROOT}.8.1", "BIG^PAT", "PAT008", "19700101",
                      "M", f"{ROOT}.8", "20200101", "120000", "ACC008", "STUDY8", "BIG", f"{ROOT}.8.0", 1, "CT", 1,
                      size=64)
    with QRServer(tmp_path) as server:
        proc = storescu(server.port, big, aet="ANYSCU", aec="QUOTA", cwd=tmp_path, extra=["-v"])
        assert "Received Store Response (Refused: OutOfResources)" in proc.stderr, proc.stderr
        assert server.area_files("QUOTA") == []
        assert image_query(server, "QUOTA") == []


# ---------------------------------------------------------------------------------------------
# concurrent stores

@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """40 CT instances of two studies, in 4 batches of 10, each batch sharing 3 instances with the next."""
    out = tmp_path_factory.mktemp("many")
    paths = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(40):
            study = i % 2
            paths.append(corpus.make(str(out), f"m{i:02d}.dcm", corpus.CT, f"{ROOT}.7.{i}", "MANY^PAT", f"PAT07{study}",
                                     "19700101", "M", f"{ROOT}.7.{study}", "20200101", "120000", f"ACC07{study}",
                                     "STUDY7", "MANY", f"{ROOT}.7.{study}.0", 1, "CT", i + 1))
    batches = [paths[10 * b:10 * b + 10] + paths[(10 * b + 10) % 40:(10 * b + 10) % 40 + 3] for b in range(4)]
    return paths, batches


@pytest.mark.parametrize("options", [(), ("--processes", "2")], ids=["threads", "processes"])
def test_concurrent_stores_index_each_instance_once(tmp_path, many, options):
    paths, batches = many
    with QRServer(tmp_path, *options) as server:
        procs = [subprocess.Popen(["/usr/bin/storescu", "-aet", "STORESCU", "-aec", "QRSCP", "127.0.0.1",
                                   str(server.port), *batch], cwd=tmp_path, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, env={"TCP_NODELAY": "1"})
                 for batch in batches]
        try:
            outputs = [p.communicate(timeout=60)[0] for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        assert [p.returncode for p in procs] == [0] * 4, outputs
        expected = sorted(f"{ROOT}.7.{i}" for i in range(40))
        assert area_instances(server, "STORE") == expected  # one file per instance: duplicates replaced
        db = open_database(str(tmp_path / "STORE"))
        try:
            records = [r.sop_instance_uid for r in db.records()]
            assert sorted(records) == expected and db.count_studies() == 2
            assert all((tmp_path / "STORE" / f.path).exists() for f in (db.lookup(uid) for uid in expected))
        finally:
            db.close()
        assert image_query(server, "QROPEN") == expected


# ---------------------------------------------------------------------------------------------
# --reindex

def test_reindex_files_copied_into_an_area(tmp_path, data_dir):
    copy_corpus(data_dir, tmp_path)
    config = write_config(tmp_path)
    store = tmp_path / "STORE"
    for name in ("ct1.dcm", "ct2.dcm", "mr1.dcm", "notdicom.txt"):
        (store / name).write_bytes((tmp_path / "data" / name).read_bytes())
    (store / "sub").mkdir()
    (store / "sub" / "sc1.dcm").write_bytes((tmp_path / "data" / "sc1.dcm").read_bytes())
    r = run_tool("-v", "-c", config, "--reindex", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "notdicom.txt" in r.stderr
    with QRServer(tmp_path, config=config) as server:
        r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=STUDY", "StudyInstanceUID"), cwd=tmp_path)
        assert sorted(r.stripped("StudyInstanceUID")) == [STUDY_CT, STUDY_MR, STUDY_SC]
        assert image_query(server, "QROPEN") == sorted([CT1, CT2, MR1, SC1])
        out = tmp_path / "getout"
        out.mkdir()
        proc = scu("getscu", "-aet", "GETSCU", "-aec", "QRSCP", "-S", *keys("QueryRetrieveLevel=STUDY",
                   f"StudyInstanceUID={STUDY_SC}"), "-od", out, "127.0.0.1", server.port, cwd=tmp_path)
        assert proc.returncode == 0 and [p.name for p in out.iterdir()] == [f"SC.{SC1}"], proc.stderr
    # a second run rebuilds the index from what is there now
    (store / "ct2.dcm").unlink()
    assert run_tool("-c", config, "--reindex", cwd=tmp_path).returncode == 0
    with QRServer(tmp_path, config=config) as server:
        assert image_query(server, "QROPEN") == sorted([CT1, MR1, SC1])


def test_reindex_of_a_missing_area_is_exit_10(tmp_path):
    config = write_config(tmp_path)
    (tmp_path / "READ").rmdir()
    r = run_tool("-c", config, "--reindex", cwd=tmp_path)
    assert r.returncode == 10
    assert f"cannot reindex {tmp_path}/READ: No such file or directory" in r.stderr
