"""ConQuest dgate's remote-command protocol: commands and answers inside a C-ECHO (dgate.md §6).

``dgate -pPORT -qIP --command:args`` opens an ordinary association and sends a C-ECHO-RQ whose
command set carries private group-9999 elements; the server answers with a C-ECHO-RSP that
carries the answer the same way.  This module holds both ends:

* the codec of the two command sets (:func:`encode_request`, :func:`decode_request`,
  :func:`encode_response`, :func:`decode_response`);
* the client (:func:`send_command`) and dgate 1.5's exit status for its outcome
  (:func:`client_exit_code`);
* the server side (:class:`RemoteCommandHandler`, the C-ECHO handler of a
  :class:`~pydcmkit.net.server.DicomServer`), dispatching each command by its prefix to a
  registered function, with the access-control hook for commands that change data, the output
  argument and format conventions of §6.5 (:func:`command_output`, :func:`format_fields`,
  :func:`format_records`), and the stateless commands ``echo:``, ``genuid:``, ``checksum:``,
  ``quit:`` and ``safequit:`` (:func:`register_stateless_commands`).

Wire layout (§6.2, §6.3, §13.1): Implicit VR Little Endian; (0000,0000) counts group 0000 only;
elements ascend; group 9999 has no group length; odd values get one ``00`` pad.  The pad of the
upload payload (9999,0402) and of the answer (9999,0401) is announced by (9999,0404) = 1 so that
the receiver can strip it; the texts (9999,0300) and (9999,0400) are C strings, read up to their
first NUL.

Texts are bytes on the wire.  They are decoded as UTF-8 with ``surrogateescape`` (and encoded
the same way), so every byte sequence survives a round trip and ``os.fsencode`` of an argument
gives back the bytes the client sent.
"""

from __future__ import annotations

import enum
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..net import dimse, pdu as P
from ..net.association import (LARGE_COMMAND_LENGTH, AcceptedContext, Association, AssociationAborted,
                               AssociationError)
from ..net.requestor import (AssociationRejected, ConnectionFailed, RequestorSettings,
                             request_association)
from ..status import ExitCode, ToolError
from .printf import c_format

__all__ = [
    "ANSWER", "COMMAND", "CONQUEST_IMPLEMENTATION_CLASS_UID", "CONQUEST_IMPLEMENTATION_VERSION_NAME",
    "CONSOLE_TEXT", "ClientExit", "CloseWithoutAnswer", "CommandContext", "CommandFunction",
    "DEFAULT_UID_PREFIX", "DGATE_CONSOLE_TEXT", "ODD_LENGTH", "PAYLOAD", "RemoteCommandFailed",
    "RemoteCommandHandler", "RemoteRequest", "UidGenerator", "acrnema_lookup", "c_echo",
    "client_exit_code", "command_output", "decode_request", "decode_response",
    "encode_request", "encode_response", "format_fields", "format_records", "loopback_only",
    "register_stateless_commands", "send_command",
]

log = logging.getLogger("pydcmkit.conquest")

VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1"
IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"

#: Private elements of the command sets (dgate.md §6.2, §6.3).
CONSOLE_TEXT = 0x99990300  # text the server prints to its log
COMMAND = 0x99990400       # the command, ``name:args``
ANSWER = 0x99990401        # the server's answer (text or binary)
PAYLOAD = 0x99990402       # upload payload (``addimagefile:`` of ``--addlocalfile:``)
ODD_LENGTH = 0x99990404    # US 1: the 0401 / 0402 value carries one pad byte

#: What the dgate client puts in (9999,0300).
DGATE_CONSOLE_TEXT = "Server command sent using DGATE -- option"
#: The client association of dgate 1.5.0e on Linux (dgate.md §6.1).
CONQUEST_IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.2.135.1066.101"
CONQUEST_IMPLEMENTATION_VERSION_NAME = "1.5.0/OTHER"
CLIENT_CONTEXT_ID = 3
CLIENT_MAX_PDU = 4096
#: dgate's code default for ``UIDPrefix`` (dgate.md §7.4).
DEFAULT_UID_PREFIX = "1.2.826.0.1.3680043.2.135.1066"


