"""Test specs: replicas of DCMTK 3.6.7's dcmrecv/dcmsend option tables and a dcmqrscp-like
block, built from the shared pieces of pydcmkit.cli.common."""

from pydcmkit.cli import common as c
from pydcmkit.cli.spec import Option, OptionGroup, Param, SubGroup, ToolSpec

DCMRECV = ToolSpec(
    name="dcmrecv",
    description="Simple DICOM storage SCP (receiver)",
    params=(Param("port", "tcp/ip port number to listen on", vtype=int, vmin=1, vmax=65535),),
    groups=(
        c.general_group(c.VERBOSE_PC),
        OptionGroup("network options:", (
            SubGroup("association negotiation profile from configuration file:", (
                Option("--config-file", "-xf", 2, "[f]ilename, [p]rofile: string",
                       "use profile p from configuration file f"),)),
            SubGroup("application entity title:", (
                c.AETITLE.replace(help="set my AE title (default: DCMRECV)", block="aet"),
                Option("--use-called-aetitle", "-uca", help="always respond with called AE title",
                       block="aet"))),
            SubGroup("other network options:", (
                c.ACSE_TIMEOUT, c.DIMSE_TIMEOUT, c.MAX_PDU, c.DISABLE_HOST_LOOKUP)),
        )),
        c.TLS_GROUP,
        OptionGroup("output options:", (
            SubGroup("general:", (
                Option("--output-directory", "-od", 1, '[d]irectory: string (default: ".")',
                       "write received objects to existing directory d"),)),
            SubGroup("subdirectory generation:", (
                Option("--no-subdir", "-s", help="do not generate any subdirectories (default)",
                       block="subdir"),
                Option("--series-date-subdir", "+ssd",
                       help="generate subdirectories from series date", block="subdir"))),
            SubGroup("filename generation:", (
                Option("--default-filenames", "+fd",
                       help="generate filename from instance UID (default)", block="names"),
                Option("--unique-filenames", "+fu",
                       help="generate unique filename based on new UID", block="names"),
                Option("--short-unique-names", "+fsu",
                       help="generate short pseudo-random unique filename", block="names"),
                Option("--system-time-names", "+fst",
                       help="generate filename from current system time", block="names"),
                Option("--filename-extension", "-fe", 1, "[e]xtension: string (default: none)",
                       "append e to all generated filenames"))),
            SubGroup("storage mode:", (
                Option("--normal", "-B", help="allow implicit format conversions (default)",
                       block="mode"),
                Option("--bit-preserving", "+B", help="write dataset exactly as received",
                       block="mode"),
                Option("--ignore", help="ignore dataset, receive but do not store it",
                       block="mode"))),
        )),
    ),
)

LIST_DECODERS = Option("--list-decoders", help="list transfer syntaxes of decoders and exit",
                       exclusive=True)

