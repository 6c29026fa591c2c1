"""Output options of storage SCPs (dcmrecv, dcmqrscp): defined once, turned into StoreSettings."""

from __future__ import annotations

from .. import uids
from ..services.store import StorageMode, StoreSettings
from ..storage.encoding import WriteEncoding
from ..storage.naming import NamingScheme, StorageLayout
from . import common as C
from .parser import ParsedArgs, check_conflict, check_dependence
from .spec import Option, OptionGroup, SubGroup

OUTPUT_DIRECTORY = Option("--output-directory", "-od", 1, '[d]irectory: string (default: ".")',
                          "write received objects to existing directory d")
NO_SUBDIR = Option("--no-subdir", "-s", help="do not generate any subdirectories (default)", block="subdir")
SERIES_DATE_SUBDIR = Option("--series-date-subdir", "+ssd", help="generate subdirectories from series date",
                            block="subdir")
DEFAULT_FILENAMES = Option("--default-filenames", "+fd", help="generate filename from instance UID (default)",
                           block="filenames")
UNIQUE_FILENAMES = Option("--unique-filenames", "+fu", help="generate unique filename based on new UID",
                          block="filenames")
SHORT_UNIQUE_NAMES = Option("--short-unique-names", "+fsu", help="generate short pseudo-random unique filename",
                            block="filenames")
SYSTEM_TIME_NAMES = Option("--system-time-names", "+fst", help="generate filename from current system time",
                           block="filenames")
FILENAME_EXTENSION = Option("--filename-extension", "-fe", 1, "[e]xtension: string (default: none)",
                            "append e to all generated filenames")
NORMAL = Option("--normal", "-B", help="allow implicit format conversions (default)", block="storage-mode")
BIT_PRESERVING = Option("--bit-preserving", "+B", help="write dataset exactly as received", block="storage-mode")
IGNORE = Option("--ignore", help="ignore dataset, receive but do not store it", block="storage-mode")
NO_FSYNC = Option("--no-fsync", help="do not wait for the disk before answering success\n"
                                     "(pydcmkit; faster, but a crash may lose\nacknowledged instances)",
                  manual="By default pydcmkit flushes every received file and its directory entry to disk "
                         "(fsync) before it answers success, so an acknowledged instance survives a crash "
                         "or power loss. DCMTK does not. This option restores DCMTK's behaviour.")

OUTPUT_GROUP = OptionGroup("output options:", (
    SubGroup("general:", (OUTPUT_DIRECTORY,)),
    SubGroup("subdirectory generation:", (NO_SUBDIR, SERIES_DATE_SUBDIR)),
    SubGroup("filename generation:", (DEFAULT_FILENAMES, UNIQUE_FILENAMES, SHORT_UNIQUE_NAMES,
                                      SYSTEM_TIME_NAMES, FILENAME_EXTENSION)),
    SubGroup("storage mode:", (NORMAL, BIT_PRESERVING, IGNORE, NO_FSYNC)),
))

_SCHEMES = {"--default-filenames": NamingScheme.DEFAULT, "--unique-filenames": NamingScheme.UNIQUE,
            "--short-unique-names": NamingScheme.SHORT_UNIQUE, "--system-time-names": NamingScheme.SYSTEM_TIME}
_MODES = {"--normal": StorageMode.NORMAL, "--bit-preserving": StorageMode.BIT_PRESERVING,
          "--ignore": StorageMode.IGNORE}


def store_settings(args: ParsedArgs) -> StoreSettings:
    """StoreSettings from the output options, with DCMTK's conflict check on the winning options
    (``--bit-preserving not allowed with --series-date-subdir``)."""
    ssd = args.winner("subdir") == "--series-date-subdir"
    mode = _MODES[args.winner("storage-mode") or "--normal"]
    check_conflict("--bit-preserving", "--series-date-subdir", ssd and mode is StorageMode.BIT_PRESERVING)
    layout = StorageLayout(output_dir=args.value("--output-directory", "."),
                           scheme=_SCHEMES[args.winner("filenames") or "--default-filenames"],
                           extension=args.value("--filename-extension", ""),
                           series_date_subdir=ssd)
    return StoreSettings(layout=layout, mode=mode, durable=not args.has("--no-fsync"))


# -- output encoding (dcmqrscp.md §1.6; DCMTK dcmqrscp/storescp) ------------------------------
FILE_FORMAT_BLOCK = "file-format"
WRITE_XFER_BLOCK = "write-xfer"
NEW_VR_BLOCK = "new-vr"
GROUP_LENGTH_BLOCK = "group-length"
LENGTH_ENCODING_BLOCK = "length-encoding"
PADDING_BLOCK = "padding"

