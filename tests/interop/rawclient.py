"""A minimal hand-written DICOM upper layer client (PS3.8) for misbehaving-peer tests.

Written from the standard, without pydcmkit, so that the server under test cannot share a bug
with the client: it sends an A-ASSOCIATE-RQ, C-STORE command and dataset fragments exactly as told,
and can stop at any point.
"""

from __future__ import annotations

import socket
import struct

APPLICATION_CONTEXT = b"1.2.840.10008.3.1.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"


def _item(item_type: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", item_type, 0, len(payload)) + payload


def _uid(value: str) -> bytes:
    raw = value.encode("ascii")
    return raw + b"\x00" if len(raw) % 2 else raw


def associate_rq(calling: str, called: str, contexts: list[tuple[int, str, list[str]]],
                 max_pdu: int = 16384, implementation_uid: str | None = "1.2.826.0.1.3680043.10.999.77") -> bytes:
    """An A-ASSOCIATE-RQ; ``implementation_uid=None`` leaves out the Implementation Class UID
    sub-item (which PS3.7 D.3.3.2 requires)."""
    body = struct.pack(">HH", 1, 0) + called.encode().ljust(16) + calling.encode().ljust(16) + b"\x00" * 32
    body += _item(0x10, APPLICATION_CONTEXT)
    for ctx_id, abstract, tss in contexts:
        sub = _item(0x30, abstract.encode()) + b"".join(_item(0x40, ts.encode()) for ts in tss)
        body += _item(0x20, struct.pack(">BBBB", ctx_id, 0, 0, 0) + sub)
    user = _item(0x51, struct.pack(">I", max_pdu))
    if implementation_uid is not None:
        user += _item(0x52, implementation_uid.encode())
    body += _item(0x50, user)
    return struct.pack(">BBI", 0x01, 0, len(body)) + body


def _element(group: int, elem: int, value: bytes) -> bytes:
    return struct.pack("<HHI", group, elem, len(value)) + value


def c_store_rq(message_id: int, sop_class: str, sop_instance: str) -> bytes:
    """C-STORE-RQ command set, implicit VR little endian (PS3.7 9.3.1.1)."""
    elems = (_element(0, 0x0002, _uid(sop_class)) + _element(0, 0x0100, struct.pack("<H", 0x0001))
             + _element(0, 0x0110, struct.pack("<H", message_id)) + _element(0, 0x0700, struct.pack("<H", 0))
             + _element(0, 0x0800, struct.pack("<H", 0x0000)) + _element(0, 0x1000, _uid(sop_instance)))
    return _element(0, 0x0000, struct.pack("<I", len(elems))) + elems


def c_find_rq(message_id: int, sop_class: str) -> bytes:
    elems = (_element(0, 0x0002, _uid(sop_class)) + _element(0, 0x0100, struct.pack("<H", 0x0020))
             + _element(0, 0x0110, struct.pack("<H", message_id)) + _element(0, 0x0700, struct.pack("<H", 0))
             + _element(0, 0x0800, struct.pack("<H", 0x0000)))
    return _element(0, 0x0000, struct.pack("<I", len(elems))) + elems


def c_echo_rq(message_id: int) -> bytes:
    elems = (_element(0, 0x0002, _uid("1.2.840.10008.1.1")) + _element(0, 0x0100, struct.pack("<H", 0x0030))
             + _element(0, 0x0110, struct.pack("<H", message_id)) + _element(0, 0x0800, struct.pack("<H", 0x0101)))
    return _element(0, 0x0000, struct.pack("<I", len(elems))) + elems


def p_data(ctx_id: int, data: bytes, *, command: bool, last: bool) -> bytes:
    control = (1 if command else 0) | (2 if last else 0)
    pdv = struct.pack(">IBB", len(data) + 2, ctx_id, control) + data
    return struct.pack(">BBI", 0x04, 0, len(pdv)) + pdv


def parse_command(data: bytes) -> dict[int, bytes]:
    """Elements of an implicit VR LE command set, keyed by element number (group 0000)."""
    out, i = {}, 0
    while i + 8 <= len(data):
        _group, elem, length = struct.unpack_from("<HHI", data, i)
        out[elem] = data[i + 8:i + 8 + length]
        i += 8 + length
    return out


class RawAssociation:
    """One connection; ``associate`` returns the PDU type of the answer (0x02 AC, 0x03 RJ)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.max_pdv = 16000
        self.accepted: dict[int, tuple[int, str]] = {}

    def _recv_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("connection closed by peer")
            buf += chunk
        return buf

    def read_pdu(self) -> tuple[int, bytes]:
        head = self._recv_exact(6)
        pdu_type, _res, length = struct.unpack(">BBI", head)
        return pdu_type, self._recv_exact(length)

    def associate(self, contexts, calling: str = "RAWSCU", called: str = "ANY-SCP", **rq_options) -> int:
        self.sock.sendall(associate_rq(calling, called, contexts, **rq_options))
        pdu_type, body = self.read_pdu()
        self.answer = body
        if pdu_type == 0x02:
            i = 68
            while i < len(body):
                item_type, _r, length = struct.unpack_from(">BBH", body, i)
                if item_type == 0x21:
                    ctx_id, _x, result, _y = struct.unpack_from(">BBBB", body, i + 4)
                    sub = body[i + 8:i + 4 + length]
                    ts = sub[4:4 + struct.unpack_from(">H", sub, 2)[0]].decode().rstrip("\x00")
                    self.accepted[ctx_id] = (result, ts)
                i += 4 + length
        return pdu_type

    def send_command(self, ctx_id: int, command: bytes) -> None:
        self.sock.sendall(p_data(ctx_id, command, command=True, last=True))

    def send_dataset(self, ctx_id: int, data: bytes, *, last: bool = True, chunk: int = 16000) -> None:
        if not data:
            self.sock.sendall(p_data(ctx_id, b"", command=False, last=last))
        for start in range(0, len(data), chunk):
            piece = data[start:start + chunk]
            final = last and start + chunk >= len(data)
            self.sock.sendall(p_data(ctx_id, piece, command=False, last=final))

    def _read_fragments(self, last: int) -> bytes:
        """Read P-DATA PDUs up to the fragment whose control header (low two bits) is ``last``:
        0x03 ends a command, 0x02 a data set; return the joined fragments."""
        payload = b""
        while True:
            pdu_type, body = self.read_pdu()
            if pdu_type != 0x04:
                raise ConnectionError(f"expected P-DATA-TF, got PDU type 0x{pdu_type:02x}")
            i = 0
            while i < len(body):
                length, _ctx, control = struct.unpack_from(">IBB", body, i)
                payload += body[i + 6:i + 4 + length]
                i += 4 + length
                if control & 0x03 == last:
                    return payload

    def read_command(self) -> dict[int, bytes]:
        """Read P-DATA PDUs up to the last fragment of a command; return its elements."""
        return parse_command(self._read_fragments(0x03))

    def read_dataset(self) -> bytes:
        """Read P-DATA PDUs up to the last fragment of a data set; return its bytes."""
        return self._read_fragments(0x02)

    def release(self) -> int:
        self.sock.sendall(struct.pack(">BBIi", 0x05, 0, 4, 0))
        pdu_type, _ = self.read_pdu()
        self.close()
        return pdu_type

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def status_of(command: dict[int, bytes]) -> int:
    return struct.unpack("<H", command[0x0900])[0]
