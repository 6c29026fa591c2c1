"""Run dcmsend/dcmrecv/dcmqrscp in-process (``main(argv, Environment)``) or as a subprocess, the same way."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from pydcmkit.cli.app import Environment
from tests.support import procs
from tools import dcmqrscp, dcmrecv, dcmsend

TOOLS = {"dcmsend": dcmsend, "dcmrecv": dcmrecv, "dcmqrscp": dcmqrscp}
MODES = ("in-process", "subprocess")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


from tests.support.isolation import isolated_settings  # noqa: E402,F401  (autouse fixture)


class Runner:
    """``runner(tool, *args)`` runs a tool in this runner's mode from ``cwd``.

    ``env`` holds PYDCMKIT_* variables and ``config_dir`` the directory of ``<tool>.conf``; both
    reach the tool through :class:`Environment` in-process and through the real environment in
    a subprocess.
    """

    def __init__(self, mode: str, cwd: Path):
        self.mode = mode
        self.cwd = cwd

    def argv0(self, tool: str) -> str:
        """argv[0] as the tool sees it (``--arguments`` prints it as given)."""
        return tool if self.mode == "in-process" else str(procs.REPO / "tools" / f"{tool}.py")

    def __call__(self, tool: str, *args, env: dict | None = None, config_dir: Path | None = None,
                 timeout: float = 60) -> Result:
        args = [str(a) for a in args]
        if self.mode == "in-process":
            out, err = io.StringIO(), io.StringIO()
            environ = Environment(stdout=out, stderr=err, stdin=io.StringIO(""), env=dict(env or {}),
                                  config_dir=config_dir or Path(os.environ["PYDCMKIT_CONFIG_DIR"]))
            old = os.getcwd()
            os.chdir(self.cwd)
            try:
                code = TOOLS[tool].main([tool, *args], environ)
            finally:
                os.chdir(old)
            return Result(int(code), out.getvalue(), err.getvalue())
        extra = dict(env or {})
        if config_dir is not None:
            extra["PYDCMKIT_CONFIG_DIR"] = str(config_dir)
        r = procs.run(procs.ours(tool) + args, cwd=self.cwd, timeout=timeout, **extra)
        return Result(r.returncode, r.stdout, r.stderr)


@pytest.fixture(params=MODES)
def tool(request, work) -> Runner:
    return Runner(request.param, work)
