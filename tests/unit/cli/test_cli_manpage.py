"""Man pages generated from the ToolSpec."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pydcmkit.cli.manpage import escape, load_spec, main, render_man
from pydcmkit.cli.spec import Option, OptionGroup, ToolSpec
from pydcmkit.cli.testing import assert_manpage_matches, groff_warnings
from tests.unit.cli.cli_specs import DCMRECV, DCMSEND, QRLIKE

SECTIONS = [
    ("NOTES", "First paragraph with -v and a .dot.\n\n"
              ".leading dot line\n\n  preformatted -x\n  second line"),
    ("EXIT CODES", [(0, "no error"), (1, "command line syntax error"),
                    (45, "invalid output directory")]),
    ("DIFFERENCES FROM DCMTK", "Identification string is pydcmkit's."),
    ("ENVIRONMENT", "DCMDICTPATH is ignored."),
    ("SEE ALSO", "dcmsend(1), dcmqrscp(1)"),
]

ROOT = Path(__file__).resolve().parents[3]


def test_structure():
    text = render_man(DCMRECV, SECTIONS)
    headings = [line for line in text.splitlines() if line.startswith(".SH")]
    assert headings == [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH PARAMETERS",
                        ".SH OPTIONS", ".SH NOTES", ".SH EXIT CODES",
                        ".SH DIFFERENCES FROM DCMTK", ".SH ENVIRONMENT", ".SH FILES",
                        ".SH SEE ALSO"]
    assert ".SS network options" in text
    assert "\\fB\\-aet\\fR, \\fB\\-\\-aetitle\\fR \\fI[a]etitle: string\\fR" in text
    assert "PYDCMKIT_DCMRECV_" in text and "DCMDICTPATH is ignored." in text
    assert "\\&.leading dot line" in text


def test_generated_sections_without_tool_sections():
    text = render_man(DCMSEND, [])
    assert text.splitlines()[-1] != ""
    assert [line for line in text.splitlines() if line.startswith(".SH")][-2:] == \
        [".SH ENVIRONMENT", ".SH FILES"]
    assert "dcmsend.conf" in text


def test_escape():
    assert escape("a-b\\c") == "a\\-b\\ec"
    assert escape(".x\n'y\nz") == "\\&.x\n\\&'y\nz"


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff not installed")
@pytest.mark.parametrize("spec", [DCMRECV, DCMSEND, QRLIKE])
def test_groff_renders_without_warnings(spec):
    text = render_man(spec, SECTIONS)
    assert groff_warnings(text) == []
    rendered = subprocess.run(["groff", "-man", "-Tutf8"], input=text, capture_output=True,
                              text=True, timeout=30).stdout
    plain = re.sub(".\x08", "", rendered).replace("\u2010", "-").replace("\u2212", "-")
    assert "-ll, --log-level [l]evel: string constant" in plain
    assert spec.name.upper() + "(1)" in plain


def test_groff_warnings_detects_problems():
    if shutil.which("groff") is None:
        pytest.skip("groff not installed")
    assert groff_warnings(".TH X 1\n.SH NAME\n.BOGUSMACRO\n") != []


def test_option_manual_text():
    spec = ToolSpec("t", "d", groups=(OptionGroup("g:", (
        Option("--flag", "-f", help="short help", manual="Longer text.\n\nSecond paragraph."),)),))
    text = render_man(spec, [])
    assert "short help\n.IP\nLonger text.\n.IP\nSecond paragraph." in text


def test_assert_manpage_matches(tmp_path):
    path = tmp_path / "dcmrecv.1"
    path.write_text(render_man(DCMRECV, SECTIONS))
    assert_manpage_matches(DCMRECV, SECTIONS, path)
    drifted = ToolSpec(DCMRECV.name, DCMRECV.description, DCMRECV.params,
                       DCMRECV.groups[:1] + DCMRECV.groups[2:])
    with pytest.raises(AssertionError, match="out of date"):
        assert_manpage_matches(drifted, SECTIONS, path)
    with pytest.raises(AssertionError, match="out of date"):
        assert_manpage_matches(DCMRECV, SECTIONS, tmp_path / "missing.1")


def test_module_entry_point(tmp_path, capsys):
    target = "tests.unit.cli.cli_specs:DCMSEND"
    assert load_spec(target) is DCMSEND
    out = tmp_path / "dcmsend.1"
    assert main([target, "-o", str(out)]) == 0
    assert out.read_text() == render_man(DCMSEND)
    assert main([target, "--check", str(out)]) == 0
    out.write_text("stale\n")
    assert main([target, "--check", str(out)]) == 1
    assert "+stale" not in capsys.readouterr().out
    proc = subprocess.run([sys.executable, "-m", "pydcmkit.cli.manpage", target], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == render_man(DCMSEND)
    assert proc.stderr == ""


@pytest.mark.skipif(shutil.which("man") is None, reason="man not installed")
def test_man_l_renders(tmp_path):
    path = tmp_path / "dcmrecv.1"
    path.write_text(render_man(DCMRECV, SECTIONS))
    proc = subprocess.run(["man", "-l", str(path)], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "MANPAGER": "cat", "PAGER": "cat",
                               "MANWIDTH": "80"})
    assert proc.returncode == 0
    assert "SYNOPSIS" in proc.stdout and "dcmrecv [options] port" in proc.stdout
