"""C-MOVE provider (services.move) against DCMTK's movescu, with DCMTK's storescp as destination."""

import re
import subprocess

import pytest

from pydcmkit.net import dimse
from pydcmkit.services.find import FindSCP
from pydcmkit.services.move import MoveSCP, MoveSettings
from tests.interop.qrserver import indexed_corpus, serving
from tests.support.procs import Server, dcmtk, env, free_port

ROOT = "1.2.826.0.1.3680043.10.999"
PROFILE = """\
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LittleEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[[PresentationContexts]]
[QR]
PresentationContext1 = VerificationSOPClass\\Uncompressed
PresentationContext2 = FINDStudyRootQueryRetrieveInformationModel\\Uncompressed
PresentationContext3 = MOVEStudyRootQueryRetrieveInformationModel\\Uncompressed
PresentationContext4 = MOVEPatientRootQueryRetrieveInformationModel\\Uncompressed
[[Profiles]]
[QR]
PresentationContexts = QR
"""


@pytest.fixture
def archive(work):
    db = indexed_corpus(work)
    dest_port = free_port()
    (work / "dest").mkdir()
    dest = Server([dcmtk("storescp"), "-od", "dest", str(dest_port)], dest_port, work, TCP_NODELAY=1)
    table = {"DESTAE": ("127.0.0.1", dest_port), "GONE": ("127.0.0.1", free_port())}
    handlers = {dimse.C_MOVE_RQ: MoveSCP(db, MoveSettings(destinations=lambda ae, _assoc: table.get(ae))).handle,
                dimse.C_FIND_RQ: FindSCP(db).handle}
    with serving(PROFILE, handlers, ae_title="QRSCP") as server:
        yield server
    dest.stop()
    db.close()


def movescu(work, port, *args, level="-v"):
    """-v logs one line per response with its status text; -d dumps each response (with counts)."""
    return subprocess.run([dcmtk("movescu"), level, "-aec", "QRSCP", *args, "127.0.0.1", str(port)], cwd=work,
                          capture_output=True, text=True, timeout=60, env=env(TCP_NODELAY=1))


def received(work):
    return sorted(p.name for p in (work / "dest").iterdir())


def test_move_study_to_storescp(work, archive):
    proc = movescu(work, archive.port, "-S", "-aem", "DESTAE", "-k", "QueryRetrieveLevel=STUDY",
                   "-k", f"StudyInstanceUID={ROOT}.2.1")
    assert proc.returncode == 0, proc.stderr
    assert received(work) == [f"CT.{ROOT}.4.111", f"CT.{ROOT}.4.112", f"CT.{ROOT}.4.121"]
    assert "Received Final Move Response (Success)" in proc.stderr
    for f in (work / "dest").iterdir():
        f.unlink()
    proc = movescu(work, archive.port, "-S", "-aem", "DESTAE", "-k", "QueryRetrieveLevel=STUDY",
                   "-k", f"StudyInstanceUID={ROOT}.2.1", level="-d")
    assert re.search(r"Completed Suboperations\s*: 3\b", proc.stderr)
    assert re.search(r"Remaining Suboperations\s*: 1\b", proc.stderr)  # a Pending response in between


def test_move_series_patient_root(work, archive):
    proc = movescu(work, archive.port, "-P", "-aem", "DESTAE", "-k", "QueryRetrieveLevel=SERIES",
                   "-k", "PatientID=PAT001", "-k", f"StudyInstanceUID={ROOT}.2.1",
                   "-k", f"SeriesInstanceUID={ROOT}.3.12")
    assert proc.returncode == 0, proc.stderr
    assert received(work) == [f"CT.{ROOT}.4.121"]


def test_unknown_destination_is_a801(work, archive):
    proc = movescu(work, archive.port, "-S", "-aem", "NOWHERE", "-k", "QueryRetrieveLevel=STUDY",
                   "-k", f"StudyInstanceUID={ROOT}.2.1")
    assert "Received Final Move Response (Refused: MoveDestinationUnknown)" in proc.stderr
    assert received(work) == []


def test_destination_that_refuses_gives_a702_and_counts(work, archive):
    proc = movescu(work, archive.port, "-S", "-aem", "GONE", "-k", "QueryRetrieveLevel=STUDY",
                   "-k", f"StudyInstanceUID={ROOT}.2.1")
    assert "Received Final Move Response (Refused: OutOfResourcesSubOperations)" in proc.stderr, proc.stderr
    proc = movescu(work, archive.port, "-S", "-aem", "GONE", "-k", "QueryRetrieveLevel=STUDY",
                   "-k", f"StudyInstanceUID={ROOT}.2.1", level="-d")
    assert re.search(r"Failed Suboperations\s*: 3\b", proc.stderr)
    # and the archive keeps serving
    proc = movescu(work, archive.port, "-S", "-aem", "DESTAE", "-k", "QueryRetrieveLevel=STUDY",
                   "-k", f"StudyInstanceUID={ROOT}.2.2")
    assert proc.returncode == 0 and received(work) == [f"MR.{ROOT}.4.211"]
