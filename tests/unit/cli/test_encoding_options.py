"""Output encoding options of storage SCPs (dcmqrscp.md §1.6): parsing, block rule, DCMTK's
conflict and dependence messages (dcmqrscp.cc's checkConflict/checkDependence calls and order)."""

import pytest

from pydcmkit.cli import common as c
from pydcmkit.cli import storeopts, tsopts
from pydcmkit.cli.help import render_options
from pydcmkit.cli.parser import parse_command_line
from pydcmkit.cli.spec import OptionGroup, Param, SubGroup, ToolSpec
from pydcmkit.status import CommandLineError
from pydcmkit.storage.encoding import WriteEncoding

ELE, ILE, EBE, DEFL = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"

# storescp-like: every encoding option under one "output options:" group, -B/+B elsewhere.
SCP = ToolSpec(
    name="scp",
    description="storage SCP",
    params=(Param("port", kind="optional"),),
    long_col=22,
    groups=(
        c.general_group(),
        OptionGroup("storage mode:", (storeopts.NORMAL, storeopts.BIT_PRESERVING, storeopts.IGNORE)),
        storeopts.ENCODING_GROUP,
    ),
)

# dcmqrscp-like: DCMTK's layout, with the +x.../-x... options for the conflicts they add.
QR = ToolSpec(
    name="qr",
    description="archive",
    params=(Param("port", kind="optional"),),
    long_col=22,
    groups=(
        c.general_group(),
        OptionGroup("network options:", (
            SubGroup("preferred network transfer syntaxes (incoming associations):", tsopts.PREFER_OPTIONS),
            SubGroup("proposed transmission transfer syntaxes (outgoing associations):", tsopts.PROPOSE_OPTIONS),
        )),
        OptionGroup("output options:", (
            SubGroup("bit preserving mode:", (
                storeopts.NORMAL, storeopts.BIT_PRESERVING.replace(help="write data exactly as read"))),
            *storeopts.ENCODING_SUBGROUPS,
        )),
    ),
)


def encoding(spec, *argv, deflate_allowed=False):
    args = parse_command_line(spec, list(argv))
    bit_preserving = args.winner("storage-mode") == "--bit-preserving"
    return storeopts.write_encoding(args, bit_preserving, deflate_allowed)


def error(spec, *argv, **kw):
    with pytest.raises(CommandLineError) as err:
        encoding(spec, *argv, **kw)
    assert err.value.exit_code == 1
    return err.value.message


# -- parsing ---------------------------------------------------------------------------------------

def test_defaults():
    assert encoding(SCP) == WriteEncoding()
    assert encoding(SCP).is_default


@pytest.mark.parametrize("argv, expected", [
    (["+F"], WriteEncoding()),
    (["-F"], WriteEncoding(write_meta=False)),
    (["--write-dataset"], WriteEncoding(write_meta=False)),
    (["+t="], WriteEncoding()),
    (["+te"], WriteEncoding(transfer_syntax=ELE)),
    (["+tb"], WriteEncoding(transfer_syntax=EBE)),
    (["+ti"], WriteEncoding(transfer_syntax=ILE)),
    (["+td"], WriteEncoding(transfer_syntax=DEFL)),
    (["--write-xfer-implicit"], WriteEncoding(transfer_syntax=ILE)),
    (["+u"], WriteEncoding()),
    (["-u"], WriteEncoding(new_vr=False)),
    (["+g="], WriteEncoding()),
    (["+g"], WriteEncoding(group_length="create")),
    (["-g"], WriteEncoding(group_length="remove")),
    (["+e"], WriteEncoding()),
    (["-e"], WriteEncoding(explicit_length=False)),
    (["-p"], WriteEncoding()),
    (["+p", "8", "2"], WriteEncoding(padding=(8, 2))),
    (["--padding-create", "0", "0"], WriteEncoding(padding=(0, 0))),
    (["+cl", "9"], WriteEncoding(compression_level=9)),
    (["+td", "+cl", "0"], WriteEncoding(transfer_syntax=DEFL, compression_level=0)),
    (["-F", "+td", "-u", "-g", "-e", "+cl", "1"],
     WriteEncoding(write_meta=False, transfer_syntax=DEFL, new_vr=False, group_length="remove",
                   explicit_length=False, compression_level=1)),
])
def test_each_option(argv, expected):
    assert encoding(SCP, *argv) == expected


