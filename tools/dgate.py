"""dgate: a ConQuest-compatible DICOM server and PACS utility (dgate.md), on pydcmkit's core.

Three usage patterns (dgate.md §1.2): no action runs the server on ``TCPPort``; a local action
(``-r``, ``-fa...``, ``-j*...``) works on the database and files and exits; ``--command:args``
sends a remote command to a running server and prints its answer.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from pydcmkit.conquest import cmdline
from pydcmkit.conquest.errors import CONSOLE, STDERR, STDOUT, ConquestConfigError
from pydcmkit.conquest.ini import load_dicom_ini, resolve_config_location
from pydcmkit.status import ToolError

log = logging.getLogger("pydcmkit.dgate")


class _Formatter(logging.Formatter):
    """dgate's log lines: the message, with a time stamp for ``-^`` and ``-#`` files."""

    def __init__(self, timestamps: bool):
        super().__init__("%(asctime)s %(message)s" if timestamps else "%(message)s", "%Y%m%d %H:%M:%S")


def setup_logging(cl: cmdline.DgateCommandLine, debug_level: int = 0) -> None:
    root = logging.getLogger("pydcmkit")
    for h in list(root.handlers):
        root.removeHandler(h)
    root.propagate = False
    level = logging.WARNING
    if cl.verbose:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(_Formatter(False))
        handler.setLevel(logging.DEBUG if debug_level > 0 else logging.INFO)
        root.addHandler(handler)
        level = logging.DEBUG if debug_level > 0 else logging.INFO
    for path, debug in ((cl.log_file, False), (cl.debug_log_file, True)):
        if path:
            try:
                handler = logging.FileHandler(path, encoding="utf-8")
            except OSError as exc:
                print(f"***cannot open log file {path}: {exc.strerror}", file=sys.stderr)
                continue
            handler.setFormatter(_Formatter(cl.timestamps))
            handler.setLevel(logging.DEBUG if debug else logging.INFO)
            root.addHandler(handler)
            level = min(level, logging.DEBUG if debug else logging.INFO)
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    root.setLevel(level)


def _print_config_error(exc: ConquestConfigError, verbose: bool) -> None:
    if not exc.output:
        print(str(exc), file=sys.stderr)
        return
    for stream, text in exc.output:
        if stream == STDOUT:
            sys.stdout.write(text)
        elif stream == STDERR:
            sys.stderr.write(text)
        elif stream == CONSOLE and verbose:
            sys.stdout.write(text)
        elif stream == CONSOLE:
            sys.stderr.write(text)
    sys.stdout.flush()


def run_client(cl: cmdline.DgateCommandLine, location) -> int:
    """Pattern 3: ``dgate [-pPORT] [-qIP] [-hAE] --command:args``."""
    from pydcmkit.conquest import client
    ini = load_dicom_ini(location)  # required, also for the client (dgate.md §1.3)
    ae = cl.ae_title or ini.ae_title
    port = cl.port if cl.port is not None else ini.port
    from pydcmkit.conquest.service import tls_context
    return client.run(cl.remote_command or "", host=cl.host, port=port, ae_title=ae,
                      out=sys.stdout.buffer, err=sys.stderr, ssl_context=tls_context(ini, server_side=False))


def run_server(cl: cmdline.DgateCommandLine, location) -> int:
    from pydcmkit.conquest.server import DgateServer
    from pydcmkit.conquest.service import Dgate
    dgate = Dgate(location, ae_title=cl.ae_title, port=cl.port, uid_counter=cl.uid_counter or 0,
                  database_url=os.environ.get("PYDCMKIT_DGATE_DATABASE") or None)
    try:
        from pydcmkit.conquest import commands
        register = commands.register_all
    except ImportError:  # pragma: no cover - the commands module is part of the package
        register = None
    server = DgateServer(dgate, sequential=cl.single_thread, register_commands=register)
    server.start()
    ini = dgate.ini
    log.info("DGATE (pydcmkit) is running as threaded server")
    log.info("Database type: %s", ini.database.kind)
    log.info("Server listens on port %d as %s", server.server.port, dgate.ae_title)
    for n in range(ini.mag_devices):
        log.info("MAG%d: %s", n, ini.mag_device(n))

    def stop(signum, frame):
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else [sys.argv[0], *argv])
    cl = cmdline.parse(argv[1:])
    if cl.usage:
        sys.stderr.write(cmdline.USAGE)
        return 0
    try:
        # dgate looks next to its executable when argv[0] holds a path; a console script lives in a
        # bin folder, so pydcmkit's dgate uses the current directory instead (documented in dgate(1))
        location = resolve_config_location(["dgate", *argv[1:]])
        if cl.remote_command is not None:
            setup_logging(cl)
            return run_client(cl, location)
        ini = load_dicom_ini(location)
        setup_logging(cl, ini.debug_level)
        if cl.action is not None:
            from pydcmkit.conquest import actions
            return actions.run(cl, location, out=sys.stdout, err=sys.stderr)
        return run_server(cl, location)
    except ConquestConfigError as exc:
        _print_config_error(exc, cl.verbose)
        return int(exc.exit_code)
    except ToolError as exc:
        print(str(exc), file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    sys.exit(main())