DCMSEND = ToolSpec(
    name="dcmsend",
    description="Simple DICOM storage SCU (sender)",
    params=(Param("peer", "hostname of DICOM peer"),
            Param("port", "tcp/ip port number of peer", vtype=int, vmin=1, vmax=65535),
            Param("dcmfile-in", "DICOM file or directory to be transmitted", kind="repeat")),
    groups=(
        c.general_group(c.VERBOSE_PC, exclusive=(LIST_DECODERS,)),
        OptionGroup("input options:", (
            SubGroup("input file format:", (
                Option("--read-file", "+f", help="read file format or data set", block="in"),
                Option("--read-file-only", "+fo", help="read file format only (default)",
                       block="in"),
                Option("--read-dataset", "-f",
                       help="read data set without file meta information", block="in"))),
            SubGroup("input files:", (
                Option("--read-from-dicomdir", "+rd",
                       help="read information on input files from DICOMDIR"),
                Option("--scan-directories", "+sd",
                       help="scan directories for input files (dcmfile-in)"),
                Option("--scan-pattern", "+sp", 1,
                       "[p]attern: string (only w/ --scan-directories)",
                       "pattern for filename matching (wildcards)"),
                Option("--no-recurse", "-r", help="do not recurse within directories (default)",
                       block="rec"),
                Option("--recurse", "+r", help="recurse within specified directories",
                       block="rec"))),
        )),
        OptionGroup("processing options:", (
            SubGroup("transfer syntax conversion:", (
                Option("--decompress-never", "-dn", help="never decompress compressed data sets",
                       block="dec"),
                Option("--decompress-lossless", "+dls",
                       help="only decompress lossless compression (default)", block="dec"),
                Option("--decompress-lossy", "+dly",
                       help="decompress both lossy and lossless compression", block="dec"))),
            SubGroup("deflate compression level:", (c.COMPRESSION_LEVEL,)),
            SubGroup("other processing options:", (
                Option("--no-halt", "-nh", help="do not halt on first invalid input file\n"
                                                "or if unsuccessful store encountered"),
                Option("--no-illegal-proposal", "-nip",
                       help="do not propose any presentation context that\n"
                            "does not contain the default TS (if needed)"),
                Option("--no-uid-checks", "-nuc", help="do not check UID values of input files"))),
        )),
        OptionGroup("network options:", (
            SubGroup("application entity titles:", (
                c.AETITLE.replace(help="set my calling AE title (default: DCMSEND)"),
                Option("--call", "-aec", 1, "[a]etitle: string",
                       "set called AE title of peer (default: ANY-SCP)"))),
            SubGroup("association handling:", (
                Option("--multi-associations", "+ma",
                       help="use multiple associations (one after the other)\n"
                            "if needed to transfer the instances (default)", block="ma"),
                Option("--single-association", "-ma", help="always use a single association",
                       block="ma"))),
            SubGroup("other network options:", (
                c.TIMEOUT, c.ACSE_TIMEOUT, c.DIMSE_TIMEOUT, c.MAX_PDU, c.MAX_SEND_PDU)),
        )),
        OptionGroup("output options:", (
            SubGroup("general:", (
                Option("--create-report-file", "+crf", 1, "[f]ilename: string",
                       "create a detailed report on the transfer\n"
                       "(if successful) and write it to text file f"),)),
        )),
    ),
)

#: dcmqrscp-like tool: optional parameter, the move-restriction block of dcmqrscp.md 1.3,
#: a 2-value and a 3-value option, LONGCOL 22.
QRLIKE = ToolSpec(
    name="qrlike",
    description="DICOM image archive (central test node)",
    params=(Param("port", "tcp/ip port number to listen on\n(default: in config file)",
                  kind="optional", vtype=int, vmin=1, vmax=65535),),
    long_col=22,
    groups=(
        c.general_group(Option("--config", "-c", 1, "[f]ilename: string",
                               "use specific configuration file")),
        OptionGroup("database options:", (
            SubGroup("restriction of move targets:", (
                Option("--move-unrestricted", help="do not restrict move destination (default)",
                       block="Z"),
                Option("--move-aetitle", "-ZA", help="restrict move dest. to requesting AE title",
                       block="Z"),
                Option("--move-host", "-ZH", help="restrict move destination to requesting host",
                       block="Z"),
                Option("--move-vendor", "-ZV",
                       help="restrict move destination to requesting vendor", block="Z"))),
        )),
        OptionGroup("network options:", (
            Option("--assoc-config-file", "-xf", 3,
                   "[f]ilename, [i]n-profile, [o]ut-profile: string",
                   "use profile i from f for incoming associations\n"
                   "use profile o from f for outgoing associations"),
            Option("--padding-create", "+p", 2, "[f]ile-pad [i]tem-pad: integer",
                   "align file on multiple of f bytes\nand items on multiple of i bytes",
                   vtype=int),
            Option("--signed", None, 1, "[n]umber: integer", "a signed value",
                   vtype="signed", vmin=-10, vmax=10),
            c.ADD_CERT_FILE,
        )),
    ),
)


def dcmrecv_like_main(args, env):
    """Evaluates options in dcmrecv.cc's order, then the port; returns 0 without serving."""
    import logging

    from pydcmkit.cli.parser import check_conflict, check_dependence

    if args.has("--verbose-pc"):
        check_dependence("--verbose-pc", "verbose mode",
                         logging.getLogger("pydcmkit.apps.dcmrecv").isEnabledFor(logging.INFO))
    args.get("--config-file")
    args.get("--aetitle")
    args.get("--acse-timeout")
    args.get("--dimse-timeout")
    args.get("--max-pdu")
    args.get("--output-directory")
    subdir = args.winner("subdir") == "--series-date-subdir"
    check_conflict("--bit-preserving", "--series-date-subdir",
                   args.winner("mode") == "--bit-preserving" and subdir)
    args.param("port")
    return 0
