"""Our dcmsend against DCMTK 3.6.7's dcmrecv and storescp, pynetdicom SCPs and our own dcmrecv
(dcmsend.md §9 experiments S1-S8 and beyond)."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pydicom
import pytest

from tests.interop.conftest import STORESCP_CFG, lines, our_dcmsend, wait_log
from tests.interop.dicomfiles import (CORPUS_SENDABLE, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, PYDICOM_MORE,
                                      PYDICOM_VERBATIM, copy_pydicom_files, dataset_part, header, listing,
                                      make_instances, meta, profile_config)
from tests.interop.peers import status_scp, verification_only_scp
from tests.support import corpus
from tests.support.procs import dcmtk, free_port, run

pytestmark = pytest.mark.interop

R = corpus.ROOT
CT1, CT2, CT3, MR1, SC1 = f"{R}.4.111", f"{R}.4.112", f"{R}.4.121", f"{R}.4.211", f"{R}.4.311"
MY_PROFILE = ("-xf", "my.cfg", "My Profile")
send = our_dcmsend


def parse_report(text: str) -> tuple[list[str], list[dict[str, str]], list[str]]:
    """(header lines, per-instance blocks as label -> value, summary lines) of a +crf report."""
    head, _, rest = text.partition("\n\n\n")
    body, _, summary = rest.rpartition("\n\n\n")
    blocks = []
    for chunk in body.split("\n\n"):
        block = {}
        for line in chunk.splitlines():
            label, _, value = line.partition(": ")
            block[label.rstrip()] = value
        blocks.append(block)
    return head.splitlines(), blocks, summary.split("\n")


def summary(report_or_log: str) -> list[str]:
    """The status summary lines (from a report, or from the I: lines of a verbose log)."""
    text = "\n".join(line[3:] for line in report_or_log.splitlines() if line.startswith("I: ")) \
        if "I: Status Summary" in report_or_log else report_or_log
    start = text.index("Status Summary")
    out = []
    for line in text[start:].splitlines():
        if line.startswith("sent ") or (not line and out):
            break
        out.append(line)
    return out


def assert_same_report_as_dcmtk(args: list, report: str, cwd: Path, code: int = 0) -> None:
    """Run DCMTK's dcmsend with ``args`` (+crf to another file) and compare its report with ours
    (``report``), except for the date line."""
    r = run([dcmtk("dcmsend"), *map(str, args), "+crf", "dcmtk-report.txt"], cwd=cwd, timeout=120)
    assert r.returncode == code, r.stderr
    undated = [re.sub(r"(Current Date/Time  : ).*", r"\1", (cwd / name).read_text())
               for name in ("dcmtk-report.txt", report)]
    assert undated[1] == undated[0]


@pytest.fixture
def dcmtk_recv(servers, work):
    """DCMTK's dcmrecv with my.cfg (CT/SC/private uncompressed, MR implicit only), storing into s2/."""
    (work / "s2").mkdir()
    return servers.dcmtk("dcmrecv", *MY_PROFILE, "{port}", "-od", "s2")


# ---------------------------------------------------------------------------------------------
# S1 exit codes without a listener / bad input

@pytest.fixture
def s1_files(work):
    (work / "emptydir").mkdir()
    corpus.make(str(work / "data"), "unknownclass.dcm", "1.2.840.10008.9.9", f"{R}.4.999", "U^P", "PAT9",
                "19700101", "M", f"{R}.2.9", "20240101", "120000", "ACC9", "S9", "U", f"{R}.3.9", 1, "OT", 1)
    return work


def _bad_file(name, reason):
    return [f"E: cannot add DICOM file to the transfer list: data/{name}: {reason}",
            f"F: bad DICOM file: data/{name}: {reason}"]


S1 = [
    (["data/ct1.dcm"], 61, ["F: cannot negotiate network association: TCP Initialization Error: Connection refused"]),
    (["data"], 21, ["W: ignoring directory because option --scan-directories is not set: data",
                    "F: no input files to be processed"]),
    (["+sd", "emptydir"], 21, ["F: no input files to be processed"]),
    (["+sd", "+sp", "*.xyz", "data"], 21, ["F: no input files to be processed"]),
    (["data/notdicom.txt", "data/ct1.dcm"], 22, _bad_file("notdicom.txt", "File meta information header missing")),
    (["-nh", "data/notdicom.txt"], 23, [
        "E: cannot add DICOM file to the transfer list: data/notdicom.txt: File meta information header missing",
        "W: bad DICOM file: data/notdicom.txt: File meta information header missing, ignoring file",
        "F: no valid input files to be processed"]),
    (["data/nonstorage.dcm"], 22, _bad_file("nonstorage.dcm", "Invalid SOP Class UID")),
    (["data/baduid.dcm"], 22, _bad_file("baduid.dcm", "Invalid SOP Instance UID")),
    (["data/nometa.dcm"], 22, _bad_file("nometa.dcm", "File meta information header missing")),
    (["data/unknownclass.dcm"], 22, _bad_file("unknownclass.dcm", "Unknown Storage SOP Class")),
    (["data/missing.dcm"], 22, _bad_file("missing.dcm", "No such file or directory")),
    (["-f", "data/ct1.dcm"], 22, None),
]


