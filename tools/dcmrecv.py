"""dcmrecv: simple DICOM storage SCP (receiver), DCMTK 3.6.7 compatible."""

from __future__ import annotations

import getpass
import signal
import sys
import threading

from pydcmkit.cli import common as C
from pydcmkit.cli import storeopts
from pydcmkit.cli.app import Environment, run_tool
from pydcmkit.cli.logsetup import get_logger
from pydcmkit.cli.parser import ParsedArgs, check_dependence
from pydcmkit.cli.spec import Option, OptionGroup, Param, SubGroup, ToolSpec
from pydcmkit.cli.tlsopts import list_ciphers_command, tls_options
from pydcmkit.net.server import ServerSettings
from pydcmkit.services.receiver import Receiver, ReceiverConfig

CONFIG_FILE = Option("--config-file", "-xf", 2, "[f]ilename, [p]rofile: string",
                     "use profile p from configuration file f")
AETITLE = C.AETITLE.replace(help="set my AE title (default: DCMRECV)", block="aetitle")
USE_CALLED = Option("--use-called-aetitle", "-uca", help="always respond with called AE title", block="aetitle")
MAX_ASSOCIATIONS = Option(
    "--max-associations", None, 1, "[n]umber: integer (default: 16)",
    "serve at most n associations at once (pydcmkit)", vtype=int, vmin=1, vmax=1024,
    manual="pydcmkit serves several associations at once, each in its own thread; further requests are "
           "rejected (transient, local limit exceeded). DCMTK's dcmrecv serves one at a time.")

MANUAL = """\
dcmrecv is a Storage Service Class Provider: it listens on a TCP port, accepts associations, answers C-ECHO and stores every instance received with C-STORE in a file. It is compatible with DCMTK 3.6.7's dcmrecv: the same options, association negotiation profiles (-xf), file names, subdirectories, log lines and exit codes.

Without -xf only the Verification SOP Class is accepted, so storage requests are rejected. With -xf file profile, the profile of a DCMTK association negotiation file decides which SOP classes and transfer syntaxes are accepted, in the profile's order of preference (DCMTK's sample /etc/dcmtk/storescp.cfg works unchanged).

Each instance is streamed from the network into a hidden temporary file in the output directory, flushed to disk and renamed to its final name; only then is success answered. No partial file is ever visible under an instance name."""

SECTIONS = (
    ("Differences from DCMTK", """\
pydcmkit's dcmrecv serves several associations at the same time (at most --max-associations, default 16; further requests are rejected with reason local-limit-exceeded). DCMTK serves one at a time.

Every received file and its directory entry are synced to disk (fsync) before success is answered; --no-fsync turns this off.

SIGTERM and SIGINT stop the server cleanly: no new association is accepted, stores in flight are completed and answered, then the process exits with 0. DCMTK has no handler (exit 143/130).

In normal mode (-B) the dataset is written as received (in the network transfer syntax, like DCMTK) after its element structure was checked; an inconsistent dataset is answered with 0xC000 and not stored.

A value received from the network (SOP Instance UID, Series Date) can never make a path outside the output directory: characters other than letters, digits, '.', '_' and '-' are replaced by '_'.

Options can also be given by a configuration file and by environment variables (see ENVIRONMENT)."""),
    ("Exit codes", (("0", "no error (also --help, --version, +cc, usage without arguments, clean stop by signal)"),
                    ("1", "command line syntax error"),
                    ("45", "invalid output directory (does not exist or is not writable)"),
                    ("64", "cannot start SCP and listen on port (e.g. address already in use)"),
                    ("66", "invalid association configuration (unreadable file, syntax error, unknown profile)"),
                    ("71", "cannot create TLS transport layer"))),
    ("Examples", """\
  dcmrecv 11112 -xf /etc/dcmtk/storescp.cfg default -od /data
  dcmrecv -v 11112 -xf storescp.cfg default --series-date-subdir +fsu -fe .dcm -od /archive"""),
    ("See also", "dcmsend(1), dcmqrscp(1), storescp(1)"),
)
SPEC = ToolSpec(
    name="dcmrecv",
    description="Simple DICOM storage SCP (receiver)",
    manual=MANUAL,
    man_sections=SECTIONS,
    params=(Param("port", "tcp/ip port number to listen on", vtype=int, vmin=1, vmax=65535),),
    groups=(
        C.general_group(C.VERBOSE_PC),
        OptionGroup("network options:", (
            SubGroup("association negotiation profile from configuration file:", (CONFIG_FILE,)),
            SubGroup("application entity title:", (AETITLE, USE_CALLED)),
            SubGroup("other network options:", (C.ACSE_TIMEOUT, C.DIMSE_TIMEOUT, C.MAX_PDU,
                                                C.DISABLE_HOST_LOOKUP, MAX_ASSOCIATIONS, C.PROCESSES)),
        )),
        C.TLS_GROUP,
        storeopts.OUTPUT_GROUP,
    ),
)


def make_config(args: ParsedArgs, env: Environment) -> ReceiverConfig:
    check_dependence("--verbose-pc", "verbose mode",
                     not args.has("--verbose-pc") or get_logger().isEnabledFor(20))
    port = args.param("port")
    xf = args.value("--config-file")
    network = ServerSettings(
        port=port, max_pdu=args.get("--max-pdu", 16384), acse_timeout=args.get("--acse-timeout", 30),
        dimse_timeout=args.get("--dimse-timeout"), host_lookup=not args.has("--disable-host-lookup"),
        max_associations=args.get("--max-associations", 16), verbose_pc=args.has("--verbose-pc"),
        processes=args.get("--processes", 1))
    tls = tls_options(args, read_password=lambda: getpass.getpass("Enter PEM pass phrase:"))
    return ReceiverConfig(network=network, store=storeopts.store_settings(args),
                          config_file=xf[0] if xf else None, profile=xf[1] if xf else None, tls=tls,
                          own_ae_title=args.value("--aetitle", "DCMRECV"),
                          use_called_ae_title=args.winner("aetitle") == "--use-called-aetitle")


def serve(args: ParsedArgs, env: Environment) -> int:
    receiver = Receiver(make_config(args, env))
    receiver.start()
    stop = lambda *_: threading.Thread(target=receiver.stop, daemon=True).start()  # noqa: E731
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    receiver.serve_forever()
    return 0


def main(argv=None, environ: Environment | None = None) -> int:
    return run_tool(SPEC, argv, serve, environ, exclusive={"--list-ciphers": list_ciphers_command})


if __name__ == "__main__":
    sys.exit(main())
