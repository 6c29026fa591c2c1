"""Our dcmrecv against DCMTK 3.6.7's dcmsend, storescu and echoscu (dcmrecv.md §5 and beyond).

Every test talks over 127.0.0.1 to a real server process and stops it afterwards.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

import pydicom
import pytest

from tests.interop import rawclient
from tests.interop.conftest import STORESCP_CFG, dcmsend, lines, wait_log, wait_until
from tests.interop.dicomfiles import (CORPUS_SENDABLE, DEFLATED, EXPLICIT_LE, IMPLICIT_LE, PYDICOM_VERBATIM,
                                      copy_pydicom_files, dataset_part, header, listing, make_instances, meta,
                                      profile_config, temp_files, writing_unnamed)
from tests.support import corpus
from tests.support.disk import fill, mount_tmpfs, umount
from tests.support.procs import dcmtk, env, free_port, ours, run

pytestmark = pytest.mark.interop

R = corpus.ROOT
CT1, CT2, MR1, SC1, SC8, PRIV1 = (f"{R}.4.111", f"{R}.4.112", f"{R}.4.211", f"{R}.4.311", f"{R}.4.312",
                                  f"{R}.4.411")
MY_PROFILE = ("-xf", "my.cfg", "My Profile")
FOUR = ("data/ct1.dcm", "data/mr1.dcm", "data/sc1.dcm", "data/priv1.dcm")


def today() -> set[str]:
    return {time.strftime("%Y%m%d"), time.strftime("%Y%m%d", time.localtime(time.time() - 120))}


def echoscu(port, cwd):
    return run([dcmtk("echoscu"), "127.0.0.1", str(port)], cwd=cwd, timeout=30)


# ---------------------------------------------------------------------------------------------
# E1 basic receive with DCMTK's sample profile

def test_e1_basic_receive_log_files_and_overwrite(work, servers):
    (work / "r1").mkdir()
    srv = servers.ours("-v", "-xf", STORESCP_CFG, "default", "{port}", "-od", "r1")
    r = dcmsend("-v", "127.0.0.1", srv.port, "data/ct1.dcm", "data/mr1.dcm", "data/sc1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    wait_log(srv, "Received Association Release Request")
    r = dcmsend("127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    log = wait_log(srv, "Received Association Release Request", 2)

    assert lines(log) == [
        "I: configuring service class provider ...",
        "I: starting service class provider and listening ...",
        "I: Association Received localhost: DCMSEND -> ANY-SCP",
        "I: Association Acknowledged (Max Send PDV: 16372)",
        "I: Received C-STORE Request (MsgID 1)",
        f"I: Stored received object to file: r1/CT.{CT1}",
        "I: Sending C-STORE Response (Success)",
        "I: Received C-STORE Request (MsgID 2)",
        f"I: Stored received object to file: r1/MR.{MR1}",
        "I: Sending C-STORE Response (Success)",
        "I: Received C-STORE Request (MsgID 3)",
        f"I: Stored received object to file: r1/SC.{SC1}",
        "I: Sending C-STORE Response (Success)",
        "I: Received Association Release Request",
        "I: Association Received localhost: DCMSEND -> ANY-SCP",
        "I: Association Acknowledged (Max Send PDV: 16372)",
        "I: Received C-STORE Request (MsgID 1)",
        f"W: file already exists, overwriting: r1/CT.{CT1}",
        f"I: Stored received object to file: r1/CT.{CT1}",
        "I: Sending C-STORE Response (Success)",
        "I: Received Association Release Request",
    ]
    assert listing(work / "r1") == [f"CT.{CT1}", f"MR.{MR1}", f"SC.{SC1}"]


def test_e1_stored_files_are_in_network_syntax_with_dcmtk_like_meta(work, servers):
    (work / "r1").mkdir()
    srv = servers.ours("-xf", STORESCP_CFG, "default", "{port}", "-od", "r1")
    r = dcmsend("127.0.0.1", srv.port, "data/ct1.dcm", "data/mr1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    mr = work / "r1" / f"MR.{MR1}"
    # the Default profile prefers Explicit LE: DCMTK's dcmsend converted the implicit file, we store as received
    m = meta(mr)
    assert m.TransferSyntaxUID == EXPLICIT_LE
    assert m.MediaStorageSOPClassUID == corpus.MR and m.MediaStorageSOPInstanceUID == MR1
    assert m.FileMetaInformationVersion == b"\x00\x01"
    assert "SourceApplicationEntityTitle" not in m
    assert m.ImplementationClassUID and m.ImplementationVersionName
    assert (work / "r1" / f"MR.{MR1}").read_bytes()[:132] == b"\x00" * 128 + b"DICM"
    assert pydicom.dcmread(mr).PixelData == pydicom.dcmread(work / "data" / "mr1.dcm").PixelData
    # the explicit CT file went through unchanged
    assert dataset_part(work / "r1" / f"CT.{CT1}") == dataset_part(work / "data" / "ct1.dcm")
    assert meta(work / "r1" / f"CT.{CT1}").TransferSyntaxUID == EXPLICIT_LE


# ---------------------------------------------------------------------------------------------
# E2 naming schemes (profile my.cfg, with a private SOP class)

UID = r"[0-9]+(\.[0-9]+)+"
NAMING = {
    "": [rf"CT\.{CT1}", rf"MR\.{MR1}", rf"SC\.{SC1}", rf"UNKNOWN\.{PRIV1}"],
    "+fu": [rf"CT\.X\.{UID}", rf"MR\.X\.{UID}", rf"SC\.X\.{UID}", rf"UNKNOWN\.X\.{UID}"],
    "+fsu": [r"CT_[0-9a-f]{16}", r"MR_[0-9a-f]{16}", r"SC_[0-9a-f]{16}", r"XX_[0-9a-f]{16}"],
    "+fst": [r"\d{14}\.\d{6}\.CT", r"\d{14}\.\d{6}\.MR", r"\d{14}\.\d{6}\.SC", r"\d{14}\.\d{6}\.UNKNOWN"],
    "+fsu -fe .dcm": [r"CT_[0-9a-f]{16}\.dcm", r"MR_[0-9a-f]{16}\.dcm", r"SC_[0-9a-f]{16}\.dcm",
                      r"XX_[0-9a-f]{16}\.dcm"],
    "-fe .dcm": [rf"CT\.{CT1}\.dcm", rf"MR\.{MR1}\.dcm", rf"SC\.{SC1}\.dcm", rf"UNKNOWN\.{PRIV1}\.dcm"],
    "+B": [rf"CT\.{CT1}", rf"MR\.{MR1}", rf"SC\.{SC1}", rf"UNKNOWN\.{PRIV1}"],
}


def _match_all(names: list[str], patterns: list[str]) -> None:
    assert len(names) == len(patterns), names
    for pattern in patterns:
        hits = [n for n in names if re.fullmatch(pattern, n)]
        assert len(hits) == 1, (pattern, names)


@pytest.mark.parametrize("opts", list(NAMING), ids=lambda o: o or "default")
def test_e2_naming_schemes(work, servers, opts):
    (work / "out").mkdir()
    srv = servers.ours(*MY_PROFILE, "{port}", "-od", "out", *opts.split())
    r = dcmsend("127.0.0.1", srv.port, *FOUR, cwd=work)
    assert r.returncode == 0, r.stderr
    names = listing(work / "out")
    _match_all(names, NAMING[opts])
    if opts == "+fu":
        assert all(len(n.split(".X.", 1)[1]) <= 64 for n in names)
    if opts == "+fst":  # local time of reception
        stamps = {time.mktime(time.strptime(n[:14], "%Y%m%d%H%M%S")) for n in names}
        assert all(abs(t - time.time()) < 120 for t in stamps), names
    by_prefix = {re.search(r"(?:^|\.)(CT|MR|SC|UNKNOWN|XX)(?:[._]|$)", n).group(1): n for n in names}
    for prefix, source, uid in (("CT", "ct1.dcm", CT1), ("MR", "mr1.dcm", MR1), ("SC", "sc1.dcm", SC1)):
        stored = work / "out" / by_prefix[prefix]
        m = meta(stored)
        assert m.MediaStorageSOPInstanceUID == uid
        # my.cfg offers only Implicit LE for MR: DCMTK's dcmsend sends mr1 (implicit) unconverted
        assert m.TransferSyntaxUID == (IMPLICIT_LE if prefix == "MR" else EXPLICIT_LE)
        assert dataset_part(stored) == dataset_part(work / "data" / source)
        if opts == "+B":
            assert m.SourceApplicationEntityTitle.strip() == "DCMSEND"
        else:
            assert "SourceApplicationEntityTitle" not in m


def test_e2_unique_names_never_overwrite(work, servers):
    (work / "out").mkdir()
    srv = servers.ours(*MY_PROFILE, "{port}", "-od", "out", "+fsu")
    for _ in range(2):
        assert dcmsend("127.0.0.1", srv.port, "data/ct1.dcm", "data/ct1.dcm", cwd=work).returncode == 0
    names = listing(work / "out")
    assert len(names) == 4 and all(re.fullmatch(r"CT_[0-9a-f]{16}", n) for n in names)


def test_e2_series_date_subdirectories(work, servers):
    (work / "out").mkdir()
    srv = servers.ours("-v", *MY_PROFILE, "{port}", "-od", "out", "+ssd")
    r = dcmsend("127.0.0.1", srv.port, *FOUR, "data/sc8.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    names = listing(work / "out")
    day = next(d for d in today() if f"undef/{d}/SC.{SC1}" in names)
    assert names == sorted([f"data/2023/01/15/CT.{CT1}", f"data/2023/06/20/MR.{MR1}",
                            f"data/2024/02/02/UNKNOWN.{PRIV1}", f"undef/{day}/SC.{SC1}", f"undef/{day}/SC.{SC8}"])
    assert f"I: Stored received object to file: out/data/2023/01/15/CT.{CT1}" in lines(srv.log)


def test_e2_ignore_stores_nothing(work, servers):
    (work / "out").mkdir()
    srv = servers.ours(*MY_PROFILE, "{port}", "-od", "out", "--ignore")
    r = dcmsend("-v", "127.0.0.1", srv.port, *FOUR, cwd=work)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("I: Received C-STORE Response (Success)") == 4
    assert listing(work / "out") == []


def test_e2_rightmost_no_subdir_wins_over_series_date_with_bit_preserving(work, servers):
    (work / "out").mkdir()
    srv = servers.ours(*MY_PROFILE, "{port}", "-od", "out", "+ssd", "+B", "-s")
    r = dcmsend("127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "out") == [f"CT.{CT1}"]
    assert meta(work / "out" / f"CT.{CT1}").SourceApplicationEntityTitle.strip() == "DCMSEND"


def test_e2_bit_preserving_source_ae_is_the_calling_ae(work, servers):
    (work / "out").mkdir()
    srv = servers.ours(*MY_PROFILE, "{port}", "-od", "out", "+B")
    assert dcmsend("-aet", "SOMEAE", "-aec", "WHATEVER", "127.0.0.1", srv.port, "data/ct1.dcm",
                   cwd=work).returncode == 0
    assert meta(work / "out" / f"CT.{CT1}").SourceApplicationEntityTitle.strip() == "SOMEAE"


# ---------------------------------------------------------------------------------------------
# E3 start-up failures

def _recv(args, cwd, timeout=30):
    return run(ours("dcmrecv") + [str(a) for a in args], cwd=cwd, timeout=timeout)


NO_CFG = "W: no configuration file specified, SCP will only support the Verification SOP Class"


def test_e3_missing_output_directory_exits_45(work):
    r = _recv(["-od", "nonexistent-dir", free_port()], work)
    assert r.returncode == 45
    assert lines(r.stderr) == [NO_CFG, "F: cannot specify output directory: Directory does not exist"]
    assert r.stdout == ""


def test_e3_output_directory_that_is_a_file_exits_45(work):
    r = _recv(["-od", "data/ct1.dcm", free_port()], work)
    assert r.returncode == 45
    assert lines(r.stderr)[-1] == "F: cannot specify output directory: Directory does not exist"


def test_e3_unwritable_output_directory_exits_45(work):
    ro = work / "ro"
    ro.mkdir(mode=0o555)
    mounted = False
    if os.geteuid() == 0:  # root may write anywhere, except on a read-only file system
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)], capture_output=True,
                           timeout=30)
        if m.returncode != 0:
            pytest.skip("root, and cannot mount a read-only tmpfs")
        mounted = True
    try:
        r = _recv(["-od", "ro", free_port()], work)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(ro)], capture_output=True, timeout=30)
    assert r.returncode == 45
    assert lines(r.stderr)[-1] == "F: cannot specify output directory: Directory is not writable"


def test_e3_unknown_profile_exits_66(work):
    r = _recv(["-xf", STORESCP_CFG, "NoSuchProfile", free_port()], work)
    assert r.returncode == 66
    assert lines(r.stderr) == [
        'E: No association profile named "NoSuchProfile" in association configuration, '
        'did you forget to add presentation contexts?',
        "F: cannot load association configuration: Invalid or non-existing SCP Association Profile"]


def test_e3_missing_config_file_exits_66(work):
    r = _recv(["-xf", "does-not-exist.cfg", "default", free_port()], work)
    assert r.returncode == 66
    assert lines(r.stderr) == [
        "E: Unable to parse association configuration file: does-not-exist.cfg: "
        "unable to open configuration file: does-not-exist.cfg",
        "F: cannot load association configuration: unable to open configuration file: does-not-exist.cfg"]


def test_e3_profile_is_checked_before_output_directory(work):
    r = _recv(["-xf", STORESCP_CFG, "NoSuchProfile", "-od", "nonexistent-dir", free_port()], work)
    assert r.returncode == 66


def test_e3_port_in_use_exits_64(work, servers):
    first = servers.ours("-xf", STORESCP_CFG, "default", "{port}")
    r = _recv(["-xf", STORESCP_CFG, "default", first.port], work)
    assert r.returncode == 64
    assert lines(r.stderr) == [
        f"F: cannot start SCP and listen on port {first.port}: TCP Initialization Error: Address already in use"]
    assert first.proc.poll() is None  # the first one is unharmed
    assert echoscu(first.port, work).returncode == 0


def test_e3_port_held_by_dcmtk_exits_64(work, servers):
    first = servers.dcmtk("dcmrecv", "-xf", STORESCP_CFG, "default", "{port}")
    r = _recv([first.port], work)
    assert r.returncode == 64
    assert lines(r.stderr)[-1].startswith(f"F: cannot start SCP and listen on port {first.port}: ")


def test_e3_bit_preserving_with_series_date_subdir_exits_1(work):
    r = _recv(["+B", "+ssd", free_port()], work)
    assert r.returncode == 1
    assert r.stderr.endswith("dcmrecv: Simple DICOM storage SCP (receiver)\n"
                             "error: --bit-preserving not allowed with --series-date-subdir\n")


def test_e3_config_file_option_eats_the_port_exits_1(work):
    r = _recv(["-xf", STORESCP_CFG, free_port()], work)
    assert r.returncode == 1
    assert r.stderr.endswith("error: Missing parameter port\n")


# ---------------------------------------------------------------------------------------------
# E4 no profile: only Verification

def test_e4_no_profile_echo_works_storage_rejected(work, servers):
    (work / "r0").mkdir()
    srv = servers.ours("-v", "{port}", "-od", "r0")
    e = run([dcmtk("echoscu"), "-v", "127.0.0.1", str(srv.port)], cwd=work, timeout=30)
    assert e.returncode == 0, e.stderr
    r = dcmsend("-v", "127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
    assert r.returncode == 61
    assert "F: cannot negotiate network association: DUL Association Rejected" in r.stderr.splitlines()
    log = lines(wait_log(srv, "Refusing Association"))
    expected = [NO_CFG, "I: Association Received localhost: ECHOSCU -> ANY-SCP",
                "I: Received C-ECHO Request (MsgID 1)", "I: Sending C-ECHO Response (Success)",
                "I: Association Received localhost: DCMSEND -> ANY-SCP",
                "I: No Acceptable Presentation Contexts",
                "I: Refusing Association (no acceptable presentation contexts)"]
    positions = [log.index(line) for line in expected]
    assert positions == sorted(positions), log
    assert listing(work / "r0") == []


def test_e4_called_ae_title_is_not_checked(work, servers):
    (work / "out").mkdir()
    srv = servers.ours("-v", *MY_PROFILE, "-aet", "MYRECV", "{port}", "-od", "out")
    r = dcmsend("-aec", "SOMEAE", "127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "I: Association Received localhost: DCMSEND -> SOMEAE" in lines(srv.log)


def test_host_lookup_can_be_disabled(work, servers):
    srv = servers.ours("-v", "-dhl", "{port}")
    assert echoscu(srv.port, work).returncode == 0
    assert "I: Association Received 127.0.0.1: ECHOSCU -> ANY-SCP" in lines(wait_log(srv, "Association Received"))


@pytest.mark.parametrize("opts", [["-aet", "MYRECV"], ["-uca"]])
def test_accept_echoes_the_requested_ae_titles(work, servers, opts):
    srv = servers.ours(*opts, "{port}")
    client = rawclient.RawAssociation(srv.port)
    assert client.associate([(1, "1.2.840.10008.1.1", [IMPLICIT_LE])], calling="CALLING", called="CALLED") == 0x02
    assert (client.answer[4:20], client.answer[20:36]) == (b"CALLED".ljust(16), b"CALLING".ljust(16))
    assert client.accepted[1] == (0, IMPLICIT_LE)
    assert client.release() == 0x06


def test_unsupported_dimse_command_aborts_the_association(work, servers):
    srv = servers.ours("-v", *MY_PROFILE, "{port}")
    client = rawclient.RawAssociation(srv.port)
    assert client.associate([(1, "1.2.840.10008.1.1", [IMPLICIT_LE])]) == 0x02
    client.send_command(1, rawclient.c_find_rq(1, "1.2.840.10008.1.1"))
    pdu_type, _ = client.read_pdu()
    client.close()
    assert pdu_type == 0x07  # A-ABORT
    assert ("E: cannot handle this kind of DIMSE command (0x0020), we are a Storage SCP only"
            in lines(wait_log(srv, "cannot handle")))
    assert echoscu(srv.port, work).returncode == 0


def test_empty_dataset_answers_c000_and_stores_nothing(work, servers):
    (work / "out").mkdir()
    srv = servers.ours(*MY_PROFILE, "-od", "out", "{port}")
    client = rawclient.RawAssociation(srv.port)
    assert client.associate([(1, corpus.CT, [EXPLICIT_LE])]) == 0x02
    client.send_command(1, rawclient.c_store_rq(1, corpus.CT, CT1))
    client.send_dataset(1, b"")
    assert rawclient.status_of(client.read_command()) == 0xC000
    assert client.release() == 0x06
    assert listing(work / "out") == []


def test_dimse_timeout_aborts_an_idle_association(work, servers):
    srv = servers.ours("-v", "-td", "1", "{port}")
    client = rawclient.RawAssociation(srv.port)
    assert client.associate([(1, "1.2.840.10008.1.1", [IMPLICIT_LE])]) == 0x02
    start = time.monotonic()
    try:
        pdu_type, _ = client.read_pdu()
    except ConnectionError:
        pdu_type = None
    client.close()
    assert pdu_type in (0x07, None)
    assert 0.8 < time.monotonic() - start < 8
    assert srv.proc.poll() is None


# ---------------------------------------------------------------------------------------------
# E5 store failure -> 0xA700, server keeps serving

def test_e5_store_failure_answers_a700_and_server_goes_on(work, servers):
    (work / "gone").mkdir()
    (work / "gone" / "data").write_text("")
    srv = servers.ours("-v", *MY_PROFILE, "-od", "gone", "+ssd", "{port}")
    r = dcmsend("-v", "127.0.0.1", srv.port, "data/ct1.dcm", "+crf", "rep.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "I: Received C-STORE Response (Refused: OutOfResources)" in r.stderr.splitlines()
    report = (work / "rep.txt").read_text()
    assert "\nDIMSE Status  : 0xa700 (Refused: OutOfResources)\n" in report
    assert report.endswith("- sent to the peer       : 1\n  * with status REFUSED  : 1")
    log = lines(srv.log)
    assert ("E: cannot create directory for received object: gone/data/2023/01/15: "
            "Cannot create directory: File exists") in log
    assert "I: Sending C-STORE Response (Refused: OutOfResources)" in log
    # still serving: echo, and a store that can be written
    assert echoscu(srv.port, work).returncode == 0
    assert dcmsend("127.0.0.1", srv.port, "data/sc1.dcm", cwd=work).returncode == 0
    names = listing(work / "gone")
    assert names[0] == "data" and len(names) == 2
    assert re.fullmatch(rf"undef/\d{{8}}/SC\.{SC1}", names[1])
    assert srv.proc.poll() is None


def test_output_directory_deleted_after_startup_is_recreated(work, servers):
    (work / "later").mkdir()
    srv = servers.ours(*MY_PROFILE, "-od", "later", "{port}")
    (work / "later").rmdir()
    assert dcmsend("127.0.0.1", srv.port, "data/ct1.dcm", cwd=work).returncode == 0
    assert listing(work / "later") == [f"CT.{CT1}"]


# ---------------------------------------------------------------------------------------------
# every transfer syntax arrives byte-identical

def _scu_profile(files) -> str:
    pairs = []
    for path in files:
        m = meta(path)
        pair = (m.MediaStorageSOPClassUID, (m.TransferSyntaxUID,))
        if pair not in pairs:
            pairs.append(pair)
    return profile_config(pairs, verification=False, name="Scu")


def test_every_transfer_syntax_arrives_byte_identical_from_storescu(work, servers):
    """storescu proposes one context per (SOP class, transfer syntax) of the files (-xf profile), so
    each file travels in its own transfer syntax; the stored dataset must be the bytes sent."""
    files = [work / "data" / n for n in CORPUS_SENDABLE if n != "priv1.dcm" and n != "ct2.dcm"]
    files += copy_pydicom_files(PYDICOM_VERBATIM, work / "pyd")
    syntaxes = sorted({meta(f).TransferSyntaxUID for f in files})
    assert syntaxes == sorted([IMPLICIT_LE, EXPLICIT_LE, DEFLATED, "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.4.50",
                               "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",
                               "1.2.840.10008.1.2.5"])
    (work / "scu.cfg").write_text(_scu_profile(files))
    classes = sorted({meta(f).MediaStorageSOPClassUID for f in files})
    (work / "every.cfg").write_text(profile_config([(c, syntaxes) for c in classes]))
    (work / "ev").mkdir()
    srv = servers.ours("-xf", "every.cfg", "Every", "-od", "ev", "+fu", "{port}")
    r = run([dcmtk("storescu"), "-xf", "scu.cfg", "Scu", "127.0.0.1", str(srv.port),
             *[str(f.relative_to(work)) for f in files]], cwd=work, timeout=60)
    assert r.returncode == 0, r.stderr
    stored = {}
    for name in listing(work / "ev"):
        path = work / "ev" / name
        stored[(header(path).SOPInstanceUID, meta(path).TransferSyntaxUID)] = path
    assert len(stored) == len(files)
    for source in files:
        ts = meta(source).TransferSyntaxUID
        target = stored.pop((header(source).SOPInstanceUID, ts))
        assert dataset_part(target, inflate=ts == DEFLATED) == dataset_part(source, inflate=ts == DEFLATED), source
    assert not stored


# ---------------------------------------------------------------------------------------------
# misbehaving peers, concurrency, limits, signals

@pytest.fixture(scope="module")
def big_instance(tmp_path_factory) -> Path:
    """A 2 MiB CT instance (1024 x 1024 x 16 bit)."""
    return make_instances(tmp_path_factory.mktemp("big"), 1, prefix="big", start=900, size=1024)[0]


def _start_store(port: int, path: Path) -> tuple[rawclient.RawAssociation, bytes]:
    client = rawclient.RawAssociation(port)
    assert client.associate([(1, corpus.CT, [EXPLICIT_LE])]) == 0x02
    assert client.accepted[1] == (0, EXPLICIT_LE)
    data = dataset_part(path)
    client.send_command(1, rawclient.c_store_rq(1, corpus.CT, header(path).SOPInstanceUID))
    return client, data


@pytest.mark.parametrize("how", ["close", "abort"])
def test_peer_dropping_mid_transfer_leaves_no_file(work, servers, big_instance, how):
    (work / "out").mkdir()
    srv = servers.ours("-v", *MY_PROFILE, "-od", "out", "{port}")
    client, data = _start_store(srv.port, big_instance)
    client.send_dataset(1, data[:len(data) // 3], last=False)
    wait_until(lambda: writing_unnamed(srv.proc.pid, work / "out"), what="the server to start writing")
    assert temp_files(work / "out") == []  # the partial instance has no name at all
    if how == "abort":
        client.sock.sendall(struct.pack(">BBIBBBB", 0x07, 0, 4, 0, 0, 0, 0))
    client.close()
    wait_until(lambda: not writing_unnamed(srv.proc.pid, work / "out"), what="the partial file to be dropped")
    wait_until(lambda: "Association terminated" in srv.log or "Abort" in srv.log, what="the server to notice")
    assert listing(work / "out") == []
    assert echoscu(srv.port, work).returncode == 0
    assert srv.proc.poll() is None
    # and a complete store still works afterwards
    client, data = _start_store(srv.port, big_instance)
    client.send_dataset(1, data)
    assert rawclient.status_of(client.read_command()) == 0x0000
    assert client.release() == 0x06
    assert listing(work / "out") == [f"CT.{header(big_instance).SOPInstanceUID}"]


def _dcmsend_concurrently(work, port, groups) -> list[int]:
    """Run one DCMTK dcmsend per group of files at the same time; return their exit codes."""
    procs = [subprocess.Popen([dcmtk("dcmsend"), "127.0.0.1", str(port), *map(str, g)], cwd=work,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env()) for g in groups]
    try:
        return [p.wait(60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_concurrent_dcmtk_senders_are_all_stored(work, servers):
    (work / "out").mkdir()
    groups = [make_instances(work / f"g{k}", 5, start=100 + 10 * k) for k in range(4)]
    srv = servers.ours(*MY_PROFILE, "-od", "out", "{port}")
    assert _dcmsend_concurrently(work, srv.port, groups) == [0, 0, 0, 0]
    expected = sorted(f"CT.{header(p).SOPInstanceUID}" for g in groups for p in g)
    assert listing(work / "out") == expected
    for g in groups:
        for p in g:
            assert dataset_part(work / "out" / f"CT.{header(p).SOPInstanceUID}") == dataset_part(p)


def test_max_associations_rejects_the_one_too_many(work, servers):
    srv = servers.ours("-v", *MY_PROFILE, "--max-associations", "1", "{port}")
    held = rawclient.RawAssociation(srv.port)
    assert held.associate([(1, "1.2.840.10008.1.1", [IMPLICIT_LE])]) == 0x02
    try:
        second = rawclient.RawAssociation(srv.port)
        second.sock.sendall(rawclient.associate_rq("RAWSCU", "ANY-SCP", [(1, "1.2.840.10008.1.1", [IMPLICIT_LE])]))
        pdu_type, body = second.read_pdu()
        second.close()
        assert pdu_type == 0x03
        assert tuple(body[1:4]) == (2, 3, 2)  # rejected-transient, service-provider (presentation), local limit
        r = dcmsend("127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
        assert r.returncode == 61
        assert "F: cannot negotiate network association: DUL Association Rejected" in r.stderr
        # the held association still works
        held.send_command(1, rawclient.c_echo_rq(7))
        assert rawclient.status_of(held.read_command()) == 0
    finally:
        held.release()
    wait_log(srv, "Received Association Release Request")
    wait_until(lambda: echoscu(srv.port, work).returncode == 0, what="a free association slot")


def test_sigterm_when_idle_exits_0(work, servers):
    srv = servers.ours(*MY_PROFILE, "{port}")
    assert echoscu(srv.port, work).returncode == 0
    assert srv.stop(signal.SIGTERM) == 0


def test_sigint_exits_0(work, servers):
    srv = servers.ours("{port}")
    assert srv.stop(signal.SIGINT) == 0


def test_sigterm_completes_the_store_in_flight_then_exits_0(work, servers, big_instance):
    (work / "out").mkdir()
    srv = servers.ours("-v", *MY_PROFILE, "-od", "out", "{port}")
    client, data = _start_store(srv.port, big_instance)
    try:
        half = len(data) // 2
        client.send_dataset(1, data[:half], last=False)
        wait_until(lambda: writing_unnamed(srv.proc.pid, work / "out"), what="the server to start writing")
        os.killpg(srv.proc.pid, signal.SIGTERM)
        time.sleep(0.3)
        assert srv.proc.poll() is None, "the server quit with a store in flight"
        client.send_dataset(1, data[half:])
        rsp = client.read_command()
        assert rawclient.status_of(rsp) == 0x0000
    finally:
        client.close()
    assert srv.proc.wait(15) == 0
    stored = work / "out" / f"CT.{header(big_instance).SOPInstanceUID}"
    assert listing(work / "out") == [stored.name]
    assert dataset_part(stored) == data
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()


# ---------------------------------------------------------------------------------------------
# full disk

@pytest.fixture
def small_tmpfs(work):
    mount_point = work / "tiny"
    reason = mount_tmpfs(mount_point, "256k")
    if reason:
        pytest.skip(reason)
    try:
        yield mount_point
    finally:
        umount(mount_point)


def test_full_disk_answers_a700_leaves_nothing_and_recovers(work, servers, small_tmpfs):
    big = make_instances(work / "bigsrc", 1, prefix="big", start=800, size=400)[0]  # ~320 kB > 256 kB
    srv = servers.ours("-v", *MY_PROFILE, "-od", str(small_tmpfs), "{port}")
    r = dcmsend("127.0.0.1", srv.port, big, "+crf", "rep.txt", cwd=work)
    assert r.returncode == 0, r.stderr
    report = (work / "rep.txt").read_text()
    assert "\nDIMSE Status  : 0xa700 (Refused: OutOfResources)\n" in report
    assert listing(small_tmpfs) == []
    assert any(line.startswith("E: cannot store received object: ") for line in lines(srv.log))
    # the failed store freed its space: a small one fits now
    assert dcmsend("127.0.0.1", srv.port, "data/ct1.dcm", cwd=work).returncode == 0
    assert listing(small_tmpfs) == [f"CT.{CT1}"]
    # fill the disk, fail, free the space, succeed
    filler = fill(small_tmpfs, "filler")
    r = dcmsend("127.0.0.1", srv.port, "data/ct2.dcm", "+crf", "rep2.txt", cwd=work)
    assert r.returncode == 0
    assert "DIMSE Status  : 0xa700 (Refused: OutOfResources)" in (work / "rep2.txt").read_text()
    assert listing(small_tmpfs) == [f"CT.{CT1}", "filler"]
    filler.unlink()
    r = dcmsend("127.0.0.1", srv.port, "data/ct2.dcm", "+crf", "rep3.txt", cwd=work)
    assert r.returncode == 0
    assert "DIMSE Status  : 0x0000 (Success)" in (work / "rep3.txt").read_text()
    assert listing(small_tmpfs) == [f"CT.{CT1}", f"CT.{CT2}"]
    assert dataset_part(small_tmpfs / f"CT.{CT2}") == dataset_part(work / "data" / "ct2.dcm")


def _worker_pids(parent: int) -> list[int]:
    try:
        with open(f"/proc/{parent}/task/{parent}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def test_processes_serve_concurrent_senders_and_stop_together(work, servers):
    (work / "out").mkdir()
    groups = [make_instances(work / f"p{k}", 5, start=300 + 10 * k) for k in range(4)]
    srv = servers.ours(*MY_PROFILE, "-od", "out", "--processes", "2", "{port}")
    # the listening socket is open before the workers are forked: wait for them
    workers = wait_until(lambda: len(_worker_pids(srv.proc.pid)) == 2 and _worker_pids(srv.proc.pid),
                         what="two worker processes")
    assert _dcmsend_concurrently(work, srv.port, groups) == [0, 0, 0, 0]
    assert listing(work / "out") == sorted(f"CT.{header(p).SOPInstanceUID}" for g in groups for p in g)
    os.kill(srv.proc.pid, signal.SIGTERM)  # the main process only: it stops its workers
    assert srv.proc.wait(15) == 0
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_sigkill_mid_store_leaves_nothing_and_restart_serves(work, servers, big_instance):
    (work / "out").mkdir()
    srv = servers.ours(*MY_PROFILE, "-od", "out", "{port}")
    client, data = _start_store(srv.port, big_instance)
    try:
        client.send_dataset(1, data[:len(data) // 2], last=False)
        wait_until(lambda: writing_unnamed(srv.proc.pid, work / "out"), what="the server to start writing")
        srv.stop(signal.SIGKILL)
    finally:
        client.close()
    assert os.listdir(work / "out") == []  # no partial file, no temporary file
    again = servers.ours(*MY_PROFILE, "-od", "out", "{port}")
    assert run([dcmtk("dcmsend"), "127.0.0.1", str(again.port), str(big_instance)], cwd=work).returncode == 0
    assert listing(work / "out") == [f"CT.{header(big_instance).SOPInstanceUID}"]
