"""Option defaults from <tool>.conf and PYDCMKIT_<TOOL>_* (pydcmkit extension)."""

from pathlib import Path

import pytest

from pydcmkit.cli.parser import parse_command_line
from pydcmkit.cli.settings import config_dir, env_variable, settings_occurrences
from pydcmkit.cli.testing import run_in_process
from pydcmkit.status import CommandLineError
from tests.unit.cli.cli_specs import DCMRECV, DCMSEND, QRLIKE


def parsed(spec, argv, env=None, conf=None, tmp_path=None):
    directory = None
    if conf is not None:
        directory = tmp_path
        (tmp_path / f"{spec.name}.conf").write_text(conf)
    settings = settings_occurrences(spec, env or {}, directory)
    return parse_command_line(spec, argv, settings=settings)


def test_variable_names():
    assert env_variable("dcmsend", "--aetitle") == "PYDCMKIT_DCMSEND_AETITLE"
    assert env_variable("dcmrecv", "--verbose-pc") == "PYDCMKIT_DCMRECV_VERBOSE_PC"


def test_config_dir_lookup():
    assert config_dir({"PYDCMKIT_CONFIG_DIR": "/a", "XDG_CONFIG_HOME": "/b", "HOME": "/h"}) \
        == Path("/a")
    assert config_dir({"XDG_CONFIG_HOME": "/b", "HOME": "/h"}) == Path("/b/pydcmkit")
    assert config_dir({"HOME": "/h"}) == Path("/h/.config/pydcmkit")
    assert config_dir({}) is None


def test_precedence_command_line_env_config(tmp_path):
    conf = "aetitle = FROMFILE\n"
    env = {"PYDCMKIT_DCMSEND_AETITLE": "FROMENV"}
    base = ["h", "1", "f"]
    assert parsed(DCMSEND, base, tmp_path=tmp_path, conf=conf).value("--aetitle") == "FROMFILE"
    args = parsed(DCMSEND, base, env, conf, tmp_path)
    assert args.value("--aetitle") == "FROMENV"
    assert args.origin("--aetitle") == "environment variable PYDCMKIT_DCMSEND_AETITLE"
    args = parsed(DCMSEND, ["-aet", "CLI", *base], env, conf, tmp_path)
    assert args.value("--aetitle") == "CLI" and args.origin("--aetitle") == "command line"
    assert parsed(DCMSEND, base).value("--aetitle", "DCMSEND") == "DCMSEND"


def test_settings_do_not_count_as_arguments(tmp_path):
    args = parsed(DCMSEND, ["-aet", "X", "h", "1", "f"], {"PYDCMKIT_DCMSEND_VERBOSE": "1"})
    assert args.arguments == ("--aetitle", "X", "h", "1", "f")
    assert args.has("--verbose")
    # an empty command line is still an empty command line
    assert parsed(DCMSEND, [], {"PYDCMKIT_DCMSEND_VERBOSE": "1"}).status == "no_arguments"


def test_config_file_syntax(tmp_path):
    conf = """# comment
; also a comment
aetitle: "MY AE"
call = PEER  # trailing comment
verbose
no-halt = false
--max-pdu 32768
"""
    args = parsed(DCMSEND, ["h", "1", "f"], conf=conf, tmp_path=tmp_path)
    assert args.value("--aetitle") == "MY AE"
    assert args.value("--call") == "PEER"
    assert args.has("--verbose")
    assert not args.has("--no-halt")
    assert args.get("--max-pdu") == 32768


def test_multi_value_and_repeatable(tmp_path):
    conf = "config-file = 'my file.cfg' default\nadd-cert-file = [a.pem, b.pem]\n"
    args = parsed(DCMRECV, ["1"], conf=conf, tmp_path=tmp_path)
    assert args.value("--config-file") == ("my file.cfg", "default")
    assert args.values_all("--add-cert-file") == ["a.pem", "b.pem"]
    env = {"PYDCMKIT_DCMRECV_CONFIG_FILE": "storescp.cfg default"}
    assert parsed(DCMRECV, ["1"], env).value("--config-file") == ("storescp.cfg", "default")


