"""The argument model (dcmtk-cli.md 1): classification, values, parameters, blocks."""

import pytest

from pydcmkit.cli.parser import (EXCLUSIVE, NO_ARGUMENTS, NORMAL, check_conflict,
                                 check_dependence, parse_command_line)
from pydcmkit.cli.spec import Option, OptionGroup, Param, ToolSpec, is_option_token
from pydcmkit.status import CommandLineError
from tests.unit.cli.cli_specs import DCMRECV, DCMSEND, QRLIKE


def parse(spec, *args):
    return parse_command_line(spec, list(args))


def error(spec, *args):
    with pytest.raises(CommandLineError) as err:
        parse(spec, *args)
    assert err.value.exit_code == 1
    return err.value.message


@pytest.mark.parametrize("arg, is_option", [
    ("-v", True), ("+v", True), ("--verbose", True), ("+fsu", True), ("-xf", True),
    ("-", False), ("-5", False), ("+1", False), ("--", True), ("-vd", True), ("", False),
    ("x", False), ("-x5", True), ("@", False),
])
def test_classification(arg, is_option):
    assert is_option_token(arg) is is_option


@pytest.mark.parametrize("arg", ["--", "-vd", "--aetitle=X", "--verb", "-V", "+aet"])
def test_unknown_options(arg):
    assert error(DCMRECV, arg, "11112") == f"Unknown option {arg}"


def test_plus_and_minus_are_different_options():
    args = parse(DCMRECV, "+v", "-v", "11112")
    assert args.has("--verbose-pc") and args.has("--verbose")


def test_values_are_consumed_verbatim():
    args = parse(DCMSEND, "-aet", "-v", "127.0.0.1", "11112", "f.dcm")
    assert args.value("--aetitle") == "-v"
    assert not args.has("--verbose")
    assert args.params == ("127.0.0.1", "11112", "f.dcm")


def test_two_values_and_missing_parameter():
    args = parse(DCMRECV, "-xf", "storescp.cfg", "default", "11112")
    assert args.value("--config-file") == ("storescp.cfg", "default")
    assert error(DCMRECV, "-xf", "storescp.cfg", "11112") == "Missing parameter port"


def test_three_values():
    args = parse(QRLIKE, "-xf", "f", "in", "out")
    assert args.value("--assoc-config-file") == ("f", "in", "out")
    assert args.params == ()


@pytest.mark.parametrize("argv, long", [
    (["-aet"], "--aetitle"), (["11112", "-xf", "a"], "--config-file"),
    (["+tls", "key"], "--enable-tls"),
])
def test_missing_value(argv, long):
    assert error(DCMRECV, *argv) == f"Missing value for option {long}"


def test_scan_stops_at_first_error():
    assert error(DCMRECV, "--bogus", "-aet") == "Unknown option --bogus"
    assert error(DCMRECV, "-aet") == "Missing value for option --aetitle"
    # the missing value is found before --help could take effect
    assert error(DCMRECV, "--help", "-aet") == "Missing value for option --aetitle"


def test_parameters_interleave_with_options():
    a = parse(DCMRECV, "-v", "11112", "-od", "out")
    b = parse(DCMRECV, "11112", "-v", "-od", "out")
    assert a.arguments == ("--verbose", "11112", "--output-directory", "out")
    assert a.params == b.params == ("11112",)
    assert a.value("--output-directory") == b.value("--output-directory") == "out"


def test_arguments_use_long_names_and_keep_tokens():
    args = parse(DCMSEND, "-aet", "X", "127.0.0.1", "1", "/nonexist")
    assert args.arguments == ("--aetitle", "X", "127.0.0.1", "1", "/nonexist")
    assert args.tokens == ("-aet", "X", "127.0.0.1", "1", "/nonexist")


