"""An established DICOM association: P-DATA framing, DIMSE messages, release and abort.

The same class serves requestor and acceptor.  Incoming P-DATA is parsed one PDV at a time
straight from a buffered socket reader, so a dataset can be streamed to its destination (a file,
usually) without ever being held in memory whole; outgoing datasets are fragmented to the
peer's maximum PDU length from bytes or from an open file.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import time
from dataclasses import dataclass
from typing import BinaryIO, Callable

from . import dimse, pdu as P

log = logging.getLogger("pydcmkit.net")

#: Default upper bound on a command set: PS3.7 commands are a few hundred bytes.
MAX_COMMAND_LENGTH = 64 << 10
#: The bound dgate's server and client use: ConQuest's remote commands carry an uploaded file (or
#: a long answer) in the command set (``--addlocalfile:``, (9999,0402)/(0401), dgate.md §6.2).
LARGE_COMMAND_LENGTH = 64 << 20
#: Default upper bound on a dataset read into memory (C-FIND identifiers and the like).
MAX_IN_MEMORY_DATASET = 64 << 20
#: Chunk size used when streaming datasets.
STREAM_CHUNK = 1 << 20
#: PDV payload used when the peer announces "no limit" (max PDU 0).
UNLIMITED_PDV = 1 << 20


class AssociationError(Exception):
    """Base class: the association can no longer be used."""


class AssociationAborted(AssociationError):
    """The peer sent A-ABORT or dropped the connection."""


class AssociationReleased(AssociationError):
    """The peer asked for release while we expected a message; the release was acknowledged."""


class ProtocolError(AssociationError):
    """The peer violated the upper layer or DIMSE protocol; the association was aborted."""


class DimseTimeout(AssociationError):
    """No message (or no data) arrived within the DIMSE timeout; the association was aborted."""


@dataclass(frozen=True)
class AcceptedContext:
    context_id: int
    abstract_syntax: str
    transfer_syntax: str
    scu_role: bool = True
    scp_role: bool = False


def set_nodelay(sock: socket.socket) -> None:
    """Disable Nagle's algorithm: DIMSE is request/response, delayed ACKs would stall it."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