def _to_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)


def _to_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _c_string(raw: bytes) -> str:
    """A text element as dgate reads it: up to the first NUL (the pad, usually)."""
    return _to_text(raw.split(b"\x00", 1)[0])


def _padded(value: bytes) -> tuple[bytes, bool]:
    return (value + b"\x00", True) if len(value) % 2 else (value, False)


def _unpadded(command: dimse.Command, tag: int) -> bytes | None:
    value = command.private.get(tag)
    if value is None:
        return None
    flag = command.private.get(ODD_LENGTH, b"")
    if len(flag) == 2 and flag[0] | flag[1] << 8 == 1 and value:
        return value[:-1]
    return value


# ---------------------------------------------------------------------------------------------
# Codec (dgate.md §6.2, §6.3)

@dataclass(frozen=True)
class RemoteRequest:
    """A received C-ECHO-RQ: ``command`` is ``None`` for a plain C-ECHO (no (9999,0400))."""

    message_id: int
    command: str | None
    console_text: str | None = None
    payload: bytes | None = None
    sop_class_uid: str = VERIFICATION_SOP_CLASS


def encode_request(command: str | bytes, *, message_id: int = 1, console_text: str | bytes | None = DGATE_CONSOLE_TEXT,
                   payload: bytes | None = None) -> bytes:
    """The C-ECHO-RQ command set of a remote command (dgate.md §6.2).

    Parameters
    ----------
    command : str or bytes
        The text after ``--`` on dgate's command line, e.g. ``echo:CONQUESTSRV1``.
    message_id : int
        dgate sends 1.
    console_text : str, bytes or None
        (9999,0300), printed in the server's log; ``None`` leaves it out.
    payload : bytes or None
        (9999,0402), the file uploaded by ``--addlocalfile:``; an odd length is padded with
        ``00`` and flagged by (9999,0404) = 1.
    """
    private = {COMMAND: _padded(_to_bytes(command))[0]}
    if console_text is not None:
        private[CONSOLE_TEXT] = _padded(_to_bytes(console_text))[0]
    if payload is not None:
        private[PAYLOAD], odd = _padded(bytes(payload))
        if odd:
            private[ODD_LENGTH] = b"\x01\x00"
    return dimse.encode_command(AffectedSOPClassUID=VERIFICATION_SOP_CLASS, CommandField=dimse.C_ECHO_RQ,
                                MessageID=message_id, CommandDataSetType=dimse.NO_DATASET, private=private)


def decode_request(command: dimse.Command) -> RemoteRequest:
    """Read the remote command, console text and upload payload out of a C-ECHO-RQ."""
    text = command.private.get(COMMAND)
    console = command.private.get(CONSOLE_TEXT)
    return RemoteRequest(message_id=int(command.get("MessageID", 0)),
                         command=None if text is None else _c_string(text),
                         console_text=None if console is None else _c_string(console),
                         payload=_unpadded(command, PAYLOAD),
                         sop_class_uid=str(command.get("AffectedSOPClassUID") or VERIFICATION_SOP_CLASS))


def encode_response(answer: bytes | str | None, *, message_id: int, sop_class_uid: str = VERIFICATION_SOP_CLASS,
                    status: int = dimse.SUCCESS) -> bytes:
    """The C-ECHO-RSP command set carrying ``answer`` in (9999,0401) (dgate.md §6.3).

    An empty or ``None`` answer leaves (9999,0401) out; an odd one is padded with ``00`` and
    flagged by (9999,0404) = 1.  dgate answers status 0x0000 also when the command failed.
    """
    private = {}
    if answer:
        private[ANSWER], odd = _padded(_to_bytes(answer))
        if odd:
            private[ODD_LENGTH] = b"\x01\x00"
    return dimse.encode_command(AffectedSOPClassUID=sop_class_uid, CommandField=dimse.C_ECHO_RSP,
                                MessageIDBeingRespondedTo=message_id, CommandDataSetType=dimse.NO_DATASET,
                                Status=status, private=private)