@pytest.mark.parametrize("args,code,expected", S1, ids=[" ".join(a) for a, _c, _e in S1])
def test_s1_exit_codes_without_listener(s1_files, args, code, expected):
    port = free_port()
    options = [a for a in args if a.startswith(("+", "-")) or a == "*.xyz"]
    files = [a for a in args if a not in options]
    r = send(*options, "127.0.0.1", port, *files, cwd=s1_files)
    assert r.returncode == code, r.stderr
    if expected is not None:
        assert lines(r.stderr) == expected
    assert r.stdout == ""


def test_s1_scan_pattern_needs_scan_directories(work):
    r = send("+sp", "*.dcm", "127.0.0.1", free_port(), "data", cwd=work)
    assert r.returncode == 1
    assert r.stderr.endswith("error: --scan-pattern only allowed with --scan-directories\n")


def test_s1_recurse_needs_scan_directories(work):
    r = send("+r", "127.0.0.1", free_port(), "data", cwd=work)
    assert r.returncode == 1
    assert r.stderr.endswith("error: --recurse only allowed with --scan-directories\n")


def test_s1_empty_file_name(work):
    r = send("127.0.0.1", free_port(), "", cwd=work)
    assert r.returncode == 22
    assert lines(r.stderr)[0] == "E: cannot add DICOM file with empty filename"
    assert lines(r.stderr)[-1].endswith(": Illegal parameter")


def test_s1_unknown_host_exits_61(work):
    r = send("no-such-host.invalid", 104, "data/ct1.dcm", cwd=work)
    assert r.returncode == 61
    assert lines(r.stderr)[-1].startswith("F: cannot negotiate network association: ")


# ---------------------------------------------------------------------------------------------
# S2 association rejected

