"""man/*.1 are generated from the same option definitions as --help: fail when they drift."""

from pathlib import Path

import pytest

from pydcmkit.cli.testing import assert_manpage_matches, groff_warnings

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tool", ["dcmsend", "dcmrecv", "dcmqrscp"])
def test_manpage_matches_spec(tool):
    module = __import__(f"tools.{tool}", fromlist=["SPEC"])
    assert_manpage_matches(module.SPEC, module.SPEC.man_sections, REPO / "man" / f"{tool}.1")


@pytest.mark.parametrize("tool", ["dcmsend", "dcmrecv", "dcmqrscp"])
def test_manpage_renders_without_warnings(tool):
    assert groff_warnings((REPO / "man" / f"{tool}.1").read_text()) == []


@pytest.mark.parametrize("tool", ["dcmsend", "dcmrecv", "dcmqrscp"])
def test_every_option_is_documented(tool):
    module = __import__(f"tools.{tool}", fromlist=["SPEC"])
    text = (REPO / "man" / f"{tool}.1").read_text().replace("\\-", "-")
    for opt in module.SPEC.options:
        assert opt.long in text, opt.long


# dgate's man page is written by hand (ConQuest's grammar): check it renders and names every
# local action of the command-line parser and every remote command the server registers

def _dgate_man_text() -> str:
    return (REPO / "man" / "dgate.1").read_text().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")


def test_dgate_manpage_renders_without_warnings():
    assert groff_warnings((REPO / "man" / "dgate.1").read_text()) == []


def test_dgate_manpage_documents_every_local_action():
    from pydcmkit.conquest import cmdline
    text = _dgate_man_text()
    actions = {*cmdline._F_ACTIONS.values(), *cmdline._J_ACTIONS.values(), *cmdline._N_ACTIONS.values(),
               *cmdline._SINGLE_ACTIONS.values(), "-ar"} - {"-y"}  # -y: ConQuest's CGI client, not offered
    assert sorted(a for a in actions if a not in text) == []


def test_dgate_manpage_documents_every_remote_command(tmp_path):
    from pydcmkit.conquest.commands import register_all
    from pydcmkit.conquest.remote import RemoteCommandHandler
    from pydcmkit.conquest.server import DgateServer
    from pydcmkit.conquest.service import Dgate
    (tmp_path / "dicom.ini").write_text(
        f"[sscscp]\nMyACRNema = TEST\nTCPPort = 0\nSQLServer = {tmp_path}/db.sqlite\nSqLite = 1\n"
        f"MAGDevices = 1\nMAGDevice0 = {tmp_path}/\n")
    (tmp_path / "acrnema.map").write_text("TEST 127.0.0.1 1 un\n")
    server = DgateServer(Dgate(str(tmp_path / "dicom.ini"), open_database=False))
    handler = RemoteCommandHandler()
    register_all(handler, server)
    text = _dgate_man_text()
    assert handler.commands and sorted(c for c in handler.commands if c not in text) == []
