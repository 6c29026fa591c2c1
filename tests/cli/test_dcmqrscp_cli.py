"""dcmqrscp on the command line (dcmqrscp.md §1, §3), in-process and as a subprocess: help, the
command-line errors (exit 1, reported before the configuration file is looked at), the
configuration errors (exit 10, with DCMTK's raw ``CONFIG Error:`` lines), and --reindex.

Where DCMTK's own dcmqrscp fails the same way without starting to serve, its output is the reference.
"""

from __future__ import annotations

import subprocess

import pytest

from pydcmkit.db import open_database
from tests.support import corpus
from tests.support.procs import dcmtk, free_port
from tools import dcmqrscp

IDENTIFICATION = dcmqrscp.SPEC.identification
HEADER = f"{IDENTIFICATION}\n\ndcmqrscp: DICOM image archive (central test node)\n"

GOOD = """\
NetworkTCPPort  = {port}
MaxPDUSize      = {pdu}
MaxAssociations = 16
HostTable BEGIN
find_scu   = (FINDSCU, localhost, 0)
HostTable END
AETable BEGIN
QRSCP   {area}   RW  (10, 1024mb)   find_scu
AETable END
"""

BAD_CONFIGS = {
    "unknown keyword": "NetworkTCPPort = 11130\nBogusKeyword 1\n",
    "no HostTable END": "HostTable BEGIN\na = (A, localhost, 0)\n",
    "zero quota": "AETable BEGIN\nQR {area} RW (0, 10mb) ANY\nAETable END\n",
    "no peers": "AETable BEGIN\nQR {area} RW (10, 10mb)\nAETable END\n",
    "undefined symbol": "HostTable BEGIN\na = (A, localhost, 0)\nHostTable END\n"
                        "AETable BEGIN\nQR {area} RW (10, 10mb) nosuchpeer\nAETable END\n",
    "bad user": "UserName nosuchuser\nAETable BEGIN\nQR {area} RW (10, 10mb) ANY\nAETable END\n",
    "MaxPDUSize too small": "MaxPDUSize = 1000\nAETable BEGIN\nQR {area} RW (10, 10mb) ANY\nAETable END\n",
    "MaxPDUSize too large": "MaxPDUSize = 200000\nAETable BEGIN\nQR {area} RW (10, 10mb) ANY\nAETable END\n",
}


def config(work, text: str = GOOD, name: str = "dcmqrscp.cfg", pdu: int = 16384) -> str:
    (work / "STORE").mkdir(exist_ok=True)
    (work / name).write_text(text.format(port=free_port(), pdu=pdu, area=work / "STORE"))
    return name