def decode_response(command: dimse.Command) -> bytes | None:
    """The answer in a C-ECHO-RSP, its pad removed when (9999,0404) says so; ``None`` without
    (9999,0401).  Like the dgate client, (9999,0403) and (0008,3001) are not looked at."""
    return _unpadded(command, ANSWER)


# ---------------------------------------------------------------------------------------------
# Client (dgate.md §6.1, §6.4, §1.5)

class RemoteCommandFailed(ToolError):
    """The remote command could not be delivered or answered: dgate's client exits 1.

    ``str(exc)`` names the peer and the reason (``127.0.0.1:5678: association lost: peer closed
    the connection``).
    """

    exit_code = ExitCode.COMMANDLINE_SYNTAX_ERROR  # dgate: 1, whatever the failure

    def __init__(self, host: str, port: int, reason: str):
        super().__init__(f"{host}:{port}: {reason}")
        self.host, self.port, self.reason = host, port, reason


class ClientExit(enum.IntEnum):
    """Exit status of ``dgate --command:`` in 1.5.0e (dgate.md §1.5)."""

    NO_ANSWER = 0    # the server answered without text
    FAILED = 1       # could not connect, or the association was lost (``quit:``)
    ANSWERED = 255   # the answer was printed (the client's function returns -1)


def client_exit_code(answer: bytes | None | BaseException) -> ClientExit:
    """dgate 1.5.0e's exit status for the outcome of :func:`send_command`.

    ``answer`` is what :func:`send_command` returned, or the exception it raised.
    """
    if isinstance(answer, BaseException):
        return ClientExit.FAILED
    return ClientExit.ANSWERED if answer else ClientExit.NO_ANSWER


def send_command(host: str, port: int, ae_title: str, command: str | bytes, payload: bytes | None = None,
                 timeout: float | None = 60.0, *,
                 console_text: str | bytes | None = DGATE_CONSOLE_TEXT, ssl_context=None) -> bytes | None:
    """Send one remote command as dgate's client does and return the answer (dgate.md §6.1, §6.4).

    The association: calling AE = called AE = ``ae_title`` (dgate's ``MyACRNema`` or ``-h``), one
    presentation context with ID 3 (Verification, Implicit VR Little Endian only), maximum PDU
    4096, ConQuest's implementation class UID and version name.  The C-ECHO-RQ carries the
    command (and ``payload`` in (9999,0402)); after the answer the association is released.

    Parameters
    ----------
    timeout : float or None
        Seconds allowed for connecting, for the association answer and for the command's answer
        (commands run synchronously on the server, so a long ``regen:`` needs a long timeout).

    Returns
    -------
    bytes or None
        The content of (9999,0401) with the pad removed (print it as is, no newline added);
        ``None`` when the server answered without it.

    Raises
    ------
    RemoteCommandFailed
        No connection, association rejected or aborted, Verification not accepted, or the
        association lost before the answer (``quit:`` ends the server without answering).

    Notes
    -----
    A whole command set, the upload or the answer included, is bounded by
    :data:`pydcmkit.net.association.LARGE_COMMAND_LENGTH` (64 MiB) on both sides (other servers: 64 KiB); a longer one
    aborts the association.
    """
    settings = RequestorSettings(calling_ae=ae_title, called_ae=ae_title, max_pdu=CLIENT_MAX_PDU,
                                 connect_timeout=timeout, acse_timeout=timeout, dimse_timeout=timeout,
                                 implementation_class_uid=CONQUEST_IMPLEMENTATION_CLASS_UID,
                                 implementation_version_name=CONQUEST_IMPLEMENTATION_VERSION_NAME,
                                 ssl_context=ssl_context)
    contexts = [P.ProposedContext(CLIENT_CONTEXT_ID, VERIFICATION_SOP_CLASS, (IMPLICIT_VR_LITTLE_ENDIAN,))]
    try:
        assoc, _ac = request_association(host, port, contexts, settings)
    except ConnectionFailed as exc:
        raise RemoteCommandFailed(host, port, f"cannot connect: {exc}") from None
    except AssociationRejected as exc:
        raise RemoteCommandFailed(host, port, f"association rejected: {exc}") from None
    except (AssociationError, P.PDUError) as exc:
        raise RemoteCommandFailed(host, port, f"association failed: {exc}") from None
    assoc.max_command_length = LARGE_COMMAND_LENGTH  # answers may carry files (9999,0401)
    if CLIENT_CONTEXT_ID not in assoc.contexts:
        assoc.abort()
        raise RemoteCommandFailed(host, port, "Verification with Implicit VR Little Endian not accepted")
    try:
        assoc.send_command(CLIENT_CONTEXT_ID, encode_request(command, console_text=console_text, payload=payload))
        ctx_id, response = assoc.receive_command()
        if response.has_dataset:
            assoc.receive_dataset(ctx_id, None)
    except AssociationError as exc:
        assoc.abort()
        raise RemoteCommandFailed(host, port, f"association lost: {exc}") from None
    if response.command_field != dimse.C_ECHO_RSP:
        assoc.abort()
        raise RemoteCommandFailed(host, port, f"unexpected answer (command field 0x{response.command_field:04x})")
    answer = decode_response(response)
    assoc.release(timeout)
    return answer


