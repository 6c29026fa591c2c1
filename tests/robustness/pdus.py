"""Hostile upper-layer input (PS3.8 §9.3) for the fuzz tests: random bytes, mutated
A-ASSOCIATE-RQs and mutated P-DATA-TF after a valid association.

The valid PDUs come from :mod:`tests.interop.rawclient` (written from the standard, without
pydcmkit); every mutation is drawn from one seeded :class:`random.Random`, so a failing case
is reproduced by its index.  :func:`play` sends one case over a fresh connection, half-closes
it and reads the answer until the server closes, within a bounded time.
"""

from __future__ import annotations

import random
import socket
import struct
import time
from dataclasses import dataclass

from tests.interop import rawclient as raw

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
IMPLICIT, EXPLICIT = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"
#: the contexts of every valid association: 1 echo, 3 CT implicit, 5 CT explicit, 7 C-FIND
CONTEXTS = [(1, VERIFICATION, [IMPLICIT]), (3, CT, [IMPLICIT]), (5, CT, [EXPLICIT]),
            (7, STUDY_FIND, [IMPLICIT])]
KNOWN_ITEMS = {0x10, 0x20, 0x21, 0x30, 0x40, 0x50}


@dataclass
class Case:
    """``chunks`` go out one by one; with ``associate`` after a valid A-ASSOCIATE-RQ was accepted."""

    category: str
    mutation: str
    chunks: list[bytes]
    associate: bool = False


def item(item_type: int, payload: bytes, length: int | None = None) -> bytes:
    return struct.pack(">BBH", item_type, 0, len(payload) if length is None else length) + payload


def pdu(pdu_type: int, body: bytes, length: int | None = None) -> bytes:
    return struct.pack(">BBI", pdu_type, 0, len(body) if length is None else length) + body


# ---------------------------------------------------------------------------------------------
# A-ASSOCIATE-RQ from parts, so that single items can be broken

def _ae(title: bytes) -> bytes:
    return title[:16].ljust(16, b" ")


def rq_items(contexts=CONTEXTS, *, app_ctx: bytes = raw.APPLICATION_CONTEXT, max_pdu: int = 16384,
             impl_uid: bytes = b"1.2.826.0.1.3680043.10.999.77", extra_user: bytes = b"") -> list[bytes]:
    items = [item(0x10, app_ctx)]
    for ctx_id, abstract, tss in contexts:
        abstract = abstract if isinstance(abstract, bytes) else abstract.encode()
        sub = item(0x30, abstract) + b"".join(item(0x40, ts if isinstance(ts, bytes) else ts.encode()) for ts in tss)
        items.append(item(0x20, bytes((ctx_id & 0xFF, 0, 0, 0)) + sub))
    user = item(0x51, struct.pack(">I", max_pdu & 0xFFFFFFFF)) + item(0x52, impl_uid) + extra_user
    items.append(item(0x50, user))
    return items


def associate_rq(called: bytes, calling: bytes = b"FUZZSCU", items: list[bytes] | None = None, *,
                 version: int = 1, pdu_type: int = 0x01, length: int | None = None) -> bytes:
    body = struct.pack(">HH", version, 0) + _ae(called) + _ae(calling) + b"\x00" * 32
    body += b"".join(rq_items() if items is None else items)
    return pdu(pdu_type, body, length)


def _bad_uid(rng: random.Random) -> bytes:
    return rng.choice([
        b"", b"\x00", b"\x00" * 64, b" " * 64, b"\xff\xfe\xfd", b"1..2", b"abc.def", b"1.2.840.10008.1.2.",
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))), b"9" * 4000, b"1." * 30000,
        "1.2.\u00e9".encode("utf-8"), b"1.2.840.10008.1.1\x00\x00\x00",
    ])


def _bad_ae(rng: random.Random) -> bytes:
    return rng.choice([b"", b" " * 16, b"\x00" * 16, b"\xff" * 16, b"\\\\\\", b"A\x00B", b"\r\n",
                       "\u00c4RZT".encode("latin-1"), bytes(rng.randrange(256) for _ in range(16)),
                       b"%s%s%n", b"../../etc"])