def dcmtk_dcmqrscp(work, *args) -> subprocess.CompletedProcess:
    """DCMTK's dcmqrscp, for arguments with which it fails at start-up (bounded, in case it does not)."""
    return subprocess.run([dcmtk("dcmqrscp"), *map(str, args)], cwd=work, capture_output=True, text=True,
                          timeout=20, stdin=subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------------
# help and version

def test_help_exits_0(tool):
    r = tool("dcmqrscp", "--help")
    assert (r.code, r.stderr) == (0, "")
    lines = r.stdout.splitlines()
    assert lines[:4] == [IDENTIFICATION, "", "dcmqrscp: DICOM image archive (central test node)",
                         "usage: dcmqrscp [options] [port]"]
    for option in ("--reindex", "--database", "--processes", "--no-fsync"):  # pydcmkit's additions
        assert option in r.stdout, option
    assert tool("dcmqrscp", "-h").stdout == r.stdout


def test_help_holds_every_line_of_dcmtks_help_in_order(tool):
    ours = tool("dcmqrscp", "--help").stdout.splitlines()
    reference = subprocess.run([dcmtk("dcmqrscp"), "--help"], capture_output=True, text=True, timeout=20).stdout
    position = 0
    for line in reference.splitlines()[1:]:
        if "/usr//etc/dcmtk/dcmqrscp.cfg" in line:  # Debian's compiled-in default (see Differences from DCMTK)
            line = line.replace("/usr//etc/", "/etc/")
        assert line in ours[position:], f"missing or out of order: {line!r}"
        position = ours.index(line, position) + 1


def test_version_exits_0(tool):
    r = tool("dcmqrscp", "--version")
    assert r.code == 0 and r.stdout.startswith(HEADER.rstrip("\n"))


# ---------------------------------------------------------------------------------------------
# command-line errors: exit 1, before the configuration file is read

def test_all_models_disabled(tool):
    r = tool("dcmqrscp", "-QP", "-QS", "-QO", "-c", config(tool.cwd))
    assert (r.code, r.stdout, r.stderr) == (1, "", HEADER + "error: cannot disable all Q/R models\n")


@pytest.mark.parametrize("args, message", [
    (("-pdu", "100"), "Invalid value for option --max-pdu (underflow: 100)"),
    (("-ta", "0"), "Invalid value for option --acse-timeout (underflow: 0)"),
    (("70000",), "Invalid parameter value 70000 (overflow)"),
    (("-QP", "-QS", "-QO"), "cannot disable all Q/R models"),
    (("--no-such-option",), "Unknown option --no-such-option"),
])
def test_command_line_errors_come_before_the_config_file(tool, args, message):
    r = tool("dcmqrscp", "-c", "does-not-exist.cfg", *args)
    assert (r.code, r.stderr) == (1, HEADER + f"error: {message}\n")
    reference = dcmtk_dcmqrscp(tool.cwd, "-c", "does-not-exist.cfg", *args)
    assert (reference.returncode, reference.stderr.split("\n", 1)[1]) == (1, r.stderr.split("\n", 1)[1])


def test_assoc_config_file_conflicts(tool):
    (tool.cwd / "my.cfg").write_text(corpus.MY_CFG)
    r = tool("dcmqrscp", "-xf", "my.cfg", "My Profile", "My Profile", "+xe", "-c", config(tool.cwd))
    assert (r.code, r.stderr) == (1, HEADER + "error: --assoc-config-file not allowed with --prefer-little\n")
    r = tool("dcmqrscp", "-xf", "my.cfg", "Nope", "My Profile", "-c", config(tool.cwd))
    assert r.code == 1 and "F: unknown configuration profile name: Nope\n" in r.stderr


# ---------------------------------------------------------------------------------------------
# configuration errors: exit 10

def test_missing_config(tool):
    r = tool("dcmqrscp", "-c", "does-not-exist.cfg")
    assert (r.code, r.stderr) == (10, "F: cannot access does-not-exist.cfg: No such file or directory\n")


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config_is_exit_10_like_dcmtk(tool, case):
    name = config(tool.cwd, BAD_CONFIGS[case], name="bad.cfg")
    r = tool("dcmqrscp", "-c", name, free_port())
    assert r.code == 10
    reference = dcmtk_dcmqrscp(tool.cwd, "-c", name, free_port())
    assert (reference.returncode, r.stderr) == (10, reference.stderr)


def test_config_error_lines_have_no_level_prefix(tool):
    name = config(tool.cwd, BAD_CONFIGS["unknown keyword"], name="bad.cfg")
    r = tool("dcmqrscp", "-c", name)
    assert r.stderr.splitlines() == ['CONFIG Error: Unknown mnemonic "BogusKeyword" in configuration file, line 2!',
                                     'CONFIG Error: Reading configuration file "bad.cfg" with errors!',
                                     "F: bad config file: bad.cfg"]


# ---------------------------------------------------------------------------------------------
# --reindex

def test_reindex(tool):
    name = config(tool.cwd)
    for f in ("ct1.dcm", "mr1.dcm", "notdicom.txt"):
        (tool.cwd / "STORE" / f).write_bytes((tool.cwd / "data" / f).read_bytes())
    r = tool("dcmqrscp", "-c", name, "--reindex")
    assert r.code == 0, r.stderr
    assert "notdicom.txt" in r.stderr
    db = open_database(str(tool.cwd / "STORE"))
    try:
        assert sorted(x.sop_instance_uid for x in db.records()) == [f"{corpus.ROOT}.4.111", f"{corpus.ROOT}.4.211"]
    finally:
        db.close()
