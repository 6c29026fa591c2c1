"""Helpers for tool tests: run a tool in-process, check that ``man/*.1`` has not drifted."""

from __future__ import annotations

import difflib
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from pydcmkit.cli.app import Environment, ToolMain, run_tool
from pydcmkit.cli.manpage import render_man
from pydcmkit.cli.spec import ToolSpec


@dataclass
class ToolResult:
    """Exit code and captured output of an in-process run."""

    code: int
    stdout: str
    stderr: str


def run_in_process(spec: ToolSpec, argv: Sequence[str], main: ToolMain, *,
                   env: Mapping[str, str] | None = None, config_dir: Path | None = None,
                   exclusive=None, stdin: str = "") -> ToolResult:
    """Run ``main`` through :func:`~pydcmkit.cli.app.run_tool` with captured streams.

    ``argv`` excludes the program name (``spec.name`` is used); ``env`` defaults to an empty
    environment so that the developer's own ``PYDCMKIT_*`` settings do not leak into tests.
    """
    out, err = io.StringIO(), io.StringIO()
    environ = Environment(stdout=out, stderr=err, stdin=io.StringIO(stdin),
                          env=dict(env or {}), config_dir=config_dir, isatty=False)
    code = run_tool(spec, [spec.name, *argv], main, environ, exclusive=exclusive)
    return ToolResult(code, out.getvalue(), err.getvalue())


def groff_warnings(roff: str) -> list[str]:
    """Warnings of ``groff -man -ww -z`` for ``roff`` (empty list if groff is missing)."""
    groff = shutil.which("groff")
    if groff is None:
        return []
    proc = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z"], input=roff,
                          capture_output=True, text=True, timeout=30)
    return [line for line in proc.stderr.splitlines() if line.strip()]


def assert_manpage_matches(spec: ToolSpec, sections: Iterable | None, path: str | Path) -> None:
    """Fail when the man page at ``path`` differs from the one generated from ``spec``.

    ``sections`` as for :func:`~pydcmkit.cli.manpage.render_man` (``None``: the spec's own).
    The message shows a diff and the command that regenerates the file.
    """
    expected = render_man(spec, sections)
    path = Path(path)
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if current != expected:
        diff = "".join(difflib.unified_diff(current.splitlines(True), expected.splitlines(True),
                                            str(path), "generated", n=1))
        raise AssertionError(
            f"{path} is out of date with the {spec.name} option spec; regenerate it with "
            f"'python -m pydcmkit.cli.manpage <module>:<SPEC> -o {path}'\n{diff}")
    problems = groff_warnings(expected)
    if problems:
        raise AssertionError(f"groff warnings for {path}:\n" + "\n".join(problems))
