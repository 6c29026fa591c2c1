"""A peer that connects and then sends nothing, half a PDU header, or its A-ASSOCIATE-RQ a byte at a
time is dropped once the ACSE timeout has run out (issue 5).

dcmrecv and dcmqrscp run with ``-ta 2``; dgate takes its timeout from TCPIPTimeOut of dicom.ini
(10 s in the robustness set-up; 30 s for the association request when the key is absent); the
three peers of one server run at the same time.
"""

from __future__ import annotations

import os
import socket
import threading
import time

from tests.robustness import pdus, servers
from tests.robustness.servers import target  # noqa: F401  (fixture)

DGATE_ACSE_TIMEOUT = 10
SLACK = 3.0


def silent_peer(port: int, mode: str, limit: float, out: dict) -> None:
    """Connect, send as ``mode`` says, and time how long until the server closes (``limit`` at most)."""
    rq = pdus.associate_rq(b"ANY-SCP")
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(0.25)
    start = time.monotonic()
    sent = 0
    if mode == "half header":
        sock.sendall(rq[:3])
    try:
        while time.monotonic() - start < limit:
            if mode == "trickle" and sent < len(rq) - 1:  # never the whole request
                sock.sendall(rq[sent:sent + 1])
                sent += 1
            try:
                if sock.recv(100) == b"":
                    break
            except socket.timeout:
                pass
    except OSError:  # reset: closed as well
        pass
    finally:
        out[mode] = time.monotonic() - start
        sock.close()


def test_silent_peers_are_dropped_after_the_acse_timeout(target):
    timeout = DGATE_ACSE_TIMEOUT if target.kind == "dgate" else servers.ACSE_TIMEOUT
    waited: dict[str, float] = {}
    peers = [threading.Thread(target=silent_peer, args=(target.port, mode, timeout + 2 * SLACK, waited))
             for mode in ("nothing", "half header", "trickle")]
    for peer in peers:
        peer.start()
    for peer in peers:
        peer.join(timeout + 3 * SLACK)
    print(f"\n{target.kind}: dropped after {({m: round(s, 1) for m, s in waited.items()})} s")
    assert len(waited) == 3
    for mode, seconds in waited.items():
        assert timeout - 0.5 <= seconds <= timeout + SLACK, f"{mode}: closed after {seconds:.1f} s"
    assert target.alive()
    assert target.echo().returncode == 0, target.log


def test_trickling_tls_client_hello_is_dropped_after_the_acse_timeout(tmp_path):
    # the TLS handshake has one deadline too: a ClientHello sent a byte at a time cannot hold a
    # connection (and its thread) longer than -ta
    import shutil
    import ssl

    import pytest

    from tests.interop.conftest import wait_listening
    from tests.support.procs import REPO, free_port, ours, stop_group
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    import subprocess
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out",
                    "cert.pem", "-days", "2", "-subj", "/CN=pydcmkit-tls-trickle"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    # a real ClientHello, captured from Python's ssl module through a memory BIO
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    obj = ctx.wrap_bio(incoming, outgoing)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert len(hello) > 100
    port = free_port()
    (tmp_path / "out").mkdir()
    proc = subprocess.Popen(ours("dcmrecv") + ["+tls", "key.pem", "cert.pem", "-ic", "-xf",
                                               str(REPO / "examples" / "storescp.cfg"), "Default", "-ta",
                                               str(servers.ACSE_TIMEOUT), "-od", "out", str(port)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_listening(port, proc)
        sock = socket.create_connection(("127.0.0.1", port))
        sock.settimeout(0.25)
        start = time.monotonic()
        sent, closed = 0, False
        limit = servers.ACSE_TIMEOUT + 2 * SLACK
        while time.monotonic() - start < limit and not closed:
            if sent < len(hello) - 1:  # never the whole ClientHello
                try:
                    sock.sendall(hello[sent:sent + 1])
                except OSError:
                    closed = True
                    break
                sent += 1
            try:
                closed = sock.recv(100) == b""
            except socket.timeout:
                pass
            except OSError:
                closed = True
        waited = time.monotonic() - start
        sock.close()
        assert closed and waited <= servers.ACSE_TIMEOUT + SLACK, f"closed={closed} after {waited:.1f} s"
        assert proc.poll() is None
    finally:
        stop_group(proc)


def test_a_flood_of_silent_connections_is_bounded(tmp_path):
    # connections that never associate cost a thread each until the ACSE timeout; beyond the
    # association bound plus a fixed allowance they are closed at once, and the server still serves
    from pydcmkit.net.server import CONNECTION_ALLOWANCE
    from tests.interop.conftest import wait_listening
    from tests.support.procs import REPO, free_port, ours, stop_group
    import subprocess
    port = free_port()
    (tmp_path / "out").mkdir()
    proc = subprocess.Popen(ours("dcmrecv") + ["-xf", str(REPO / "examples" / "storescp.cfg"), "Default",
                                               "--max-associations", "2", "-ta", "5", "-od", "out", str(port)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    socks = []
    try:
        wait_listening(port, proc)
        for _ in range(CONNECTION_ALLOWANCE + 40):
            socks.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(1.0)
        threads = len(os.listdir(f"/proc/{proc.pid}/task"))
        assert threads <= 2 + CONNECTION_ALLOWANCE + 4, threads
        for s in socks:
            s.close()
        socks.clear()
        deadline = time.monotonic() + 15
        while True:  # the held slots free up (peers closed), then an echo goes through
            r = subprocess.run(["/usr/bin/echoscu", "-to", "5", "127.0.0.1", str(port)], capture_output=True,
                               timeout=30)
            if r.returncode == 0:
                break
            assert time.monotonic() < deadline, r.stderr
            time.sleep(0.5)
        assert proc.poll() is None
    finally:
        for s in socks:
            s.close()
        stop_group(proc)