def mutated_associate_rq(rng: random.Random, called: bytes) -> tuple[str, bytes]:
    """One hostile A-ASSOCIATE-RQ: (name of the mutation, bytes)."""
    m = rng.choice(["pdu_length", "truncated", "truncated_fixed", "item_length", "sub_item_length",
                    "unknown_item", "unknown_sub_item", "many_contexts", "bad_uid", "bad_ae", "bit_flips",
                    "version", "max_pdu", "user_info", "missing_items", "pdu_type", "twice", "role_item",
                    "context_id"])
    good = associate_rq(called)
    if m == "pdu_length":
        n = len(good) - 6
        length = rng.choice([0, 1, 67, n - 1, n + 1, n + 4096, 1 << 20, (1 << 20) + 1, 0x7FFFFFFF, 0xFFFFFFFF,
                             rng.randrange(1 << 32)])
        return m, good[:2] + struct.pack(">I", length) + good[6:]
    if m == "truncated":
        return m, good[:rng.randrange(1, len(good))]
    if m == "truncated_fixed":
        cut = good[:rng.randrange(7, len(good))]
        return m, cut[:2] + struct.pack(">I", len(cut) - 6) + cut[6:]
    if m in ("item_length", "sub_item_length"):
        items = rq_items()
        k = rng.randrange(len(items))
        it = items[k]
        if m == "item_length" or len(it) < 12:
            new = rng.choice([0, 1, 3, len(it) - 5, len(it) - 3, len(it), 0xFFFF, rng.randrange(0x10000)])
            items[k] = it[:2] + struct.pack(">H", new & 0xFFFF) + it[4:]
        else:  # a sub-item inside: the one at offset 8 (PC) or 4 (user information)
            off = 8 if it[0] == 0x20 else 4
            new = rng.choice([0, 1, 0xFFFF, rng.randrange(0x10000)])
            items[k] = it[:off + 2] + struct.pack(">H", new) + it[off + 4:]
        return m, associate_rq(called, items=items)
    if m == "unknown_item":
        items = rq_items()
        t = rng.choice([x for x in range(256) if x not in KNOWN_ITEMS])
        items.insert(rng.randrange(len(items) + 1), item(t, bytes(rng.randrange(256) for _ in range(rng.randrange(40)))))
        return m, associate_rq(called, items=items)
    if m == "unknown_sub_item":
        if rng.random() < 0.5:
            ctx = [(1, VERIFICATION, [IMPLICIT])]
            items = rq_items(ctx)
            t = rng.choice([0x00, 0x31, 0x41, 0x50, 0x51, 0xFF])
            items[1] = item(0x20, items[1][4:] + item(t, b"x" * rng.randrange(10)))
        else:
            t = rng.choice([0x53, 0x57, 0x58, 0x59, 0x5A, 0x10, 0xFF])
            items = rq_items(extra_user=item(t, bytes(rng.randrange(256) for _ in range(rng.randrange(30)))))
        return m, associate_rq(called, items=items)
    if m == "many_contexts":
        n = rng.choice([129, 200, 300, 500])
        ctx = [((2 * i + 1) & 0xFF if rng.random() < 0.8 else rng.randrange(256), rng.choice([VERIFICATION, CT, "1.2.3.4.%d" % i]),
                [IMPLICIT, EXPLICIT] * rng.randrange(1, 4)) for i in range(n)]
        return m, associate_rq(called, items=rq_items(ctx))
    if m == "bad_uid":
        where = rng.choice(["abstract", "transfer", "app_ctx", "impl"])
        bad = _bad_uid(rng)[:0xFFF0]
        if where == "abstract":
            items = rq_items([(1, bad, [IMPLICIT]), (3, CT, [IMPLICIT])])
        elif where == "transfer":
            items = rq_items([(1, VERIFICATION, [bad]), (3, CT, [bad, IMPLICIT])])
        elif where == "app_ctx":
            items = rq_items(app_ctx=bad)
        else:
            items = rq_items(impl_uid=bad)
        return f"{m}_{where}", associate_rq(called, items=items)
    if m == "bad_ae":
        if rng.random() < 0.5:
            return m, associate_rq(_bad_ae(rng), calling=b"FUZZSCU")
        return m, associate_rq(called, calling=_bad_ae(rng))
    if m == "bit_flips":
        data = bytearray(good)
        for _ in range(rng.randrange(1, 9)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return m, bytes(data)
    if m == "version":
        return m, associate_rq(called, version=rng.choice([0, 2, 0x8000, 0xFFFF]))
    if m == "max_pdu":
        v = rng.choice([0, 1, 2, 11, 12, 13, 0x7FFFFFFF, 0xFFFFFFFF])
        return f"{m}_{v}", associate_rq(called, items=rq_items(max_pdu=v))
    if m == "user_info":
        kind = rng.choice(["missing", "twice", "short_max", "empty"])
        items = rq_items()
        if kind == "missing":
            items = items[:-1]
        elif kind == "twice":
            items.append(items[-1])
        elif kind == "short_max":
            items[-1] = item(0x50, item(0x51, b"\x00\x40") + item(0x52, b"1.2.3"))
        else:
            items[-1] = item(0x50, b"")
        return f"{m}_{kind}", associate_rq(called, items=items)
    if m == "missing_items":
        kind = rng.choice(["no_app_ctx", "no_contexts", "nothing", "pc_without_ts", "pc_without_abstract"])
        items = rq_items()
        if kind == "no_app_ctx":
            items = items[1:]
        elif kind == "no_contexts":
            items = [items[0], items[-1]]
        elif kind == "nothing":
            items = []
        elif kind == "pc_without_ts":
            items[1] = item(0x20, bytes((1, 0, 0, 0)) + item(0x30, VERIFICATION.encode()))
        else:
            items[1] = item(0x20, bytes((1, 0, 0, 0)) + item(0x40, IMPLICIT.encode()))
        return f"{m}_{kind}", associate_rq(called, items=items)
    if m == "pdu_type":
        return m, associate_rq(called, pdu_type=rng.choice([0x00, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xFF]))
    if m == "twice":
        return m, good + good
    if m == "role_item":
        uid = CT.encode()
        sub = rng.choice([struct.pack(">H", 999) + uid + b"\x01\x01", struct.pack(">H", len(uid)) + uid,
                          struct.pack(">H", len(uid)) + uid + b"\x01\x01\x01", b"\x00", b""])
        return m, associate_rq(called, items=rq_items(extra_user=item(0x54, sub)))
    # context_id: 0, even, duplicate
    ctx = [(rng.choice([0, 2, 255]), VERIFICATION, [IMPLICIT]), (3, CT, [IMPLICIT]), (3, VERIFICATION, [IMPLICIT])]
    return m, associate_rq(called, items=rq_items(ctx))


# ---------------------------------------------------------------------------------------------
# P-DATA-TF after a valid association

def pdv(ctx_id: int, control: int, data: bytes, length: int | None = None) -> bytes:
    return struct.pack(">IBB", len(data) + 2 if length is None else length, ctx_id, control) + data


def p_data(*pdvs: bytes, length: int | None = None) -> bytes:
    return pdu(0x04, b"".join(pdvs), length)


def command(pairs: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(struct.pack("<HHI", 0, elem, len(v)) + v for elem, v in pairs)
    return struct.pack("<HHII", 0, 0, 4, len(body)) + body


def small_dataset(explicit: bool = False) -> bytes:
    """A tiny but complete CT dataset (few elements)."""
    elems = [(0x0008, 0x0016, b"UI", raw._uid(CT)), (0x0008, 0x0018, b"UI", raw._uid("1.2.826.0.1.3680043.10.999.9.1")),
             (0x0010, 0x0010, b"PN", b"FUZZ^PAT")]
    out = b""
    for g, e, vr, v in elems:
        out += (struct.pack("<HH", g, e) + vr + struct.pack("<H", len(v)) + v if explicit
                else struct.pack("<HHI", g, e, len(v)) + v)
    return out


def mutated_p_data(rng: random.Random) -> tuple[str, list[bytes]]:
    """Hostile P-DATA (and other PDUs) for an established association: (name, chunks)."""
    m = rng.choice(["pdv_length", "pdu_length_huge", "control", "truncated_command", "garbage_command",
                    "command_element_length", "command_field", "context_id", "dataset_as_command",
                    "dataset_context", "dataset_huge_claim", "one_byte_fragments", "unexpected_pdu",
                    "release_length", "short_p_data", "second_pdv_truncated", "missing_command_field",
                    "find_identifier", "noise", "stream_bit_flips"])
    echo = raw.c_echo_rq(1)
    store = raw.c_store_rq(2, CT, "1.2.826.0.1.3680043.10.999.9.1")
    if m == "pdv_length":
        length = rng.choice([0, 1, 2, len(echo) + 3, len(echo) + 100, 0xFFFFFFFF, rng.randrange(1 << 32)])
        return m, [p_data(pdv(1, 3, echo, length))]
    if m == "pdu_length_huge":
        length = rng.choice([0xFFFFFFFF, 0xFFFFFFF0, 1 << 31, 1 << 30])
        return m, [p_data(pdv(1, 3, echo), length=length), b"\x00" * rng.randrange(0, 3000)]
    if m == "control":
        c = rng.choice([0x00, 0x02, 0x04, 0x07, 0x08, 0x10, 0x80, 0xFF, rng.randrange(256)])
        return f"{m}_{c:02x}", [p_data(pdv(1, c, echo))]
    if m == "truncated_command":
        cmd = rng.choice([echo, store])
        return m, [p_data(pdv(1 if cmd is echo else 3, 3, cmd[:rng.randrange(0, len(cmd))]))]
    if m == "garbage_command":
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        return m, [p_data(pdv(rng.choice([1, 3]), 3, data))]
    if m == "command_element_length":
        data = bytearray(rng.choice([echo, store]))
        # element headers sit at 0, 12, ...: break one length (offset +4) of a random element
        offsets, i = [], 0
        while i + 8 <= len(data):
            offsets.append(i)
            i += 8 + struct.unpack_from("<I", data, i + 4)[0]
        off = rng.choice(offsets)
        struct.pack_into("<I", data, off + 4, rng.choice([0, 1, 3, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]))
        return m, [p_data(pdv(1 if data[:len(echo)] == echo else 3, 3, bytes(data)))]
    if m == "command_field":
        cf = rng.choice([0x0000, 0x0002, 0x0FFF, 0x1234, 0x8001, 0x8030, 0x0100, 0x0120, 0xFFFF, 0x0021, 0x0010])
        cmd = command([(0x0002, raw._uid(VERIFICATION)), (0x0100, struct.pack("<H", cf)),
                       (0x0110, struct.pack("<H", 1)), (0x0800, struct.pack("<H", 0x0101))])
        return f"{m}_{cf:04x}", [p_data(pdv(1, 3, cmd))]
    if m == "context_id":
        return m, [p_data(pdv(rng.choice([0, 2, 9, 127, 255]), 3, echo))]
    if m == "dataset_as_command":
        return m, [p_data(pdv(3, 3, store)), p_data(pdv(3, rng.choice([1, 3]), small_dataset()))]
    if m == "dataset_context":
        return m, [p_data(pdv(3, 3, store)), p_data(pdv(rng.choice([1, 5, 7, 9]), 2, small_dataset()))]
    if m == "dataset_huge_claim":
        claim = rng.choice([0xFFFFFFFF, 0xFFFFFFF0, 1 << 31])
        return m, [p_data(pdv(3, 3, store)),
                   struct.pack(">BBI", 4, 0, claim) + struct.pack(">IBB", claim - 4, 3, 2) + small_dataset()
                   + b"\x00" * rng.randrange(0, 70000)]
    if m == "one_byte_fragments":
        # valid but extreme: the C-ECHO command in one-byte PDVs; then a truncated one
        frags = [p_data(pdv(1, 1 | (2 if i == len(echo) - 1 else 0), echo[i:i + 1])) for i in range(len(echo))]
        return m, [b"".join(frags), b"".join(frags[:rng.randrange(1, len(frags))])]
    if m == "unexpected_pdu":
        t = rng.choice([0x00, 0x01, 0x02, 0x03, 0x06, 0x08, 0x7F, 0xFF])
        body = associate_rq(b"ANY")[6:] if t == 0x01 else bytes(rng.randrange(256) for _ in range(rng.randrange(4, 64)))
        return f"{m}_{t:02x}", [pdu(t, body, rng.choice([None, 0xFFFFFFFF]))]
    if m == "release_length":
        t = rng.choice([0x05, 0x07])
        return f"{m}_{t:02x}", [pdu(t, b"\x00" * rng.choice([0, 2, 4, 100]), rng.choice([0, 2, 4, 100, 0xFFFFFFFF]))]
    if m == "short_p_data":
        return m, [pdu(0x04, b"\x00" * rng.choice([0, 1, 4, 5]))]
    if m == "second_pdv_truncated":
        return m, [p_data(pdv(1, 3, echo), pdv(1, 3, echo[:10], len(echo) + 2))]
    if m == "missing_command_field":
        cmd = command([(0x0002, raw._uid(VERIFICATION)), (0x0110, struct.pack("<H", 1))])
        return m, [p_data(pdv(1, 3, cmd))]
    if m == "noise":
        return m, [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))]
    if m == "stream_bit_flips":  # C-ECHO and C-FIND messages only, so that no flip makes a valid store
        stream = bytearray(p_data(pdv(1, 3, echo)) + p_data(pdv(7, 3, raw.c_find_rq(3, STUDY_FIND)))
                           + p_data(pdv(7, 2, small_dataset())))
        for _ in range(rng.randrange(1, 6)):
            stream[rng.randrange(len(stream))] ^= 1 << rng.randrange(8)
        return m, [bytes(stream)]
    # find_identifier: a C-FIND with a broken identifier (dcmrecv refuses context 7: protocol error)
    ident = bytearray(small_dataset() + struct.pack("<HHI", 0x0008, 0x0052, 6) + b"STUDY ")
    kind = rng.choice(["length", "truncated", "garbage"])
    if kind == "length":
        struct.pack_into("<I", ident, 4, rng.choice([0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF]))
    elif kind == "truncated":
        ident = ident[:rng.randrange(1, len(ident))]
    else:
        ident = bytearray(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    return f"{m}_{kind}", [p_data(pdv(7, 3, raw.c_find_rq(3, STUDY_FIND))), p_data(pdv(7, 2, bytes(ident)))]


def random_bytes(rng: random.Random) -> tuple[str, bytes]:
    m = rng.choice(["noise", "pdu_header_noise", "framed_noise"])
    n = rng.randrange(1, 4096)
    noise = bytes(rng.randrange(256) for _ in range(n))
    if m == "noise":
        return m, noise
    if m == "pdu_header_noise":
        return m, struct.pack(">BBI", rng.randrange(1, 8), rng.randrange(256), rng.randrange(1 << 32)) + noise
    return m, pdu(rng.randrange(1, 8), noise)


def cases(seed: int, called_ae: str, n_random: int, n_associate: int, n_p_data: int) -> list[Case]:
    rng = random.Random(seed)
    called = called_ae.encode()
    out = [Case("random bytes", *(lambda m, b: (m, [b]))(*random_bytes(rng))) for _ in range(n_random)]
    out += [Case("A-ASSOCIATE-RQ", *(lambda m, b: (m, [b]))(*mutated_associate_rq(rng, called)))
            for _ in range(n_associate)]
    out += [Case("P-DATA", *mutated_p_data(rng), associate=True) for _ in range(n_p_data)]
    rng.shuffle(out)
    return out


# ---------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    answer: str          # first PDU type after the case's data ('AC', 'RJ', 'ABORT', 'P-DATA', ...) or 'closed'
    closed: bool         # the server closed the connection within the time allowed
    seconds: float


_NAMES = {1: "RQ", 2: "AC", 3: "RJ", 4: "P-DATA", 5: "RELEASE-RQ", 6: "RELEASE-RP", 7: "ABORT"}


def _read_until_closed(sock: socket.socket, deadline: float) -> tuple[bytes, bool]:
    got = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return got, False
        except OSError:  # reset by the server: closed
            return got, True
        if not chunk:
            return got, True
        got += chunk
    return got, False


def play(port: int, called_ae: str, case: Case, timeout: float = 10.0) -> Outcome:
    """Send ``case`` on a fresh connection, half-close, read until the server closes."""
    start = time.monotonic()
    deadline = start + timeout
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if case.associate:
            sock.sendall(raw.associate_rq("FUZZSCU", called_ae, CONTEXTS))
            head = b""
            while len(head) < 6:
                chunk = sock.recv(6 - len(head))
                if not chunk:
                    raise AssertionError("server closed instead of answering a valid A-ASSOCIATE-RQ")
                head += chunk
            if head[0] != 0x02:
                raise AssertionError(f"valid A-ASSOCIATE-RQ answered with PDU type {head[0]:#04x}")
            length = struct.unpack(">I", head[2:])[0]
            while length:
                length -= len(sock.recv(min(length, 65536)))
        for chunk in case.chunks:
            try:
                sock.sendall(chunk)
            except OSError:  # the server aborted already
                break
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        got, closed = _read_until_closed(sock, deadline)
    finally:
        sock.close()
    answer = _NAMES.get(got[0], f"0x{got[0]:02x}") if got else "closed"
    return Outcome(answer, closed, time.monotonic() - start)
