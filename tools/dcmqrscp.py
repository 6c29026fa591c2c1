"""dcmqrscp: DICOM image archive (Q/R SCP), DCMTK 3.6.7 compatible, on pydcmkit's query database."""

from __future__ import annotations

import getpass
import grp
import os
import pwd
import signal
import sys
import threading
from dataclasses import replace

from pydicom.charset import python_encoding

from pydcmkit.cli import common as C
from pydcmkit.cli import storeopts, tsopts
from pydcmkit.cli.app import Environment, run_tool
from pydcmkit.cli.logsetup import get_logger
from pydcmkit.cli.parser import ParsedArgs, check_conflict
from pydcmkit.cli.spec import Option, OptionGroup, Param, SubGroup, ToolSpec
from pydcmkit.cli.tlsopts import list_ciphers_command, tls_options
from pydcmkit.db import InformationModel, KeySet
from pydcmkit.net.server import ServerSettings
from pydcmkit.services.store import StorageMode, StoreSettings
from pydcmkit.status import AssociationConfigError, CommandLineError, ExitCode, ToolError

DEFAULT_CONFIG = "/etc/dcmtk/dcmqrscp.cfg"

CONFIG = Option("--config", "-c", 1, "[f]ilename: string",
                f"use specific configuration file\n(default: {DEFAULT_CONFIG})")
SINGLE_PROCESS = Option("--single-process", "-s", help="single process mode", block="process")
FORK = Option("--fork", help="fork child process for each assoc. (default)", block="process",
              manual="pydcmkit serves each association in its own thread (or, with --processes, in one of "
                     "several worker processes); the index database is safe for concurrent use.")
REQUIRE_FIND = Option("--require-find", help="reject all MOVE/GET presentation contexts for\n"
                      "which no correspond. FIND context is proposed")
NO_PARALLEL_STORE = Option("--no-parallel-store", help="reject multiple simultaneous STORE presentat.\n"
                           "contexts for one application entity title")
DISABLE_GET = Option("--disable-get", help="disable C-GET support")
ALLOW_SHUTDOWN = Option("--allow-shutdown", help="allow external shutdown via private SOP class",
                        manual="The server then exits with status 0 (DCMTK 3.6.7 crashes with a segmentation fault).")
CHECK_FIND = Option("--check-find", "-XF", help="check C-FIND identifier validity", block="xf")
NO_CHECK_FIND = Option("--no-check-find", help="do not check C-FIND identifier validity (def.)", block="xf")
CHECK_MOVE = Option("--check-move", "-XM", help="check C-MOVE identifier validity", block="xm")
NO_CHECK_MOVE = Option("--no-check-move", help="do not check C-MOVE identifier validity (def.)", block="xm")
MOVE_UNRESTRICTED = Option("--move-unrestricted", help="do not restrict move destination (default)", block="move")
MOVE_AETITLE = Option("--move-aetitle", "-ZA", help="restrict move dest. to requesting AE title", block="move")
MOVE_HOST = Option("--move-host", "-ZH", help="restrict move destination to requesting host", block="move")
MOVE_VENDOR = Option("--move-vendor", "-ZV", help="restrict move destination to requesting vendor", block="move")
NO_PATIENT_ROOT = Option("--no-patient-root", "-QP", help="do not support Patient Root Q/R models")
NO_STUDY_ROOT = Option("--no-study-root", "-QS", help="do not support Study Root Q/R models")
NO_PATIENT_STUDY = Option("--no-patient-study", "-QO", help="do not support Patient/Study Only Q/R models")
EXTENDED_KEYS = Option("--extended-keys", help="also answer the keys of a modern archive (pydcmkit)",
                       manual="C-FIND answers, besides DCMTK's keys, ModalitiesInStudy, SOPClassUID, SeriesDate, "
                              "the NumberOf...Related... counts and the other keys of the extended key set.")