class Association:
    """An established association over a connected (possibly TLS) socket.

    Parameters
    ----------
    sock : socket.socket
        The connected socket.
    contexts : dict[int, AcceptedContext]
        The accepted presentation contexts by ID.
    peer_max_pdu : int
        Maximum PDU length the peer can receive (0: unlimited).
    """

    def __init__(self, sock: socket.socket, *, contexts: dict[int, AcceptedContext], peer_max_pdu: int,
                 calling_ae: str, called_ae: str, peer_address: tuple[str, int] | None = None,
                 dimse_timeout: float | None = None, max_send_pdu: int | None = None,
                 rfile: BinaryIO | None = None, request=None, accept=None):
        self.sock = sock
        self.max_command_length = MAX_COMMAND_LENGTH  # dgate raises it (LARGE_COMMAND_LENGTH)
        self.rfile = rfile or sock.makefile("rb", buffering=256 * 1024)
        self.contexts = contexts
        self.peer_max_pdu = peer_max_pdu
        self.calling_ae = calling_ae
        self.called_ae = called_ae
        self.peer_address = peer_address
        self.dimse_timeout = dimse_timeout
        self.request = request
        self.accept = accept
        limit = peer_max_pdu if peer_max_pdu else UNLIMITED_PDV + 12
        if max_send_pdu:
            limit = min(limit, max_send_pdu)
        # DCMTK reserves 12 bytes (PDU + PDV headers): "Max Send PDV: 16372" for 16384.
        self.max_pdv = max(limit - 12, 1)
        self._pdu_remaining = 0
        self._stream_buffer: memoryview | None = None
        self._message_id = 0
        self.is_open = True
        self.sock.settimeout(dimse_timeout)

    # -- low level I/O --------------------------------------------------------------------
    @contextlib.contextmanager
    def _io(self, what: str):
        """Map socket failures: a timeout aborts (DIMSE timeout), any other error means the
        connection is gone."""
        try:
            yield
        except socket.timeout:
            self._abort_quietly()
            raise DimseTimeout(f"DIMSE timeout while {what}") from None
        except OSError as exc:
            self.is_open = False
            raise AssociationAborted(f"connection lost: {exc}") from None

    def _peer_closed(self):
        self.is_open = False
        raise AssociationAborted("peer closed the connection")

    def _read_exact(self, n: int) -> bytes:
        with self._io("waiting for data"):
            data = self.rfile.read(n)
        if len(data) != n:
            self._peer_closed()
        return data

    def _readinto_exact(self, view: memoryview) -> None:
        got = 0
        n = len(view)
        while got < n:
            with self._io("receiving data"):
                k = self.rfile.readinto(view[got:])
            if not k:
                self._peer_closed()
            got += k

    def _send(self, data) -> None:
        with self._io("sending"):
            self.sock.sendall(data)

    def _next_pdv(self) -> tuple[int, int, int]:
        """Return (context_id, control, data_length) of the next PDV, reading PDUs as needed."""
        while self._pdu_remaining == 0:
            header = self._read_exact(6)
            pdu_type, length = header[0], struct.unpack(">I", header[2:6])[0]
            if pdu_type == P.P_DATA_TF:
                if length < 6:
                    self._protocol_error(f"P-DATA-TF PDU of length {length}")
                self._pdu_remaining = length
            elif pdu_type == P.A_RELEASE_RQ:
                self._read_exact(min(length, 4)) if length <= 4 else self._read_exact(4)
                self._send(P.encode_release_rp())
                self._close_socket()
                raise AssociationReleased("peer requested release")
            elif pdu_type == P.A_ABORT:
                if length <= 64:
                    self._read_exact(length)
                self._close_socket()
                raise AssociationAborted("peer aborted the association")
            else:
                self._protocol_error(f"unexpected PDU type 0x{pdu_type:02x} ({P.PDU_NAMES.get(pdu_type, 'unknown')})")
        if self._pdu_remaining < 6:
            self._protocol_error("truncated PDV item")
        item_len, ctx_id, control = struct.unpack(">IBB", self._read_exact(6))
        if item_len < 2 or item_len + 4 > self._pdu_remaining:
            self._protocol_error(f"PDV item length {item_len} does not fit its PDU")
        self._pdu_remaining -= item_len + 4
        return ctx_id, control, item_len - 2

    def _protocol_error(self, what: str):
        self._abort_quietly(source=2, reason=0)
        raise ProtocolError(what)

    # -- messages -------------------------------------------------------------------------
    def next_message_id(self) -> int:
        self._message_id = (self._message_id % 0xFFFF) + 1
        return self._message_id

    def receive_command(self) -> tuple[int, dimse.Command]:
        """Read the next complete command set.

        Returns ``(context_id, command)``.  Raises :class:`AssociationReleased` when the peer asks
        for release (already acknowledged), :class:`AssociationAborted` on abort or disconnect.
        """
        buf = bytearray()
        ctx_first = None
        while True:
            ctx_id, control, length = self._next_pdv()
            if not control & 0x01:
                self._protocol_error("data fragment received while a command was expected")
            if ctx_first is None:
                ctx_first = ctx_id
                if ctx_id not in self.contexts:
                    self._protocol_error(f"command on unknown presentation context {ctx_id}")
            elif ctx_id != ctx_first:
                self._protocol_error("command fragments on different presentation contexts")
            if len(buf) + length > self.max_command_length:
                self._protocol_error("command set too long")
            buf += self._read_exact(length)
            if control & 0x02:
                break
        try:
            return ctx_first, dimse.decode_command(buf)
        except dimse.CommandError as exc:
            self._protocol_error(f"invalid command set: {exc}")

    def message_waiting(self) -> bool:
        """Whether bytes from the peer are ready without blocking (a C-CANCEL, a release...).

        Used between the responses of a C-FIND, C-MOVE or C-GET to notice a C-CANCEL-RQ
        (PS3.4 C.4.1.2.3) without waiting for it.
        """
        if self._pdu_remaining:
            return True
        timeout = self.sock.gettimeout()
        try:
            self.sock.setblocking(False)
            try:
                return bool(self.rfile.peek(1))
            except (BlockingIOError, ssl_want_read_errors()):
                return False
            except OSError:
                return True  # let the next read report the failure
        finally:
            self.sock.settimeout(timeout)

    def receive_dataset(self, context_id: int, sink: Callable[[memoryview], object] | None) -> int:
        """Stream the data fragments of the current message to ``sink`` (None: discard).

        Returns the number of dataset bytes received.  Fragments are gathered in one buffer of
        ``STREAM_CHUNK`` bytes, so ``sink`` (a file write, usually) is called once per megabyte
        rather than once per PDV; the memoryviews it gets are only valid during the call.
        """
        total = 0
        view = self._stream_buffer
        if view is None:
            view = self._stream_buffer = memoryview(bytearray(STREAM_CHUNK))
        filled = 0
        while True:
            ctx_id, control, length = self._next_pdv()
            if control & 0x01:
                self._protocol_error("command fragment received inside a dataset")
            if ctx_id != context_id:
                self._protocol_error("dataset fragment on a different presentation context")
            remaining = length
            while remaining:
                n = min(remaining, STREAM_CHUNK - filled)
                self._readinto_exact(view[filled:filled + n])
                filled += n
                remaining -= n
                if filled == STREAM_CHUNK:
                    if sink is not None:
                        sink(view)
                    filled = 0
            total += length
            if control & 0x02:
                if filled and sink is not None:
                    sink(view[:filled])
                return total

    def receive_dataset_bytes(self, context_id: int, limit: int = MAX_IN_MEMORY_DATASET) -> bytes:
        parts = bytearray()

        def sink(mv):
            if len(parts) + len(mv) > limit:
                raise ProtocolError(f"dataset larger than {limit} bytes")
            parts.extend(mv)

        try:
            self.receive_dataset(context_id, sink)
        except ProtocolError:
            self._abort_quietly()
            raise
        return bytes(parts)

    def send_command(self, context_id: int, command: bytes) -> None:
        """Send an encoded command set (fragmented if it exceeds the peer's PDU size)."""
        self._send_fragments(context_id, memoryview(command), 0x01)

    def _send_fragments(self, context_id: int, data: memoryview, base_control: int) -> None:
        n = len(data)
        step = self.max_pdv
        if n <= step:
            self._send(P.pdv_header(context_id, base_control | 0x02, n) + bytes(data))
            return
        pos = 0
        while pos < n:
            chunk = data[pos:pos + step]
            pos += len(chunk)
            control = base_control | (0x02 if pos >= n else 0)
            self._send(P.pdv_header(context_id, control, len(chunk)) + bytes(chunk))

    def send_dataset_bytes(self, context_id: int, data) -> None:
        data = memoryview(data)
        step = self.max_pdv
        if len(data) <= step:
            self._send_fragments(context_id, data, 0x00)
            return
        parts = []
        for pos in range(0, len(data), step):
            size = min(step, len(data) - pos)
            parts.append(P.pdv_header(context_id, 0x02 if pos + size == len(data) else 0x00, size))
            parts.append(data[pos:pos + size])
            if len(parts) >= 1000:
                self._send_vectored(parts)
                parts = []
        if parts:
            self._send_vectored(parts)

    def send_dataset_file(self, context_id: int, fileobj: BinaryIO, length: int) -> None:
        """Send ``length`` bytes from ``fileobj``'s current position as the dataset.

        The file is read in chunks of about ``STREAM_CHUNK`` bytes; all PDUs of a chunk go out in
        one vectored ``sendmsg`` (header, data, header, data, ...), one system call instead of one
        per PDU.
        """
        step = self.max_pdv
        if length == 0:
            self._send(P.pdv_header(context_id, 0x02, 0))
            return
        per_chunk = max(1, min(STREAM_CHUNK // step, 500))
        buf = bytearray(min(length, per_chunk * step))
        view = memoryview(buf)
        remaining = length
        while remaining:
            n = min(len(buf), remaining)
            got = 0
            while got < n:
                k = fileobj.readinto(view[got:n])
                if not k:
                    raise OSError(f"file ended {remaining - got} bytes early")
                got += k
            parts = []
            for pos in range(0, n, step):
                size = min(step, n - pos)
                last = remaining - pos - size == 0
                parts.append(P.pdv_header(context_id, 0x02 if last else 0x00, size))
                parts.append(view[pos:pos + size])
            self._send_vectored(parts)
            remaining -= n

    def _send_vectored(self, parts: list) -> None:
        if not hasattr(self.sock, "sendmsg") or type(self.sock).__name__ == "SSLSocket":
            self._send(b"".join(parts))
            return
        with self._io("sending"):
            while parts:
                sent = self.sock.sendmsg(parts)
                while sent:
                    first = len(parts[0])
                    if sent >= first:
                        sent -= first
                        parts.pop(0)
                    else:
                        parts[0] = memoryview(parts[0])[sent:]
                        sent = 0

    def send_message(self, context_id: int, command: bytes, dataset: bytes | None = None) -> None:
        self.send_command(context_id, command)
        if dataset is not None:
            self.send_dataset_bytes(context_id, dataset)

    # -- teardown -------------------------------------------------------------------------
    def release(self, timeout: float | None = 30) -> None:
        """Request release and wait for the A-RELEASE-RP (PS3.8 §7.2)."""
        if not self.is_open:
            return
        self._send(P.encode_release_rq())
        self.sock.settimeout(timeout)
        try:
            while True:
                header = self._read_exact(6)
                length = struct.unpack(">I", header[2:6])[0]
                if header[0] == P.A_RELEASE_RP:
                    self._read_exact(min(length, 4))
                    break
                if header[0] == P.A_ABORT:
                    break
                if header[0] == P.P_DATA_TF:  # late data: skip it
                    self._read_exact(length)
                    continue
                break
        except AssociationError:
            pass
        finally:
            self._close_socket()

    def abort(self, source: int = 0, reason: int = 0) -> None:
        self._abort_quietly(source, reason)

    def _abort_quietly(self, source: int = 0, reason: int = 0) -> None:
        if self.is_open:
            try:
                self.sock.settimeout(2)
                self.sock.sendall(P.encode_abort(source, reason))
            except OSError:
                pass
        self._close_socket()

    def _close_socket(self) -> None:
        self.is_open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.rfile.close()
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def context_for(self, abstract_syntax: str, transfer_syntax: str | None = None) -> AcceptedContext | None:
        for cx in self.contexts.values():
            if cx.abstract_syntax == abstract_syntax and (transfer_syntax is None or cx.transfer_syntax == transfer_syntax):
                return cx
        return None


def ssl_want_read_errors():
    import ssl
    return ssl.SSLWantReadError


def read_pdu(rfile: BinaryIO, max_length: int = P.MAX_ASSOCIATION_PDU, *, sock: socket.socket | None = None,
             timeout: float | None = None) -> tuple[int, bytes]:
    """Read one whole PDU (header included) during association negotiation.

    With ``sock`` (the socket under ``rfile``) and ``timeout``, the whole PDU must arrive within
    ``timeout`` seconds, not each read of it: the ACSE timeout is one timer (PS3.8 §9.1.5, ARTIM),
    so a peer trickling a byte at a time cannot hold the connection; raises ``socket.timeout``.
    """
    read = rfile.read
    if sock is not None and timeout is not None:
        deadline = time.monotonic() + timeout

        def read(n: int) -> bytes:
            buf = bytearray()
            while len(buf) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise socket.timeout("ACSE timeout")
                sock.settimeout(remaining)
                chunk = rfile.read1(n - len(buf))
                if not chunk:
                    break
                buf += chunk
            return bytes(buf)
    header = read(6)
    if len(header) < 6:
        raise AssociationAborted("peer closed the connection during association negotiation")
    length = struct.unpack(">I", header[2:6])[0]
    if length > max_length:
        raise ProtocolError(f"{P.PDU_NAMES.get(header[0], 'PDU')} claims {length} bytes (limit {max_length})")
    body = read(length)
    if len(body) < length:
        raise AssociationAborted("peer closed the connection during association negotiation")
    return header[0], header + body
