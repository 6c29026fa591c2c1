"""Starting and stopping peer processes over loopback, with bounded waits."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DCMTK = "/usr/bin"
REPO = Path(__file__).resolve().parents[2]


def dcmtk(tool: str) -> str:
    """Absolute path of a DCMTK tool (PATH may hold pydcmkit's or pynetdicom's tools of the same name)."""
    path = os.path.join(DCMTK, tool)
    if not os.path.exists(path):
        raise RuntimeError(f"DCMTK tool {path} is missing: install the Debian package 'dcmtk'")
    return path


def ours(tool: str) -> list[str]:
    """Command prefix running one of our tools from this checkout."""
    return [sys.executable, "-m", f"tools.{tool}"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it returns something true (returned) or ``timeout`` s pass (AssertionError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def env(**extra) -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    e.update({k: str(v) for k, v in extra.items()})
    return e


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
    """Send ``sig`` to the process group of ``proc`` (started with ``start_new_session``), SIGKILL
    after ``timeout``; the exit status."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    return proc.returncode


class Server:
    """A server process started in ``cwd``; stopped (TERM, then KILL) by :meth:`stop`."""

    def __init__(self, cmd: list[str], port: int, cwd: str | os.PathLike, *, wait: bool = True, **env_extra):
        self.cmd = cmd
        self.port = port
        self.log_path = Path(cwd) / f"server-{port}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env(**env_extra), start_new_session=True)
        if wait:
            try:
                wait_port(port, self.proc)
            except Exception:
                self.stop()
                raise

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        status = stop_group(self.proc, sig, timeout)
        self._log.close()
        return status

    @property
    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run(cmd: list[str], cwd=None, timeout: float = 120, **env_extra) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env(**env_extra),
                          stdin=subprocess.DEVNULL)
