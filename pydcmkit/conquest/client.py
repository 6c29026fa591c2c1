"""dgate's remote-command client: ``dgate [-pPORT] [-qIP] [-hAE] --command:args`` (dgate.md §6.4).

The command text after the two dashes is sent as is; the answer is written to stdout unchanged
(no newline added) and the exit status is 1.5.0e's: 255 after an answer, 0 without one, 1 when the
server could not be reached or dropped the association.  Two commands are the client's own:
``--addlocalfile:FILE[,PATID]`` uploads FILE and sends ``addimagefile:FILE[,PATID]``;
``--dolua:`` (Lua in the client) is not supported (exit 1 with a message).
"""

from __future__ import annotations

import os
from typing import BinaryIO, TextIO

from .remote import ClientExit, RemoteCommandFailed, client_exit_code, send_command


def run(command: str, *, host: str, port: int, ae_title: str, out: BinaryIO, err: TextIO,
        timeout: float | None = 600.0, ssl_context=None) -> int:
    """Send ``command`` (the text after ``--``) and print the answer; returns the exit status."""
    payload = None
    if command.startswith("dolua:"):
        err.write("dgate: --dolua: Lua scripting is not supported by pydcmkit's dgate\n")
        return int(ClientExit.FAILED)
    if command.startswith("addlocalfile:"):
        args = command[len("addlocalfile:"):]
        path, sep, patient = args.partition(",")
        try:
            with open(path, "rb") as f:
                payload = f.read()
        except OSError as exc:
            err.write(f"dgate: cannot read {path}: {exc.strerror or exc}\n")
            return int(ClientExit.FAILED)
        command = f"addimagefile:{os.path.basename(path)}{sep}{patient}"
    try:
        answer = send_command(host, port, ae_title, command, payload, timeout, ssl_context=ssl_context)
    except RemoteCommandFailed as exc:
        err.write(f"dgate: {exc}\n")
        return int(client_exit_code(exc))
    if answer:
        out.write(answer)
        out.flush()
    return int(client_exit_code(answer))
