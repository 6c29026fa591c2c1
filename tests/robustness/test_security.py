"""Security of dcmrecv, dcmqrscp and dgate against hostile peers (issue 5).

* Values from the network (UIDs, patient IDs and names, dates, modality) holding ``/``, ``\\``,
  ``..``, NUL, absolute paths or hundreds of characters never make a path outside the storage
  area, in every naming scheme (dcmrecv ``+fd +fu +fsu +fst`` with and without ``+ssd``,
  dcmqrscp, dgate ``FileNameSyntax`` 0-12 and ``%`` templates).
* SQL in C-FIND values is matched as text on SQLite and PostgreSQL: answered, nothing extra
  found, every table intact.
* dcmqrscp's AETable peer lists and dgate's dgatesop.lst ``RemoteAE`` admit only the peers named.
* dgate's remote commands that change or delete data are refused from a non-loopback peer.
* TLS on dcmqrscp, C-MOVE sub-associations to a TLS storescp included.
* Patient names stay out of the logs below debug level.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.interop.dcmqrscp_support import QRServer, postgres_missing
from tests.robustness.faults_support import (
    ROOT,
    SUCCESS,
    Archive,
    Peer,
    c_move,
    ct,
    echo_ok,
    find_identifier,
    store_one,
)
from tests.support.procs import REPO, Server, dcmtk, free_port, ours
from tests.unit.db.conftest import pg_server_url, pg_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.interop
MARK = "ESC4PE"


# ---------------------------------------------------------------------------------------------
# path confinement

def hostile_instances(tag: str) -> list:
    """Instances whose values try to leave the storage area (``tag`` keeps the UIDs of one
    server apart; ``MARK`` is in every value that could become a name)."""
    r = f"{ROOT}.20.{tag}"
    long_uid = "1." + "9" * 300
    return [
        ct(sop_uid=f"../../../../{MARK}1"),
        ct(sop_uid=f"{r}.2/../../{MARK}2", study_uid=f"../../{MARK}2s", series_uid=f"../{MARK}2r"),
        ct(sop_uid=f"/tmp/{MARK}3-{tag}", study_uid=f"/tmp/{MARK}3s-{tag}", series_uid="/"),
        ct(sop_uid=f"{r}.4\0/../../{MARK}4", study_uid=f"{r}.4\0/../..", patient_id=f"..\0/../{MARK}4"),
        ct(sop_uid=f"{r}.5", patient_id=f"../../../{MARK}5", patient_name=f"../../{MARK}5^X",
           study_date=f"2020/../../{MARK}5", series_date=f"../../../{MARK}5", modality=f"../{MARK}5",
           study_id=f"../../{MARK}5"),
        ct(sop_uid=long_uid + f".{tag}6", study_uid=long_uid + ".1", series_uid=long_uid + ".2",
           patient_id="../" * 150 + MARK + "6", patient_name="N" * 600),
        ct(sop_uid="..", study_uid="..", series_uid=".", patient_id="..", patient_name=".."),
        ct(sop_uid=f"..\\..\\{MARK}8{tag}", study_uid=f"{r}.8", patient_id=f"..\\..\\{MARK}8",
           series_date="2021/01/01"),
        ct(sop_uid=f"{r}.9", study_uid=f"{r}.9", series_date="../..", study_date="..", patient_id="/"),
    ]


def escapes(store: Path, top: Path, before: set[str]) -> list[str]:
    """Files made outside ``store``: new ones below ``top``, marked names in the folders above."""
    found = [p for p in _all_files(top) - before if not Path(p).resolve().is_relative_to(store.resolve())]
    for folder in [*store.resolve().parents, Path("/tmp")]:
        try:
            found += [str(folder / n) for n in os.listdir(folder) if MARK in n]
        except OSError:
            pass
    for path in _all_files(store):
        assert Path(path).resolve().is_relative_to(store.resolve()), path
        assert not Path(path).name.startswith(".pydcmkit-"), f"temporary file left behind: {path}"
    return sorted(set(found))


def _all_files(top: Path) -> set[str]:
    return {str(p) for p in Path(top).rglob("*") if p.is_file() or p.is_symlink()}


def send_hostile(port: int, called: str, tag: str) -> list:
    """Store each hostile instance on one association (a new one after an abort); the statuses
    (``aborted`` when the server dropped the association)."""
    out = []
    peer = None
    for ds in hostile_instances(tag):
        if peer is None:
            peer = Peer(port, called)
            assert peer.accepted
        try:
            out.append(peer.store(ds))
        except (OSError, ConnectionError):
            out.append("aborted")
            peer.close()
            peer = None
    if peer is not None:
        peer.release()
    return out


DCMRECV_SCHEMES = [(s, *extra) for s in ("+fd", "+fu", "+fsu", "+fst") for extra in ((), ("+ssd",))]


@pytest.mark.parametrize("options", DCMRECV_SCHEMES, ids=lambda o: "".join(o))
def test_dcmrecv_names_stay_inside_the_output_directory(tmp_path, options):
    store = tmp_path / "a" / "b" / "out"
    store.mkdir(parents=True)
    before = _all_files(tmp_path)
    port = free_port()
    srv = Server(ours("dcmrecv") + ["-v", "-xf", str(REPO / "examples" / "storescp.cfg"), "Default", *options,
                                    "-od", str(store), str(port)], port, tmp_path)
    try:
        statuses = send_hostile(port, "ANY-SCP", "r")
        assert escapes(store, tmp_path, before | {str(srv.log_path)}) == []
        assert SUCCESS in statuses, statuses  # the test reached the naming code
        assert "aborted" not in statuses, statuses
        assert echo_ok(port, "ANY-SCP") and srv.proc.poll() is None
        assert "Traceback" not in srv.log
    finally:
        srv.stop()


def test_dcmqrscp_names_stay_inside_the_storage_area(tmp_path):
    root = tmp_path / "a" / "b"
    root.mkdir(parents=True)
    with Archive("dcmqrscp", root) as srv:
        before = _all_files(tmp_path)
        statuses = send_hostile(srv.port, srv.ae, "q")
        assert escapes(srv.store, tmp_path, before | {str(srv.server.log_path)}) == []
        assert SUCCESS in statuses and "aborted" not in statuses, statuses
        assert echo_ok(srv.port, srv.ae) and srv.alive()
        assert "Traceback" not in srv.log


DGATE_SYNTAXES = [str(n) for n in range(13)] + [
    "%studyuid/%seriesuid/%sopuid.dcm",
    "%id/%name/%studydate/%modality_%studyid/%V0008,0018[0,40]_%callingae.v2",
    "%V0010,0020/%V0008,0020/%V0020,000D/%sopuid[0,400].dcm",
]


@pytest.mark.parametrize("syntax", DGATE_SYNTAXES)
def test_dgate_names_stay_inside_mag0(tmp_path, syntax):
    root = tmp_path / "a" / "b"
    root.mkdir(parents=True)
    with Archive("dgate", root, settings={"FileNameSyntax": syntax}) as srv:
        before = _all_files(tmp_path)
        statuses = send_hostile(srv.port, srv.ae, "g")
        assert escapes(srv.store, tmp_path, before | {str(srv.server.log_path)}) == []
        assert SUCCESS in statuses and "aborted" not in statuses, statuses
        assert echo_ok(srv.port, srv.ae) and srv.alive()
        assert "Traceback" not in srv.log
        for uid, path in srv.rows():
            assert (srv.store / path).resolve().is_relative_to(srv.store.resolve()), (uid, path)


# ---------------------------------------------------------------------------------------------
# SQL in C-FIND values

INJECTIONS = ["' OR '1'='1", "x'; DROP TABLE patients; --", "x'; DROP TABLE DICOMPatients; --",
              "*' OR 1=1 --*", "%' UNION SELECT 1 --", "1'); DELETE FROM instances; --",
              "x\\'; DELETE FROM DICOMImages; --", "\"; DROP TABLE studies; --", "O''Brien"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("kind", ["dcmqrscp", "dgate"])
def test_sql_in_find_values_is_matched_as_text(tmp_path, request, kind, backend):
    database = None
    if backend == "postgresql":
        reason = postgres_missing()
        if reason:
            pytest.skip(reason)
        database = request.getfixturevalue("pg_server_url" if kind == "dcmqrscp" else "pg_url")
    with Archive(kind, tmp_path, database=database) as srv:
        for n, (pid, name) in enumerate([("O'Brien", "O'BRIEN^JOHN"), ("PAT2", "TWO^X"), ("PAT3", "THREE^Y")]):
            assert store_one(srv.port, srv.ae, ct(f"{ROOT}.21.{n}", study_uid=f"{ROOT}.21.{n}.1",
                                                  series_uid=f"{ROOT}.21.{n}.2", patient_id=pid,
                                                  patient_name=name)) == SUCCESS
        peer = Peer(srv.port, srv.ae)
        try:
            for value in INJECTIONS:
                for key in ("PatientID", "PatientName", "StudyDescription", "AccessionNumber"):
                    found, status = peer.find(find_identifier("STUDY", StudyInstanceUID=None, **{key: value}))
                    assert found == [], (key, value, found)
                    assert status == SUCCESS or 0xA000 <= status < 0xD000, (key, value, hex(status))
                found, status = peer.find(find_identifier("PATIENT", PatientID=value, PatientName=None), ctx_id=5)
                assert found == [] and status == SUCCESS, (value, hex(status))
            # quotes are matched literally, single values and wildcards alike
            found, status = peer.find(find_identifier("STUDY", StudyInstanceUID=None, PatientID="O'Brien"))
            assert status == SUCCESS and [str(ds.StudyInstanceUID) for ds in found] == [f"{ROOT}.21.0.1"]
            found, status = peer.find(find_identifier("STUDY", StudyInstanceUID=None, PatientName="O'BR*"))
            assert status == SUCCESS and [str(ds.StudyInstanceUID) for ds in found] == [f"{ROOT}.21.0.1"]
            found, status = peer.find(find_identifier("STUDY", StudyInstanceUID=None, PatientID=None))
            assert status == SUCCESS and len(found) == 3
        finally:
            peer.release()
        assert sorted(uid for uid, _ in srv.rows()) == [f"{ROOT}.21.{n}" for n in range(3)]
        assert srv.alive() and "Traceback" not in srv.log


# ---------------------------------------------------------------------------------------------
# who may associate

def test_dcmqrscp_aetable_peer_lists_are_enforced(tmp_path):
    with QRServer(tmp_path) as srv:
        for calling in ("EVIL", "STORESCU2", "QRSCP"):
            peer = Peer(srv.port, "QRSCP", calling=calling)
            assert peer.answer == 0x03, calling  # A-ASSOCIATE-RJ
            peer.close()
        assert store_one(srv.port, "QRSCP", ct(f"{ROOT}.22.1"), calling="STORESCU") == SUCCESS
        # QRREAD admits anyone, read-only: a store is refused and leaves nothing
        peer = Peer(srv.port, "QRREAD", calling="EVIL")
        assert peer.accepted
        if peer.assoc.accepted[1][0] == 0:  # storage context accepted: then the store must fail
            assert peer.store(ct(f"{ROOT}.22.2")) != SUCCESS
        peer.release()
        assert [p.name for p in (tmp_path / "READ").iterdir() if p.name.endswith(".dcm")] == []
        assert len(srv.area_files()) == 1
        assert "Traceback" not in srv.log


SOP_LIST = """\
# dgatesop.lst of the RemoteAE test
DICOM                 1.2.840.10008.3.1.1.1        application
Verification          1.2.840.10008.1.1            sop
CTImageStorage        1.2.840.10008.5.1.4.1.1.2    sop
StudyRootFind         1.2.840.10008.5.1.4.1.2.2.1  sop
ImplicitLittleEndian  1.2.840.10008.1.2            transfer
FRIEND                FRIEND                       RemoteAE
"""


def test_dgate_remote_ae_list_is_enforced(tmp_path):
    (tmp_path / "dgatesop.lst").write_text(SOP_LIST)
    with Archive("dgate", tmp_path) as srv:
        for calling in ("EVIL", "FRIEND2", "CONQUESTSRV1"):
            peer = Peer(srv.port, srv.ae, calling=calling)
            assert peer.answer == 0x03, calling
            peer.close()
        assert store_one(srv.port, srv.ae, ct(f"{ROOT}.23.1"), calling="FRIEND") == SUCCESS
        assert [uid for uid, _ in srv.rows()] == [f"{ROOT}.23.1"]
        assert "Traceback" not in srv.log


# ---------------------------------------------------------------------------------------------
# dgate remote commands that change or delete data: loopback peers only

def _non_loopback_address() -> str | None:
    """An IPv4 address of this host that is not loopback (a connection from it to 127.0.0.1
    stays on the host), or None."""
    import ipaddress
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except OSError:
        return None
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            address = fields[fields.index("inet") + 1].split("/")[0]
            if not ipaddress.ip_address(address).is_loopback:
                try:
                    with socket.socket() as s:
                        s.bind((address, 0))
                    return address
                except OSError:
                    continue
    return None


def test_modifying_commands_are_refused_for_every_registered_command(tmp_path):
    """Every command registered as modifying answers a refusal, and does nothing, for a peer at a
    non-loopback address (the handler with the context the server builds for that peer)."""
    from pydcmkit.conquest import commands
    from pydcmkit.conquest.ini import ConfigLocation
    from pydcmkit.conquest.remote import CommandContext, loopback_only
    from pydcmkit.conquest.server import DgateServer
    from pydcmkit.conquest.service import Dgate
    from tests.interop.dgate_support import DgateRun

    assert loopback_only("127.0.0.2", "X") and loopback_only("::1", "X") and loopback_only("::ffff:127.0.0.1", "X")
    assert not any(loopback_only(a, "X") for a in ("192.0.2.2", "::ffff:10.0.0.1", "fd00::2", "", "localhost"))
    run = DgateRun(tmp_path)
    dgate = Dgate(ConfigLocation(str(tmp_path / "dicom.ini"), f"{tmp_path}/"), port=run.port)
    try:
        server = DgateServer(dgate)
        commands.register_all(server.commands, server)
        modifying = [p for p in server.commands.commands if server.commands._commands[p].modifies]
        assert {"deletepatient:", "deletestudies:", "put_param:", "quit:", "regen:", "modifypatid:"} <= set(modifying)
        ini_before = (tmp_path / "dicom.ini").read_text()
        for prefix in modifying:
            ctx = CommandContext(association=None, permitted_to_modify=loopback_only("192.0.2.2", "EVIL"),
                                 command=prefix + "x", calling_ae="EVIL", peer_address="192.0.2.2")
            answer = server.commands.dispatch(prefix + "x,y", ctx)
            assert answer is not None and b"refused" in answer, (prefix, answer)
        assert (tmp_path / "dicom.ini").read_text() == ini_before
    finally:
        dgate.close()


def test_modifying_commands_from_a_non_loopback_peer_are_refused(tmp_path, monkeypatch):
    """Over the network: a peer connecting from this host's non-loopback address to 127.0.0.1."""
    from pydcmkit.conquest import remote
    from pydcmkit.net import requestor

    address = _non_loopback_address()
    if address is None:
        pytest.skip("this host has no non-loopback IPv4 address to connect from")
    with Archive("dgate", tmp_path) as srv:
        for n in range(2):
            assert store_one(srv.port, srv.ae, ct(f"{ROOT}.24.{n}", patient_id="PAT24")) == SUCCESS
        ini_before = (tmp_path / "dicom.ini").read_text()
        original = socket.create_connection

        def send_from(source, command):
            monkeypatch.setattr(requestor.socket, "create_connection",
                                lambda target, timeout=None, **kw: original(target, timeout, source_address=(source, 0)))
            try:
                return remote.send_command("127.0.0.1", srv.port, srv.ae, command, timeout=30)
            finally:
                monkeypatch.setattr(requestor.socket, "create_connection", original)

        for command in ("deletepatient:PAT24", f"deleteimagefile:MAG0:{srv.rows()[0][1]}", "put_param:TCPPort,1",
                        "deletestudies:20240102", "initializetables:", "quit:"):
            answer = send_from(address, command)
            assert answer is not None and b"refused" in answer, (command, answer)
        assert f"refused remote command deletepatient: from CONQUESTSRV1 at {address}" in srv.log
        assert len(srv.rows()) == 2 and len(srv.files()) == 2
        assert (tmp_path / "dicom.ini").read_text() == ini_before
        assert srv.alive()
        # the same command from another loopback address is carried out
        answer = send_from("127.0.0.2", "deletepatient:PAT24")
        assert answer is None or b"refused" not in answer, answer
        wait = __import__("time").monotonic() + 10
        while srv.rows() and __import__("time").monotonic() < wait:
            __import__("time").sleep(0.1)
        assert srv.rows() == []