DATABASE = Option("--database", None, 1, "[u]rl: string (default: SQLite file in each area)",
                  "index database: postgresql://... (pydcmkit)",
                  manual="By default each storage area holds its index in the SQLite file pydcmkit-index.sqlite. "
                         "With a PostgreSQL URL (postgresql://user:password@host/dbname) the index of each area "
                         "lives in a schema of that database named after the area, so that several servers, on "
                         "one host or several sharing the storage areas, serve one archive. Also settable as "
                         "PYDCMKIT_DCMQRSCP_DATABASE or database = ... in dcmqrscp.conf.")
REINDEX = Option("--reindex", help="rebuild the index of every storage area from\nits files, then exit (pydcmkit)",
                 manual="Reads every DICOM file below each storage area of the AETable (DCMTK's dcmqridx role): "
                        "files copied into an area are then archived and can be queried and retrieved. Files that "
                        "are not DICOM are reported and skipped; the exit status is 0.")
ASSOC_CONFIG = Option("--assoc-config-file", "-xf", 3, "[f]ilename, [i]n-profile, [o]ut-profile: string",
                      "use profile i from f for incoming associations\nuse profile o from f for outgoing associations")
ACCESS_FULL = Option("--access-full", "-ac", help="accept connections from any host (default)", block="access")
ACCESS_CONTROL = Option("--access-control", "+ac", help="enforce host access control rules", block="access",
                        manual="Connections are checked against /etc/hosts.allow and /etc/hosts.deny with the "
                               "daemon name dcmqrscp (the TCP wrapper rules: ALL, EXCEPT, addresses, address "
                               "prefixes such as 192.168., net/mask, host names and .domain suffixes).")
REFUSE = Option("--refuse", help="refuse association")
REJECT = Option("--reject", help="reject association if no implement. class UID")
IGNORE = storeopts.IGNORE.replace(help="ignore store data, receive but do not store", block=None)
UID_PADDING = Option("--uid-padding", "-up", help="silently correct space-padded UIDs")
CONNECT_TIMEOUT = C.TIMEOUT.replace(help="timeout for connection requests")
MAX_PDU = C.MAX_PDU.replace(help="set max receive pdu to n bytes\n(default: use value from configuration file)")

USE_REQUEST_CHARSET = Option("--use-request-charset", "+Cr", block="cr",
                             help="try to convert all element values that are\naffected by Specific Character Set "
                                  "(0008,0005)\nto the one specified in the request data set,\nfall back to the one "
                                  "specified via\n--convert-to-xxx if that is not possible\n(default, unless "
                                  "overridden by config file)")
OVERRIDE_CHARSET = Option("--override-charset", "-Cr", block="cr",
                          help="convert affected element values to the\ncharacter set specified via "
                               "--convert-to-xxx,\nignoring the one specified in the request")
TO_ASCII = Option("--convert-to-ascii", "+A7", block="cs", help="convert affected element values to 7-bit ASCII\n"
                  "(default, unless overridden by config file)")
TO_UTF8 = Option("--convert-to-utf8", "+U8", block="cs", help="convert affected element values to UTF-8")
TO_LATIN1 = Option("--convert-to-latin1", "+L1", block="cs", help="convert affected element values to ISO 8859-1")
TO_CHARSET = Option("--convert-to-charset", "+C", 1, "[c]harset: string", block="cs",
                    help="convert affected element values to the char.\nset specified by the DICOM defined term c")
TRANSLITERATE = Option("--transliterate", "-Ct", help="try to approximate characters that cannot be\n"
                       "represented through similar looking characters")
DISCARD_ILLEGAL = Option("--discard-illegal", "-Cd", help="discard characters that cannot be represented\n"
                         "in destination character set")
BIT_PRESERVING = storeopts.BIT_PRESERVING.replace(help="write data exactly as read")

