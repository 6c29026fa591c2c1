"""run_tool: the flow of a DCMTK tool and the one exception -> exit code map."""

import io
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pydcmkit import __version__
from pydcmkit.cli.app import Environment, run_tool
from pydcmkit.cli.help import render_usage
from pydcmkit.cli.testing import run_in_process
from pydcmkit.status import CommandLineError, ExitCode, ToolError
from tests.unit.cli.cli_specs import DCMRECV, DCMSEND, QRLIKE, dcmrecv_like_main

HEADER = f"$pydcmkit: dcmrecv v{__version__} $\n\ndcmrecv: Simple DICOM storage SCP (receiver)\n"


def never(args, env):
    raise AssertionError("main must not run")


def test_no_arguments_prints_usage_when_a_parameter_is_mandatory():
    result = run_in_process(DCMRECV, [], never)
    assert (result.code, result.stdout, result.stderr) == (0, render_usage(DCMRECV), "")


def test_no_arguments_runs_a_tool_with_only_optional_parameters():
    result = run_in_process(QRLIKE, [], lambda a, e: 10)
    assert result.code == 10 and result.stdout == ""


@pytest.mark.parametrize("argv", [["--help", "1", "2", "3"], ["1", "2", "--help"], ["-h"],
                                  ["--version", "-h"], ["-v", "--help", "-ll", "bogus"]])
def test_help_wins(argv):
    result = run_in_process(DCMRECV, argv, never)
    assert (result.code, result.stdout, result.stderr) == (0, render_usage(DCMRECV), "")


def test_version():
    result = run_in_process(DCMRECV, ["--arguments", "-d", "--version"], never)
    assert result.code == 0 and result.stderr == ""
    assert result.stdout.startswith(HEADER + "\nHost type: ")


def test_unknown_option_beats_exclusive_options():
    result = run_in_process(DCMRECV, ["--version", "--bogus"], never)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == HEADER + "error: Unknown option --bogus\n"


def test_tool_exclusive_option_callback():
    def list_decoders(args, env):
        env.stdout.write("Transfer syntaxes supported natively:\n")
        logging.getLogger("pydcmkit").warning("via default logging")
        return 0
    result = run_in_process(DCMSEND, ["--list-decoders", "-aet"], never,
                            exclusive={"--list-decoders": list_decoders})
    assert result.code == 1  # the missing value is a parse error
    result = run_in_process(DCMSEND, ["-q", "--list-decoders"], never,
                            exclusive={"--list-decoders": list_decoders})
    assert (result.code, result.stdout) == (0, "Transfer syntaxes supported natively:\n")
    assert result.stderr == "W: via default logging\n"
    # --version is checked before the tool's own exclusive options
    result = run_in_process(DCMSEND, ["--list-decoders", "--version"], never,
                            exclusive={"--list-decoders": list_decoders})
    assert "Host type" in result.stdout


def test_missing_exclusive_handler_is_an_internal_error():
    result = run_in_process(DCMSEND, ["--list-decoders"], never)
    assert result.code == 1
    assert result.stderr.startswith("F: internal error: RuntimeError: no handler for exclusive "
                                    "option --list-decoders")


@pytest.mark.parametrize("argv, message", [
    (["-aet"], "Missing value for option --aetitle"),
    (["1", "2"], "Too many parameters"),
    (["-xf", "storescp.cfg", "11112"], "Missing parameter port"),
    (["--", "1"], "Unknown option --"),
    (["@/nonexistent.txt"], "Cannot open command file '/nonexistent.txt'"),
    (["-ta", "abc", "11112"], "Invalid value for option --acse-timeout (abc)"),
    (["-pdu", "100", "11112"], "Invalid value for option --max-pdu (underflow: 100)"),
    (["-pdu", "", "11112"], "Invalid value for option --max-pdu"),
    (["-ta", "abc", "0"], "Invalid value for option --acse-timeout (abc)"),
    (["0"], "Invalid parameter value 0 (underflow)"),
    (["70000"], "Invalid parameter value 70000 (overflow)"),
    (["abc"], "Invalid parameter value abc"),
    ([""], "Invalid parameter value "),
    (["+v", "11112"], "--verbose-pc only allowed with verbose mode"),
    (["+B", "+ssd", "11112"], "--bit-preserving not allowed with --series-date-subdir"),
])
def test_command_line_errors(argv, message):
    result = run_in_process(DCMRECV, argv, dcmrecv_like_main)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == HEADER + f"error: {message}\n"


@pytest.mark.parametrize("argv", [["+ssd", "+B", "-s", "11112"], ["+v", "-d", "1"],
                                  ["11160abc"], ["-ta", "5x", "-od", "/x", "-od", ".", "1"]])
