"""dcmsend and dcmrecv on the DCMTK command line (dcmtk-cli.md), in-process and as subprocesses.

Every test runs in both modes (fixture ``tool``).  Every exit code either tool documents is
provoked here.
"""

from __future__ import annotations

import re
import signal
import socket
import textwrap

import pytest
from pydicom import dcmread

from pydcmkit.codec import decodable_syntaxes
from tests.support import corpus
from tests.support.procs import Server, dcmtk, free_port, ours, run, wait_port
from tools import dcmrecv, dcmsend

SPECS = {"dcmsend": dcmsend.SPEC, "dcmrecv": dcmrecv.SPEC}
DESCRIPTION = {"dcmsend": "Simple DICOM storage SCU (sender)", "dcmrecv": "Simple DICOM storage SCP (receiver)"}
CT1 = f"{corpus.ROOT}.4.111"


def error_block(name: str, message: str) -> str:
    return f"{SPECS[name].identification}\n\n{name}: {DESCRIPTION[name]}\nerror: {message}\n"


def log_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"[FEWIDT]: ", line) or line in ("I:", "I: ")]


# ---------------------------------------------------------------------------------------------
# usage, help, version

USAGE_LINE = {"dcmsend": "usage: dcmsend [options] peer port dcmfile-in...", "dcmrecv": "usage: dcmrecv [options] port"}


@pytest.mark.parametrize("name", ["dcmsend", "dcmrecv"])
def test_no_arguments_prints_usage_and_exits_0(tool, name):
    r = tool(name)
    assert (r.code, r.stderr) == (0, "")
    head = r.stdout.splitlines()
    assert head[:4] == [SPECS[name].identification, "", f"{name}: {DESCRIPTION[name]}", USAGE_LINE[name]]
    assert head[4:6] == ["", "parameters:"]
    assert "general options:" in head
    assert "  -h      --help                 print this help text and exit" in head
    assert "          --version              print version information and exit" in head
    assert r.stdout.endswith("\n\n")  # a final empty line
    assert tool(name, "--help").stdout == r.stdout
    assert tool(name, "-h").stdout == r.stdout


def test_dcmrecv_usage_details(tool):
    out = tool("dcmrecv", "--help").stdout
    assert textwrap.dedent("""\
        network options:
          association negotiation profile from configuration file:
            -xf   --config-file          [f]ilename, [p]rofile: string
                                         use profile p from configuration file f
        """) in out
    assert "  port                           tcp/ip port number to listen on\n" in out
    for option in ("+tls  --enable-tls", "-od   --output-directory", "+ssd  --series-date-subdir",
                   "+fsu  --short-unique-names", "+B    --bit-preserving", "      --ignore"):
        assert option in out


def test_dcmsend_usage_details(tool):
    out = tool("dcmsend", "--help").stdout
    for option in ("+sd   --scan-directories", "+sp   --scan-pattern", "+rd   --read-from-dicomdir",
                   "-nh   --no-halt", "-nip  --no-illegal-proposal", "-aec  --call", "+crf  --create-report-file",
                   "      --list-decoders", "+ma   --multi-associations", "-ma   --single-association"):
        assert option in out, option


@pytest.mark.parametrize("name", ["dcmsend", "dcmrecv"])
def test_version_exits_0(tool, name):
    r = tool(name, "--version")
    assert (r.code, r.stderr) == (0, "")
    out = r.stdout.splitlines()
    assert out[:4] == [SPECS[name].identification, "", f"{name}: {DESCRIPTION[name]}", ""]
    assert out[4].startswith("Host type: ")
    assert "External libraries used:" in out[5:] or "External libraries used: none" in out[5:]


@pytest.mark.parametrize("args", [["--help", "1", "2", "3"], ["1", "2", "--help"], ["--arguments", "-d", "--help"]])
def test_help_wins_over_everything(tool, args):
    r = tool("dcmrecv", *args)
    assert r.code == 0 and r.stdout.startswith(SPECS["dcmrecv"].identification) and "usage:" in r.stdout


def test_version_wins_over_parameter_counts(tool):
    r = tool("dcmrecv", "--arguments", "-d", "--version")
    assert r.code == 0 and "Host type: " in r.stdout