MANUAL = """\
dcmqrscp is a small image archive: a Verification, Storage and Query/Retrieve (C-FIND, C-MOVE, C-GET) Service Class Provider. It is compatible with DCMTK 3.6.7's dcmqrscp: the same options, the same configuration file (HostTable, VendorTable, AETable with storage areas, access rights, quotas and peer lists), association acceptance rules, query matching, file names and exit codes.

Each AE title of the AETable owns a storage area. A received instance is written to <area>/<prefix>_<16 hex digits>.dcm (synced to disk before success is answered) and registered in the index of the area: by default the SQLite file pydcmkit-index.sqlite in the area, or a PostgreSQL database (--database). The quotas of the AETable are enforced when an instance is registered: the oldest images of a study are deleted when the study would exceed its size, the least recently updated study when there are too many studies.

To archive files that are already on disk, copy them into a storage area and run dcmqrscp -c file --reindex."""

SECTIONS = (
    ("Differences from DCMTK", """\
Associations are served concurrently in threads of one process (--fork, the default) or in several worker processes (--processes); -s serves one association at a time. The index is a database (SQLite, or PostgreSQL with --database) and not DCMTK's index.dat, so a query costs the same at any archive size; DCMTK's index.dat files are neither read nor written.

Every received file and its directory entry are synced to disk before success is answered and the instance is registered in the index before the response; a store whose index update fails is answered with 0xA700 and the file removed.

Shutdown through the private SOP class (--allow-shutdown, e.g. termscu) ends the server with exit status 0; SIGTERM and SIGINT also stop it cleanly.

An instance stored compressed is also offered in its own transfer syntax on C-MOVE sub-associations (DCMTK proposes only the -x... syntaxes), so it need not be decompressed.

A response value that cannot be converted to the response character set is answered in UTF-8 (ISO_IR 192) unless -Ct or -Cd is given.

The default configuration file is /etc/dcmtk/dcmqrscp.cfg, where Debian's dcmtk package puts the sample (DCMTK's compiled-in default /usr//etc/dcmtk/dcmqrscp.cfg does not exist on Debian)."""),
    ("Exit codes", (("0", "no error (also --help, --version, --reindex, shutdown via private SOP class, clean stop by signal)"),
                    ("1", "command line syntax error, cannot disable all Q/R models, -xf file or profile errors"),
                    ("10", "configuration file missing, unreadable or invalid, bad MaxPDUSize, privileged port, "
                           "port in use, bad UserName or GroupName"))),
    ("Examples", """\
  dcmqrscp -v -c /etc/dcmtk/dcmqrscp.cfg 11112
  dcmqrscp -c archive.cfg --database postgresql://pacs@dbhost/archive
  dcmqrscp -c archive.cfg --reindex"""),
    ("See also", "dcmrecv(1), dcmsend(1), findscu(1), movescu(1), getscu(1), termscu(1)"),
)

