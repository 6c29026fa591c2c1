"""Usage, --version and error layout (dcmtk-cli.md 2, 3, 6)."""

import os
import subprocess

import pytest

from pydcmkit import __version__
from pydcmkit.cli import common as c
from pydcmkit.cli.help import render_error, render_usage, render_version
from pydcmkit.cli.spec import Option, OptionGroup, Param, SubGroup, ToolSpec
from tests.unit.cli.cli_specs import DCMRECV, DCMSEND, QRLIKE

IDENT = f"$pydcmkit: dcmrecv v{__version__} $"

# Lines copied from DCMTK 3.6.7 "dcmrecv --help" (same option names, same texts).
DCMRECV_HEAD = f"""{IDENT}

dcmrecv: Simple DICOM storage SCP (receiver)
usage: dcmrecv [options] port

parameters:
  port                           tcp/ip port number to listen on

general options:
  -h      --help                 print this help text and exit
          --version              print version information and exit
          --arguments            print expanded command line arguments
  -q      --quiet                quiet mode, print no warnings and errors
  -v      --verbose              verbose mode, print processing details
  -d      --debug                debug mode, print debug information
  -ll     --log-level            [l]evel: string constant
                                 (fatal, error, warn, info, debug, trace)
                                 use level l for the logger
  -lc     --log-config           [f]ilename: string
                                 use config file f for the logger
  +v      --verbose-pc           show presentation contexts in verbose mode
network options:
  association negotiation profile from configuration file:
    -xf   --config-file          [f]ilename, [p]rofile: string
                                 use profile p from configuration file f
  application entity title:
    -aet  --aetitle              [a]etitle: string
                                 set my AE title (default: DCMRECV)
    -uca  --use-called-aetitle   always respond with called AE title
  other network options:
    -ta   --acse-timeout         [s]econds: integer (default: 30)
                                 timeout for ACSE messages
    -td   --dimse-timeout        [s]econds: integer (default: unlimited)
                                 timeout for DIMSE messages
    -pdu  --max-pdu              [n]umber of bytes: integer (4096..131072)
                                 set max receive pdu to n bytes (default: 16384)
    -dhl  --disable-host-lookup  disable hostname lookup
transport layer security (TLS) options:
  transport protocol stack:
    -tls  --disable-tls          use normal TCP/IP connection (default)
    +tls  --enable-tls           [p]rivate key file, [c]ertificate file: string
                                 use authenticated secure TLS connection
  private key password (only with --enable-tls):
    +ps   --std-passwd           prompt user to type password on stdin (default)
    +pw   --use-passwd           [p]assword: string 
                                 use specified password
"""

DCMRECV_TAIL = """  storage mode:
    -B    --normal               allow implicit format conversions (default)
    +B    --bit-preserving       write dataset exactly as received
          --ignore               ignore dataset, receive but do not store it

"""


def test_dcmrecv_usage_layout():
    text = render_usage(DCMRECV)
    assert text.startswith(DCMRECV_HEAD)
    assert text.endswith(DCMRECV_TAIL)


def test_dcmsend_usage_lines():
    text = render_usage(DCMSEND)
    assert "usage: dcmsend [options] peer port dcmfile-in...\n" in text
    assert ("          --list-decoders        list transfer syntaxes of decoders and exit\n"
            "          --arguments            print expanded command line arguments\n") in text
    assert ("    +ma   --multi-associations   use multiple associations (one after the other)\n"
            "                                 if needed to transfer the instances (default)\n"
            ) in text
    assert ("          --max-send-pdu         [n]umber of bytes: integer (4096..131072)\n"
            "                                 restrict max send pdu to n bytes\n") in text


def test_wider_long_column_and_optional_parameter():
    text = render_usage(QRLIKE)
    assert "usage: qrlike [options] [port]\n" in text
    assert ("  port                            tcp/ip port number to listen on\n"
            "                                  (default: in config file)\n") in text
    assert "  -h      --help                  print this help text and exit\n" in text
    assert "          --move-unrestricted     do not restrict move destination (default)\n" in text


def test_columns_widen_per_run_and_reset_at_headings():
    spec = ToolSpec("t", "d", groups=(
        OptionGroup("first:", (Option("--a-very-long-option-name", "-a", help="x"),
                               Option("--b", "-bbbbbb", help="y"))),
        OptionGroup("second:", (SubGroup("sub:", (Option("--c", "-c", help="z"),)),
                                SubGroup("cols:", (Option("--d", "-d", help="w"),),
                                         long_col=3, short_col=2))),
    ))
    assert render_usage(spec).split("\n", 5)[5] == (
        "first:\n"
        "  -a       --a-very-long-option-name  x\n"
        "  -bbbbbb  --b                        y\n"
        "second:\n"
        "  sub:\n"
        "    -c    --c                    z\n"
        "  cols:\n"
        "    -d  --d  w\n"
        "\n")


def test_no_short_column_quirk():
    # DCMTK indents continuation lines by 2 * column space even without a short column
    spec = ToolSpec("t", "d", short_col=0, long_col=6,
                    groups=(OptionGroup("g:", (Option("--opt", None, 1, "[v]alue: string",
                                                      "line one\nline two"),)),))
    assert render_usage(spec).endswith("g:\n  --opt   [v]alue: string\n"
                                       "          line one\n            line two\n\n")


def test_no_parameters_and_hidden_options():
    spec = ToolSpec("t", "d", groups=(OptionGroup("g:", (c.HELP, Option("--secret", hidden=True))),))
    text = render_usage(spec)
    assert "usage: t [options]\n\ng:\n" in text
    assert "secret" not in text
    bare = ToolSpec("t", "d", params=(Param("x", ""),))
    assert render_usage(bare).endswith("usage: t x\n\n")


def test_error_block():
    assert render_error(DCMRECV, "Too many parameters") == (
        f"{IDENT}\n\ndcmrecv: Simple DICOM storage SCP (receiver)\nerror: Too many parameters\n")


def test_version_shape():
    lines = render_version(DCMRECV).split("\n")
    assert lines[:4] == [IDENT, "", "dcmrecv: Simple DICOM storage SCP (receiver)", ""]
    assert lines[4].startswith("Host type: ")
    assert lines[5].startswith("Character encoding: ")
    assert lines[6].startswith("Build options: ")
    assert lines[7:9] == ["", "External libraries used:"]
    assert lines[9].startswith("- pydicom, Version ")
    assert lines[10].startswith("- pynetdicom, Version ")
    none = ToolSpec("t", "d", libraries=())
    assert render_version(none).endswith("\nExternal libraries used: none\n")


@pytest.mark.interop
@pytest.mark.parametrize("spec, tool", [(DCMRECV, "dcmrecv"), (DCMSEND, "dcmsend")])
@pytest.mark.skipif(not os.path.exists("/usr/bin/dcmrecv"), reason="DCMTK not installed")
def test_byte_identical_to_dcmtk_after_identification(spec, tool):
    theirs = subprocess.run([f"/usr/bin/{tool}", "--help"], capture_output=True, text=True,
                            timeout=10).stdout
    assert render_usage(spec).split("\n", 1)[1] == theirs.split("\n", 1)[1]