def test_list_decoders(tool):
    r = tool("dcmsend", "--list-decoders")
    assert (r.code, r.stderr) == (0, "")
    out = r.stdout.splitlines()
    assert out[:11] == [SPECS["dcmsend"].identification, "", "dcmsend: Simple DICOM storage SCU (sender)", "",
                        "Transfer syntaxes supported natively:", "- Little Endian Implicit",
                        "- Little Endian Explicit", "- Big Endian Explicit", "",
                        "Transfer syntaxes supported by decoders:", "- Deflated Explicit VR Little Endian"]
    # DCMTK's list (dcmsend.md §8.3), in its order; pydcmkit may decode more (§8.3: its own handlers)
    assert out[11:20] == [
        "- JPEG Baseline", "- JPEG Extended, Process 2+4",
        "- JPEG Spectral Selection, Non-hierarchical, Process 6+8",
        "- JPEG Full Progression, Non-hierarchical, Process 10+12",
        "- JPEG Lossless, Non-hierarchical, Process 14",
        "- JPEG Lossless, Non-hierarchical, 1st Order Prediction",
        "- JPEG-LS Lossless", "- JPEG-LS Lossy (Near-lossless)", "- RLE Lossless"]
    assert len(out) - 10 == len(decodable_syntaxes())


def test_list_decoders_needs_a_clean_parse(tool):
    r = tool("dcmsend", "--list-decoders", "--bogus")
    assert r.code == 1 and r.stderr == error_block("dcmsend", "Unknown option --bogus")


# ---------------------------------------------------------------------------------------------
# command-line errors: exit 1, DCMTK's messages, nothing on stdout

ERRORS = [
    ("dcmsend", ["--bogus"], "Unknown option --bogus"),
    ("dcmrecv", ["--version", "--bogus"], "Unknown option --bogus"),
    ("dcmrecv", ["-vd", "11112"], "Unknown option -vd"),
    ("dcmrecv", ["--", "11112"], "Unknown option --"),
    ("dcmsend", ["--aetitle=X", "h", "1", "f"], "Unknown option --aetitle=X"),
    ("dcmsend", ["--verb", "h", "1", "f"], "Unknown option --verb"),
    ("dcmsend", ["-aet"], "Missing value for option --aetitle"),
    ("dcmrecv", ["11112", "-xf", "my.cfg"], "Missing value for option --config-file"),
    ("dcmrecv", ["-xf", "my.cfg", "11112"], "Missing parameter port"),
    ("dcmsend", ["127.0.0.1"], "Missing parameter port"),
    ("dcmsend", ["127.0.0.1", "104"], "Missing parameter dcmfile-in"),
    ("dcmrecv", ["1", "2"], "Too many parameters"),
    ("dcmrecv", ["0"], "Invalid parameter value 0 (underflow)"),
    ("dcmrecv", ["70000"], "Invalid parameter value 70000 (overflow)"),
    ("dcmrecv", ["abc"], "Invalid parameter value abc"),
    ("dcmrecv", ["0x2b68"], "Invalid parameter value 0x2b68 (underflow)"),
    ("dcmsend", ["127.0.0.1", "0", "f.dcm"], "Invalid parameter value 0 (underflow)"),
    ("dcmsend", ["127.0.0.1", "65536", "f.dcm"], "Invalid parameter value 65536 (overflow)"),
    ("dcmsend", ["127.0.0.1", "-5", "f.dcm"], "Invalid parameter value -5 (overflow)"),
    ("dcmrecv", ["-pdu", "100", "11112"], "Invalid value for option --max-pdu (underflow: 100)"),
    ("dcmrecv", ["-ta", "abc", "11112"], "Invalid value for option --acse-timeout (abc)"),
    ("dcmsend", ["+cl", "10", "h", "1", "f"], "Invalid value for option --compression-level (overflow: 10)"),
    ("dcmsend", ["-to", "0", "h", "1", "f"], "Invalid value for option --timeout (underflow: 0)"),
    ("dcmsend", ["+sp", "*.dcm", "127.0.0.1", "1", "data"], "--scan-pattern only allowed with --scan-directories"),
    ("dcmsend", ["+r", "127.0.0.1", "1", "data"], "--recurse only allowed with --scan-directories"),
    ("dcmsend", ["+v", "127.0.0.1", "1", "data/ct1.dcm"], "--verbose-pc only allowed with verbose mode"),
    ("dcmrecv", ["+v", "11112"], "--verbose-pc only allowed with verbose mode"),
    ("dcmsend", ["-ll", "info", "-v", "h", "1", "f"], "--log-level not allowed with --verbose, --debug or --quiet"),
    ("dcmrecv", ["-v", "-ll", "debug", "11112"], "--log-level not allowed with --verbose, --debug or --quiet"),
    ("dcmrecv", ["-ll", "bogus", "11112"], "Invalid log level for --log-level option"),
    ("dcmrecv", ["-lc", "no-such.cfg", "11112"], "Specified --log-config file does not exist"),
    ("dcmrecv", ["+B", "+ssd", "11112"], "--bit-preserving not allowed with --series-date-subdir"),
    ("dcmrecv", ["+pw", "x", "11112"], "--use-passwd only allowed with --enable-tls"),
    ("dcmsend", ["@missing.txt"], "Cannot open command file 'missing.txt'"),
]


