"""Remote commands on the configuration, the logging and the status of a dgate server
(dgate.md §2.1, §3, §7.2, §11): ``display_status:``, ``status_string:``, ``get_param:`` ...
``read_ini:``, ``get_amap:`` ... ``read_amap:``, ``get_sop:`` ... ``delete_remoteae:``,
``get_sqldef:``, ``get_freestore:``, ``debuglevel:``, ``testmode:``, ``log_on:``,
``debuglog_on:``.
"""

from __future__ import annotations

import logging
import logging.handlers
import platform
import sys
import threading
import time

from .. import __version__ as PYDCMKIT_VERSION
from .amap import AMAP_FORMAT
from .naming import device_root, free_space_mb
from .printf import atoi
from .remote import CommandContext, RemoteCommandHandler, command_output, format_fields
from .sop import SOP_FORMAT, SopList

log = logging.getLogger("pydcmkit.dgate")

#: dgatesop.lst kinds of the get_/put_/delete_ commands (dgate.md §7.2)
SOP_COMMANDS = {"sop": "sop", "transfer": "transfer", "application": "application", "localae": "LocalAE",
                "remoteae": "RemoteAE"}
COMPATIBLE_VERSION = "1.5.0e"


class ServerState:
    """What the commands of one server share: the status text of ``status_string:``, the
    ``debuglevel:`` / ``testmode:`` values and the log handlers ``log_on:`` / ``debuglog_on:``
    installed."""

    def __init__(self) -> None:
        self.status = ""
        self.debug_level = 0
        self.test_mode = 0
        self.log_handlers: dict[str, logging.Handler] = {}
        self.lock = threading.Lock()

    def set_status(self, text: str) -> None:
        self.status = text


def _index(text: str) -> int:
    return atoi(text)


