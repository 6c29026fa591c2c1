"""dcmsend: simple DICOM storage SCU (sender), DCMTK 3.6.7 compatible."""

from __future__ import annotations

import getpass
import logging
import os
import sys

from pydcmkit import uids
from pydcmkit.cli import common as C
from pydcmkit.cli.app import Environment, run_tool
from pydcmkit.cli.logsetup import get_logger
from pydcmkit.cli.parser import ParsedArgs, check_dependence
from pydcmkit.cli.progress import ProgressBar, final_line
from pydcmkit.cli.spec import Option, OptionGroup, Param, SubGroup, ToolSpec
from pydcmkit.cli.tlsopts import list_ciphers_command, tls_options
from pydcmkit.net.requestor import RequestorSettings
from pydcmkit.net.sender import Decompression, SenderSettings, StorageSender, report_text, summary_lines
from pydcmkit.net.tls import make_context, TLSSetupError
from pydcmkit.status import ExitCode, ToolError
from pydcmkit.storage.inputs import (MEDIA_STORAGE_DIRECTORY, InputError, ReadMode, collect_inputs,
                                     dicomdir_entries, read_instance)

LIST_DECODERS = Option("--list-decoders", help="list transfer syntaxes of decoders and exit", exclusive=True)
READ_FILE = Option("--read-file", "+f", help="read file format or data set", block="read")
READ_FILE_ONLY = Option("--read-file-only", "+fo", help="read file format only (default)", block="read")
READ_DATASET = Option("--read-dataset", "-f", help="read data set without file meta information", block="read")
READ_DICOMDIR = Option("--read-from-dicomdir", "+rd", help="read information on input files from DICOMDIR")
SCAN_DIRS = Option("--scan-directories", "+sd", help="scan directories for input files (dcmfile-in)")
SCAN_PATTERN = Option("--scan-pattern", "+sp", 1, "[p]attern: string (only w/ --scan-directories)",
                      "pattern for filename matching (wildcards)")
NO_RECURSE = Option("--no-recurse", "-r", help="do not recurse within directories (default)", block="recurse")
RECURSE = Option("--recurse", "+r", help="recurse within specified directories", block="recurse")
DECOMPRESS_NEVER = Option("--decompress-never", "-dn", help="never decompress compressed data sets", block="dec")
DECOMPRESS_LOSSLESS = Option("--decompress-lossless", "+dls", help="only decompress lossless compression (default)",
                             block="dec")
DECOMPRESS_LOSSY = Option("--decompress-lossy", "+dly", help="decompress both lossy and lossless compression",
                          block="dec")
COMPRESSION_LEVEL = C.COMPRESSION_LEVEL
NO_HALT = Option("--no-halt", "-nh", help="do not halt on first invalid input file\nor if unsuccessful store encountered")
NO_ILLEGAL = Option("--no-illegal-proposal", "-nip", help="do not propose any presentation context that\n"
                                                          "does not contain the default TS (if needed)")
NO_UID_CHECKS = Option("--no-uid-checks", "-nuc", help="do not check UID values of input files")
AETITLE = C.AETITLE.replace(help="set my calling AE title (default: DCMSEND)")
CALL = Option("--call", "-aec", 1, "[a]etitle: string", "set called AE title of peer (default: ANY-SCP)")
MULTI = Option("--multi-associations", "+ma", help="use multiple associations (one after the other)\n"
                                                  "if needed to transfer the instances (default)", block="assoc")
SINGLE = Option("--single-association", "-ma", help="always use a single association", block="assoc")
PARALLEL = Option("--parallel", None, 1, "[n]umber: integer (1..64, default: 1)",
                  "send over n associations at the same time (pydcmkit)", vtype=int, vmin=1, vmax=64,
                  manual="pydcmkit addition: the input list is split into n parts (round robin) that are sent "
                         "over n concurrent associations. The report keeps the input order.")
REPORT = Option("--create-report-file", "+crf", 1, "[f]ilename: string",
                "create a detailed report on the transfer\n(if successful) and write it to text file f")