@pytest.mark.parametrize("name,args,message", ERRORS, ids=[f"{n} {' '.join(a)}" for n, a, _m in ERRORS])
def test_command_line_errors_exit_1(tool, name, args, message):
    r = tool(name, *args)
    assert r.code == 1
    assert r.stdout == ""
    assert r.stderr == error_block(name, message)


def test_quiet_suppresses_late_command_line_errors(tool):
    r = tool("dcmrecv", "-q", "0")
    assert (r.code, r.stdout, r.stderr) == (1, "", "")
    r = tool("dcmrecv", "-q", "--bogus")  # unknown options are found before -q is evaluated
    assert r.code == 1 and r.stderr == error_block("dcmrecv", "Unknown option --bogus")


def test_rightmost_wins_in_an_option_block(tool):
    """+v needs INFO: ``-q -v`` is verbose, ``-v -q`` quiet (then the error is suppressed)."""
    r = tool("dcmsend", "-q", "-v", "+v", "127.0.0.1", free_port(), "data/ct1.dcm")
    assert r.code == 61 and "I: checking input files ..." in r.stderr
    r = tool("dcmsend", "-v", "-q", "+v", "127.0.0.1", free_port(), "data/ct1.dcm")
    assert (r.code, r.stderr) == (1, "")


# ---------------------------------------------------------------------------------------------
# --arguments and @file

def test_arguments_are_logged_with_long_names(tool):
    r = tool("dcmsend", "--arguments", "-aet", "X", "127.0.0.1", "1", "/nonexist")
    assert r.code == 22
    argv0 = tool.argv0("dcmsend")
    assert r.stderr.startswith(f"I: calling '{argv0}' with 6 arguments: "
                               "'--arguments' '--aetitle' 'X' '127.0.0.1' '1' '/nonexist' \nI: \n")
    assert log_lines(r.stderr)[2:] == ["E: cannot add DICOM file to the transfer list: /nonexist: No such file or directory",
                                       "F: bad DICOM file: /nonexist: No such file or directory"]


def test_arguments_are_printed_even_when_quiet(tool):
    r = tool("dcmrecv", "--arguments", "-q", "-od", "nonexistent-dir", free_port())
    assert r.code == 45
    assert r.stderr.startswith(f"I: calling '{tool.argv0('dcmrecv')}' with 5 arguments: '--arguments' '--quiet' "
                               "'--output-directory' 'nonexistent-dir' ")
    assert log_lines(r.stderr)[2:] == ["F: cannot specify output directory: Directory does not exist"]  # -q: F: only


def test_command_file_expansion(tool, work):
    (work / "cmd2.txt").write_text("-aet \"MY AE\" -v\n# comment?\n-nh  'a b' x\"y z\"w \"\" it's\"\n")
    r = tool("dcmsend", "--arguments", "@cmd2.txt", "127.0.0.1", "1")
    assert r.code == 1
    lines = r.stderr.splitlines()
    assert lines[0] == (f"I: calling '{tool.argv0('dcmsend')}' with 14 arguments: '--arguments' '--aetitle' 'MY AE' "
                        "'--verbose' '#' 'comment?' '--no-halt' 'a b' 'xy z' 'w' 'its\"")
    assert lines[1:3] == ["I: ' '127.0.0.1' '1' ", "I: "]
    assert r.stderr.endswith(error_block("dcmsend", "Invalid parameter value comment?"))


# ---------------------------------------------------------------------------------------------
# settings from the environment and from the configuration file reach the wire

@pytest.fixture
def bp_receiver(work):
    """Our dcmrecv in bit-preserving mode: (0002,0016) of a stored file is the calling AE title."""
    (work / "in").mkdir()
    port = free_port()
    server = Server(ours("dcmrecv") + ["-v", "-xf", "my.cfg", "My Profile", "+B", "-od", "in", str(port)], port, work)
    yield server
    server.stop()


