"""Logging options and layouts (dcmtk-cli.md 5, 7)."""

import logging
import os
import re

import pytest

from pydcmkit.cli.levels import TRACE, level_letter, level_name, parse_level
from pydcmkit.cli.logconfig import PatternLayout, simple_layout, substitute
from pydcmkit.cli.testing import run_in_process
from tests.unit.cli.cli_specs import DCMRECV, DCMSEND

LOG = logging.getLogger("pydcmkit.net")
APP = logging.getLogger("pydcmkit.apps.dcmrecv")


def emit_all(args, env):
    for level in (TRACE, logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR,
                  logging.CRITICAL):
        LOG.log(level, "msg %d", level)
    return 0


def levels_shown(result):
    return [line.split(":")[0] for line in result.stderr.splitlines() if "msg" in line]


@pytest.mark.parametrize("argv, shown", [
    ([], ["W", "E", "F"]),
    (["-q"], ["F"]),
    (["-v"], ["I", "W", "E", "F"]),
    (["-d"], ["D", "I", "W", "E", "F"]),
    (["-v", "-q"], ["F"]),
    (["-q", "-v"], ["I", "W", "E", "F"]),
    (["-d", "-v"], ["I", "W", "E", "F"]),
    (["-ll", "trace"], ["T", "D", "I", "W", "E", "F"]),
    (["-ll", "ALL"], ["T", "D", "I", "W", "E", "F"]),
    (["-ll", "Error"], ["E", "F"]),
    (["-ll", "fatal"], ["F"]),
    (["-ll", "off"], []),
])
def test_levels(argv, shown):
    result = run_in_process(DCMRECV, [*argv, "11112"], emit_all)
    assert result.code == 0
    assert levels_shown(result) == shown


@pytest.mark.parametrize("argv, message", [
    (["-q", "-ll", "bogus"], "--log-level not allowed with --verbose, --debug or --quiet"),
    (["-ll", "info", "-v"], "--log-level not allowed with --verbose, --debug or --quiet"),
    (["-ll", "bogus"], "Invalid log level for --log-level option"),
    (["-ll", ""], "Invalid log level for --log-level option"),
    (["-ll", "info", "-lc", "x"], "--log-config not allowed with --log-level"),
    (["-lc", "x", "-ll", "info"], "--log-config not allowed with --log-level"),
    (["-lc", "x", "-v"], "--log-config not allowed with --verbose, --debug or --quiet"),
    (["-q", "-lc", "x"], "--log-config not allowed with --verbose, --debug or --quiet"),
    (["-lc", "/nonexistent"], "Specified --log-config file does not exist"),
    (["-lc", "/"], "Specified --log-config file does not exist"),
])
def test_logging_option_errors_are_printed_even_with_quiet(argv, message):
    result = run_in_process(DCMRECV, [*argv, "11112"], emit_all)
    assert result.code == 1
    assert result.stderr == ("$pydcmkit: dcmrecv v0.1.0 $\n\n"
                             "dcmrecv: Simple DICOM storage SCP (receiver)\n"
                             f"error: {message}\n").replace("0.1.0", _version())
    assert result.stdout == ""


def _version():
    from pydcmkit import __version__
    return __version__