def test_accepted_command_lines(argv):
    result = run_in_process(DCMRECV, argv, dcmrecv_like_main)
    assert result.code == 0


@pytest.mark.parametrize("argv", [["-q", "0"], ["-q", "+B", "+ssd", "1"], ["-ll", "fatal", "0"],
                                  ["-q", "-ta", "abc", "1"]])
def test_quiet_mode_suppresses_later_errors(argv):
    result = run_in_process(DCMRECV, argv, dcmrecv_like_main)
    assert (result.code, result.stdout, result.stderr) == (1, "", "")


def test_tool_error_details_and_fatal_message():
    def main(args, env):
        raise ToolError("cannot load association configuration: unable to open configuration "
                        "file: x", ExitCode.INVALID_ASSOCIATION_CONFIG,
                        details=("Unable to parse association configuration file: x",))
    result = run_in_process(DCMRECV, ["1"], main)
    assert result.code == 66
    assert result.stderr == ("E: Unable to parse association configuration file: x\n"
                             "F: cannot load association configuration: unable to open "
                             "configuration file: x\n")


def test_tool_error_without_message_and_with_off():
    result = run_in_process(DCMRECV, ["1"], lambda a, e: (_ for _ in ()).throw(
        ToolError("", ExitCode.CANNOT_START_SCP_AND_LISTEN)))
    assert (result.code, result.stderr) == (64, "")
    result = run_in_process(DCMRECV, ["-ll", "off", "1"], lambda a, e: (_ for _ in ()).throw(
        ToolError("boom", ExitCode.INVALID_OUTPUT_DIRECTORY)))
    assert (result.code, result.stderr) == (45, "")


def test_command_line_error_raised_by_main_before_quiet():
    def main(args, env):
        raise CommandLineError("cannot disable all Q/R models")
    result = run_in_process(QRLIKE, ["-v"], main)
    assert result.code == 1
    assert result.stderr.endswith("\nerror: cannot disable all Q/R models\n")


def test_keyboard_interrupt():
    def main(args, env):
        raise KeyboardInterrupt
    assert run_in_process(DCMRECV, ["1"], main).code == 130


def test_unexpected_exception():
    def main(args, env):
        raise ValueError("boom")
    result = run_in_process(DCMRECV, ["1"], main)
    assert (result.code, result.stderr) == (1, "F: internal error: ValueError: boom\n")
    result = run_in_process(DCMRECV, ["-d", "1"], main)
    assert "D: traceback:\nD: Traceback (most recent call last):\n" in result.stderr
    assert result.stderr.endswith("D: ValueError: boom\n")


def test_main_receives_args_and_environment():
    seen = {}

    def main(args, env):
        seen["args"], seen["env"] = args, env
        env.stdout.write("out\n")
        return 0
    out = io.StringIO()
    environ = Environment(stdout=out, stderr=io.StringIO(), env={})
    assert run_tool(DCMRECV, ["/usr/local/bin/dcmrecv", "-v", "104"], main, environ) == 0
    assert seen["env"] is environ and environ.isatty is False
    assert seen["args"].prog == "/usr/local/bin/dcmrecv"
    assert seen["args"].param("port") == 104
    assert out.getvalue() == "out\n"


def test_argv_none_uses_sys_argv(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["dcmrecv", "--arguments", "7"])
    assert run_tool(DCMRECV, None, lambda a, e: a.param("port"),
                    Environment(env={})) == 7
    assert capsys.readouterr().err == ("I: calling 'dcmrecv' with 2 arguments: '--arguments' '7' "
                                       "\nI: \n")


def test_runs_as_a_subprocess(tmp_path):
    script = tmp_path / "tool.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
        from pydcmkit.cli import run_tool, get_logger
        from tests.unit.cli.cli_specs import DCMRECV

        def main(args, env):
            get_logger("net").info("listening on %d", args.param("port"))
            return 0

        sys.exit(run_tool(DCMRECV, None, main))
    """))
    proc = subprocess.run([sys.executable, str(script), "-v", "11112"], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "I: listening on 11112\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and proc.stdout.startswith("$pydcmkit: dcmrecv v")


def test_minimal_tool_without_general_options():
    from pydcmkit.cli.spec import Option, OptionGroup, Param, ToolSpec
    spec = ToolSpec("mini", "minimal", params=(Param("x", "a value"),),
                    groups=(OptionGroup("g:", (Option("--list", help="list", exclusive=True),)),))
    result = run_in_process(spec, ["--list"], never, exclusive={"--list": lambda a, e: 3})
    assert result.code == 3
    result = run_in_process(spec, ["v"], lambda a, e: len(a.param("x")))
    assert (result.code, result.stderr) == (1, "")