def test_parameter_counts():
    assert error(DCMSEND, "h", "1") == "Missing parameter dcmfile-in"
    assert error(DCMSEND, "h") == "Missing parameter port"
    assert error(DCMSEND, "-v") == "Missing parameter peer"
    assert error(DCMRECV, "1", "2") == "Too many parameters"
    assert error(QRLIKE, "1", "2") == "Too many parameters"
    assert parse(DCMSEND, "h", "1", "a", "b", "c").param("dcmfile-in") == ["a", "b", "c"]
    assert parse(QRLIKE, "-v").param("port") is None
    assert parse(QRLIKE, "104").param("port") == 104


def test_statuses():
    assert parse(DCMRECV).status == NO_ARGUMENTS
    assert parse(QRLIKE).status == NO_ARGUMENTS
    assert parse(DCMRECV, "11112").status == NORMAL
    # exclusive options skip the parameter count check
    for argv in (["--help", "1", "2", "3"], ["1", "2", "--help"], ["--version"],
                 ["--arguments", "-d", "--version"]):
        assert parse(DCMRECV, *argv).status == EXCLUSIVE
    assert parse(DCMSEND, "--list-decoders").status == EXCLUSIVE
    assert error(DCMRECV, "--version", "--bogus") == "Unknown option --bogus"