@pytest.mark.parametrize("content, message", [
    ("", "does not contain any settings"),
    ("# only comment\n", "does not contain any settings"),
    ("foo\n", "does not contain any settings"),
    ("foo = bar\n", "does not contain any valid settings"),
    ("log4cplus.logger.x = INFO\n", "does not set up log4cplus.rootLogger"),
    ("log4cplus.rootLogger = INFO, a\nlog4cplus.appender.a=log4cplus::SocketAppender\n",
     "does not contain any valid settings"),
    ("log4cplus.rootLogger = INFO, a\nlog4cplus.appender.a=log4cplus::ConsoleAppender\n"
     "log4cplus.appender.a.layout=log4cplus::PatternLayout\n"
     "log4cplus.appender.a.layout.ConversionPattern=%Z %m%n\n",
     "does not contain any valid settings"),
    ("log4cplus.rootLogger = LOUD\n", "does not contain any valid settings"),
])
def test_log_config_file_checks(tmp_path, content, message):
    path = tmp_path / "log.cfg"
    path.write_text(content)
    result = run_in_process(DCMRECV, ["-lc", str(path), "11112"], emit_all)
    assert result.code == 1
    assert result.stderr.endswith(f"error: Specified --log-config file {message}\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_log_config_unreadable(tmp_path):
    path = tmp_path / "log.cfg"
    path.write_text("log4cplus.rootLogger = INFO\n")
    path.chmod(0)
    result = run_in_process(DCMRECV, ["-lc", str(path), "11112"], emit_all)
    assert result.stderr.endswith("error: Specified --log-config file cannot be read\n")


def test_log_config_console_and_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logger.cfg").write_text(
        "log4cplus.rootLogger = DEBUG, console, logfile\n"
        "log4cplus.appender.console = log4cplus::ConsoleAppender\n"
        "log4cplus.appender.console.Threshold = INFO\n"
        "log4cplus.appender.console.logToStderr = true\n"
        "log4cplus.appender.logfile = log4cplus::FileAppender\n"
        "log4cplus.appender.logfile.File = ${appname}.log\n"
        "log4cplus.appender.logfile.Append = true\n"
        "log4cplus.appender.console.layout = log4cplus::PatternLayout\n"
        "log4cplus.appender.logfile.layout = log4cplus::PatternLayout\n"
        "log4cplus.appender.console.layout.ConversionPattern = %D{%H:%M:%S} %5p: %m%n\n"
        "log4cplus.appender.logfile.layout.ConversionPattern = "
        "%D{%Y-%m-%d %H:%M:%S.%q} %5p - %-8c{1} - %m%n\n")
    result = run_in_process(DCMRECV, ["-lc", "logger.cfg", "11112"], emit_all)
    assert result.code == 0
    lines = result.stderr.splitlines()
    assert [line[9:] for line in lines] == [" INFO: msg 20", " WARN: msg 30", "ERROR: msg 40",
                                           "FATAL: msg 50"]
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", line[:8]) for line in lines)
    logged = (tmp_path / "dcmrecv.log").read_text().splitlines()
    assert len(logged) == 7  # the identification line + its empty line + DEBUG..FATAL
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} DEBUG - dcmrecv  - "
                        r"\$pydcmkit: dcmrecv v\S+ \$", logged[0])
    assert logged[2].endswith("DEBUG - net      - msg 10")


def test_log_config_default_layout_and_stdout(tmp_path):
    (tmp_path / "f.cfg").write_text("log4cplus.rootLogger = info , c\n"
                                    "log4cplus.appender.c=log4cplus::ConsoleAppender\n")
    result = run_in_process(DCMRECV, ["-lc", str(tmp_path / "f.cfg"), "--arguments", "1"],
                            emit_all)
    # SimpleLayout to stdout; the --arguments message is not split into prefixed lines
    assert result.stdout.startswith(f"INFO - calling 'dcmrecv' with 4 arguments: '--log-config' "
                                    f"'{tmp_path / 'f.cfg'}' '--arguments' '1' \n\n")
    assert "WARN - msg 30\n" in result.stdout
    assert result.stderr == ""


def test_log_config_quiet_mode_and_invalid_appender(tmp_path):
    (tmp_path / "q.cfg").write_text("log4cplus.rootLogger = FATAL, c\n")
    result = run_in_process(DCMRECV, ["-lc", str(tmp_path / "q.cfg"), "0"],
                            lambda a, e: a.param("port"))
    assert result.code == 1
    assert result.stderr == ("log4cplus:ERROR PropertyConfigurator::configureLogger()- "
                             "Invalid appender: c\n")


def test_no_appenders_means_no_output(tmp_path, capsys):
    (tmp_path / "n.cfg").write_text("log4cplus.rootLogger = DEBUG\n")
    result = run_in_process(DCMRECV, ["-lc", str(tmp_path / "n.cfg"), "1"], emit_all)
    assert (result.code, result.stdout, result.stderr) == (0, "", "")
    assert capsys.readouterr() == ("", "")  # nothing reached logging.lastResort either


def test_named_logger_levels(tmp_path):
    (tmp_path / "n.cfg").write_text(
        "log4cplus.rootLogger = WARN, c\n"
        "log4cplus.logger.pydcmkit.net = TRACE\n"
        "log4cplus.logger.dcmtk.dcmnet = TRACE\n"
        "log4cplus.appender.c=log4cplus::ConsoleAppender\n"
        "log4cplus.appender.c.logToStderr=true\n"
        "log4cplus.appender.c.layout=log4cplus::PatternLayout\n"
        "log4cplus.appender.c.layout.ConversionPattern=%P %c: %m%n\n")
    result = run_in_process(DCMRECV, ["-lc", str(tmp_path / "n.cfg"), "1"], emit_all)
    assert result.stderr.splitlines()[0] == "T pydcmkit.net: msg 5"
    assert logging.getLogger("pydcmkit.net").level == logging.NOTSET  # restored afterwards


def test_multi_line_messages_get_the_prefix_on_every_line():
    def main(args, env):
        APP.info("\nStatus Summary\n--------------\nNumber of associations   : 1")
        APP.warning("ends with newline\n")
        return 0
    result = run_in_process(DCMSEND, ["-v", "h", "1", "f"], main)
    assert result.stderr == ("I: \nI: Status Summary\nI: --------------\n"
                             "I: Number of associations   : 1\nW: ends with newline\nW: \n")