def c_echo(host: str, port: int, calling_ae: str, called_ae: str, timeout: float | None = 10.0, *,
           ssl_context=None) -> bool:
    """Whether ``called_ae`` at ``host:port`` answers a C-ECHO with Success (``echo:``'s test).

    Verification is proposed with Implicit VR Little Endian; any failure counts as down.
    """
    settings = RequestorSettings(calling_ae=calling_ae, called_ae=called_ae, connect_timeout=timeout,
                                 acse_timeout=timeout, dimse_timeout=timeout, ssl_context=ssl_context)
    contexts = [P.ProposedContext(1, VERIFICATION_SOP_CLASS, (IMPLICIT_VR_LITTLE_ENDIAN,))]
    try:
        assoc, _ac = request_association(host, port, contexts, settings)
    except (ConnectionFailed, AssociationRejected, AssociationError, P.PDUError) as exc:
        log.debug("C-ECHO to %s at %s:%d: %s", called_ae, host, port, exc)
        return False
    try:
        if 1 not in assoc.contexts:
            assoc.abort()
            return False
        assoc.send_command(1, dimse.encode_command(
            AffectedSOPClassUID=VERIFICATION_SOP_CLASS, CommandField=dimse.C_ECHO_RQ,
            MessageID=assoc.next_message_id(), CommandDataSetType=dimse.NO_DATASET))
        ctx_id, response = assoc.receive_command()
        if response.has_dataset:
            assoc.receive_dataset(ctx_id, None)
    except AssociationError as exc:
        log.debug("C-ECHO to %s at %s:%d: %s", called_ae, host, port, exc)
        assoc.abort()
        return False
    assoc.release(timeout)
    return response.command_field == dimse.C_ECHO_RSP and response.get("Status") == dimse.SUCCESS


# ---------------------------------------------------------------------------------------------
# Server side (dgate.md §6.5)

def peer_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A peer's address as an IP address (an IPv4-mapped IPv6 address as IPv4), None if it is not one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip


def loopback_only(address: str, calling_ae: str) -> bool:
    """Default access rule: only peers on a loopback address may change or delete data."""
    ip = peer_ip(address)
    return ip is not None and ip.is_loopback


