"""Output options of storage SCPs (dcmrecv, dcmqrscp): defined once, turned into StoreSettings."""

from __future__ import annotations

from ..services.store import StorageMode, StoreSettings
from ..storage.naming import NamingScheme, StorageLayout
from .parser import ParsedArgs, check_conflict
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