FAIL_ON_ERROR = Option("--fail-on-error", None, help="exit with 80 if any instance was not stored\n"
                                                     "with status success (pydcmkit)",
                       manual="DCMTK's dcmsend exits with 0 even when instances were refused by the peer, "
                              "skipped with --no-halt, left over by --single-association or never offered a "
                              "presentation context. pydcmkit keeps that default and adds this option: when "
                              "any instance was not stored with status Success, the exit code is 80.")
NO_PROGRESS = Option("--no-progress", None, help="do not show a progress bar on a terminal (pydcmkit)")

MANUAL = """\
dcmsend is a Storage Service Class User: it sends DICOM files to a Storage SCP with C-STORE. It is compatible with DCMTK 3.6.7's dcmsend: the same options, input checks, presentation context proposal (one context per SOP class and compatible transfer syntax, at most 128 per association, further associations with +ma), decompression rules, log lines, report file (+crf) and exit codes.

Files that need no conversion are streamed from disk as they are, without decoding. A file is converted only when the peer accepted its SOP class in another transfer syntax: uncompressed syntaxes are converted into each other, deflated data sets are inflated, and compressed pixel data are decompressed when --decompress-lossless (lossless syntaxes, the default) or --decompress-lossy (all) allows it and a decoder is installed (see --list-decoders)."""

SECTIONS = (
    ("Differences from DCMTK", """\
Like DCMTK, dcmsend exits with 0 when instances were not stored: refused or failed DIMSE statuses, instances skipped with --no-halt, instances left over by --single-association, or an association accepted without any presentation context. Scripts that must notice this can add --fail-on-error: the exit code is then 80 whenever any instance was not stored with status Success.

--parallel n sends over n associations at the same time (the input list is split round robin); DCMTK always uses one association at a time.

On a terminal a progress bar is shown at the default log level (not with -q, -v, -d, --no-progress, or when standard error is not a terminal); at the end a line "sent N objects (X MB) in T s (Y MB/s)" is printed (with -v it is logged as I: line).

TCP_NODELAY is always set; DCMTK 3.6.7 needs the environment variable TCP_NODELAY=1 for that.

The TLS options (+tls and the related ones, as in DCMTK's storescu) are accepted; DCMTK 3.6.7's dcmsend has none.

Options can also be given by a configuration file and by environment variables (see ENVIRONMENT)."""),
    ("Exit codes", (("0", "no error (see above: also when instances were not stored, unless --fail-on-error)"),
                    ("1", "command line syntax error"),
                    ("21", "no input files"),
                    ("22", "invalid input file (in halt mode)"),
                    ("23", "no valid input files"),
                    ("43", "cannot write report file"),
                    ("61", "cannot negotiate association (connection refused, association rejected, unknown host)"),
                    ("62", "cannot send request (no presentation context for an instance in halt mode, "
                           "network failure, unreadable file)"),
                    ("65", "cannot add presentation context (with --no-illegal-proposal in halt mode)"),
                    ("71", "cannot create TLS transport layer"),
                    ("80", "with --fail-on-error: at least one instance was not stored with status Success"))),
    ("Examples", """\
  dcmsend -v +sd +r archive.example.org 104 /data/images
  dcmsend --parallel 4 +sd +r -aec PACS pacs 11112 study/ +crf report.txt"""),
    ("See also", "dcmrecv(1), storescu(1)"),
)