@dataclass(frozen=True)
class CommandContext:
    """What a command function knows about its request.

    ``permitted_to_modify`` is the access hook's verdict for this peer; commands registered with
    ``modifies=True`` are refused before they run when it is false, others may consult it (an
    output file on the server, say).
    """

    association: Association | None
    payload: bytes | None = None
    permitted_to_modify: bool = False
    command: str = ""
    calling_ae: str = ""
    peer_address: str = ""


#: A command: ``fn(args, ctx)`` -> the answer (``str`` is UTF-8 encoded) or ``None`` for none.
CommandFunction = Callable[[str, CommandContext], "bytes | str | None"]


class CloseWithoutAnswer(Exception):
    """Raised by a command that ends the association without answering (``quit:``).

    ``then`` is called after the association is closed (stopping the server, for example).
    """

    def __init__(self, then: Callable[[], object] | None = None):
        super().__init__("closed without answer")
        self.then = then


@dataclass(frozen=True)
class _Registered:
    fn: CommandFunction
    modifies: bool


class RemoteCommandHandler:
    """C-ECHO handler of a DicomServer that serves ConQuest remote commands (dgate.md §6.5).

    A C-ECHO without (9999,0400) is an ordinary Verification and answers Success.  A command is
    dispatched on its prefix up to and including the first ``:`` (case-sensitive) to the function
    registered for it; an unknown command answers nothing.  The answer goes back in (9999,0401)
    with status 0x0000 always: failures are reported in the text.

    Parameters
    ----------
    may_modify : callable(address, calling_ae) -> bool
        Decides whether the peer may run commands that change or delete data (default:
        :func:`loopback_only`).  A refused command answers a one-line text and does nothing.

    Examples
    --------
    ::

        handler = RemoteCommandHandler()
        register_stateless_commands(handler, ae_lookup=acrnema_lookup(amap), own_ae="CONQUESTSRV1",
                                    stop=server.shutdown, stop_when_idle=server.shutdown)
        server = DicomServer(settings, negotiator, {dimse.C_ECHO_RQ: handler})
    """

    def __init__(self, *, may_modify: Callable[[str, str], bool] = loopback_only):
        self.may_modify = may_modify
        self._commands: dict[str, _Registered] = {}

    def register(self, prefix: str, fn: CommandFunction, *, modifies: bool = False) -> None:
        """Serve commands starting with ``prefix`` (which ends in ``:``, e.g. ``"genuid:"``)."""
        if not prefix.endswith(":") or ":" in prefix[:-1]:
            raise ValueError(f"command prefix {prefix!r} must end in its only ':'")
        self._commands[prefix] = _Registered(fn, modifies)

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(self._commands)

    def dispatch(self, text: str, ctx: CommandContext) -> bytes | None:
        """Run the command ``text`` and return its answer (``None``: no answer)."""
        colon = text.find(":")
        if colon < 0:
            log.debug("ignoring remote command without ':': %r", text[:80])
            return None
        prefix, args = text[:colon + 1], text[colon + 1:]
        registered = self._commands.get(prefix)
        if registered is None:
            log.debug("ignoring unknown remote command %r", prefix)
            return None
        if registered.modifies and not ctx.permitted_to_modify:
            log.warning("refused remote command %s from %s at %s", prefix, ctx.calling_ae, ctx.peer_address)
            return (f"{prefix} refused: {ctx.calling_ae or 'peer'} at {ctx.peer_address or 'unknown address'} "
                    f"may not change or delete data on this server").encode("utf-8", "surrogateescape")
        try:
            answer = registered.fn(args, ctx)
        except (CloseWithoutAnswer, AssociationError):
            raise
        except Exception as exc:  # a failed command is reported in the answer, status stays 0
            log.exception("remote command %s failed", prefix)
            return f"{prefix} failed: {exc}".encode("utf-8", "replace")
        return _to_bytes(answer) if answer is not None else None

    def __call__(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        request = decode_request(command)
        if command.has_dataset:
            assoc.receive_dataset(ctx.context_id, None)
        if request.command is None:
            log.info("Received C-ECHO Request (MsgID %d)", request.message_id)
            log.info("Sending C-ECHO Response (Success)")
            assoc.send_command(ctx.context_id, encode_response(None, message_id=request.message_id,
                                                               sop_class_uid=request.sop_class_uid))
            return
        address = assoc.peer_address[0] if assoc.peer_address else ""
        if request.console_text:
            log.info("%s", request.console_text)
        log.debug("remote command from %s at %s: %s", assoc.calling_ae, address, request.command[:200])
        context = CommandContext(association=assoc, payload=request.payload,
                                 permitted_to_modify=bool(self.may_modify(address, assoc.calling_ae)),
                                 command=request.command, calling_ae=assoc.calling_ae, peer_address=address)
        try:
            answer = self.dispatch(request.command, context)
        except CloseWithoutAnswer as close:
            assoc.abort()
            if close.then is not None:
                close.then()
            raise AssociationAborted(f"closed without answer by {request.command.split(':', 1)[0]}:") from None
        assoc.send_command(ctx.context_id, encode_response(answer, message_id=request.message_id,
                                                           sop_class_uid=request.sop_class_uid))


# -- §6.5 conventions --------------------------------------------------------------------------

def command_output(data: bytes | str | None, target: str, ctx: CommandContext | None = None, *,
                   cgi_pre: bool = False) -> bytes | None:
    """Apply the output-argument convention (the last ``file`` argument of many commands).

    ``''`` -> ``data`` is the answer; ``cgi`` -> the answer, prefixed ``Content-type:
    text/html\\n\\n`` (and ``<pre>`` when ``cgi_pre``, as some commands do); ``pre`` -> prefixed
    ``<pre>``; ``binary`` -> unmodified; anything else is a path on the server: ``data`` is written
    there and nothing is answered.  Writing needs ``ctx.permitted_to_modify`` when ``ctx`` is
    given; a refusal or a write error is answered as one line of text.
    """
    body = _to_bytes(data) if data is not None else b""
    if target in ("", "binary"):
        return body
    if target == "cgi":
        return b"Content-type: text/html\n\n" + (b"<pre>" if cgi_pre else b"") + body
    if target == "pre":
        return b"<pre>" + body
    if ctx is not None and not ctx.permitted_to_modify:
        return (f"refused: {ctx.calling_ae or 'peer'} at {ctx.peer_address or 'unknown address'} "
                f"may not write {target} on this server").encode("utf-8", "surrogateescape")
    try:
        with open(target, "wb") as out:
            out.write(body)
    except OSError as exc:
        log.error("cannot write %s: %s", target, exc.strerror or exc)
        return f"cannot write {target}: {exc.strerror or exc}".encode("utf-8", "surrogateescape")
    return None


def format_fields(fmt: str, fields: Sequence[object], repeat: int = 3) -> str:
    """A ``fmt`` argument applied to one record: C ``printf`` with the fields passed ``repeat``
    times over, so ``%0.0s`` skips a field and fields can be re-used (dgate.md §6.5)."""
    return c_format(fmt, tuple(fields) * repeat)


def format_records(fmt: str, rows: Sequence[Sequence[object]], repeat: int = 3) -> str:
    """Records through :func:`format_fields`, separated by newlines, or by ``*`` when ``fmt``
    ends in ``*`` (the ``*`` itself then is the separator: ``%s@%s*`` gives ``a@b*c@d``, as
    ``query:`` does in dgate.md §7.3)."""
    if fmt.endswith("*"):
        return "*".join(format_fields(fmt[:-1], row, repeat) for row in rows)
    return "\n".join(format_fields(fmt, row, repeat) for row in rows)


# -- the stateless commands (dgate.md §7.2) -----------------------------------------------------

class UidGenerator:
    """dgate's UID generator (dgate.md §7.4): ``<prefix>.6.<unix time>.<counter mod 10000>``.

    ``counter`` is the start value (``-cN``); it is shared by every UID the server makes, so
    :meth:`changed_uid` (``<prefix>.7.<time>.<counter>``, for ``changeuid:`` and new patient
    IDs) advances it too.  Thread-safe.
    """

    def __init__(self, prefix: str = DEFAULT_UID_PREFIX, counter: int = 0, clock: Callable[[], float] = time.time):
        self.prefix = prefix.rstrip(".")
        self._counter = counter
        self._clock = clock
        self._lock = threading.Lock()

    def _next(self) -> int:
        with self._lock:
            value = self._counter
            self._counter += 1
        return value

    def genuid(self) -> str:
        return f"{self.prefix}.6.{int(self._clock())}.{self._next() % 10000}"

    def changed_uid(self) -> str:
        return f"{self.prefix}.7.{int(self._clock())}.{self._next()}"


def acrnema_lookup(amap) -> Callable[[str], tuple[str, int] | None]:
    """Adapt an :class:`~pydcmkit.conquest.amap.AcrNemaMap` (or a callable returning one, for a
    map that ``read_amap:`` may replace) to the ``ae_lookup`` of ``echo:``."""
    def lookup(ae_title: str) -> tuple[str, int] | None:
        current = amap() if callable(amap) else amap
        entry = current.lookup(ae_title)
        return None if entry is None else (entry.host, entry.port_number)
    return lookup


def register_stateless_commands(handler: RemoteCommandHandler, *, ae_lookup: Callable[[str], tuple[str, int] | None],
                                own_ae: str, uids: UidGenerator | None = None,
                                stop: Callable[[], object] | None = None,
                                stop_when_idle: Callable[[], object] | None = None,
                                echo: Callable[[str, int, str, str], bool] = c_echo) -> None:
    """Register ``echo:``, ``genuid:``, ``checksum:`` and, given their hooks, ``quit:`` and
    ``safequit:`` (dgate.md §7.2).

    Parameters
    ----------
    ae_lookup : callable(ae) -> (host, port) or None
        The server's acrnema.map (:func:`acrnema_lookup`).
    own_ae : str
        The server's ``MyACRNema``, the calling AE of ``echo:``'s C-ECHO.
    uids : UidGenerator
        The server's UID generator (default: a new one with dgate's code-default prefix).
    stop : callable
        Ends the server at once; ``quit:`` closes the association without answering, then calls
        it (the client sees the link drop and exits 1).
    stop_when_idle : callable
        Ends the server when no other association is active; ``safequit:`` calls it, then
        answers nothing.  It must not block (the command's own association is still active):
        ``DicomServer.shutdown`` fits.
    echo : callable(host, port, calling_ae, called_ae) -> bool
        The C-ECHO client (:func:`c_echo`).

    ``quit:`` and ``safequit:`` are registered as modifying: only peers the access hook permits
    may stop the server.
    """
    uids = uids or UidGenerator()

    def echo_command(args: str, ctx: CommandContext):
        ae, _sep, target = args.partition(",")
        address = ae_lookup(ae) if ae else None
        up = address is not None and echo(address[0], address[1], own_ae, ae)
        return command_output(f"{ae} is {'UP' if up else 'DOWN'}", target, ctx)

    def checksum_command(args: str, ctx: CommandContext):
        from ..codec.nki import nki_crc  # ConQuest's CRC-32: register 0, no final XOR
        return str(nki_crc(_to_bytes(args)))

    def quit_command(args: str, ctx: CommandContext):
        raise CloseWithoutAnswer(then=stop)

    def safequit_command(args: str, ctx: CommandContext):
        stop_when_idle()
        return None

    handler.register("echo:", echo_command)
    handler.register("genuid:", lambda args, ctx: uids.genuid())
    handler.register("checksum:", checksum_command)
    if stop is not None:
        handler.register("quit:", quit_command, modifies=True)
    if stop_when_idle is not None:
        handler.register("safequit:", safequit_command, modifies=True)
