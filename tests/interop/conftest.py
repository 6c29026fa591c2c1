"""Fixtures for loopback tests against real peers (DCMTK 3.6.7 from Debian, pynetdicom)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.support.procs import Server, dcmtk, free_port, ours, run, wait_until  # noqa: F401 (re-exported)

STORESCP_CFG = "/etc/dcmtk/storescp.cfg"


from tests.support.isolation import isolated_settings  # noqa: E402,F401  (autouse fixture)


def listening(port: int) -> bool:
    """Whether a socket listens on ``port`` (from /proc, so the server sees no probe connection,
    which it would log)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for row in f:
                    fields = row.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except FileNotFoundError:
            continue
    return False


def wait_listening(port: int, proc, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        if listening(port):
            return
        time.sleep(0.03)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


class Servers:
    """Starts servers (our tools or DCMTK's) on free ports; all are stopped at teardown."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.started: list[Server] = []

    def start(self, cmd_without_port: list[str], *, port: int | None = None, cwd=None, wait: bool = True,
              **env) -> Server:
        port = port or free_port()
        cmd = [str(port) if part == "{port}" else part for part in cmd_without_port]
        if "{port}" not in cmd_without_port:
            cmd.append(str(port))
        server = Server(cmd, port, cwd or self.cwd, wait=False, **env)
        self.started.append(server)
        if wait:
            wait_listening(port, server.proc)
        return server

    def ours(self, *args: str, **kw) -> Server:
        """Our dcmrecv with ``args`` (the port is appended unless ``{port}`` appears)."""
        return self.start(ours("dcmrecv") + list(args), **kw)

    def dcmtk(self, tool: str, *args: str, **kw) -> Server:
        return self.start([dcmtk(tool)] + list(args), **kw)

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


@pytest.fixture
def servers(work):
    pool = Servers(work)
    yield pool
    pool.stop_all()


def wait_log(server: Server, text: str, count: int = 1, timeout: float = 10.0) -> str:
    """Wait until ``text`` occurs ``count`` times in the server's log; return the log."""
    wait_until(lambda: server.log.count(text) >= count, timeout, what=f"{text!r} x{count} in server log:\n"
               f"{server.log}")
    return server.log


def dcmsend(*args, cwd, timeout: float = 60, **env):
    """DCMTK's dcmsend."""
    return run([dcmtk("dcmsend"), *map(str, args)], cwd=cwd, timeout=timeout, **env)


def our_dcmsend(*args, cwd, timeout: float = 60, **env):
    return run(ours("dcmsend") + [str(a) for a in args], cwd=cwd, timeout=timeout, **env)


def lines(text: str) -> list[str]:
    """Log lines, without Python warnings (pydicom may warn about deliberately bad input)."""
    out, skip = [], False
    for line in text.splitlines():
        if skip and line.startswith("  "):
            skip = False
            continue
        skip = bool(re.search(r"\.py:\d+: \w*Warning: ", line))
        if not skip:
            out.append(line)
    return out