def test_empty_command_file_means_no_arguments(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    assert parse(DCMRECV, f"@{tmp_path}/empty.txt").status == NO_ARGUMENTS
    assert error(DCMRECV, f"@{tmp_path}/empty.txt", "-q") == "Missing parameter port"


def test_rightmost_value_and_repeatable():
    args = parse(DCMRECV, "-od", "/nonexistent", "-od", ".", "11112")
    assert args.value("--output-directory") == "."
    assert args.values_all("--output-directory") == ["/nonexistent", "."]
    assert args.count("--output-directory") == 2
    args = parse(DCMRECV, "+cf", "a.pem", "+cf", "b.pem", "1")
    assert args.values_all("--add-cert-file") == ["a.pem", "b.pem"]
    assert args.value("--dimse-timeout", "unlimited") == "unlimited"
    assert args.value("--verbose") is None
    assert parse(DCMRECV, "-v", "1").value("--verbose") is True


def test_ordinary_block_rightmost_wins():
    assert parse(DCMRECV, "+ssd", "+B", "-s", "1").winner("subdir") == "--no-subdir"
    assert parse(DCMRECV, "+B", "+ssd", "1").winner("subdir") == "--series-date-subdir"
    assert parse(DCMRECV, "1").winner("subdir") is None
    args = parse(DCMRECV, "+fu", "+fst", "+fd", "+fsu", "1")
    assert args.winner("names") == "--short-unique-names"
    # tested in source order: +fd (honoured), +fu (left of +fd: ignored), +fsu (honoured), +fst
    # (ignored); the last honoured member is the rightmost one, so assignments in source
    # order give "rightmost wins"
    assert args.honoured("names") == ("--default-filenames", "--short-unique-names")


@pytest.mark.parametrize("argv, honoured", [
    (["-ZA", "-ZH", "-ZV"], ("--move-aetitle", "--move-host", "--move-vendor")),
    (["-ZH", "-ZV"], ("--move-host", "--move-vendor")),
    (["-ZV", "-ZH"], ("--move-host",)),
    (["-ZA", "-ZH", "-ZV", "--move-unrestricted"], ("--move-unrestricted",)),
    (["--move-unrestricted", "-ZV"], ("--move-unrestricted", "--move-vendor")),
    (["-ZV", "-ZA", "-ZH", "-ZV"], ("--move-aetitle", "--move-host", "--move-vendor")),
    ([], ()),
])
def test_dcmqrscp_block_rule(argv, honoured):
    args = parse(QRLIKE, *argv)
    assert args.honoured("Z") == honoured
    for long in ("--move-unrestricted", "--move-aetitle", "--move-host", "--move-vendor"):
        assert args.is_honoured(long) is (long in honoured)


def test_block_rule_with_tool_source_order():
    args = parse(QRLIKE, "-ZV", "-ZH")
    order = ("--move-unrestricted", "--move-vendor", "--move-host", "--move-aetitle")
    assert args.honoured("Z", order) == ("--move-vendor", "--move-host")


def test_typed_access():
    args = parse(DCMRECV, "-ta", "5x", "-pdu", "100", "-td", "abc", "11160abc")
    assert args.get("--acse-timeout") == 5
    assert args.param("port") == 11160
    assert args.get("--aetitle", "DCMRECV") == "DCMRECV"
    with pytest.raises(CommandLineError, match=r"^Invalid value for option --max-pdu "
                                               r"\(underflow: 100\)$"):
        args.get("--max-pdu")
    with pytest.raises(CommandLineError, match=r"^Invalid value for option --dimse-timeout "
                                               r"\(abc\)$"):
        args.get("--dimse-timeout")
    args = parse(QRLIKE, "+p", "8", "x")
    with pytest.raises(CommandLineError, match=r"--padding-create \(x\)$"):
        args.get("--padding-create")
    assert parse(QRLIKE, "+p", "8", "2").get("--padding-create") == (8, 2)
    assert parse(DCMRECV, "+cf", "a", "+cf", "b", "1").get_all("--add-cert-file") == ["a", "b"]


@pytest.mark.parametrize("port, message", [
    ("0", "Invalid parameter value 0 (underflow)"),
    ("70000", "Invalid parameter value 70000 (overflow)"),
    ("abc", "Invalid parameter value abc"),
    ("-5", "Invalid parameter value -5 (overflow)"),
])
def test_parameter_values(port, message):
    args = parse(DCMRECV, port)
    with pytest.raises(CommandLineError) as err:
        args.param("port")
    assert err.value.message == message


def test_programming_errors_are_key_errors():
    args = parse(DCMRECV, "1")
    with pytest.raises(KeyError):
        args.has("--no-such-option")
    with pytest.raises(KeyError):
        args.has("-v")  # short names are not used to ask
    with pytest.raises(KeyError):
        args.winner("no-such-block")
    with pytest.raises(KeyError):
        args.param("nope")


def test_conflict_and_dependence_messages():
    with pytest.raises(CommandLineError, match="^--bit-preserving not allowed with "
                                               "--series-date-subdir$"):
        check_conflict("--bit-preserving", "--series-date-subdir", True)
    check_conflict("a", "b", False)
    with pytest.raises(CommandLineError, match="^--scan-pattern only allowed with "
                                               "--scan-directories$"):
        check_dependence("--scan-pattern", "--scan-directories", False)
    check_dependence("a", "b", True)


def test_spec_validation():
    with pytest.raises(ValueError):
        Option("-x")
    with pytest.raises(ValueError):
        Option("--x", "-5")
    with pytest.raises(ValueError):
        ToolSpec("t", "d", groups=(OptionGroup("g:", (Option("--a", "-a"), Option("--b", "-a"))),))
    with pytest.raises(ValueError):
        ToolSpec("t", "d", params=(Param("a", kind="optional"), Param("b")))
    with pytest.raises(ValueError):
        ToolSpec("t", "d", params=(Param("a", kind="repeat"), Param("b", kind="optional")))
    with pytest.raises(ValueError):
        Param("p", kind="sometimes")


def test_usage_syntax():
    assert DCMSEND.usage_syntax == "dcmsend [options] peer port dcmfile-in..."
    assert QRLIKE.usage_syntax == "qrlike [options] [port]"
    spec = ToolSpec("dcmqridx", "x", params=(Param("index-out"),
                                            Param("dcmfile-in", kind="repeat_optional")))
    assert spec.usage_syntax == "dcmqridx index-out [dcmfile-in...]"
    assert spec.min_params == 1 and spec.max_params is None


def test_validate_checks_unread_values_in_declaration_order():
    parse(DCMRECV, "-pdu", "5000", "-ta", "3", "104").validate()
    args = parse(DCMRECV, "-pdu", "100", "-ta", "abc", "0")
    with pytest.raises(CommandLineError, match=r"--acse-timeout \(abc\)$"):
        args.validate()
    with pytest.raises(CommandLineError, match=r"^Invalid parameter value 0 \(underflow\)$"):
        parse(DCMRECV, "0").validate()