SPEC = ToolSpec(
    name="dcmsend",
    description="Simple DICOM storage SCU (sender)",
    manual=MANUAL,
    man_sections=SECTIONS,
    params=(Param("peer", "hostname of DICOM peer"),
            Param("port", "tcp/ip port number of peer", vtype=int, vmin=1, vmax=65535),
            Param("dcmfile-in", "DICOM file or directory to be transmitted", kind="repeat")),
    groups=(
        C.general_group(C.VERBOSE_PC, exclusive=(LIST_DECODERS,)),
        OptionGroup("input options:", (
            SubGroup("input file format:", (READ_FILE, READ_FILE_ONLY, READ_DATASET)),
            SubGroup("input files:", (READ_DICOMDIR, SCAN_DIRS, SCAN_PATTERN, NO_RECURSE, RECURSE)),
        )),
        OptionGroup("processing options:", (
            SubGroup("transfer syntax conversion:", (DECOMPRESS_NEVER, DECOMPRESS_LOSSLESS, DECOMPRESS_LOSSY)),
            SubGroup("deflate compression level:", (COMPRESSION_LEVEL,)),
            SubGroup("other processing options:", (NO_HALT, NO_ILLEGAL, NO_UID_CHECKS)),
        )),
        OptionGroup("network options:", (
            SubGroup("application entity titles:", (AETITLE, CALL)),
            SubGroup("association handling:", (MULTI, SINGLE, PARALLEL)),
            SubGroup("other network options:", (C.TIMEOUT, C.ACSE_TIMEOUT, C.DIMSE_TIMEOUT, C.MAX_PDU,
                                                C.MAX_SEND_PDU)),
        )),
        C.TLS_GROUP,
        OptionGroup("output options:", (
            SubGroup("general:", (REPORT, FAIL_ON_ERROR, NO_PROGRESS)),
        )),
    ),
)

log = get_logger("apps.dcmsend")
READ_MODES = {"--read-file": ReadMode.AUTO, "--read-file-only": ReadMode.FILE_ONLY,
              "--read-dataset": ReadMode.DATASET}
DECOMPRESSION = {"--decompress-never": Decompression.NEVER, "--decompress-lossless": Decompression.LOSSLESS,
                 "--decompress-lossy": Decompression.LOSSY}


def make_settings(args: ParsedArgs) -> SenderSettings:
    check_dependence("--verbose-pc", "verbose mode", not args.has("--verbose-pc") or log.isEnabledFor(logging.INFO))
    scan = args.has("--scan-directories")
    check_dependence("--scan-pattern", "--scan-directories", scan or not args.has("--scan-pattern"))
    check_dependence("--recurse", "--scan-directories", scan or args.winner("recurse") != "--recurse")
    tls = tls_options(args, read_password=lambda: getpass.getpass("Enter PEM pass phrase:"))
    ssl_context = None
    if tls is not None:
        try:
            ssl_context = make_context(tls, server_side=False)
        except TLSSetupError as exc:
            raise ToolError(f"cannot create TLS transport layer: {exc}", ExitCode.CANNOT_CREATE_TRANSPORT_LAYER)
    requestor = RequestorSettings(
        calling_ae=args.value("--aetitle", "DCMSEND"), called_ae=args.value("--call", "ANY-SCP"),
        max_pdu=args.get("--max-pdu", 16384), max_send_pdu=args.get("--max-send-pdu"),
        connect_timeout=args.get("--timeout"), acse_timeout=args.get("--acse-timeout", 30),
        dimse_timeout=args.get("--dimse-timeout"), ssl_context=ssl_context)
    return SenderSettings(
        host=args.param("peer"), port=args.param("port"), requestor=requestor,
        decompression=DECOMPRESSION[args.winner("dec") or "--decompress-lossless"],
        deflate_level=args.get("--compression-level", 6), halt_on_error=not args.has("--no-halt"),
        illegal_proposal=not args.has("--no-illegal-proposal"),
        multi_associations=args.winner("assoc") != "--single-association",
        parallel=args.get("--parallel", 1), verbose_pc=args.has("--verbose-pc"))


