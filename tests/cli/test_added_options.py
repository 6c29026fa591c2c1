"""Options pydcmkit adds to DCMTK's tools: --no-fsync, the progress bar and --no-progress, +cc."""

import io
import subprocess

import pytest

from pydcmkit.cli.app import Environment
from pydcmkit.cli.parser import parse_command_line
from pydcmkit.cli.storeopts import store_settings
from tests.support.procs import Server, dcmtk, free_port, ours, run
from tools import dcmrecv, dcmsend


class TTY(io.StringIO):
    def isatty(self):
        return True


def test_no_fsync_reaches_the_store_settings():
    assert store_settings(parse_command_line(dcmrecv.SPEC, ["11112"])).durable is True
    assert store_settings(parse_command_line(dcmrecv.SPEC, ["--no-fsync", "11112"])).durable is False


def test_no_fsync_receiver_stores(work):
    (work / "out").mkdir()
    port = free_port()
    with Server(ours("dcmrecv") + ["-xf", "my.cfg", "My Profile", "--no-fsync", "-od", "out", str(port)],
                port, work):
        assert run([dcmtk("dcmsend"), "127.0.0.1", str(port), "data/ct1.dcm"], cwd=work).returncode == 0
    assert sorted(p.name for p in (work / "out").iterdir()) == ["CT.1.2.826.0.1.3680043.10.999.4.111"]


@pytest.fixture
def receiver(work):
    (work / "out").mkdir()
    port = free_port()
    srv = Server([dcmtk("dcmrecv"), "-xf", "my.cfg", "My Profile", "-od", "out", str(port)], port, work,
                 TCP_NODELAY=1)
    yield port
    srv.stop()


def _send(work, port, *extra, stderr=None):
    stderr = stderr if stderr is not None else TTY()
    out = io.StringIO()
    import os
    cwd = os.getcwd()
    os.chdir(work)
    try:
        code = dcmsend.main(["dcmsend", *extra, "127.0.0.1", str(port), "data/ct1.dcm", "data/ct2.dcm"],
                            Environment(stdout=out, stderr=stderr, env={}, config_dir=work / "no-config"))
    finally:
        os.chdir(cwd)
    return code, stderr.getvalue()


def test_progress_bar_on_a_terminal(work, receiver):
    code, err = _send(work, receiver)
    assert code == 0
    assert "[" + "#" * 30 + "] 2/2" in err
    assert "sent 2 objects (" in err and " MB/s)" in err


def test_no_progress_and_not_a_terminal(work, receiver):
    code, err = _send(work, receiver, "--no-progress")
    assert code == 0 and err == ""
    code, err = _send(work, receiver, stderr=io.StringIO())
    assert code == 0 and err == ""


def test_final_line_at_verbose_is_logged(work, receiver):
    code, err = _send(work, receiver, "-v")
    assert code == 0 and "I: sent 2 objects (" in err and "] 2/2" not in err


@pytest.mark.parametrize("tool", ["dcmrecv", "dcmsend"])
def test_list_ciphers(tool):
    proc = subprocess.run(ours(tool) + ["+cc"], capture_output=True, text=True, timeout=60,
                          env=__import__("tests.support.procs", fromlist=["env"]).env())
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == "Supported TLS ciphersuites are:" and any("AES" in line for line in lines[1:])