def _calling_ae(work, server) -> str:
    path = work / "in" / f"CT.{CT1}"
    ae = dcmread(path, stop_before_pixels=True).file_meta.SourceApplicationEntityTitle.strip()
    path.unlink()
    assert f"Association Received localhost: {ae} -> " in server.log
    return ae


def test_aetitle_from_environment_and_configuration_file(tool, work, bp_receiver):
    port = bp_receiver.port
    conf = work / "conf"
    conf.mkdir()
    (conf / "dcmsend.conf").write_text("# defaults\naetitle = CONFAE\ncall = CONFCALLED\n")
    env = {"PYDCMKIT_DCMSEND_AETITLE": "ENVAE"}

    assert tool("dcmsend", "127.0.0.1", port, "data/ct1.dcm").code == 0
    assert _calling_ae(work, bp_receiver) == "DCMSEND"
    assert tool("dcmsend", "127.0.0.1", port, "data/ct1.dcm", config_dir=conf).code == 0
    assert _calling_ae(work, bp_receiver) == "CONFAE"
    assert "CONFAE -> CONFCALLED" in bp_receiver.log
    assert tool("dcmsend", "127.0.0.1", port, "data/ct1.dcm", env=env, config_dir=conf).code == 0
    assert _calling_ae(work, bp_receiver) == "ENVAE"  # environment beats configuration file
    assert tool("dcmsend", "-aet", "CLIAE", "127.0.0.1", port, "data/ct1.dcm", env=env, config_dir=conf).code == 0
    assert _calling_ae(work, bp_receiver) == "CLIAE"  # command line beats both


def test_settings_are_not_shown_by_arguments(tool, work):
    r = tool("dcmsend", "--arguments", "127.0.0.1", free_port(), "data/ct1.dcm",
             env={"PYDCMKIT_DCMSEND_AETITLE": "ENVAE"})
    assert r.code == 61
    assert "ENVAE" not in r.stderr and "with 4 arguments" in r.stderr


@pytest.mark.parametrize("env,message", [
    ({"PYDCMKIT_DCMSEND_BOGUS": "1"}, "Unknown option --bogus in environment variable PYDCMKIT_DCMSEND_BOGUS"),
    ({"PYDCMKIT_DCMSEND_NO_HALT": "maybe"},
     "Invalid value for option --no-halt (maybe) in environment variable PYDCMKIT_DCMSEND_NO_HALT"),
])
def test_bad_settings_are_command_line_errors(tool, env, message):
    r = tool("dcmsend", "127.0.0.1", "1", "data/ct1.dcm", env=env)
    assert r.code == 1 and r.stderr == error_block("dcmsend", message)


def test_dcmrecv_settings_from_configuration_file_and_environment(work):
    """dcmrecv runs until stopped, so only as a subprocess: the output directory comes from the
    environment, bit-preserving mode from dcmrecv.conf."""
    conf = work / "conf"
    conf.mkdir()
    (conf / "dcmrecv.conf").write_text("bit-preserving = true\nconfig-file = my.cfg \"My Profile\"\n")
    (work / "envout").mkdir()
    port = free_port()
    with Server(ours("dcmrecv") + [str(port)], port, work, PYDCMKIT_CONFIG_DIR=conf,
                PYDCMKIT_DCMRECV_OUTPUT_DIRECTORY="envout") as server:
        r = run([dcmtk("dcmsend"), "-aet", "VIADCMTK", "127.0.0.1", str(port), "data/ct1.dcm"], cwd=work)
        assert r.returncode == 0, r.stderr + server.log
    m = dcmread(work / "envout" / f"CT.{CT1}", stop_before_pixels=True).file_meta
    assert m.SourceApplicationEntityTitle.strip() == "VIADCMTK"


# ---------------------------------------------------------------------------------------------
# every documented exit code

@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    """DCMTK's dcmrecv with the my.cfg profile (uncompressed CT/SC/private, MR implicit only)."""
    d = tmp_path_factory.mktemp("peer")
    (d / "my.cfg").write_text(corpus.MY_CFG)
    (d / "out").mkdir()
    port = free_port()
    server = Server([dcmtk("dcmrecv"), "-xf", "my.cfg", "My Profile", "-od", "out", str(port)], port, d,
                    TCP_NODELAY=1)
    yield server
    server.stop()