def check_inputs(args: ParsedArgs, halt: bool) -> list:
    scan = args.has("--scan-directories")
    if scan:
        log.info("determining input files ...")
    files = collect_inputs(args.param("dcmfile-in"), scan_directories=scan,
                           recurse=args.winner("recurse") == "--recurse", pattern=args.value("--scan-pattern"),
                           warn=log.warning)
    if not files:
        raise ToolError("no input files to be processed", ExitCode.NO_INPUT_FILES)
    log.info("checking input files ...")
    mode = READ_MODES[args.winner("read") or "--read-file-only"]
    uid_checks = not args.has("--no-uid-checks")
    instances, invalid = [], 0
    for path in files:
        try:
            if path == "":
                log.error("cannot add DICOM file with empty filename")
                raise InputError("Illegal parameter")
            inst = read_instance(path, mode, uid_checks=False)
            if inst.sop_class_uid == MEDIA_STORAGE_DIRECTORY and args.has("--read-from-dicomdir"):
                instances.extend(dicomdir_entries(inst))
                continue
            from pydcmkit.storage.inputs import check_instance
            check_instance(inst, uid_checks=uid_checks)
            log.debug("adding DICOM file '%s'", path)
            instances.append(inst)
        except InputError as exc:
            if path != "":
                log.error("cannot add DICOM file to the transfer list: %s: %s", path, exc.reason)
            if halt:
                raise ToolError(f"bad DICOM file: {path}: {exc.reason}", ExitCode.INVALID_INPUT_FILE)
            log.warning("bad DICOM file: %s: %s, ignoring file", path, exc.reason)
            invalid += 1
    if not instances:
        raise ToolError("no valid input files to be processed", ExitCode.NO_VALID_INPUT_FILES)
    log.debug("in total, there are %d SOP instances to be sent, %d invalid files are ignored",
              len(instances), invalid)
    return instances


def send(args: ParsedArgs, env: Environment) -> int:
    settings = make_settings(args)
    instances = check_inputs(args, settings.halt_on_error)
    if settings.multi_associations:
        log.debug("multiple associations allowed (option --multi-associations used)")
    else:
        log.debug("only a single associations allowed (option --single-association used)")
    show_progress = (not args.has("--no-progress") and log.isEnabledFor(logging.WARNING)
                     and not log.isEnabledFor(logging.INFO) and _isatty(env.stderr))
    bar = ProgressBar(env.stderr, len(instances)) if show_progress else None
    sender = StorageSender(settings, on_progress=(lambda e: bar.update(e.sent_bytes)) if bar else None)
    result = sender.send(instances)
    if bar:
        bar.finish()
    if result.error is not None:
        raise result.error
    report = args.value("--create-report-file")
    if report:
        log.info("creating detailed report on the transfer ...")
        if os.path.exists(report):
            log.warning("file '%s' already exists, overwriting", report)
        text = report_text(result, settings.host, settings.port, settings.requestor.calling_ae,
                           settings.requestor.called_ae)
        try:
            with open(report, "w") as f:
                f.write(text)
        except OSError:
            log.error("cannot write detailed report to file '%s'", report)
            return ExitCode.CANNOT_WRITE_REPORT_FILE
    log.info("%s", "\n" + "\n".join(summary_lines(result)))
    line = final_line(len(result.sent), result.bytes_sent, result.seconds)
    if bar:
        env.stderr.write(line + "\n")
    else:
        log.info("%s", line)
    if args.has("--fail-on-error") and not result.all_successful:
        return ExitCode.STORE_FAILURES
    return 0


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def list_decoders(args: ParsedArgs, env: Environment) -> int:
    out = [SPEC.identification, "", f"{SPEC.name}: {SPEC.description}", "",
           "Transfer syntaxes supported natively:"]
    out += [f"- {uids.ts_long_name(u)}" for u in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2")]
    out += ["", "Transfer syntaxes supported by decoders:"]
    from pydcmkit.codec import decodable_syntaxes
    out += [f"- {_ts_display_name(u)}" for u in decodable_syntaxes()]
    env.stdout.write("\n".join(out) + "\n")
    return 0


def _ts_display_name(uid: str) -> str:
    name = uids.ts_long_name(uid)
    if name == "Unknown Transfer Syntax":  # newer than DCMTK 3.6.7's table
        from pydicom.uid import UID
        name = UID(uid).name
    return name


def main(argv=None, environ: Environment | None = None) -> int:
    return run_tool(SPEC, argv, send, environ, exclusive={"--list-decoders": list_decoders,
                                                          "--list-ciphers": list_ciphers_command})


if __name__ == "__main__":
    sys.exit(main())