WRITE_FILE = Option("--write-file", "+F", help="write file format (default)", block=FILE_FORMAT_BLOCK)
WRITE_DATASET = Option("--write-dataset", "-F", help="write data set without file meta information",
                       block=FILE_FORMAT_BLOCK)
WRITE_XFER_SAME = Option("--write-xfer-same", "+t=", help="write with same TS as input (default)",
                         block=WRITE_XFER_BLOCK)
WRITE_XFER_LITTLE = Option("--write-xfer-little", "+te", help="write with explicit VR little endian TS",
                           block=WRITE_XFER_BLOCK)
WRITE_XFER_BIG = Option("--write-xfer-big", "+tb", help="write with explicit VR big endian TS",
                        block=WRITE_XFER_BLOCK)
WRITE_XFER_IMPLICIT = Option("--write-xfer-implicit", "+ti", help="write with implicit VR little endian TS",
                             block=WRITE_XFER_BLOCK)
WRITE_XFER_DEFLATED = Option("--write-xfer-deflated", "+td", help="write with deflated expl. VR little endian TS",
                             block=WRITE_XFER_BLOCK)
ENABLE_NEW_VR = Option("--enable-new-vr", "+u", help="enable support for new VRs (UN/UT) (default)",
                       block=NEW_VR_BLOCK)
DISABLE_NEW_VR = Option("--disable-new-vr", "-u", help="disable support for new VRs, convert to OB",
                        block=NEW_VR_BLOCK)
GROUP_LENGTH_RECALC = Option("--group-length-recalc", "+g=", help="recalculate group lengths if present (default)",
                             block=GROUP_LENGTH_BLOCK)
GROUP_LENGTH_CREATE = Option("--group-length-create", "+g", help="always write with group length elements",
                             block=GROUP_LENGTH_BLOCK)
GROUP_LENGTH_REMOVE = Option("--group-length-remove", "-g", help="always write without group length elements",
                             block=GROUP_LENGTH_BLOCK)
LENGTH_EXPLICIT = Option("--length-explicit", "+e", help="write with explicit lengths (default)",
                         block=LENGTH_ENCODING_BLOCK)
LENGTH_UNDEFINED = Option("--length-undefined", "-e", help="write with undefined lengths",
                          block=LENGTH_ENCODING_BLOCK)
PADDING_OFF = Option("--padding-off", "-p", help="no padding (default)", block=PADDING_BLOCK)
PADDING_CREATE = Option("--padding-create", "+p", 2, "[f]ile-pad [i]tem-pad: integer",
                        "align file on multiple of f bytes\nand items on multiple of i bytes",
                        block=PADDING_BLOCK, vtype=int, vmin=0)
COMPRESSION_LEVEL = C.COMPRESSION_LEVEL

#: The sub-groups in DCMTK 3.6.7's help order.  dcmqrscp lists them under ``output options:`` after
#: ``bit preserving mode:`` (``OptionGroup("output options:", (bit_preserving, *ENCODING_SUBGROUPS))``).
FILE_FORMAT_SUBGROUP = SubGroup("output file format:", (WRITE_FILE, WRITE_DATASET))
WRITE_XFER_SUBGROUP = SubGroup("output transfer syntax (not with --bit-preserving or compressed transmission):",
                               (WRITE_XFER_SAME, WRITE_XFER_LITTLE, WRITE_XFER_BIG, WRITE_XFER_IMPLICIT,
                                WRITE_XFER_DEFLATED))
NEW_VR_SUBGROUP = SubGroup("post-1993 value representations:", (ENABLE_NEW_VR, DISABLE_NEW_VR))
GROUP_LENGTH_SUBGROUP = SubGroup("group length encoding (not with --bit-preserving):",
                                 (GROUP_LENGTH_RECALC, GROUP_LENGTH_CREATE, GROUP_LENGTH_REMOVE))
LENGTH_ENCODING_SUBGROUP = SubGroup("length encoding in sequences and items (not with --bit-preserving):",
                                    (LENGTH_EXPLICIT, LENGTH_UNDEFINED))
PADDING_SUBGROUP = SubGroup("data set trailing padding (not with --write-dataset or --bit-preserving):",
                            (PADDING_OFF, PADDING_CREATE))
