"""C-FIND provider (services.find over the SQLite query database) against DCMTK's findscu."""

import subprocess

import pytest
from pydicom import dcmread

from pydcmkit.db import open_database, reindex
from pydcmkit.net import dimse
from pydcmkit.services.find import FindSCP, FindSettings
from tests.interop.qrserver import indexed_corpus, serving
from tests.support.procs import dcmtk, env

PROFILE = """\
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LittleEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[[PresentationContexts]]
[QR]
PresentationContext1 = VerificationSOPClass\\Uncompressed
PresentationContext2 = FINDPatientRootQueryRetrieveInformationModel\\Uncompressed
PresentationContext3 = FINDStudyRootQueryRetrieveInformationModel\\Uncompressed
[[Profiles]]
[QR]
PresentationContexts = QR
"""


@pytest.fixture
def find_server(work):
    db = indexed_corpus(work)
    with serving(PROFILE, {dimse.C_FIND_RQ: FindSCP(db, FindSettings()).handle}) as server:
        yield server
    db.close()


def findscu(work, port, *args):
    out = work / "rsp"
    out.mkdir(exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    proc = subprocess.run([dcmtk("findscu"), "-v", "-X", "-od", str(out), *args, "127.0.0.1", str(port)],
                          cwd=work, capture_output=True, text=True, timeout=60, env=env(TCP_NODELAY=1))
    return proc, [dcmread(p) for p in sorted(out.iterdir())]


def test_study_root_study_level(work, find_server):
    proc, rsps = findscu(work, find_server.port, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientID=PAT001",
                         "-k", "StudyInstanceUID", "-k", "StudyDate")
    assert proc.returncode == 0, proc.stderr
    assert [(r.StudyInstanceUID, r.StudyDate) for r in rsps] == [("1.2.826.0.1.3680043.10.999.2.1", "20230115")]
    assert "Success" in proc.stderr


def test_patient_root_wildcard_and_date_range(work, find_server):
    proc, rsps = findscu(work, find_server.port, "-P", "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientName=*J*",
                         "-k", "PatientID")
    assert sorted(r.PatientID for r in rsps) == ["PAT001", "PAT002"]
    proc, rsps = findscu(work, find_server.port, "-S", "-k", "QueryRetrieveLevel=STUDY",
                         "-k", "StudyDate=20230601-", "-k", "StudyInstanceUID")
    assert sorted(r.StudyInstanceUID for r in rsps) == ["1.2.826.0.1.3680043.10.999.2.2",
                                                         "1.2.826.0.1.3680043.10.999.2.3"]


def test_injection_attempt_matches_literally(work, find_server):
    proc, rsps = findscu(work, find_server.port, "-S", "-k", "QueryRetrieveLevel=STUDY",
                         "-k", "PatientID=x' OR '1'='1", "-k", "StudyInstanceUID")
    assert proc.returncode == 0 and rsps == []
    proc, rsps = findscu(work, find_server.port, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID")
    assert len(rsps) == 3  # the server still serves, nothing was changed


def test_bad_level_is_refused_and_server_goes_on(work, find_server):
    proc, rsps = findscu(work, find_server.port, "-S", "-k", "QueryRetrieveLevel=FRAME", "-k", "StudyInstanceUID")
    assert rsps == []
    assert "0xc000" in proc.stderr.lower() or "Failed" in proc.stderr
    proc, rsps = findscu(work, find_server.port, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID")
    assert len(rsps) == 3


def test_cancel_stops_the_responses(work, find_server):
    from tests.support.corpus import CT, ROOT, make
    big = work / "big"
    big.mkdir()
    paths = [make(str(big), f"i{i}.dcm", CT, f"{ROOT}.9.{i}", "MANY^IMAGES", "PAT009", "19700101", "M",
                  f"{ROOT}.9", "20200101", "120000", "ACC009", "STUDY9", "MANY", f"{ROOT}.9.0", 1, "CT", i + 1)
             for i in range(1500)]
    db = open_database(str(work / "index.sqlite"))
    reindex(db, paths, clear=False)
    db.close()
    proc, rsps = findscu(work, find_server.port, "--cancel", "1", "-S", "-k", "QueryRetrieveLevel=IMAGE",
                         "-k", f"StudyInstanceUID={ROOT}.9", "-k", f"SeriesInstanceUID={ROOT}.9.0",
                         "-k", "SOPInstanceUID")
    assert proc.returncode == 0, proc.stderr
    assert "Final Find Response (Cancel" in proc.stderr, proc.stderr[-2000:]
    assert 1 <= len(rsps) < 1500
    assert "Release Failed" not in proc.stderr


def test_late_cancel_is_ignored(work, find_server):
    proc, rsps = findscu(work, find_server.port, "--cancel", "1", "-S", "-k", "QueryRetrieveLevel=STUDY",
                         "-k", "PatientID=PAT001", "-k", "StudyInstanceUID")
    assert proc.returncode == 0 and len(rsps) == 1
    assert "Release Failed" not in proc.stderr and "abort" not in proc.stderr.lower()