SPEC = ToolSpec(
    name="dcmqrscp",
    long_col=22,
    short_col=4,
    param_col=30,
    description="DICOM image archive (central test node)",
    manual=MANUAL,
    man_sections=SECTIONS,
    params=(Param("port", "tcp/ip port number to listen on\n(default: in config file)", vtype=int, vmin=1,
                  vmax=65535, kind="optional"),),
    groups=(
        C.general_group(CONFIG, REINDEX),
        OptionGroup("multi-process options:", (SINGLE_PROCESS, FORK, C.PROCESSES), short_col=6),
        OptionGroup("database options:", (
            SubGroup("association negotiation:", (REQUIRE_FIND, NO_PARALLEL_STORE, DISABLE_GET, ALLOW_SHUTDOWN)),
            SubGroup("checking identifier validity:", (CHECK_FIND, NO_CHECK_FIND, CHECK_MOVE, NO_CHECK_MOVE)),
            SubGroup("restriction of move targets:", (MOVE_UNRESTRICTED, MOVE_AETITLE, MOVE_HOST, MOVE_VENDOR)),
            SubGroup("restriction of query/retrieve models:", (NO_PATIENT_ROOT, NO_STUDY_ROOT, NO_PATIENT_STUDY)),
            SubGroup("index database (pydcmkit):", (DATABASE, EXTENDED_KEYS)),
        )),
        OptionGroup("network options:", (
            SubGroup("association negotiation profiles from configuration file:", (ASSOC_CONFIG,)),
            SubGroup("preferred network transfer syntaxes (incoming associations):", tsopts.PREFER_OPTIONS),
            SubGroup("proposed transmission transfer syntaxes (outgoing associations):", tsopts.PROPOSE_OPTIONS),
            SubGroup("network host access control (tcp wrapper):", (ACCESS_FULL, ACCESS_CONTROL)),
            SubGroup("other network options:", (CONNECT_TIMEOUT, C.ACSE_TIMEOUT, C.DIMSE_TIMEOUT, MAX_PDU,
                                                C.DISABLE_HOST_LOOKUP, REFUSE, REJECT, IGNORE, UID_PADDING)),
        )),
        C.TLS_GROUP,
        OptionGroup("processing options:", (
            SubGroup("specific character set:", (USE_REQUEST_CHARSET, OVERRIDE_CHARSET, TO_ASCII, TO_UTF8,
                                                 TO_LATIN1, TO_CHARSET, TRANSLITERATE, DISCARD_ILLEGAL)),
        )),
        OptionGroup("output options:", (
            SubGroup("bit preserving mode:", (storeopts.NORMAL, BIT_PRESERVING)),
            *storeopts.ENCODING_SUBGROUPS,
            SubGroup("durability (pydcmkit):", (storeopts.NO_FSYNC,)),
        )),
    ),
)

_MOVE_RESTRICTIONS = {"--move-aetitle": "aetitle", "--move-host": "host", "--move-vendor": "vendor"}
_CHARSET_TARGETS = {"--convert-to-ascii": ("",), "--convert-to-utf8": ("ISO_IR 192",),
                    "--convert-to-latin1": ("ISO_IR 100",)}


def _load_config(path: str, env: Environment):
    from pydcmkit.config.qrconfig import QRConfigError, load_qr_config
    try:
        return load_qr_config(path)
    except QRConfigError as exc:
        for line in exc.config_errors:
            print(line, file=env.stderr)
        raise


def _profiles(args: ParsedArgs):
    if not args.has("--assoc-config-file"):
        return None, None
    for other in tsopts.non_default_ts_options(args):
        check_conflict("--assoc-config-file", other, True)
    from pydcmkit.config.asconfig import ProfileSelectionError, load_config
    file, incoming, outgoing = args.value("--assoc-config-file")
    try:
        config = load_config(file)
        in_profile = config.profile(incoming, role="scp")
        out_profile = config.profile(outgoing, role="scu")
    except ProfileSelectionError as exc:
        name = incoming if exc.profile == incoming else outgoing
        if getattr(exc, "problem", "") == "not_scp":
            raise ToolError(f"profile '{name}' is not valid for incoming use, duplicate abstract syntaxes found",
                            ExitCode.COMMANDLINE_SYNTAX_ERROR) from None
        raise ToolError(f"unknown configuration profile name: {exc.profile}",
                        ExitCode.COMMANDLINE_SYNTAX_ERROR) from None
    except AssociationConfigError as exc:
        raise ToolError(f"cannot read association config file: {exc.message}",
                        ExitCode.COMMANDLINE_SYNTAX_ERROR) from None
    return in_profile, out_profile