@pytest.mark.parametrize("argv, expected", [
    (["-F", "+F"], WriteEncoding()),
    (["+F", "-F"], WriteEncoding(write_meta=False)),
    (["+te", "+tb", "+ti"], WriteEncoding(transfer_syntax=ILE)),
    (["+ti", "+t="], WriteEncoding()),
    (["+td", "+te"], WriteEncoding(transfer_syntax=ELE)),
    (["-u", "+u"], WriteEncoding()),
    (["+g", "-g"], WriteEncoding(group_length="remove")),
    (["-g", "+g="], WriteEncoding()),
    (["-e", "+e"], WriteEncoding()),
    (["+p", "8", "2", "-p"], WriteEncoding()),
    (["-p", "+p", "4", "4"], WriteEncoding(padding=(4, 4))),
    (["+p", "8", "2", "+p", "16", "0"], WriteEncoding(padding=(16, 0))),
])
def test_rightmost_wins(argv, expected):
    assert encoding(SCP, *argv, "11112") == expected


def test_options_may_follow_the_parameter():
    assert encoding(SCP, "11112", "+ti", "-e") == WriteEncoding(transfer_syntax=ILE, explicit_length=False)


@pytest.mark.parametrize("argv, message", [
    (["+p", "8"], "Missing value for option --padding-create"),
    (["+cl"], "Missing value for option --compression-level"),
])
def test_missing_values(argv, message):
    with pytest.raises(CommandLineError, match=f"^{message}$"):
        parse_command_line(SCP, argv)


@pytest.mark.parametrize("argv, message", [
    (["+p", "x", "2"], r"Invalid value for option --padding-create \(x\)"),
    (["+p", "8", "-2"], r"Invalid value for option --padding-create \(-2\)"),
    (["+p", "-0", "2"], r"Invalid value for option --padding-create \(-0\)"),
    (["+cl", "10"], r"Invalid value for option --compression-level \(overflow: 10\)"),
    (["+cl", "nine"], r"Invalid value for option --compression-level \(nine\)"),
])
def test_invalid_values(argv, message):
    assert pytest.raises(CommandLineError, encoding, SCP, *argv).match(message)


# -- conflicts with --bit-preserving -----------------------------------------------------------------

@pytest.mark.parametrize("option, long", [
    ("+te", "--write-xfer-little"), ("+tb", "--write-xfer-big"), ("+ti", "--write-xfer-implicit"),
    ("+td", "--write-xfer-deflated"),
    ("+g=", "--group-length-recalc"), ("+g", "--group-length-create"), ("-g", "--group-length-remove"),
    ("+e", "--length-explicit"), ("-e", "--length-undefined"),
])
def test_conflict_with_bit_preserving(option, long):
    assert error(SCP, "+B", option) == f"{long} not allowed with --bit-preserving"
    assert error(SCP, option, "+B") == f"{long} not allowed with --bit-preserving"  # position independent


def test_padding_conflicts_with_bit_preserving():
    assert error(SCP, "+B", "+p", "8", "2") == "--padding-create not allowed with --bit-preserving"


@pytest.mark.parametrize("argv", [["+B", "+t="], ["+B", "-F"], ["+B", "-u"], ["+B", "+u"], ["+B", "-p"],
                                  ["+B", "+cl", "5"], ["+te", "+B", "-B"], ["+B", "+te", "+t="],
                                  ["--ignore", "+ti", "-g"]])
def test_no_conflict(argv):
    encoding(SCP, *argv)


def test_conflict_names_the_first_honoured_member():
    # DCMTK tests the block members in source order: little before big (dcmtk-cli.md 1.4)
    assert error(SCP, "+B", "+te", "+tb") == "--write-xfer-little not allowed with --bit-preserving"
    assert error(SCP, "+B", "+tb", "+te") == "--write-xfer-little not allowed with --bit-preserving"
    assert error(SCP, "+B", "+g", "-g") == "--group-length-create not allowed with --bit-preserving"


def test_bit_preserving_is_checked_before_later_blocks():
    assert error(SCP, "+B", "-g", "+ti") == "--write-xfer-implicit not allowed with --bit-preserving"


# -- padding and --write-dataset ----------------------------------------------------------------------

def test_padding_conflicts_with_write_dataset():
    assert error(SCP, "-F", "+p", "8", "2") == "--padding-create not allowed with --write-dataset"
    assert error(SCP, "+B", "-F", "+p", "8", "2") == "--padding-create not allowed with --write-dataset"
    assert encoding(SCP, "-F", "+p", "8", "2", "-p") == WriteEncoding(write_meta=False)
    assert encoding(SCP, "-F", "+F", "+p", "8", "2") == WriteEncoding(padding=(8, 2))


def test_padding_values_are_checked_after_the_conflicts():
    assert error(SCP, "-F", "+p", "x", "2") == "--padding-create not allowed with --write-dataset"


# -- compressed network transfer syntaxes -------------------------------------------------------------