def test_arguments_output_format():
    result = run_in_process(DCMSEND, ["--arguments", "-aet", "X", "127.0.0.1", "1", "/nonexist"],
                            lambda a, e: 0)
    assert result.stderr == ("I: calling 'dcmsend' with 6 arguments: '--arguments' '--aetitle' "
                             "'X' '127.0.0.1' '1' '/nonexist' \nI: \n")


def test_arguments_with_cmd2_example_then_error(tmp_path):
    (tmp_path / "cmd2.txt").write_text('-aet "MY AE" -v\n# comment?\n'
                                       "-nh  'a b' x\"y z\"w \"\" it's\"\n")
    result = run_in_process(DCMSEND, ["--arguments", f"@{tmp_path}/cmd2.txt", "127.0.0.1", "1"],
                            lambda a, e: a.param("port"))
    assert result.code == 1
    assert result.stderr.startswith(
        "I: calling 'dcmsend' with 14 arguments: '--arguments' '--aetitle' 'MY AE' '--verbose' "
        "'#' 'comment?' '--no-halt' 'a b' 'xy z' 'w' 'its\"\nI: ' '127.0.0.1' '1' \nI: \n$pydcmkit")
    assert result.stderr.endswith("error: Invalid parameter value comment?\n")


@pytest.mark.parametrize("argv", [["-q", "--arguments"], ["-ll", "off", "--arguments"],
                                  ["--arguments", "-ll", "OFF"]])
def test_arguments_always_printed_and_later_errors_suppressed_in_quiet_mode(argv):
    result = run_in_process(DCMRECV, [*argv, "0"], lambda a, e: a.param("port"))
    assert result.code == 1
    assert result.stderr.startswith("I: calling 'dcmrecv' with")
    assert "error:" not in result.stderr


def test_quiet_does_not_suppress_early_errors():
    result = run_in_process(DCMRECV, ["-q", "--bogus"], emit_all)
    assert result.code == 1 and result.stderr.endswith("error: Unknown option --bogus\n")
    result = run_in_process(DCMRECV, ["-ll", "error", "0"], lambda a, e: a.param("port"))
    assert result.stderr.endswith("error: Invalid parameter value 0 (underflow)\n")


def test_debug_identification_line_first():
    result = run_in_process(DCMRECV, ["-d", "--arguments", "1"], emit_all)
    lines = result.stderr.splitlines()
    assert lines[:4] == ["I: calling 'dcmrecv' with 3 arguments: '--debug' '--arguments' '1' ",
                         "I: ", f"D: $pydcmkit: dcmrecv v{_version()} $", "D: "]


def test_logging_state_is_restored():
    logger = logging.getLogger("pydcmkit")
    before = (list(logger.handlers), logger.level, logger.propagate)
    run_in_process(DCMRECV, ["-d", "1"], emit_all)
    assert (list(logger.handlers), logger.level, logger.propagate) == before


def test_level_helpers():
    assert parse_level("Warn") == logging.WARNING and parse_level("warning") is None
    assert parse_level(" info") is None
    assert [level_name(x) for x in (5, 10, 20, 30, 40, 50, 60)] == \
        ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "FATAL"]
    assert level_letter(25) == "I"


def make_record(msg, level=logging.INFO, name="pydcmkit.net"):
    return logging.LogRecord(name, level, "/x/y.py", 7, msg, (), None, func="fn")


def test_pattern_layout_conversions():
    record = make_record("hello")
    assert PatternLayout("%P: %m%n").format(record, "a\nb") == "I: a\nI: b\n"
    assert PatternLayout("[%5p|%-5p|%p|%.3p]%n").format(record, "x") == "[ INFO|INFO |INFO|NFO]\n"
    assert PatternLayout("%c %c{1} %c{2} %%").format(record, "") == \
        "pydcmkit.net net pydcmkit.net %"
    assert PatternLayout("%L %b %M %i").format(record, "") == f"7 y.py fn {os.getpid()}"
    record.created = 0.5
    assert PatternLayout("%d{%Y-%m-%d %H:%M:%S.%q}").format(record, "") == \
        "1970-01-01 00:00:00.500"
    assert PatternLayout("%d").format(record, "") == "1970-01-01 00:00:00"
    assert simple_layout().format(record, "a\nb") == "INFO - a\nb\n"


def test_variable_substitution():
    props = {"appname": "dcmrecv", "dir": "${base}/logs", "base": "/var"}
    assert substitute("${dir}/${appname}.log", props, {}) == "/var/logs/dcmrecv.log"
    assert substitute("${HOME}${nope}", props, {"HOME": "/h"}) == "/h"