def _charsets(args: ParsedArgs, qr):
    """(candidates callable, unencodable) from +Cr/-Cr, +A7/+U8/+L1/+C, -Ct/-Cd and the config's
    SpecificCharacterSet (the command line wins).  A request character set that is no defined term
    cannot be converted to: the --convert-to-xxx set is used instead."""
    use_request, target, unencodable = True, ("",), "utf8"
    for token in qr.character_set or ():
        low = token.lower()
        if low == "override":
            use_request = False
        elif low == "fallback":
            use_request = True
        elif low in ("discard", "transliterate"):
            unencodable = low
        elif low != "abort":
            target = tuple(token.split("\\"))
    if args.winner("cr"):
        use_request = args.winner("cr") == "--use-request-charset"
    cs = args.winner("cs")
    if cs == "--convert-to-charset":
        target = tuple(args.value("--convert-to-charset").split("\\"))
    elif cs:
        target = _CHARSET_TARGETS[cs]
    if args.has("--transliterate"):
        unencodable = "transliterate"
    if args.has("--discard-illegal"):
        unencodable = "discard"

    def candidates(request: tuple) -> list:
        known = all(not term or term in python_encoding for term in request)
        return [request, target] if use_request and request and known else [target]

    return candidates, unencodable


def make_settings(args: ParsedArgs, env: Environment):
    from pydcmkit.net.requestor import RequestorSettings
    from pydcmkit.net.sender import SenderSettings
    from pydcmkit.net.tls import TLSSetupError, make_context
    from pydcmkit.services.archive import ArchiveSettings

    disabled = {m for opt, m in (("--no-patient-root", InformationModel.PATIENT_ROOT),
                                 ("--no-study-root", InformationModel.STUDY_ROOT),
                                 ("--no-patient-study", InformationModel.PATIENT_STUDY_ONLY)) if args.has(opt)}
    if len(disabled) == 3:
        raise CommandLineError("cannot disable all Q/R models")
    in_profile, out_profile = _profiles(args)
    if args.has("--ignore"):
        mode = StorageMode.IGNORE
    else:
        mode = StorageMode.BIT_PRESERVING if args.winner("storage-mode") == "--bit-preserving" else StorageMode.NORMAL
    encoding = storeopts.write_encoding(args, mode is StorageMode.BIT_PRESERVING,
                                        deflate_allowed=args.winner(tsopts.OUT_BLOCK) == "--propose-deflated")
    if args.has("--uid-padding") and mode is StorageMode.NORMAL:
        encoding = replace(encoding, fix_uid_padding=True)
    port_arg, max_pdu, processes = args.param("port"), args.get("--max-pdu"), args.get("--processes", 1)
    acse_timeout, dimse_timeout = args.get("--acse-timeout", 30), args.get("--dimse-timeout")
    connect_timeout, deflate_level = args.get("--timeout"), args.get("--compression-level", 6)
    tls = tls_options(args, read_password=lambda: getpass.getpass("Enter PEM pass phrase:"))
    config_file = args.value("--config", DEFAULT_CONFIG)
    if not os.access(config_file, os.R_OK):
        reason = os.strerror(2) if not os.path.exists(config_file) else os.strerror(13)
        raise ToolError(f"cannot access {config_file}: {reason}", ExitCode.LEGACY_STARTUP_FAILURE)
    qr = _load_config(config_file, env)
    for warning in qr.warnings:
        get_logger("apps.dcmqrscp").warning("%s", warning)
    for kind, name, lookup in (("user", qr.user_name, pwd.getpwnam), ("group", qr.group_name, grp.getgrnam)):
        if name:
            try:
                lookup(name)
            except KeyError:
                raise ToolError(f"bad {kind} name {name}", ExitCode.LEGACY_STARTUP_FAILURE) from None
    port = port_arg or qr.port
    ssl_server = ssl_client = None
    if tls is not None:
        try:
            ssl_server = make_context(tls, server_side=True)
            ssl_client = make_context(tls, server_side=False)
        except TLSSetupError as exc:
            raise ToolError(f"cannot create TLS transport layer: {exc}", ExitCode.CANNOT_CREATE_TRANSPORT_LAYER)
    network = ServerSettings(
        port=port, max_pdu=max_pdu or qr.max_pdu, acse_timeout=acse_timeout, dimse_timeout=dimse_timeout,
        host_lookup=not args.has("--disable-host-lookup"), max_associations=qr.max_associations, processes=processes,
        sequential=args.winner("process") == "--single-process", ssl_context=ssl_server)
    requestor = RequestorSettings(max_pdu=network.max_pdu, connect_timeout=connect_timeout,
                                  acse_timeout=network.acse_timeout, dimse_timeout=network.dimse_timeout,
                                  ssl_context=ssl_client)
    candidates, unencodable = _charsets(args, qr)
    honoured = args.honoured("move", ("--move-unrestricted", "--move-aetitle", "--move-host", "--move-vendor"))
    return ArchiveSettings(
        qr=qr, network=network,
        store=StoreSettings(mode=mode, durable=not args.has("--no-fsync"), encoding=encoding),
        accept_ts=tsopts.preferred_syntaxes(args), propose_ts=tsopts.proposed_syntaxes(args),
        in_profile=in_profile, out_profile=out_profile,
        models=frozenset(InformationModel) - disabled,
        require_find=args.has("--require-find"), no_parallel_store=args.has("--no-parallel-store"),
        disable_get=args.has("--disable-get"), allow_shutdown=args.has("--allow-shutdown"),
        check_find=args.winner("xf") == "--check-find", check_move=args.winner("xm") == "--check-move",
        move_restrictions=frozenset(_MOVE_RESTRICTIONS[o] for o in honoured if o in _MOVE_RESTRICTIONS),
        refuse=args.has("--refuse"), reject=args.has("--reject"),
        keys=KeySet.EXTENDED if args.has("--extended-keys") else KeySet.DCMTK,
        charsets=candidates, unencodable=unencodable, database=args.value("--database"),
        sender=SenderSettings("", 0, requestor, halt_on_error=False,
                              deflate_level=deflate_level))


