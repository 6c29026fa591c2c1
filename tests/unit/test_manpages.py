"""man/*.1 are generated from the same option definitions as --help: fail when they drift."""

from pathlib import Path

import pytest

from pydcmkit.cli.testing import assert_manpage_matches, groff_warnings

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tool", ["dcmsend", "dcmrecv"])
def test_manpage_matches_spec(tool):
    module = __import__(f"tools.{tool}", fromlist=["SPEC"])
    assert_manpage_matches(module.SPEC, module.SPEC.man_sections, REPO / "man" / f"{tool}.1")


@pytest.mark.parametrize("tool", ["dcmsend", "dcmrecv"])
def test_manpage_renders_without_warnings(tool):
    assert groff_warnings((REPO / "man" / f"{tool}.1").read_text()) == []


@pytest.mark.parametrize("tool", ["dcmsend", "dcmrecv"])
def test_every_option_is_documented(tool):
    module = __import__(f"tools.{tool}", fromlist=["SPEC"])
    text = (REPO / "man" / f"{tool}.1").read_text().replace("\\-", "-")
    for opt in module.SPEC.options:
        assert opt.long in text, opt.long
