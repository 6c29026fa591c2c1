"""dcmqrscp's start-up exit codes (dcmqrscp.md §3) and the options of §1.3/§1.4 that change the
association and Q/R behaviour, with DCMTK's SCUs, pynetdicom and a raw client as peers.

The archive (ct1, ct2, ct3, mr1 stored into QRSCP) is made once per module; each test starts its
own server with its options on that archive (the port parameter overrides the configuration's).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from pynetdicom import AE, build_role
from pynetdicom.sop_class import (CTImageStorage, PatientRootQueryRetrieveInformationModelFind,
                                  StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelGet,
                                  StudyRootQueryRetrieveInformationModelMove, Verification)

import tests.interop.peers  # noqa: F401  (quiet pynetdicom logging)
from tests.interop.dcmqrscp_support import (ROOT, SPEC_FILES, STUDY_CT, STUDY_MR, DestSCP, QRServer, copy_corpus,
                                            echoscu, findscu, keys, run_tool, scu, storescu, write_config)
from tests.interop.rawclient import IMPLICIT_LE, RawAssociation
from tests.support import corpus
from tests.support.procs import free_port

MR1 = f"{ROOT}.4.211"
SERIES_MR = f"{ROOT}.3.21"
USER_REJECTION = 0x01


@dataclass
class Archive:
    root: Path
    config: Path
    dest: DestSCP

    def serve(self, *options: str, **kw) -> QRServer:
        return QRServer(self.root, *options, config=self.config, **kw)


@pytest.fixture(scope="module")
def archive(tmp_path_factory, data_dir):
    root = tmp_path_factory.mktemp("dcmqrscp-options")
    copy_corpus(data_dir, root)
    (root / "getout").mkdir()
    dest = DestSCP(root / "dest")
    try:
        config = write_config(root, dest_port=dest.port)
        with QRServer(root, config=config) as server:
            proc = storescu(server.port, *(f"data/{name}" for name in SPEC_FILES), cwd=root)
            assert proc.returncode == 0, proc.stderr + server.log
        yield Archive(root, config, dest)
    finally:
        dest.stop()


@pytest.fixture
def serve(archive):
    """``serve(*options)`` starts a server on the module's archive; all are stopped afterwards."""
    started: list[QRServer] = []

    def start(*options: str, **kw) -> QRServer:
        server = archive.serve(*options, **kw)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    archive.dest.clear()