def _drop_privileges(qr) -> None:
    if qr.group_name:
        os.setgid(grp.getgrnam(qr.group_name).gr_gid)
    if qr.user_name:
        os.setuid(pwd.getpwnam(qr.user_name).pw_uid)


def reindex_areas(settings) -> int:
    from pydcmkit.db import reindex
    from pydcmkit.services.archive import Archive
    log = get_logger("apps.dcmqrscp")
    archive = Archive(settings)
    areas = dict.fromkeys(entry.storage_area for entry in settings.qr.ae_entries)
    for area in areas:
        if not os.path.isdir(area):
            raise ToolError(f"cannot reindex {area}: No such file or directory", ExitCode.LEGACY_STARTUP_FAILURE)
        with archive.open_index(area) as db:
            db.clear()
            result = reindex(db, [area])
        for path, reason in result.errors:
            log.warning("cannot index %s: %s", path, reason)
        log.info("indexed %d files in %s", result.count, area)
    return 0


def serve(args: ParsedArgs, env: Environment) -> int:
    import warnings

    from pydcmkit.services.archive import ArchiveServer
    warnings.filterwarnings("ignore", module=r"pydicom\.")  # invalid received values are not the operator's business
    settings = make_settings(args, env)
    if args.has("--reindex"):
        return reindex_areas(settings)
    if args.winner("access") == "--access-control":
        from pydcmkit.net.hostaccess import HostAccess
        settings = replace(settings, host_access=HostAccess.system("dcmqrscp"))
    server = ArchiveServer(settings)
    server.start()
    try:
        _drop_privileges(settings.qr)
    except OSError as exc:
        raise ToolError(f"cannot change user or group: {exc.strerror}", ExitCode.LEGACY_STARTUP_FAILURE) from None
    stop = lambda *_: threading.Thread(target=server.stop, daemon=True).start()  # noqa: E731
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    return 0


def main(argv=None, environ: Environment | None = None) -> int:
    return run_tool(SPEC, argv, serve, environ, exclusive={"--list-ciphers": list_ciphers_command})


if __name__ == "__main__":
    sys.exit(main())