def _dcmsend_cases(peer_port: int, free: int):
    p, f = str(peer_port), str(free)
    return {
        0: ["127.0.0.1", p, "data/ct1.dcm", "data/mr1.dcm"],
        1: ["--bogus"],
        21: ["127.0.0.1", p, "data"],
        22: ["127.0.0.1", p, "data/notdicom.txt", "data/ct1.dcm"],
        23: ["-nh", "127.0.0.1", p, "data/notdicom.txt"],
        43: ["127.0.0.1", p, "data/ct1.dcm", "+crf", "no-such-dir/report.txt"],
        61: ["127.0.0.1", f, "data/ct1.dcm"],
        62: ["127.0.0.1", p, "data/sc1_jpb.dcm", "data/ct1.dcm"],
        65: ["-dn", "-nip", "127.0.0.1", p, "data/ct1_jpll.dcm"],
        71: ["+tls", "nokey.pem", "nocert.pem", "127.0.0.1", p, "data/ct1.dcm"],
        80: ["--fail-on-error", "-nh", "127.0.0.1", p, "data/sc1_jpb.dcm", "data/ct1.dcm"],
    }


DCMSEND_LAST_LINE = {
    21: "F: no input files to be processed",
    22: "F: bad DICOM file: data/notdicom.txt: File meta information header missing",
    23: "F: no valid input files to be processed",
    43: "E: cannot write detailed report to file 'no-such-dir/report.txt'",
    61: "F: cannot negotiate network association: TCP Initialization Error: Connection refused",
    62: "F: cannot send SOP instance: DIMSE No valid Presentation Context ID",
    65: "E: cannot add presentation contexts: Unsupported compression or encryption",
}


@pytest.mark.parametrize("code", [0, 1, 21, 22, 23, 43, 61, 62, 65, 71, 80])
def test_dcmsend_exit_codes(tool, peer, code):
    documented = {int(c) for c, _text in dict(dcmsend.SECTIONS)["Exit codes"]}
    assert code in documented
    r = tool("dcmsend", *_dcmsend_cases(peer.port, free_port())[code])
    assert r.code == code, r.stderr
    if code in DCMSEND_LAST_LINE:
        assert log_lines(r.stderr)[-1] == DCMSEND_LAST_LINE[code]
    if code == 71:
        assert log_lines(r.stderr)[-1].startswith("F: cannot create TLS transport layer: ")


def test_every_documented_dcmsend_exit_code_is_tested():
    documented = {int(c) for c, _text in dict(dcmsend.SECTIONS)["Exit codes"]}
    assert documented == set(_dcmsend_cases(1, 2))


@pytest.mark.parametrize("args,code,last", [
    (["-od", "nonexistent-dir", "{free}"], 45, "F: cannot specify output directory: Directory does not exist"),
    (["-xf", "/etc/dcmtk/storescp.cfg", "NoSuchProfile", "{free}"], 66,
     "F: cannot load association configuration: Invalid or non-existing SCP Association Profile"),
    (["-xf", "does-not-exist.cfg", "default", "{free}"], 66,
     "F: cannot load association configuration: unable to open configuration file: does-not-exist.cfg"),
    (["{busy}"], 64, "F: cannot start SCP and listen on port {busy}: TCP Initialization Error: Address already in use"),
    (["+tls", "nokey.pem", "nocert.pem", "{free}"], 71, None),
    (["--bogus"], 1, None),
    ([], 0, None),
])
def test_dcmrecv_exit_codes(tool, args, code, last):
    documented = {int(c) for c, _text in dict(dcmrecv.SECTIONS)["Exit codes"]}
    assert code in documented
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen()
        values = {"free": free_port(), "busy": busy.getsockname()[1]}
        r = tool("dcmrecv", *[a.format(**values) for a in args], timeout=30)
    assert r.code == code, r.stderr
    if last is not None:
        assert log_lines(r.stderr)[-1] == last.format(**values)
    if code == 71:
        assert log_lines(r.stderr)[-1].startswith("F: cannot create TLS transport layer: ")


def test_dcmrecv_stopped_by_sigterm_exits_0(work):
    """The 0 of a running server (subprocess only: it serves until a signal arrives)."""
    port = free_port()
    server = Server(ours("dcmrecv") + [str(port)], port, work)
    wait_port(port, server.proc)
    assert server.stop(signal.SIGTERM) == 0


def test_every_documented_dcmrecv_exit_code_is_tested():
    documented = {int(c) for c, _text in dict(dcmrecv.SECTIONS)["Exit codes"]}
    assert documented == {0, 1, 45, 64, 66, 71}