def pyscu(ae_title: str, *contexts, roles=()) -> AE:
    ae = AE(ae_title=ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    for abstract in contexts:
        ae.add_requested_context(abstract)
    return ae


def associate(ae: AE, port: int, called: str = "QRSCP", **kw):
    return ae.associate("127.0.0.1", port, ae_title=called, **kw)


def results(assoc) -> dict[str, int]:
    """Abstract syntax -> presentation context result of an association's negotiation."""
    out = {cx.abstract_syntax: 0 for cx in assoc.accepted_contexts}
    out.update({cx.abstract_syntax: cx.result for cx in assoc.rejected_contexts})
    return out


# ---------------------------------------------------------------------------------------------
# start-up and exit codes (§3)

def test_all_models_disabled_is_exit_1(archive):
    r = run_tool("-QP", "-QS", "-QO", "-c", archive.config, cwd=archive.root)
    assert r.returncode == 1
    assert "error: cannot disable all Q/R models" in r.stderr


def test_missing_config_is_exit_10(tmp_path):
    r = run_tool("-c", tmp_path / "does-not-exist.cfg", cwd=tmp_path)
    assert r.returncode == 10
    assert f"F: cannot access {tmp_path}/does-not-exist.cfg: No such file or directory" in r.stderr


def test_bad_config_is_exit_10_with_the_raw_config_errors(tmp_path):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text("NetworkTCPPort = 11130\nBogusKeyword 1\n")
    r = run_tool("-c", cfg, cwd=tmp_path)
    assert r.returncode == 10
    assert r.stderr.splitlines() == [
        'CONFIG Error: Unknown mnemonic "BogusKeyword" in configuration file, line 2!',
        f'CONFIG Error: Reading configuration file "{cfg}" with errors!',
        f"F: bad config file: {cfg}"]


def test_undefined_symbol_in_peer_list_is_exit_10(tmp_path):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(f"HostTable BEGIN\nfind = (FINDSCU, localhost, 0)\nHostTable END\n"
                   f"AETable BEGIN\nQRSCP {tmp_path} RW (10, 1024mb) nosuchpeer\nAETable END\n")
    r = run_tool("-c", cfg, cwd=tmp_path)
    assert r.returncode == 10
    assert 'CONFIG Error: Symbolic name "nosuchpeer" not defined!' in r.stderr
    assert f"F: bad config file: {cfg}" in r.stderr


@pytest.mark.parametrize("size", ["1000", "200000"])
def test_bad_max_pdu_size_is_exit_10(tmp_path, size):
    cfg = write_config(tmp_path)
    cfg.write_text(cfg.read_text().replace("MaxPDUSize      = 16384", f"MaxPDUSize      = {size}"))
    r = run_tool("-c", cfg, cwd=tmp_path)
    assert r.returncode == 10
    assert "F: invalid MaxPDUSize in config file" in r.stderr


def test_port_in_use_is_exit_10(tmp_path):
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = run_tool("-c", write_config(tmp_path), port, cwd=tmp_path)
    assert r.returncode == 10
    assert "F: cannot initialize network: 0006:031c TCP Initialization Error: Address already in use" in r.stderr


def test_privileged_port_as_non_root_is_exit_10(tmp_path):
    import os
    if os.geteuid() == 0:
        pytest.skip("the tests run as root, who may listen on port 104")
    r = run_tool("-c", write_config(tmp_path), 104, cwd=tmp_path)
    assert r.returncode == 10
    assert "F: cannot listen on port 104, insufficient privileges" in r.stderr


def test_assoc_config_unknown_profile_is_exit_1(tmp_path):
    (tmp_path / "my.cfg").write_text(corpus.MY_CFG)
    r = run_tool("-xf", "my.cfg", "NoSuchProfile", "My Profile", "-c", write_config(tmp_path), cwd=tmp_path)
    assert r.returncode == 1
    assert "F: unknown configuration profile name: NoSuchProfile" in r.stderr


def test_assoc_config_unreadable_is_exit_1(tmp_path):
    r = run_tool("-xf", "missing.cfg", "A", "B", "-c", write_config(tmp_path), cwd=tmp_path)
    assert r.returncode == 1
    assert "F: cannot read association config file:" in r.stderr


def test_assoc_config_with_prefer_little_is_exit_1(tmp_path):
    (tmp_path / "my.cfg").write_text(corpus.MY_CFG)
    r = run_tool("-xf", "my.cfg", "My Profile", "My Profile", "+xe", "-c", write_config(tmp_path), cwd=tmp_path)
    assert r.returncode == 1
    assert "error: --assoc-config-file not allowed with --prefer-little" in r.stderr


# ---------------------------------------------------------------------------------------------
# identifier checks and move restrictions

def test_check_find(archive, serve):
    server = serve("-XF", "-XM", "-ZA", "--require-find")
    f = lambda model, *k: findscu(server.port, model, *keys(*k), cwd=archive.root)  # noqa: E731
    r = f("-S", "QueryRetrieveLevel=STUDY", "StudyInstanceUID", "SeriesInstanceUID")
    assert (r.responses, r.final) == ([], "Error: DataSetDoesNotMatchSOPClass"), r.proc.stderr
    r = f("-S", "QueryRetrieveLevel=SERIES", "StudyInstanceUID", "SeriesInstanceUID")
    assert r.final == "Error: DataSetDoesNotMatchSOPClass"
    r = f("-P", "QueryRetrieveLevel=STUDY", "PatientID", "StudyInstanceUID")
    assert r.final == "Error: DataSetDoesNotMatchSOPClass"
    r = f("-P", "QueryRetrieveLevel=STUDY", "PatientID=PAT001", "StudyInstanceUID")
    assert (r.stripped("StudyInstanceUID"), r.final) == ([STUDY_CT], "Success"), r.proc.stderr
    r = f("-S", "QueryRetrieveLevel=SERIES", f"StudyInstanceUID={STUDY_MR}", "SeriesInstanceUID", "Modality")
    assert r.values("Modality") == ["MR"]
    # without -XF the first query is answered
    plain = findscu(serve().port, "-S", *keys("QueryRetrieveLevel=STUDY", "StudyInstanceUID", "SeriesInstanceUID"),
                    cwd=archive.root)
    assert len(plain.responses) == 2


def movescu(archive, port, *args, aet="MOVESCU", aem="DESTAE", model="-S"):
    return scu("movescu", "-v", "-aet", aet, "-aec", "QRSCP", "-aem", aem, model, *args, "127.0.0.1", port,
               cwd=archive.root)


MOVE_MR_STUDY = keys("QueryRetrieveLevel=STUDY", f"StudyInstanceUID={STUDY_MR}")
UNKNOWN = "Move response with error status (Refused: MoveDestinationUnknown)"


def test_check_move_and_move_aetitle(archive, serve):
    server = serve("-XF", "-XM", "-ZA", "--require-find")
    # -XM: no patient-level key in Study Root
    proc = movescu(archive, server.port, *keys("QueryRetrieveLevel=STUDY", "PatientID=PAT002",
                                               f"StudyInstanceUID={STUDY_MR}"), aet="DESTAE")
    assert "Error: DataSetDoesNotMatchSOPClass" in proc.stderr, proc.stderr
    # -ZA: the destination must be the calling AE
    proc = movescu(archive, server.port, *MOVE_MR_STUDY)
    assert proc.returncode == 69 and UNKNOWN in proc.stderr
    assert "strictMove" in server.log
    proc = movescu(archive, server.port, *MOVE_MR_STUDY, aet="DESTAE")
    assert proc.returncode == 0, proc.stderr
    assert archive.dest.files() == [f"MR.{MR1}"]


def test_check_move_applies_to_get(archive, serve):
    server = serve("-XM")
    out = archive.root / "getout"
    args = ("-v", "-aet", "GETSCU", "-aec", "QRSCP", "-od", out, "127.0.0.1", server.port)
    proc = scu("getscu", "-S", *keys("QueryRetrieveLevel=SERIES", f"StudyInstanceUID={STUDY_MR}",
                                     f"SeriesInstanceUID={SERIES_MR}", "Modality"), *args, cwd=archive.root)
    assert "DataSetDoesNotMatchSOPClass" in proc.stderr, proc.stderr
    assert list(out.iterdir()) == []
    proc = scu("getscu", "-S", *keys("QueryRetrieveLevel=SERIES", f"StudyInstanceUID={STUDY_MR}",
                                     f"SeriesInstanceUID={SERIES_MR}"), *args, cwd=archive.root)
    assert proc.returncode == 0 and [p.name for p in out.iterdir()] == [f"MR.{MR1}"], proc.stderr
    for p in out.iterdir():
        p.unlink()


@pytest.mark.parametrize("options, allowed, refused", [
    (("-ZV",), ["DESTAE"], ["OTHERDEST", "IPDEST"]),
    (("-ZH",), ["DESTAE", "OTHERDEST"], ["IPDEST"]),
    (("-ZH", "-ZV"), ["DESTAE"], ["OTHERDEST", "IPDEST"]),
    (("-ZV", "-ZH"), ["DESTAE", "OTHERDEST"], ["IPDEST"]),  # one option block: -ZV is not honoured
    (("-ZA", "-ZH", "--move-unrestricted"), ["OTHERDEST", "IPDEST"], []),
])
def test_move_restrictions(archive, serve, options, allowed, refused):
    server = serve(*options)
    for dest in allowed:
        proc = movescu(archive, server.port, *MOVE_MR_STUDY, aem=dest)
        assert proc.returncode == 0, (dest, proc.stderr)
    for dest in refused:
        proc = movescu(archive, server.port, *MOVE_MR_STUDY, aem=dest)
        assert proc.returncode == 69 and UNKNOWN in proc.stderr, (dest, proc.stderr)
    assert archive.dest.files() == ([f"MR.{MR1}"] if allowed else [])


# ---------------------------------------------------------------------------------------------
# association negotiation

def test_no_study_root_and_disable_get(archive, serve):
    server = serve("-QS", "--disable-get")
    r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=STUDY", "StudyInstanceUID"), cwd=archive.root)
    assert r.responses == [] and "No Acceptable Presentation Contexts" in r.proc.stderr, r.proc.stderr
    r = findscu(server.port, "-P", *keys("QueryRetrieveLevel=PATIENT", "PatientID"), cwd=archive.root)
    assert r.values("PatientID") == ["PAT001", "PAT002"]
    r = findscu(server.port, "-O", *keys("QueryRetrieveLevel=PATIENT", "PatientID"), cwd=archive.root)
    assert len(r.responses) == 2
    for model in ("-S", "-P"):
        proc = scu("getscu", "-aet", "GETSCU", "-aec", "QRSCP", model, *keys("QueryRetrieveLevel=STUDY",
                   "PatientID=PAT002", f"StudyInstanceUID={STUDY_MR}"), "-od", archive.root / "getout",
                   "127.0.0.1", server.port, cwd=archive.root)
        assert proc.returncode != 0 and "No adequate Presentation Contexts for sending C-GET" in proc.stderr, \
            proc.stderr
    assert list((archive.root / "getout").iterdir()) == []
    assert echoscu(server.port, cwd=archive.root).returncode == 0


def test_disable_host_lookup(archive, serve):
    plain = serve()
    assert echoscu(plain.port, "FINDSCU", cwd=archive.root).returncode == 0
    assert echoscu(plain.port, "ECHOSCU", "QRIP", cwd=archive.root).returncode == 1  # host is "localhost"
    dhl = serve("-dhl")
    proc = echoscu(dhl.port, "FINDSCU", cwd=archive.root)  # peer configured as localhost
    assert proc.returncode == 1 and "Called AE Title Not Recognized" in proc.stderr
    assert echoscu(dhl.port, "ECHOSCU", "QRIP", cwd=archive.root).returncode == 0
    assert echoscu(dhl.port, "ANYONE", "QROPEN", cwd=archive.root).returncode == 0


def test_refuse(archive, serve):
    server = serve("--refuse")
    proc = echoscu(server.port, cwd=archive.root)
    assert proc.returncode == 1
    assert "Result: Rejected Permanent, Source: Service User" in proc.stderr
    assert "Reason: No Reason" in proc.stderr
    assert "Refusing Association (forced via command line)" in server.log


def raw_echo_association(port: int, **rq_options) -> tuple[int, bytes]:
    raw = RawAssociation(port)
    try:
        pdu_type = raw.associate([(1, "1.2.840.10008.1.1", [IMPLICIT_LE])], calling="FINDSCU", called="QRSCP",
                                 **rq_options)
        return pdu_type, raw.answer
    finally:
        raw.close()


def test_reject_without_implementation_class_uid(archive, serve):
    plain = serve()
    assert raw_echo_association(plain.port, implementation_uid=None)[0] == 0x02
    server = serve("--reject")
    pdu_type, answer = raw_echo_association(server.port, implementation_uid=None)
    assert pdu_type == 0x03
    assert tuple(answer[1:4]) == (1, 1, 1)  # rejected-permanent, service-user, no-reason-given
    assert raw_echo_association(server.port)[0] == 0x02  # with an Implementation Class UID


def test_require_find(archive, serve):
    move_only = pyscu("MOVESCU", Verification, StudyRootQueryRetrieveInformationModelMove)
    find_and_move = pyscu("MOVESCU", Verification, StudyRootQueryRetrieveInformationModelFind,
                          StudyRootQueryRetrieveInformationModelMove)
    plain, strict = serve(), serve("--require-find")
    for port, expected in ((plain.port, 0), (strict.port, USER_REJECTION)):
        assoc = associate(move_only, port)
        assert assoc.is_established
        try:
            assert results(assoc)[StudyRootQueryRetrieveInformationModelMove] == expected
        finally:
            assoc.release()
    assert "Move Presentation Context but no Find (accepting for now)" in plain.log
    assoc = associate(find_and_move, strict.port)
    try:
        assert results(assoc)[StudyRootQueryRetrieveInformationModelMove] == 0
    finally:
        assoc.release()
    # movescu proposes FIND and MOVE for its model: passes
    proc = movescu(archive, strict.port, *MOVE_MR_STUDY)
    assert proc.returncode == 0, proc.stderr
    # DCMTK checks MOVE contexts only: GET without FIND is accepted (observed with DCMTK 3.6.7)
    get_only = pyscu("GETSCU", Verification, StudyRootQueryRetrieveInformationModelGet)
    assoc = associate(get_only, strict.port)
    try:
        assert results(assoc)[StudyRootQueryRetrieveInformationModelGet] == 0
    finally:
        assoc.release()
    assert "Get Presentation Context" not in plain.log + strict.log


def test_no_parallel_store(archive, serve):
    server = serve("--no-parallel-store")
    ae = pyscu("STORESCU", Verification, CTImageStorage)
    first = associate(ae, server.port)
    try:
        assert results(first)[CTImageStorage] == 0
        second = associate(ae, server.port)
        try:
            assert second.is_established
            assert results(second) == {Verification: 0, CTImageStorage: USER_REJECTION}
        finally:
            second.release()
        other_ae = associate(ae, server.port, called="QUOTA")  # another AE title: its own lock
        try:
            assert results(other_ae)[CTImageStorage] == 0
        finally:
            other_ae.release()
    finally:
        first.release()
    third = associate(ae, server.port)
    try:
        assert results(third)[CTImageStorage] == 0
    finally:
        third.release()


def test_parallel_store_allowed_by_default(archive, serve):
    server = serve()
    ae = pyscu("STORESCU", Verification, CTImageStorage)
    first, second = associate(ae, server.port), associate(ae, server.port)
    try:
        assert results(first)[CTImageStorage] == results(second)[CTImageStorage] == 0
    finally:
        first.release()
        second.release()


def test_storage_roles_for_get(archive, serve):
    """SCP role granted for C-GET unless --disable-get (then only the default role)."""
    ae = pyscu("GETSCU", StudyRootQueryRetrieveInformationModelFind, CTImageStorage)
    role = [build_role(CTImageStorage, scp_role=True)]
    for options, scp_role in (((), True), (("--disable-get",), False)):
        assoc = associate(ae, serve(*options).port, ext_neg=role)
        try:
            cx = next(c for c in assoc.accepted_contexts if c.abstract_syntax == CTImageStorage)
            assert cx.as_scp is scp_role, options  # as_scp: the requestor may act as SCP
        finally:
            assoc.release()


def test_ignore(tmp_path, data_dir):
    copy_corpus(data_dir, tmp_path)
    with QRServer(tmp_path, "--ignore") as server:
        proc = storescu(server.port, "data/ct1.dcm", "data/mr1.dcm", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert server.area_files() == []
        r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=STUDY", "StudyInstanceUID"), cwd=tmp_path)
        assert (r.responses, r.final) == ([], "Success")


def test_max_associations(tmp_path):
    with QRServer(tmp_path, max_associations=1) as server:
        held = associate(pyscu("FINDSCU", Verification), server.port)
        assert held.is_established
        try:
            proc = echoscu(server.port, cwd=tmp_path)
            assert proc.returncode == 1
            assert "Rejected Transient" in proc.stderr and "Local Limit Exceeded" in proc.stderr, proc.stderr
        finally:
            held.release()
        assert echoscu(server.port, cwd=tmp_path).returncode == 0


def test_single_process(tmp_path, data_dir):
    copy_corpus(data_dir, tmp_path)
    with QRServer(tmp_path, "-s") as server:
        assert echoscu(server.port, cwd=tmp_path).returncode == 0
        assert storescu(server.port, "data/mr1.dcm", cwd=tmp_path).returncode == 0
        r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=STUDY", "StudyInstanceUID"), cwd=tmp_path)
        assert r.stripped("StudyInstanceUID") == [STUDY_MR]
        # one at a time: a second association waits until the first is released
        held = associate(pyscu("FINDSCU", Verification), server.port)
        done = threading.Event()
        result = {}

        def echo():
            result["rc"] = echoscu(server.port, cwd=tmp_path).returncode
            done.set()

        t = threading.Thread(target=echo)
        t.start()
        try:
            assert not done.wait(1.0)
        finally:
            held.release()
        t.join(30)
        assert result == {"rc": 0}


def test_storage_area_missing_aborts_on_first_request(tmp_path):
    cfg = write_config(tmp_path, port=free_port())
    (tmp_path / "QUOTA").rmdir()
    with QRServer(tmp_path, config=cfg) as server:
        proc = echoscu(server.port, "FINDSCU", "QUOTA", cwd=tmp_path)
        assert "Echo Failed: 0006:0317 Peer aborted Association" in proc.stderr
        assert "dispatch: cannot create DB Handle" in server.log
        assert echoscu(server.port, cwd=tmp_path).returncode == 0
