"""The remote commands of a running dgate server (dgate.md §6.5, §7.2).

:func:`register_all` registers every command pydcmkit's dgate serves on a
:class:`~pydcmkit.conquest.remote.RemoteCommandHandler`, bound to one
:class:`~pydcmkit.conquest.server.DgateServer` (its :class:`~pydcmkit.conquest.service.Dgate`
holds the configuration, the database and the devices).  Commands that change or delete data
are registered with ``modifies=True``: only peers the access rule permits may run them
(loopback by default; see dgate(1)).

The commands live by concern:

* :mod:`.remote` -- ``echo:``, ``genuid:``, ``checksum:``, ``quit:``, ``safequit:``;
* :mod:`.commands_config` -- status, dicom.ini, acrnema.map, dgatesop.lst, dicom.sql, devices,
  logging;
* :mod:`.commands_db` -- UIDMODS, tables, regen, deletes, SQL, finders and listers;
* :mod:`.commands_objects` -- loading, dumping, converting and changing objects; ``forward:``;
  the script and Lua commands, answered with a refusal;
* :mod:`.commands_net` -- the C-MOVE commands and ``grabimagesfromserver:``.
"""

from __future__ import annotations

from . import commands_config, commands_db, commands_net, commands_objects
from .commands_config import ServerState
from .remote import RemoteCommandHandler, acrnema_lookup, c_echo, register_stateless_commands

__all__ = ["ServerState", "register_all"]


def register_all(handler: RemoteCommandHandler, server) -> ServerState:
    """Register the commands on ``handler`` for ``server`` (a DgateServer); returns the state
    the commands share (status text, log handlers)."""
    dgate = server.dgate
    register_stateless_commands(handler, ae_lookup=acrnema_lookup(lambda: dgate.amap), own_ae=dgate.ae_title,
                                uids=dgate.uids, stop=server.stop, stop_when_idle=server.stop,
                                echo=lambda host, port, calling, called: c_echo(
                                    host, port, calling, called, ssl_context=dgate.tls_context()))
    state = ServerState()
    for module in (commands_config, commands_db, commands_objects, commands_net):
        module.register(handler, server, state)
    return state