# ---------------------------------------------------------------------------------------------
# TLS on dcmqrscp, the C-MOVE sub-association included

@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    """A self-signed certificate (key.pem, cert.pem) and an unrelated one (other-*.pem)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    d = tmp_path_factory.mktemp("pki")
    for prefix in ("", "other-"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{prefix}key.pem",
                        "-out", f"{prefix}cert.pem", "-days", "2", "-subj", f"/CN=pydcmkit-robust-{prefix or 'main'}"],
                       cwd=d, check=True, capture_output=True, timeout=120)
    return d


def _dcmtk(tool: str, *args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([dcmtk(tool), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)


def test_dcmqrscp_over_tls_with_move_to_a_tls_storescp(tmp_path, pki):
    from tests.interop.dicomfiles import make_instances
    from tests.support.corpus import ROOT as corpus_root
    tls = ["+tls", pki / "key.pem", pki / "cert.pem", "+cf", pki / "cert.pem"]
    files = make_instances(tmp_path / "src", 2, start=500)
    dest_port = free_port()
    (tmp_path / "dest").mkdir()
    dest = Server([dcmtk("storescp"), *map(str, tls), "-od", str(tmp_path / "dest"), str(dest_port)], dest_port,
                  tmp_path, wait=False)
    try:
        from tests.interop.conftest import wait_listening
        wait_listening(dest_port, dest.proc)
        (tmp_path / "qr").mkdir()
        with QRServer(tmp_path / "qr", *map(str, tls), dest_port=dest_port) as srv:
            r = _dcmtk("storescu", *tls, "-aet", "STORESCU", "-aec", "QRSCP", "127.0.0.1", srv.port, *files,
                       cwd=tmp_path)
            assert r.returncode == 0, r.stderr
            assert len(srv.area_files()) == 2
            # no clear-text service on the TLS port
            assert _dcmtk("echoscu", "-aet", "FINDSCU", "-aec", "QRSCP", "-to", "5", "-ta", "5", "127.0.0.1",
                          srv.port, cwd=tmp_path).returncode != 0
            # a peer whose certificate the server does not trust cannot get in
            other = ["+tls", pki / "other-key.pem", pki / "other-cert.pem", "+cf", pki / "cert.pem"]
            assert _dcmtk("echoscu", *other, "-aet", "FINDSCU", "-aec", "QRSCP", "127.0.0.1", srv.port,
                          cwd=tmp_path).returncode != 0
            r = _dcmtk("findscu", *tls, "-aet", "FINDSCU", "-aec", "QRSCP", "-S", "-k", "QueryRetrieveLevel=STUDY",
                       "-k", "StudyInstanceUID", "127.0.0.1", srv.port, cwd=tmp_path)
            assert r.returncode == 0, r.stderr
            import ssl
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(pki / "cert.pem"))
            context.check_hostname = False
            context.load_cert_chain(str(pki / "cert.pem"), str(pki / "key.pem"))
            responses = c_move(srv.port, "QRSCP", f"{corpus_root}.2.9", "DESTAE", ssl_context=context)
            assert responses[-1] == (SUCCESS, {"remaining": -1, "completed": 2, "failed": 0, "warning": 0}), \
                responses
            assert len(list((tmp_path / "dest").iterdir())) == 2
            assert "Traceback" not in srv.log
    finally:
        dest.stop()


def test_dgate_over_tls_with_move_to_a_tls_storescp(tmp_path, pki):
    # ConQuest has no TLS; pydcmkit's dgate takes TLSPrivateKey/TLSCertificate/TLSTrustedCertificates
    # from dicom.ini: the server, its C-MOVE sub-associations and the --command client all use it
    from tests.interop.dgate_support import AE, DgateRun
    from tests.interop.dicomfiles import make_instances
    from tests.support.corpus import ROOT as corpus_root
    key, cert, other_key, other_cert = (pki / n for n in ("key.pem", "cert.pem", "other-key.pem", "other-cert.pem"))
    tls = ["+tls", key, cert, "+cf", cert]
    files = make_instances(tmp_path / "src", 2, start=600)
    dest_port = free_port()
    (tmp_path / "dest").mkdir()
    dest = Server([dcmtk("storescp"), *map(str, tls), "-od", str(tmp_path / "dest"), str(dest_port)], dest_port,
                  tmp_path, wait=False)
    run = DgateRun(tmp_path / "dgate", settings={"TLSPrivateKey": str(key), "TLSCertificate": str(cert),
                                                 "TLSTrustedCertificates": str(cert)},
                   amap=[f"TLSDEST  127.0.0.1  {dest_port}  un"])
    try:
        from tests.interop.conftest import wait_listening
        wait_listening(dest_port, dest.proc)
        run.start()
        r = _dcmtk("storescu", *tls, "-aet", "STORESCU", "-aec", AE, "127.0.0.1", run.port, *files, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert len(run.rows("SELECT * FROM DICOMImages")) == 2
        # no clear-text service on the TLS port, and no way in with a certificate it does not trust
        assert _dcmtk("echoscu", "-aec", AE, "-to", "5", "-ta", "5", "127.0.0.1", run.port,
                      cwd=tmp_path).returncode != 0
        other = ["+tls", other_key, other_cert, "+cf", cert]
        assert _dcmtk("echoscu", *other, "-aec", AE, "127.0.0.1", run.port, cwd=tmp_path).returncode != 0
        # the remote-command client reads the same dicom.ini: TLS as well
        client = run.run(f"-p{run.port}", f"--echo:{AE}")
        assert (client.returncode, client.stdout) == (255, f"{AE} is UP"), client.stderr
        context = __import__("ssl").create_default_context(cafile=str(cert))
        context.check_hostname = False
        context.load_cert_chain(str(cert), str(key))
        responses = c_move(run.port, AE, f"{corpus_root}.2.9", "TLSDEST", ssl_context=context)
        assert responses[-1] == (SUCCESS, {"remaining": -1, "completed": 2, "failed": 0, "warning": 0}), responses
        assert len(list((tmp_path / "dest").iterdir())) == 2
        assert "Traceback" not in run.log
    finally:
        run.stop()
        dest.stop()


# ---------------------------------------------------------------------------------------------
# patient names stay out of the logs below debug level

SECRET = "ZZSECRET^HIDDENNAME"


@pytest.mark.parametrize("kind", ["dcmrecv", "dcmqrscp", "dgate"])
def test_patient_names_not_logged_below_debug(tmp_path, kind):
    ds = ct(f"{ROOT}.25.1", patient_name=SECRET, patient_id="SECRETID")
    if kind == "dcmrecv":
        (tmp_path / "out").mkdir()
        port = free_port()
        srv = Server(ours("dcmrecv") + ["-v", "-xf", str(REPO / "examples" / "storescp.cfg"), "Default", "-od",
                                        str(tmp_path / "out"), str(port)], port, tmp_path)
        try:
            assert store_one(port, "ANY-SCP", ds) == SUCCESS
            srv.stop()
            log = srv.log_path.read_text(errors="replace")
        finally:
            srv.stop()
    else:
        with Archive(kind, tmp_path) as srv:
            assert store_one(srv.port, srv.ae, ds) == SUCCESS
            peer = Peer(srv.port, srv.ae)
            found, status = peer.find(find_identifier("STUDY", StudyInstanceUID=None, PatientName="ZZSECRET*"))
            peer.release()
            assert status == SUCCESS and len(found) == 1
            srv.stop()
            log = srv.log
    assert "Stor" in log or "Written" in log, log  # the log is the verbose one
    assert "ZZSECRET" not in log and "HIDDENNAME" not in log