def _log_handler(target: str, level: int) -> logging.Handler:
    """``log_on:`` target: a UDP port number (to 127.0.0.1), else a file or named pipe path."""
    target = target.strip()
    if target.isdigit():
        handler: logging.Handler = logging.handlers.DatagramHandler("127.0.0.1", int(target))
        handler.makePickle = lambda record: (handler.format(record) + "\n").encode("utf-8", "replace")  # type: ignore[method-assign]
    else:
        handler = logging.FileHandler(target, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y%m%d %H:%M:%S"))
    handler.setLevel(level)
    return handler


def register(handler: RemoteCommandHandler, server, state: ServerState) -> None:
    dgate = server.dgate

    # -- status ------------------------------------------------------------------------------------
    def display_status(args: str, ctx: CommandContext):
        ini = dgate.ini
        act = dgate.activity
        started = time.ctime(dgate.started)
        port = getattr(getattr(server, "server", None), "port", None) or dgate.port
        bits = 64 if sys.maxsize > 2 ** 32 else 32
        lines = [(f"DICOM server '{dgate.ae_title}' (version {COMPATIBLE_VERSION}, port {port}, bits {bits}) "
                  f"was started on {started}"),
                 (f"Compression: NKI private (n1-n5), JPEG/JPEG-LS/JPEG 2000/RLE through pydicom "
                  f"(pydcmkit {PYDCMKIT_VERSION}, Python {platform.python_version()})"),
                 f"Run time (s) total {int(time.time() - dgate.started)}",
                 f"Associations={server.active_associations}; Threads={threading.active_count()}",
                 (f"Activity: Echo:{act['echo']}, Find:{act['find']}, Move:{act['move']}, Get:{act['get']}, "
                  f"Store:{act['store']}"),
                 f"Images (de)compressed: {act['compressed']} compressed, {act['decompressed']} decompressed"]
        for n in range(max(ini.mag_devices, 0)):
            lines.append(f"Space on MAG{n} : {free_space_mb(ini.mag_device(n))} MByte")
        lines.append(f"Database type: {ini.database.kind}")
        if state.test_mode:
            lines.append(f"TestMode={state.test_mode}")
        return command_output("\n".join(lines) + "\n", args, ctx)

    handler.register("display_status:", display_status)
    handler.register("status_string:", lambda args, ctx: state.status or None)

    # -- dicom.ini ---------------------------------------------------------------------------------
    def get_param(args: str, ctx: CommandContext):
        name, sep, fmt = args.partition(",")
        value = dgate.ini.get(name)
        if value is None:
            return None
        return format_fields(fmt, [value]) if sep else value

    def put_param(args: str, ctx: CommandContext):
        name, _sep, value = args.partition(",")
        if not name:
            return "put_param: no parameter name"
        with state.lock:
            dgate.ini.put(name, value).write()
            dgate.reload_ini()
        return None

    def delete_param(args: str, ctx: CommandContext):
        if not args:
            return "delete_param: no parameter name"
        with state.lock:
            dgate.ini.delete(args).write()
            dgate.reload_ini()
        return None

    def read_ini(args: str, ctx: CommandContext):
        dgate.reload_ini()
        return None

    def get_ini(args: str, ctx: CommandContext):
        fmt = args or "%s"
        return "".join(format_fields(fmt, [line]) for line in dgate.ini.lines)

    def get_ini_num(args: str, ctx: CommandContext):
        number, sep, fmt = args.partition(",")
        lines = dgate.ini.lines
        n = _index(number)
        if not 0 <= n < len(lines):
            return None
        return format_fields(fmt if sep else "%s", [lines[n]])

    handler.register("get_param:", get_param)
    handler.register("get_ini_param:", get_param)
    handler.register("put_param:", put_param, modifies=True)
    handler.register("delete_param:", delete_param, modifies=True)
    handler.register("read_ini:", read_ini)
    handler.register("get_ini:", get_ini)
    handler.register("get_ini_num:", get_ini_num)

    # -- acrnema.map -------------------------------------------------------------------------------
    def get_amap(args: str, ctx: CommandContext):
        number, sep, fmt = args.partition(",")
        entry = dgate.amap.get(_index(number))
        return None if entry is None else entry.format(fmt if sep and fmt else AMAP_FORMAT)

    def get_amaps(args: str, ctx: CommandContext):
        return dgate.amap.listing(args or None)

    def put_amap(args: str, ctx: CommandContext):
        parts = args.split(",")
        fields = parts[1:5] + [None] * (4 - len(parts[1:5]))
        with state.lock:
            dgate.amap = dgate.amap.put(_index(parts[0]), *fields)
        return None

    def delete_amap(args: str, ctx: CommandContext):
        with state.lock:
            dgate.amap = dgate.amap.delete(_index(args))
        return None

    def write_amap(args: str, ctx: CommandContext):
        with state.lock:
            dgate.amap.write()
        return None

    def read_amap(args: str, ctx: CommandContext):
        dgate.read_amap()
        return None

    handler.register("get_amap:", get_amap)
    handler.register("get_amaps:", get_amaps)
    handler.register("put_amap:", put_amap, modifies=True)
    handler.register("delete_amap:", delete_amap, modifies=True)
    handler.register("write_amap:", write_amap, modifies=True)
    handler.register("read_amap:", read_amap)

    # -- dgatesop.lst ------------------------------------------------------------------------------
    def sop_getter(kind: str):
        def get(args: str, ctx: CommandContext):
            number, sep, fmt = args.partition(",")
            sop = dgate.sop_list
            entry = sop.get(kind, _index(number)) if sop is not None else None
            return None if entry is None else entry.format(fmt if sep and fmt else SOP_FORMAT)
        return get

    def sop_editor(name: str, kind: str, delete: bool):
        command = f"{'delete' if delete else 'put'}_{name}"

        def edit(args: str, ctx: CommandContext):
            with state.lock:
                sop = dgate.sop_list or SopList(path=dgate.ini.sop_class_list)
                if delete:
                    new = sop.delete(kind, _index(args))
                else:
                    parts = args.split(",", 2)
                    if len(parts) < 3:
                        return f"{command}: expected i,UID,name"
                    new = sop.put(kind, _index(parts[0]), parts[1], parts[2])
                new.write(command=command)
                dgate.sop_list = new
            return None
        return edit

    for name, kind in SOP_COMMANDS.items():
        handler.register(f"get_{name}:", sop_getter(kind))
        handler.register(f"put_{name}:", sop_editor(name, kind, False), modifies=True)
        handler.register(f"delete_{name}:", sop_editor(name, kind, True), modifies=True)

    # -- dicom.sql, devices ------------------------------------------------------------------------
    def get_sqldef(args: str, ctx: CommandContext):
        parts = args.split(",", 2)
        if len(parts) < 2:
            return None
        try:
            text = dgate.dicom_sql.sqldef(parts[0], _index(parts[1]), parts[2] if len(parts) > 2 else None)
        except KeyError:
            return None
        return text or None

    def get_freestore(args: str, ctx: CommandContext):
        device, sep, fmt = args.partition(",")
        try:
            root = device_root(dgate.ini, device)
        except KeyError:
            return f"get_freestore: unknown device {device!r}"
        return format_fields(fmt if sep and fmt else "%d", [free_space_mb(root)])

    handler.register("get_sqldef:", get_sqldef)
    handler.register("get_freestore:", get_freestore)

    # -- logging -----------------------------------------------------------------------------------
    def debuglevel(args: str, ctx: CommandContext):
        state.debug_level = atoi(args)
        level = logging.DEBUG if state.debug_level > 0 else logging.INFO
        root = logging.getLogger("pydcmkit")
        root.setLevel(level)
        for h in root.handlers:
            if h not in state.log_handlers.values() and not isinstance(h, logging.FileHandler):
                h.setLevel(level)
        return None

    def testmode(args: str, ctx: CommandContext):
        state.test_mode = atoi(args)
        return None

    def log_to(kind: str, level: int):
        def command(args: str, ctx: CommandContext):
            root = logging.getLogger("pydcmkit")
            with state.lock:
                old = state.log_handlers.pop(kind, None)
                if old is not None:
                    root.removeHandler(old)
                    old.close()
                if not args.strip():
                    return None
                try:
                    new = _log_handler(args, level)
                except OSError as exc:
                    return f"{kind}: cannot open {args}: {exc.strerror or exc}"
                state.log_handlers[kind] = new
                root.addHandler(new)
                if root.level > level or root.level == logging.NOTSET:
                    root.setLevel(level)
            return None
        return command

    handler.register("debuglevel:", debuglevel, modifies=True)
    handler.register("testmode:", testmode, modifies=True)
    handler.register("log_on:", log_to("log_on", logging.INFO), modifies=True)
    handler.register("debuglog_on:", log_to("debuglog_on", logging.DEBUG), modifies=True)


def close_logs(state: ServerState) -> None:
    root = logging.getLogger("pydcmkit")
    for h in state.log_handlers.values():
        root.removeHandler(h)
        h.close()
    state.log_handlers.clear()


__all__ = ["COMPATIBLE_VERSION", "SOP_COMMANDS", "ServerState", "close_logs", "register"]