def test_s2_profile_less_dcmrecv_rejects(work, servers):
    srv = servers.dcmtk("dcmrecv", "{port}")
    r = send("127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
    assert r.returncode == 61
    assert lines(r.stderr) == ["F: cannot negotiate network association: DUL Association Rejected"]


# ---------------------------------------------------------------------------------------------
# S3 against DCMTK's dcmrecv with my.cfg

def test_s3_rejected_context_halts_with_62(work, dcmtk_recv):
    r = send("-v", "127.0.0.1", dcmtk_recv.port, "data/sc1_jpb.dcm", "data/ct1.dcm", cwd=work)
    assert r.returncode == 62
    log = lines(r.stderr)
    assert ("E: No presentation context found for sending C-STORE with SOP Class / Transfer Syntax: "
            "SecondaryCaptureImageStorage / JPEG Baseline") in log
    assert log[-2:] == ["I: Aborting Association",
                        "F: cannot send SOP instance: DIMSE No valid Presentation Context ID"]
    assert listing(work / "s2") == []


def test_truncated_file_is_not_sent_exit_62_as_dcmtk(work, dcmtk_recv):
    # a file cut inside its pixel data passes the input checks (its meta header is whole); DCMTK
    # fails to load it at send time: "cannot send SOP instance: I/O suspension or premature end of
    # stream", exit 62, and nothing partial goes to the peer
    data = (work / "data" / "ct1.dcm").read_bytes()
    (work / "trunc.dcm").write_bytes(data[:int(len(data) * 0.7)])
    ours_run = send("127.0.0.1", dcmtk_recv.port, "trunc.dcm", cwd=work)
    dcmtk_run = run([dcmtk("dcmsend"), "127.0.0.1", str(dcmtk_recv.port), "trunc.dcm"], cwd=work, TCP_NODELAY="1")
    for r in (ours_run, dcmtk_run):  # DCMTK's reason is "Invalid stream" or the one below, by case
        assert r.returncode == 62, r.stderr
        assert lines(r.stderr)[-2].startswith("E: cannot send SOP instance from file: trunc.dcm: "), r.stderr
        assert lines(r.stderr)[-1].startswith("F: cannot send SOP instance: "), r.stderr
    assert lines(ours_run.stderr)[-2:] == [
        "E: cannot send SOP instance from file: trunc.dcm: I/O suspension or premature end of stream",
        "F: cannot send SOP instance: I/O suspension or premature end of stream"], ours_run.stderr
    assert listing(work / "s2") == []
    # with --no-halt the bad file is reported and the next one is sent
    r = send("-nh", "127.0.0.1", dcmtk_recv.port, "trunc.dcm", "data/ct1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "s2") == [f"CT.{CT1}"]


REPORT_S3 = """\
Detailed Report on the Transfer of Instances
============================================

Communication Peer : 127.0.0.1:{port}
AE Titles used     : DCMSEND -> ANY-SCP
Current Date/Time  : {date}


Number        : 1
Filename      : data/sc1_jpb.dcm
SOP Instance  : {jpb_uid}
SOP Class     : 1.2.840.10008.5.1.4.1.1.7 = SecondaryCaptureImageStorage
Original Xfer : 1.2.840.10008.1.2.4.50 = JPEG Baseline
Dataset Size  : {jpb_size} bytes
Association   : 1
Pres. Context : 1
Network Xfer  : 1.2.840.10008.1.2.4.50 = JPEG Baseline
DIMSE Status  : <no acceptable presentation context>

Number        : 2
Filename      : data/ct1.dcm
SOP Instance  : 1.2.826.0.1.3680043.10.999.4.111
SOP Class     : 1.2.840.10008.5.1.4.1.1.2 = CTImageStorage
Original Xfer : 1.2.840.10008.1.2.1 = Little Endian Explicit
Dataset Size  : 976 bytes
Association   : 1
Pres. Context : 3
Network Xfer  : 1.2.840.10008.1.2.1 = Little Endian Explicit
DIMSE Status  : 0x0000 (Success)


Status Summary
--------------
Number of associations   : 1
Number of pres. contexts : 2
Number of SOP instances  : 2
- sent to the peer       : 1
  * with status SUCCESS  : 1
- NOT sent to the peer   : 1
  * no acceptable pres.  : 1"""


def test_s3_no_halt_report_is_byte_exact(work, dcmtk_recv):
    r = send("-nh", "127.0.0.1", dcmtk_recv.port, "data/sc1_jpb.dcm", "data/ct1.dcm", "+crf", "report.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    report = (work / "report.txt").read_bytes().decode("ascii")
    date = re.search(r"^Current Date/Time  : (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$", report, re.M)
    assert date, report
    # dcmcjpeg +eb made a new UID, whose length varies, and so does the dataset size (1082 in the spec)
    jpb = work / "data" / "sc1_jpb.dcm"
    expected = REPORT_S3.format(port=dcmtk_recv.port, date=date.group(1), jpb_uid=header(jpb).SOPInstanceUID,
                                jpb_size=len(dataset_part(jpb)))
    assert report == expected
    # and DCMTK's dcmsend writes the same report
    assert_same_report_as_dcmtk(["-nh", "127.0.0.1", dcmtk_recv.port, "data/sc1_jpb.dcm", "data/ct1.dcm"],
                                "report.txt", work)
    assert listing(work / "s2") == [f"CT.{CT1}"]
    # an existing report is overwritten, with a warning
    r = send("-nh", "127.0.0.1", dcmtk_recv.port, "data/ct1.dcm", "+crf", "report.txt", cwd=work)
    assert "W: file 'report.txt' already exists, overwriting" in lines(r.stderr)
    assert "Number of SOP instances  : 1" in (work / "report.txt").read_text()


def test_s3_no_illegal_proposal_exits_65(work, dcmtk_recv):
    r = send("-dn", "-nip", "127.0.0.1", dcmtk_recv.port, "data/ct1_jpll.dcm", cwd=work)
    assert r.returncode == 65
    assert lines(r.stderr) == [
        "E: transfer syntax uses a lossless compression but we are not allowed to decompress it, "
        "so we cannot add a presentation context for this SOP instance",
        "E: cannot add presentation contexts: Unsupported compression or encryption"]


def test_s3_no_illegal_proposal_with_no_halt_goes_on(work, dcmtk_recv):
    r = send("-dn", "-nip", "-nh", "127.0.0.1", dcmtk_recv.port, "data/ct1_jpll.dcm", "data/ct2.dcm",
             "+crf", "rep.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "s2") == [f"CT.{CT2}"]
    _head, blocks, summ = parse_report((work / "rep.txt").read_text())
    assert blocks[0]["DIMSE Status"] == "<no acceptable presentation context>"
    assert blocks[0]["Association"] == "0" and blocks[0]["Pres. Context"] == "0"
    assert summ[-2:] == ["- NOT sent to the peer   : 1", "  * no acceptable pres.  : 1"]


def test_s3_report_file_that_cannot_be_written_exits_43(work, dcmtk_recv):
    r = send("127.0.0.1", dcmtk_recv.port, "data/ct1.dcm", "+crf", "no-such-dir/report.txt", cwd=work)
    assert r.returncode == 43
    assert lines(r.stderr) == ["E: cannot write detailed report to file 'no-such-dir/report.txt'"]
    assert listing(work / "s2") == [f"CT.{CT1}"]  # the transfer itself succeeded


def test_s3_lossless_compressed_are_decompressed_for_an_uncompressed_peer(work, dcmtk_recv):
    r = send("-v", "127.0.0.1", dcmtk_recv.port, "data/ct1_jpll.dcm", "data/ct2_rle.dcm", "data/ct3_jls.dcm",
             cwd=work)
    assert r.returncode == 0, r.stderr
    conversions = [line for line in lines(r.stderr) if "Converting transfer syntax" in line]
    assert conversions == [
        "I: Converting transfer syntax: JPEG Lossless, Non-hierarchical, 1st Order Prediction -> Little Endian Explicit",
        "I: Converting transfer syntax: RLE Lossless -> Little Endian Explicit",
        "I: Converting transfer syntax: JPEG-LS Lossless -> Little Endian Explicit"]
    for uid, original in ((CT1, "ct1.dcm"), (CT2, "ct2.dcm"), (CT3, "ct3.dcm")):
        stored = work / "s2" / f"CT.{uid}"
        assert meta(stored).TransferSyntaxUID == EXPLICIT_LE
        assert pydicom.dcmread(stored).PixelData == pydicom.dcmread(work / "data" / original).PixelData
    r = send("-v", "127.0.0.1", dcmtk_recv.port, "data/ct1_defl.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    assert ("I: Converting transfer syntax: Deflated Explicit VR Little Endian -> Little Endian Explicit"
            in lines(r.stderr))
    stored = pydicom.dcmread(work / "s2" / f"CT.{CT1}")
    original = pydicom.dcmread(work / "data" / "ct1.dcm")
    assert stored.file_meta.TransferSyntaxUID == EXPLICIT_LE
    assert stored.PixelData == original.PixelData and stored.PatientName == original.PatientName


def test_s3_lossy_only_proposed_as_itself_rejected_61(work, dcmtk_recv):
    r = send("-v", "127.0.0.1", dcmtk_recv.port, "data/sc1_jpb.dcm", cwd=work)
    assert r.returncode == 61
    assert lines(r.stderr)[-1] == "F: cannot negotiate network association: DUL Association Rejected"


def test_s3_decompress_lossy(work, dcmtk_recv):
    r = send("-v", "+dly", "127.0.0.1", dcmtk_recv.port, "data/sc1_jpb.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "I: Converting transfer syntax: JPEG Baseline -> Little Endian Explicit" in lines(r.stderr)
    uid = header(work / "data" / "sc1_jpb.dcm").SOPInstanceUID
    stored = pydicom.dcmread(work / "s2" / f"SC.{uid}")
    assert stored.file_meta.TransferSyntaxUID == EXPLICIT_LE
    assert len(stored.PixelData) == 16 * 16


def test_s3_decompress_never_warns_and_is_rejected(work, dcmtk_recv):
    r = send("-v", "-dn", "127.0.0.1", dcmtk_recv.port, "data/ct1_jpll.dcm", cwd=work)
    assert r.returncode == 61
    log = lines(r.stderr)
    assert [line for line in log if line.startswith("W: ")] == [
        "W: transfer syntax uses a lossless compression but we are not allowed to decompress it, "
        "so we are not proposing any uncompressed transfer syntax",
        "W:   (including the Default Transfer Syntax, which might result in a violation of the DICOM standard "
        "if it is not proposed in another presentation context)"]
    assert log[-1] == "F: cannot negotiate network association: DUL Association Rejected"


@pytest.mark.parametrize("args,stored", [
    (["-nuc", "data/baduid.dcm"], "CT.1.2.3.abc"),
    (["+f", "data/nometa.dcm"], f"CT.{R}.4.511"),
    (["-f", "data/nometa.dcm"], f"CT.{R}.4.511"),
])
def test_s3_relaxed_input(work, dcmtk_recv, args, stored):
    r = send(args[0], "127.0.0.1", dcmtk_recv.port, args[1], cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "s2") == [stored]


# ---------------------------------------------------------------------------------------------
# S4 against DCMTK's sample profile

@pytest.fixture
def sample_recv(servers, work):
    (work / "r2").mkdir()
    return servers.dcmtk("dcmrecv", "-v", "-xf", STORESCP_CFG, "default", "{port}", "-od", "r2")


def test_s4_unsupported_private_class_halts(work, sample_recv):
    r = send("-v", "127.0.0.1", sample_recv.port, "data/ct1.dcm", "data/mr1.dcm", "data/sc1.dcm", "data/priv1.dcm",
             cwd=work)
    assert r.returncode == 62
    assert "I: Aborting Association" in lines(r.stderr)
    assert listing(work / "r2") == [f"CT.{CT1}", f"MR.{MR1}", f"SC.{SC1}"]


def test_s4_context_grouping_and_report(work, sample_recv):
    files = ["data/ct1.dcm", "data/priv1.dcm", "data/ct2.dcm", "data/mr1.dcm", "data/notdicom.txt",
             "data/ct1_jpll.dcm", "data/sc1_jpb.dcm"]
    r = send("-v", "+v", "-nh", "127.0.0.1", sample_recv.port, *files, "+crf", "report1.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    _head, blocks, summ = parse_report((work / "report1.txt").read_text())
    got = [(b["Filename"], b["Pres. Context"], b["Network Xfer"].split(" = ")[0], b["DIMSE Status"]) for b in blocks]
    assert got == [
        ("data/ct1.dcm", "1", EXPLICIT_LE, "0x0000 (Success)"),
        ("data/priv1.dcm", "3", EXPLICIT_LE, "<no acceptable presentation context>"),
        ("data/ct2.dcm", "1", EXPLICIT_LE, "0x0000 (Success)"),
        ("data/mr1.dcm", "5", EXPLICIT_LE, "0x0000 (Success)"),
        ("data/ct1_jpll.dcm", "7", "1.2.840.10008.1.2.4.70", "0x0000 (Success)"),
        ("data/sc1_jpb.dcm", "9", "1.2.840.10008.1.2.4.50", "0x0000 (Success)"),
    ]
    expected_summary = ["Status Summary", "--------------", "Number of associations   : 1",
                        "Number of pres. contexts : 5", "Number of SOP instances  : 6",
                        "- sent to the peer       : 5", "  * with status SUCCESS  : 5",
                        "- NOT sent to the peer   : 1", "  * no acceptable pres.  : 1"]
    assert summ == expected_summary
    assert summary(r.stderr) == expected_summary
    assert_same_report_as_dcmtk(["-nh", "127.0.0.1", sample_recv.port, *files], "report1.txt", work)
    log = lines(r.stderr)
    assert log[log.index("I: Status Summary") - 1] == "I: "  # the summary message starts with an empty line
    assert ("W: bad DICOM file: data/notdicom.txt: File meta information header missing, ignoring file") in log
    assert "I: Converting transfer syntax: Little Endian Implicit -> Little Endian Explicit" in log
    assert log.index("I: Releasing Association") < log.index("I: creating detailed report on the transfer ...")
    # message IDs are consumed by the failed attempt for priv1 (MsgID 2)
    assert [line for line in log if line.startswith("I: Sending C-STORE Request")] == [
        "I: Sending C-STORE Request (MsgID 1, CT)", "I: Sending C-STORE Request (MsgID 3, CT)",
        "I: Sending C-STORE Request (MsgID 4, MR)", "I: Sending C-STORE Request (MsgID 5, CT)",
        "I: Sending C-STORE Request (MsgID 6, SC)"]
    # +v: the proposed contexts of the §3.1 table
    proposed = [line.strip() for line in log if "(Proposed)" in line]
    assert proposed == [f"I:   Context ID:        {n} (Proposed)".strip() for n in (1, 3, 5, 7, 9)]


def test_s4_verbose_run_log(work, sample_recv):
    r = send("-v", "127.0.0.1", sample_recv.port, "data/ct1.dcm", "data/mr1.dcm", "data/sc1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    log = lines(r.stderr)
    assert log[:16] == [
        "I: checking input files ...",
        "I: starting association #1",
        "I: initializing network ...",
        "I: negotiating network association ...",
        "I: Requesting Association",
        "I: Association Accepted (Max Send PDV: 16372)",
        "I: sending SOP instances ...",
        "I: Sending C-STORE Request (MsgID 1, CT)",
        "I: Received C-STORE Response (Success)",
        "I: Converting transfer syntax: Little Endian Implicit -> Little Endian Explicit",
        "I: Sending C-STORE Request (MsgID 2, MR)",
        "I: Received C-STORE Response (Success)",
        "I: Sending C-STORE Request (MsgID 3, SC)",
        "I: Received C-STORE Response (Success)",
        "I: Releasing Association",
        "I: ",
    ]
    assert log[16:19] == ["I: Status Summary", "I: --------------", "I: Number of associations   : 1"]
    # the receiving side saw our default AE titles
    assert "I: Association Received localhost: DCMSEND -> ANY-SCP" in wait_log(sample_recv, "Association Received")


# ---------------------------------------------------------------------------------------------
# S5 more than 128 presentation contexts

@pytest.fixture
def many(work) -> Path:
    (work / "many").mkdir()
    for n in range(1, 131):
        corpus.make(str(work / "many"), f"p{n:03d}.dcm", f"1.3.6.1.4.1.99999.2.{n}", f"{R}.5.{n}", "MANY^PAT",
                    "PAT200", "19700101", "M", f"{R}.2.20", "20240101", "120000", "ACC200", "S20", "MANY",
                    f"{R}.3.20", 1, "OT", n)
    return work / "many"


@pytest.mark.slow
def test_s5_130_contexts_need_two_associations(work, servers, many):
    (work / "sm").mkdir()
    srv = servers.dcmtk("storescp", "-pm", "-od", "sm", "{port}")
    r = send("-v", "+sd", "127.0.0.1", srv.port, "many", "+crf", "rep_many.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    log = lines(r.stderr)
    assert "I: starting association #1" in log and "I: starting association #2" in log
    _head, blocks, summ = parse_report((work / "rep_many.txt").read_text())
    assert [b["Number"] for b in blocks] == [str(n) for n in range(1, 131)]
    assert [(b["Association"], b["Pres. Context"]) for b in blocks] == (
        [("1", str(2 * k + 1)) for k in range(128)] + [("2", "1"), ("2", "3")])
    assert blocks[127]["Pres. Context"] == "255"
    assert all(b["SOP Class"].endswith(" = unknown") for b in blocks)
    assert summ == ["Status Summary", "--------------", "Number of associations   : 2",
                    "Number of pres. contexts : 130", "Number of SOP instances  : 130",
                    "- sent to the peer       : 130", "  * with status SUCCESS  : 130"]
    assert len(listing(work / "sm")) == 130
    assert_same_report_as_dcmtk(["+sd", "127.0.0.1", srv.port, "many"], "rep_many.txt", work)


@pytest.mark.slow
def test_s5_single_association_leaves_two_unsent(work, servers, many):
    (work / "sm").mkdir()
    srv = servers.dcmtk("storescp", "-pm", "-od", "sm", "{port}")
    r = send("-v", "-ma", "+sd", "127.0.0.1", srv.port, "many", cwd=work)
    assert r.returncode == 0, r.stderr
    assert not any(line.startswith("I: starting association") for line in lines(r.stderr))
    assert summary(r.stderr) == ["Status Summary", "--------------", "Number of associations   : 1",
                                 "Number of pres. contexts : 128", "Number of SOP instances  : 130",
                                 "- sent to the peer       : 128", "  * with status SUCCESS  : 128",
                                 "- NOT sent to the peer   : 2"]
    assert len(listing(work / "sm")) == 128


# ---------------------------------------------------------------------------------------------
# S6 / S7 pynetdicom peers

def test_s6_association_accepted_without_contexts_exits_0(work):
    with verification_only_scp() as port:
        r = send("-v", "127.0.0.1", port, "data/ct1.dcm", "data/mr1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    log = lines(r.stderr)
    assert "E: No Acceptable Presentation Contexts" in log
    assert "E: cannot negotiate network association: No acceptable Presentation Contexts" in log
    assert summary(r.stderr)[-2:] == ["- NOT sent to the peer   : 2", "  * no acceptable pres.  : 2"]
    with verification_only_scp() as port:
        r = send("--fail-on-error", "127.0.0.1", port, "data/ct1.dcm", cwd=work)
        assert r.returncode == 80
        assert send("127.0.0.1", port, "data/ct1.dcm", "data/mr1.dcm", "+crf", "rep.txt", cwd=work).returncode == 0
        assert_same_report_as_dcmtk(["127.0.0.1", port, "data/ct1.dcm", "data/mr1.dcm"], "rep.txt", work)


@pytest.mark.slow
def test_s6_context_less_association_then_a_new_one(work, many):
    with verification_only_scp() as port:
        r = send("-v", "+sd", "127.0.0.1", port, "many", cwd=work)
    assert r.returncode == 0, r.stderr
    log = lines(r.stderr)
    assert "W: trying to continue with a new association in order to send the remaining 2 SOP instances" in log
    assert "I: starting association #2" in log
    assert summary(r.stderr)[2:] == ["Number of associations   : 2", "Number of pres. contexts : 130",
                                     "Number of SOP instances  : 130", "- NOT sent to the peer   : 130",
                                     "  * no acceptable pres.  : 130"]


def test_s7_dimse_statuses_are_counted_not_fatal(work):
    statuses = {corpus.CT: 0xA700, corpus.MR: 0xB000, corpus.SC: 0xC000}
    with status_scp(statuses) as (port, received):
        r = send("-v", "127.0.0.1", port, "data/ct1.dcm", "data/mr1.dcm", "data/sc1.dcm", "+crf", "rep_status.txt",
                 cwd=work)
        assert r.returncode == 0, r.stderr
        assert received == [CT1, MR1, SC1]
        r2 = send("--fail-on-error", "127.0.0.1", port, "data/ct1.dcm", "data/mr1.dcm", "data/sc1.dcm", cwd=work)
        assert r2.returncode == 80
        assert_same_report_as_dcmtk(["127.0.0.1", port, "data/ct1.dcm", "data/mr1.dcm", "data/sc1.dcm"],
                                    "rep_status.txt", work)
    _head, blocks, summ = parse_report((work / "rep_status.txt").read_text())
    assert [b["DIMSE Status"] for b in blocks] == ["0xa700 (Refused: OutOfResources)",
                                                   "0xb000 (Warning: CoercionOfDataElements)",
                                                   "0xc000 (Error: CannotUnderstand)"]
    assert summ[5:] == ["- sent to the peer       : 3", "  * with status WARNING  : 1",
                        "  * with status ERROR    : 1", "  * with status REFUSED  : 1"]
    assert summary(r.stderr) == summ


def test_fail_on_error_is_0_when_all_succeed(work, dcmtk_recv):
    r = send("--fail-on-error", "127.0.0.1", dcmtk_recv.port, "data/ct1.dcm", "data/mr1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------------------------------------
# S8 directory scanning and DICOMDIR

@pytest.fixture
def tree(work) -> Path:
    root = work / "tree"
    make_instances(root, 1, prefix="a", start=1)
    make_instances(root, 1, prefix="b", start=2, suffix=".img")
    make_instances(root / "sub", 1, prefix="c", start=3)
    make_instances(root / "sub" / "deeper", 1, prefix="d", start=4)
    return root


@pytest.mark.parametrize("options,expected", [
    (["+sd"], ["tree/a1.dcm", "tree/b2.img"]),
    (["+sd", "+r"], ["tree/a1.dcm", "tree/b2.img", "tree/sub/c3.dcm", "tree/sub/deeper/d4.dcm"]),
    (["+sd", "+r", "+sp", "*.dcm"], ["tree/a1.dcm", "tree/sub/c3.dcm", "tree/sub/deeper/d4.dcm"]),
    (["+sd", "+r", "+sp", "?1.*"], ["tree/a1.dcm"]),
    (["+sd", "+r", "-r"], ["tree/a1.dcm", "tree/b2.img"]),
])
def test_s8_directory_scanning(work, dcmtk_recv, tree, options, expected):
    r = send("-v", *options, "127.0.0.1", dcmtk_recv.port, "tree", "+crf", "rep.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "I: determining input files ..." in lines(r.stderr)
    _head, blocks, _summ = parse_report((work / "rep.txt").read_text())
    assert sorted(b["Filename"] for b in blocks) == expected
    assert len(listing(work / "s2")) == len(expected)


@pytest.fixture
def dicomdir(work) -> Path:
    """dd/DICOMDIR made by DCMTK's dcmmkdir referencing IMAGES/IMG1 (= ct1); IMAGES/IMG2 (= ct2) is
    added afterwards and is not referenced."""
    images = work / "dd" / "IMAGES"
    images.mkdir(parents=True)
    shutil.copy(work / "data" / "ct1.dcm", images / "IMG1")
    r = run([dcmtk("dcmmkdir"), "IMAGES/IMG1"], cwd=work / "dd", timeout=60)
    assert r.returncode == 0, r.stderr
    shutil.copy(work / "data" / "ct2.dcm", images / "IMG2")
    return work / "dd" / "DICOMDIR"


def test_s8_read_from_dicomdir_sends_referenced_files(work, dcmtk_recv, dicomdir):
    r = send("+rd", "127.0.0.1", dcmtk_recv.port, "dd/DICOMDIR", "+crf", "rep.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    _head, blocks, _summ = parse_report((work / "rep.txt").read_text())
    assert [(b["Filename"], b["SOP Instance"]) for b in blocks] == [("dd/IMAGES/IMG1", CT1)]
    assert listing(work / "s2") == [f"CT.{CT1}"]


def test_s8_dicomdir_plus_scanning_keeps_duplicates(work, dcmtk_recv, dicomdir):
    r = send("+rd", "+sd", "+r", "127.0.0.1", dcmtk_recv.port, "dd", "+crf", "rep.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    _head, blocks, _summ = parse_report((work / "rep.txt").read_text())
    assert Counter(b["Filename"] for b in blocks) == Counter({"dd/IMAGES/IMG1": 2, "dd/IMAGES/IMG2": 1})


@pytest.mark.parametrize("options,code,last", [
    ([], 22, "F: bad DICOM file: dd/DICOMDIR: Invalid SOP Class UID"),
    (["-nh"], 23, "F: no valid input files to be processed"),
])
def test_s8_dicomdir_without_read_from_dicomdir_is_invalid(work, dicomdir, options, code, last):
    r = send(*options, "127.0.0.1", free_port(), "dd/DICOMDIR", cwd=work)
    assert r.returncode == code
    assert lines(r.stderr)[-1] == last


def test_s8_dicomdir_with_missing_referenced_file(work, dcmtk_recv, dicomdir):
    shutil.copytree(work / "dd", work / "dd2")
    (work / "dd2" / "IMAGES" / "IMG1").unlink()
    r = send("+rd", "127.0.0.1", dcmtk_recv.port, "dd2/DICOMDIR", cwd=work)
    assert r.returncode == 62
    log = lines(r.stderr)
    assert "E: cannot send SOP instance from file: dd2/IMAGES/IMG1: No such file or directory" in log
    assert log[-1] == "F: cannot send SOP instance: No such file or directory"
    r = send("-v", "-nh", "+rd", "127.0.0.1", dcmtk_recv.port, "dd2/DICOMDIR", "data/ct2.dcm", "+crf", "rep.txt",
             cwd=work)
    assert r.returncode == 0, r.stderr
    assert "I: - NOT sent to the peer   : 1" in r.stderr.splitlines()
    assert listing(work / "s2") == [f"CT.{CT2}"]
    assert_same_report_as_dcmtk(["-nh", "+rd", "127.0.0.1", dcmtk_recv.port, "dd2/DICOMDIR", "data/ct2.dcm"],
                                "rep.txt", work)


# ---------------------------------------------------------------------------------------------
# pydcmkit additions, and our sender to our receiver

def test_parallel_associations_send_everything(work, dcmtk_recv):
    files = make_instances(work / "par", 20, start=300)
    r = send("--parallel", "4", "127.0.0.1", dcmtk_recv.port, *[str(f.relative_to(work)) for f in files],
             "+crf", "rep.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "s2") == sorted(f"CT.{R}.9.{n}" for n in range(300, 320))
    _head, blocks, summ = parse_report((work / "rep.txt").read_text())
    assert [b["Filename"] for b in blocks] == [str(f.relative_to(work)) for f in files]  # input order kept
    assert "Number of associations   : 4" in summ and "  * with status SUCCESS  : 20" in summ
    for f in files:
        assert dataset_part(work / "s2" / f"CT.{header(f).SOPInstanceUID}") == dataset_part(f)


def test_parallel_associations_to_our_concurrent_receiver(work, servers):
    (work / "out").mkdir()
    files = make_instances(work / "par", 16, start=400, size=128)
    srv = servers.ours(*MY_PROFILE, "-od", "out", "{port}")
    r = send("--parallel", "4", "127.0.0.1", srv.port, *[str(f.relative_to(work)) for f in files], cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "out") == sorted(f"CT.{R}.9.{n}" for n in range(400, 416))


UNCOMPRESSED = (IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE)
COMPRESSED = ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.70",
              "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90",
              "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.1.99")


@pytest.mark.slow
def test_our_sender_to_our_receiver_every_transfer_syntax(work, servers):
    """Three receivers, each preferring another uncompressed syntax (compressed ones are always
    accepted as proposed).  Whenever no conversion happens the stored dataset is the source's
    dataset byte for byte; every file arrives unconverted at least once."""
    files = [work / "data" / n for n in CORPUS_SENDABLE]
    files += copy_pydicom_files([n for n in PYDICOM_VERBATIM if n != "MR_small_implicit.dcm"] + list(PYDICOM_MORE),
                                work / "pyd")
    keys = [(meta(f).MediaStorageSOPInstanceUID, meta(f).TransferSyntaxUID) for f in files]
    assert len(set(keys)) == len(keys)
    classes = sorted({meta(f).MediaStorageSOPClassUID for f in files})
    unconverted = Counter()
    for preferred in UNCOMPRESSED:
        order = list(COMPRESSED) + [preferred] + [ts for ts in UNCOMPRESSED if ts != preferred]
        cfg = work / f"pref{preferred}.cfg"
        cfg.write_text(profile_config([(c, order) for c in classes]))
        out = work / f"out{preferred}"
        out.mkdir()
        srv = servers.ours("-xf", cfg.name, "Every", "-od", out.name, "+fu", "{port}")
        rel = [str(f.relative_to(work)) for f in files]
        r = send("127.0.0.1", srv.port, *rel, "+crf", "rep.txt", cwd=work)
        assert r.returncode == 0, r.stderr
        _head, blocks, _summ = parse_report((work / "rep.txt").read_text())
        network = {b["Filename"]: b["Network Xfer"].split(" = ")[0] for b in blocks}
        assert all(b["DIMSE Status"] == "0x0000 (Success)" for b in blocks)
        stored = {}
        for name in listing(out):
            m = meta(out / name)
            stored[(m.MediaStorageSOPInstanceUID, m.TransferSyntaxUID)] = out / name
        assert len(stored) == len(files)
        for source, name in zip(files, rel):
            source_ts = meta(source).TransferSyntaxUID
            target = stored[(meta(source).MediaStorageSOPInstanceUID, network[name])]
            if network[name] == source_ts:
                assert dataset_part(target) == dataset_part(source), name
                unconverted[name] += 1
            else:
                assert source_ts in UNCOMPRESSED and network[name] == preferred, (name, network[name])
                a, b = pydicom.dcmread(target), pydicom.dcmread(source)
                assert a.SOPInstanceUID == b.SOPInstanceUID
                if "PixelData" in b:
                    assert np.array_equal(a.pixel_array, b.pixel_array), name
        srv.stop()
    assert set(unconverted) == {str(f.relative_to(work)) for f in files}