def test_block_members_from_settings_lose_against_command_line(tmp_path):
    conf = "series-date-subdir = true\nquiet = yes\n"
    args = parsed(DCMRECV, ["-s", "-v", "1"], conf=conf, tmp_path=tmp_path)
    assert args.winner("subdir") == "--no-subdir"
    assert args.winner("log") == "--verbose"
    args = parsed(DCMRECV, ["1"], conf=conf, tmp_path=tmp_path)
    assert args.winner("subdir") == "--series-date-subdir"


def test_env_false_overrides_config_true(tmp_path):
    args = parsed(DCMSEND, ["h", "1", "f"], {"PYDCMKIT_DCMSEND_NO_HALT": "0"},
                  "no-halt = true\n", tmp_path)
    assert not args.has("--no-halt")


@pytest.mark.parametrize("conf, message", [
    ("bogus = 1\n", "Unknown option --bogus in configuration file {path}"),
    ("help = true\n", "Option --help cannot be set in configuration file {path}"),
    ("port = 104\n", "Parameter port cannot be set in configuration file {path}"),
    ("config-file = only-one\n", "Missing value for option --config-file in configuration "
                                 "file {path}"),
    ("aetitle = [A, B]\n", "Option --aetitle takes no list in configuration file {path}"),
    ("verbose = maybe\n", "Invalid value for option --verbose (maybe) in configuration file "
                          "{path}"),
    ("config-file = a b c\n", "Too many values for option --config-file in configuration file "
                              "{path}"),
])
def test_config_errors(tmp_path, conf, message):
    (tmp_path / "dcmrecv.conf").write_text(conf)
    with pytest.raises(CommandLineError) as err:
        settings_occurrences(DCMRECV, {}, tmp_path)
    assert err.value.message == message.format(path=tmp_path / "dcmrecv.conf")


@pytest.mark.parametrize("variable, message", [
    ("PYDCMKIT_DCMRECV_BOGUS", "Unknown option --bogus in environment variable "
                               "PYDCMKIT_DCMRECV_BOGUS"),
    ("PYDCMKIT_DCMRECV_VERSION", "Option --version cannot be set in environment variable "
                                 "PYDCMKIT_DCMRECV_VERSION"),
    ("PYDCMKIT_DCMRECV_PORT", "Parameter port cannot be set in environment variable "
                              "PYDCMKIT_DCMRECV_PORT"),
])
def test_environment_errors(variable, message):
    with pytest.raises(CommandLineError) as err:
        settings_occurrences(DCMRECV, {variable: "1"}, None)
    assert err.value.message == message


def test_other_tools_variables_are_ignored():
    assert settings_occurrences(DCMRECV, {"PYDCMKIT_DCMSEND_BOGUS": "1",
                                          "PYDCMKIT_CONFIG_DIR": "/nonexistent"}) == []


def test_runner_reports_settings_errors_and_uses_config_dir_variable(tmp_path):
    (tmp_path / "qrlike.conf").write_text("bogus = 1\n")
    result = run_in_process(QRLIKE, [], lambda a, e: 0,
                            env={"PYDCMKIT_CONFIG_DIR": str(tmp_path)})
    assert result.code == 1
    assert result.stderr.endswith(
        f"error: Unknown option --bogus in configuration file {tmp_path / 'qrlike.conf'}\n")
    (tmp_path / "qrlike.conf").write_text("config = x.cfg\n")
    seen = {}
    result = run_in_process(QRLIKE, [], lambda a, e: seen.setdefault("c", a.value("--config"))
                            and 0, env={"XDG_CONFIG_HOME": str(tmp_path.parent),
                                        "PYDCMKIT_CONFIG_DIR": str(tmp_path)})
    assert result.code == 0 and seen["c"] == "x.cfg"