COMPRESSION_LEVEL_SUBGROUP = SubGroup("deflate compression level (only with -xd or --write-xfer-deflated/same):",
                                      (COMPRESSION_LEVEL,))

ENCODING_SUBGROUPS = (FILE_FORMAT_SUBGROUP, WRITE_XFER_SUBGROUP, NEW_VR_SUBGROUP, GROUP_LENGTH_SUBGROUP,
                      LENGTH_ENCODING_SUBGROUP, PADDING_SUBGROUP, COMPRESSION_LEVEL_SUBGROUP)
ENCODING_GROUP = OptionGroup("output options:", ENCODING_SUBGROUPS)

_WRITE_XFER = {"--write-xfer-same": None, "--write-xfer-little": uids.EXPLICIT_VR_LITTLE_ENDIAN,
               "--write-xfer-big": uids.EXPLICIT_VR_BIG_ENDIAN,
               "--write-xfer-implicit": uids.IMPLICIT_VR_LITTLE_ENDIAN,
               "--write-xfer-deflated": uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN}
_GROUP_LENGTH = {"--group-length-recalc": "recalc", "--group-length-create": "create",
                 "--group-length-remove": "remove"}
#: ``--prefer-...`` options that are not a compressed transfer syntax (no conflict with ``+t...``).
_PREFER_UNCOMPRESSED = ("--prefer-uncompr", "--prefer-little", "--prefer-big", "--prefer-deflated")


def _compressed_preference(args: ParsedArgs) -> str | None:
    """The winning ``--prefer-<compressed>`` option of a tool that has them, else ``None``."""
    prefer = args.spec.find("--prefer-uncompr")
    if prefer is None or prefer.block is None:
        return None
    winner = args.winner(prefer.block)
    if winner and winner.startswith("--prefer-") and winner not in _PREFER_UNCOMPRESSED:
        return winner
    return None


def write_encoding(args: ParsedArgs, bit_preserving: bool, deflate_allowed: bool = False) -> WriteEncoding:
    """WriteEncoding from the output encoding options, with DCMTK's checks in its order.

    Each option block is evaluated by DCMTK's exact block rule (:meth:`ParsedArgs.honoured`):
    every honoured ``--write-xfer-little/big/implicit/deflated`` is not allowed with
    ``--bit-preserving`` nor with a compressed ``--prefer-...``; every honoured
    ``--group-length-...`` and ``--length-...`` option (defaults included) and
    ``--padding-create`` are not allowed with ``--bit-preserving``; ``--padding-create`` not with
    ``--write-dataset``.  ``--compression-level`` is only allowed with ``--write-xfer-deflated``
    or ``--write-xfer-same``, or when ``deflate_allowed`` (dcmqrscp: ``--propose-deflated``; the
    message then names it too, if the tool has that option).
    """
    write_meta = args.winner(FILE_FORMAT_BLOCK) != "--write-dataset"
    compressed = _compressed_preference(args)
    target = None
    for long in args.honoured(WRITE_XFER_BLOCK):
        if long != "--write-xfer-same":
            check_conflict(long, "--bit-preserving", bit_preserving)
            check_conflict(long, compressed or "", compressed is not None)
        target = _WRITE_XFER[long]
    group_length = "recalc"
    for long in args.honoured(GROUP_LENGTH_BLOCK):
        check_conflict(long, "--bit-preserving", bit_preserving)
        group_length = _GROUP_LENGTH[long]
    explicit_length = True
    for long in args.honoured(LENGTH_ENCODING_BLOCK):
        check_conflict(long, "--bit-preserving", bit_preserving)
        explicit_length = long == "--length-explicit"
    padding = None
    for long in args.honoured(PADDING_BLOCK):
        padding = None
        if long == "--padding-create":
            check_conflict(long, "--write-dataset", not write_meta)
            check_conflict(long, "--bit-preserving", bit_preserving)
            padding = args.get(long)
    level = 6
    if args.has("--compression-level"):
        if args.spec.find("--propose-deflated") is not None:
            base = "--propose-deflated, --write-xfer-deflated or --write-xfer-same"
        else:
            base = "--write-xfer-deflated or --write-xfer-same"
        check_dependence("--compression-level", base,
                         deflate_allowed or target in (None, uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN))
        level = args.get("--compression-level")
    return WriteEncoding(write_meta=write_meta, transfer_syntax=target,
                         new_vr=args.winner(NEW_VR_BLOCK) != "--disable-new-vr", group_length=group_length,
                         explicit_length=explicit_length, padding=padding, compression_level=level)