@pytest.mark.parametrize("prefer", ["+xs", "+xy", "+xx", "+xv", "+xw", "+xt", "+xu", "+xm", "+xh", "+xn", "+xl",
                                    "+xr"])
def test_write_xfer_conflicts_with_compressed_preference(prefer):
    long = QR.find(prefer).long
    assert error(QR, prefer, "+te") == f"--write-xfer-little not allowed with {long}"
    assert error(QR, "+ti", prefer) == f"--write-xfer-implicit not allowed with {long}"
    assert error(QR, prefer, "+td") == f"--write-xfer-deflated not allowed with {long}"


@pytest.mark.parametrize("prefer", ["+x=", "+xe", "+xb", "+xi", "+xd"])
def test_write_xfer_with_uncompressed_preference(prefer):
    assert encoding(QR, prefer, "+tb") == WriteEncoding(transfer_syntax=EBE)


def test_rightmost_preference_counts():
    assert encoding(QR, "+xs", "+xe", "+te") == WriteEncoding(transfer_syntax=ELE)
    assert encoding(QR, "+xs", "+t=") == WriteEncoding()


def test_bit_preserving_conflict_comes_first():
    assert error(QR, "+B", "+xs", "+te") == "--write-xfer-little not allowed with --bit-preserving"


# -- --compression-level ----------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["+te"], ["+tb"], ["+ti"]])
def test_compression_level_needs_deflate_or_same(argv):
    assert error(SCP, *argv, "+cl", "5") == \
        "--compression-level only allowed with --write-xfer-deflated or --write-xfer-same"


def test_compression_level_dependence_in_dcmqrscp_names_propose_deflated():
    assert error(QR, "+te", "+cl", "5") == \
        "--compression-level only allowed with --propose-deflated, --write-xfer-deflated or --write-xfer-same"


def test_compression_level_allowed_by_the_tool():
    assert encoding(QR, "-xd", "+te", "+cl", "5", deflate_allowed=True) == \
        WriteEncoding(transfer_syntax=ELE, compression_level=5)


def test_compression_level_range_checked_after_the_dependence():
    assert error(SCP, "+ti", "+cl", "99") == \
        "--compression-level only allowed with --write-xfer-deflated or --write-xfer-same"


# -- help layout --------------------------------------------------------------------------------------

# "dcmqrscp --help" of DCMTK 3.6.7, from "output options:" to the end.
DCMQRSCP_OUTPUT_OPTIONS = """\
output options:
  bit preserving mode:
    -B    --normal                allow implicit format conversions (default)
    +B    --bit-preserving        write data exactly as read
  output file format:
    +F    --write-file            write file format (default)
    -F    --write-dataset         write data set without file meta information
  output transfer syntax (not with --bit-preserving or compressed transmission):
    +t=   --write-xfer-same       write with same TS as input (default)
    +te   --write-xfer-little     write with explicit VR little endian TS
    +tb   --write-xfer-big        write with explicit VR big endian TS
    +ti   --write-xfer-implicit   write with implicit VR little endian TS
    +td   --write-xfer-deflated   write with deflated expl. VR little endian TS
  post-1993 value representations:
    +u    --enable-new-vr         enable support for new VRs (UN/UT) (default)
    -u    --disable-new-vr        disable support for new VRs, convert to OB
  group length encoding (not with --bit-preserving):
    +g=   --group-length-recalc   recalculate group lengths if present (default)
    +g    --group-length-create   always write with group length elements
    -g    --group-length-remove   always write without group length elements
  length encoding in sequences and items (not with --bit-preserving):
    +e    --length-explicit       write with explicit lengths (default)
    -e    --length-undefined      write with undefined lengths
  data set trailing padding (not with --write-dataset or --bit-preserving):
    -p    --padding-off           no padding (default)
    +p    --padding-create        [f]ile-pad [i]tem-pad: integer
                                  align file on multiple of f bytes
                                  and items on multiple of i bytes
  deflate compression level (only with -xd or --write-xfer-deflated/same):
    +cl   --compression-level     [l]evel: integer (default: 6)
                                  0=uncompressed, 1=fastest, 9=best compression
"""


def test_dcmqrscp_help_text():
    rendered = render_options(QR)
    assert rendered[rendered.index("output options:"):].rstrip("\n") == DCMQRSCP_OUTPUT_OPTIONS.rstrip("\n")


def test_encoding_group_has_every_subgroup():
    assert [g.heading for g in storeopts.ENCODING_GROUP.items] == [g.heading for g in storeopts.ENCODING_SUBGROUPS]
    assert storeopts.ENCODING_GROUP.heading == "output options:"
