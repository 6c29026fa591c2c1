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
from pydcmkit.cli.tlsopts import tls_options
from pydcmkit.net.server import ServerSettings
from pydcmkit.net.tls import list_ciphers
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

SPEC = ToolSpec(
    name="dcmrecv",
    description="Simple DICOM storage SCP (receiver)",
    params=(Param("port", "tcp/ip port number to listen on", vtype=int, vmin=1, vmax=65535),),
    groups=(
        C.general_group(C.VERBOSE_PC),
        OptionGroup("network options:", (
            SubGroup("association negotiation profile from configuration file:", (CONFIG_FILE,)),
            SubGroup("application entity title:", (AETITLE, USE_CALLED)),
            SubGroup("other network options:", (C.ACSE_TIMEOUT, C.DIMSE_TIMEOUT, C.MAX_PDU,
                                                C.DISABLE_HOST_LOOKUP, MAX_ASSOCIATIONS)),
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
        max_associations=args.get("--max-associations", 16), verbose_pc=args.has("--verbose-pc"))
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


def list_tls_ciphers(args: ParsedArgs, env: Environment) -> int:
    env.stdout.write("Supported TLS ciphersuites are:\n")
    for name in list_ciphers():
        env.stdout.write(f"    {name}\n")
    return 0


def main(argv=None, environ: Environment | None = None) -> int:
    return run_tool(SPEC, argv, serve, environ, exclusive={"--list-ciphers": list_tls_ciphers})


if __name__ == "__main__":
    sys.exit(main())
