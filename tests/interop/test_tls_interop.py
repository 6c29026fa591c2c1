"""TLS (dcmrecv +tls, pydcmkit's dcmsend +tls) between our tools and with DCMTK's storescu."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.interop.conftest import lines, our_dcmsend
from tests.interop.dicomfiles import dataset_part, listing
from tests.support import corpus
from tests.support.procs import dcmtk, free_port, ours, run

pytestmark = [pytest.mark.interop,
              pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")]

CT1 = f"{corpus.ROOT}.4.111"
MY_PROFILE = ("-xf", "my.cfg", "My Profile")


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    """A self-signed server/client certificate (key.pem, cert.pem), a second unrelated one
    (other-key.pem, other-cert.pem) and an encrypted copy of the first key (enc-key.pem, 'secret')."""
    d = tmp_path_factory.mktemp("pki")
    for prefix in ("", "other-"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{prefix}key.pem", "-out",
                 f"{prefix}cert.pem", "-days", "2", "-subj", f"/CN=pydcmkit-test-{prefix or 'main'}", cwd=d)
    _openssl("pkey", "-in", "key.pem", "-aes256", "-passout", "pass:secret", "-out", "enc-key.pem", cwd=d)
    return d


def _tls(pki: Path, key: str = "key.pem", cert: str = "cert.pem") -> list[str]:
    return ["+tls", str(pki / key), str(pki / cert)]


def test_our_tls_sender_to_our_tls_receiver_without_client_verification(work, servers, pki):
    (work / "out").mkdir()
    srv = servers.ours("-v", *_tls(pki), "-ic", *MY_PROFILE, "-od", "out", "{port}")
    r = our_dcmsend(*_tls(pki), "+cf", pki / "cert.pem", "127.0.0.1", srv.port, "data/ct1.dcm", "data/mr1.dcm",
                    cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "out") == [f"CT.{CT1}", f"MR.{corpus.ROOT}.4.211"]
    assert dataset_part(work / "out" / f"CT.{CT1}") == dataset_part(work / "data" / "ct1.dcm")


def test_mutual_authentication_required_by_default(work, servers, pki):
    (work / "out").mkdir()
    srv = servers.ours(*_tls(pki), "+cf", str(pki / "cert.pem"), *MY_PROFILE, "-od", "out", "{port}")
    r = our_dcmsend(*_tls(pki), "+cf", pki / "cert.pem", "127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "out") == [f"CT.{CT1}"]
    # a client whose certificate the server does not trust cannot get in
    r = our_dcmsend(*_tls(pki, "other-key.pem", "other-cert.pem"), "+cf", pki / "cert.pem", "127.0.0.1", srv.port,
                    "data/ct2.dcm", cwd=work)
    assert r.returncode == 61, r.stderr
    # nor can a client that does not speak TLS; the server goes on
    r = our_dcmsend("-ta", "5", "127.0.0.1", srv.port, "data/ct2.dcm", cwd=work)
    assert r.returncode == 61
    assert srv.proc.poll() is None
    assert listing(work / "out") == [f"CT.{CT1}"]


def test_our_sender_refuses_an_untrusted_server(work, servers, pki):
    srv = servers.ours(*_tls(pki, "other-key.pem", "other-cert.pem"), "-ic", *MY_PROFILE, "{port}")
    r = our_dcmsend(*_tls(pki), "+cf", pki / "cert.pem", "127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
    assert r.returncode == 61
    assert lines(r.stderr)[-1].startswith("F: cannot negotiate network association: ")


def test_dcmtk_storescu_with_tls_to_our_receiver(work, servers, pki):
    (work / "out").mkdir()
    srv = servers.ours("-v", *_tls(pki), "+cf", str(pki / "cert.pem"), *MY_PROFILE, "-od", "out", "{port}")
    r = run([dcmtk("storescu"), *_tls(pki), "+cf", str(pki / "cert.pem"), "127.0.0.1", str(srv.port),
             "data/ct1.dcm"], cwd=work, timeout=60)
    if r.returncode != 0 and "TLS" in r.stderr and "not supported" in r.stderr:
        pytest.skip(f"this storescu has no TLS: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    assert listing(work / "out") == [f"CT.{CT1}"]
    assert dataset_part(work / "out" / f"CT.{CT1}") == dataset_part(work / "data" / "ct1.dcm")
    assert "I: Association Received localhost: STORESCU -> ANY-SCP" in lines(srv.log)


def test_encrypted_key_with_password(work, servers, pki):
    (work / "out").mkdir()
    srv = servers.ours(*_tls(pki, "enc-key.pem"), "+pw", "secret", "-ic", *MY_PROFILE, "-od", "out", "{port}")
    r = our_dcmsend(*_tls(pki), "+cf", pki / "cert.pem", "127.0.0.1", srv.port, "data/ct1.dcm", cwd=work)
    assert r.returncode == 0, r.stderr
    assert listing(work / "out") == [f"CT.{CT1}"]


@pytest.mark.parametrize("password", [["+pw", "wrong"], ["-pw"], []], ids=["wrong", "null", "prompt-no-tty"])
def test_encrypted_key_without_the_right_password_exits_71(work, pki, password):
    r = run(ours("dcmrecv") + _tls(pki, "enc-key.pem") + password + [str(free_port())], cwd=work, timeout=30)
    assert r.returncode == 71, r.stderr
    # the +ps prompt (no newline after it) may precede the fatal message on the same line
    assert "F: cannot create TLS transport layer: " in r.stderr.splitlines()[-1]
    assert ("Enter PEM pass phrase:" in r.stderr) == (password == [])


def test_unencrypted_key_needs_no_password_prompt(work, servers, pki):
    """+ps (the default) asks only for an encrypted key: with stdin closed the server starts."""
    srv = servers.ours(*_tls(pki), "-ic", "{port}")
    assert srv.proc.poll() is None
    assert "pass phrase" not in srv.log
