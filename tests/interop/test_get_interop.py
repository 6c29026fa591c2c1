"""C-GET provider (services.get) against DCMTK's getscu (storage sub-operations on the same association)."""

import re
import subprocess

import pytest

from pydcmkit.net import dimse
from pydcmkit.services.get import GetSCP
from tests.interop.qrserver import indexed_corpus, serving
from tests.support.procs import dcmtk, env

ROOT = "1.2.826.0.1.3680043.10.999"
PROFILE = """\
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LittleEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[[PresentationContexts]]
[QR]
PresentationContext1 = VerificationSOPClass\\Uncompressed
PresentationContext2 = GETStudyRootQueryRetrieveInformationModel\\Uncompressed
PresentationContext3 = CTImageStorage\\Uncompressed
PresentationContext4 = MRImageStorage\\Uncompressed
[[SCPSCURoleSelection]]
[Roles]
Role1 = CTImageStorage\\SCP
Role2 = MRImageStorage\\SCP
[[Profiles]]
[QR]
PresentationContexts = QR
SCPSCURoleSelection = Roles
"""


@pytest.fixture
def archive(work):
    db = indexed_corpus(work)
    with serving(PROFILE, {dimse.C_GET_RQ: GetSCP(db).handle}) as server:
        yield server
    db.close()


def getscu(work, port, *args, level="-v"):
    (work / "got").mkdir(exist_ok=True)
    return subprocess.run([dcmtk("getscu"), level, "-od", "got", *args, "127.0.0.1", str(port)], cwd=work,
                          capture_output=True, text=True, timeout=60, env=env(TCP_NODELAY=1))


def got(work):
    return sorted(p.name for p in (work / "got").iterdir())


def test_get_study(work, archive):
    proc = getscu(work, archive.port, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={ROOT}.2.1")
    assert proc.returncode == 0, proc.stderr
    assert got(work) == [f"CT.{ROOT}.4.111", f"CT.{ROOT}.4.112", f"CT.{ROOT}.4.121"]
    assert re.search(r"Number of Completed Suboperations\s*: 3\b", proc.stderr), proc.stderr
    assert re.search(r"Number of Failed Suboperations\s*: 0\b", proc.stderr)


def test_get_counts_failures_for_classes_without_scp_role(work, archive):
    # SC (sc1) has no storage context in our profile: that sub-operation fails (0xA702: none succeeded)
    proc = getscu(work, archive.port, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={ROOT}.2.3")
    assert got(work) == []
    assert re.search(r"Number of Failed Suboperations\s*: 1\b", proc.stderr), proc.stderr[-3000:]
    proc = getscu(work, archive.port, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={ROOT}.2.2")
    assert proc.returncode == 0 and got(work) == [f"MR.{ROOT}.4.211"]
