"""Malformed data sets inside valid C-STOREs (issue 5): broken element lengths, wrong VRs, deep
nesting, a huge or unterminated sequence, truncation, noise.

Each one goes to the server over one association (tests/interop/rawclient.py, written without
pydcmkit), followed by a good instance on the same association.  Every malformed one must be
answered with a failure status (not Success, not a warning), leave no file (temporary ones
included) and no index row; the good one is stored and indexed; the server lives and answers
echoscu.
"""

from __future__ import annotations

import random
import struct


from tests.interop import rawclient as raw
from tests.robustness.servers import target  # noqa: F401  (fixture)

CT = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT, EXPLICIT = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"
ROOT = "1.2.826.0.1.3680043.10.999.77"
CTX_IMPLICIT, CTX_EXPLICIT = 1, 3
SHORT_LENGTH_VRS = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL",
                    "SS", "ST", "TM", "UI", "UL", "US"}
UNDEFINED = 0xFFFFFFFF
PIXELS = 64 * 64 * 2  # bytes of Pixel Data, the last element


def el(group: int, elem: int, vr: str, value: bytes, *, explicit: bool, length: int | None = None) -> bytes:
    n = len(value) if length is None else length
    if not explicit:
        return struct.pack("<HHI", group, elem, n) + value
    if vr in SHORT_LENGTH_VRS:
        return struct.pack("<HH2sH", group, elem, vr.encode(), n & 0xFFFF) + value
    return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, n) + value


def item(body: bytes, length: int | None = None) -> bytes:
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(body) if length is None else length) + body


ITEM_END = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
SEQ_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)


def uid(value: str) -> bytes:
    raw_ = value.encode()
    return raw_ + b"\x00" if len(raw_) % 2 else raw_


def head(sop: str, *, explicit: bool) -> bytes:
    """The attributes before Pixel Data, in tag order, up to (0020,000E)."""
    e = lambda g, x, vr, v: el(g, x, vr, v, explicit=explicit)  # noqa: E731
    return (e(0x0008, 0x0016, "UI", uid(CT)) + e(0x0008, 0x0018, "UI", uid(sop)) + e(0x0008, 0x0060, "CS", b"CT")
            + e(0x0010, 0x0010, "PN", b"MALFORMED^TEST") + e(0x0010, 0x0020, "LO", b"MALF01")
            + e(0x0020, 0x000D, "UI", uid(ROOT + ".1")) + e(0x0020, 0x000E, "UI", uid(ROOT + ".2")))


def image(*, explicit: bool) -> bytes:
    e = lambda g, x, vr, v: el(g, x, vr, v, explicit=explicit)  # noqa: E731
    return (e(0x0028, 0x0002, "US", struct.pack("<H", 1)) + e(0x0028, 0x0004, "CS", b"MONOCHROME2")
            + e(0x0028, 0x0010, "US", struct.pack("<H", 64)) + e(0x0028, 0x0011, "US", struct.pack("<H", 64))
            + e(0x0028, 0x0100, "US", struct.pack("<H", 16)) + e(0x0028, 0x0101, "US", struct.pack("<H", 12))
            + e(0x0028, 0x0102, "US", struct.pack("<H", 11)) + e(0x0028, 0x0103, "US", struct.pack("<H", 0))
            + e(0x7FE0, 0x0010, "OW", bytes(range(256)) * (PIXELS // 256)))


def good(sop: str, *, explicit: bool) -> bytes:
    return head(sop, explicit=explicit) + image(explicit=explicit)


def nested(depth: int, *, explicit: bool) -> bytes:
    """``depth`` undefined-length sequences, each in an undefined-length item, properly closed."""
    inner = el(0x0008, 0x0100, "SH", b"DEEP", explicit=explicit)
    for _ in range(depth):
        inner = el(0x0008, 0x1115, "SQ", struct.pack("<HHI", 0xFFFE, 0xE000, UNDEFINED) + inner + ITEM_END + SEQ_END,
                   explicit=explicit, length=UNDEFINED)
    return inner


def malformed(sop: str) -> dict[str, tuple[int, bytes]]:
    """Name -> (presentation context, data set)."""
    rng = random.Random(7)
    ok_e, ok_i = good(sop, explicit=True), good(sop, explicit=False)
    h_e, h_i = head(sop, explicit=True), head(sop, explicit=False)
    pn = el(0x0010, 0x0010, "PN", b"MALFORMED^TEST", explicit=True)
    return {
        "element length past the end (explicit)": (CTX_EXPLICIT, ok_e.replace(pn, pn[:6] + struct.pack("<H", 0xFFF0) + pn[8:])),
        "element length past the end (implicit)":
            (CTX_IMPLICIT, h_i + el(0x0010, 0x4000, "LT", b"COMMENT ", explicit=False, length=0x00FFFFF0)),
        "pixel data length past the end": (CTX_EXPLICIT, ok_e[:-PIXELS - 4] + struct.pack("<I", 2 * PIXELS)
                                           + ok_e[-PIXELS:]),
        "truncated inside pixel data": (CTX_EXPLICIT, ok_e[:-1000]),
        "truncated inside an element header": (CTX_IMPLICIT, h_i + struct.pack("<HH", 0x0028, 0x0002) + b"\x02"),
        "invalid VR bytes": (CTX_EXPLICIT, h_e + struct.pack("<HH", 0x0020, 0x0011) + b"\x00\x01" + struct.pack("<H", 2)
                             + b"1 " + image(explicit=True)),
        "lower-case VR": (CTX_EXPLICIT, h_e + struct.pack("<HH", 0x0020, 0x0011) + b"is" + struct.pack("<H", 2)
                          + b"1 " + image(explicit=True)),
        "undefined length on a text VR": (CTX_EXPLICIT, h_e + el(0x0020, 0x4000, "UT", b"TEXT", explicit=True,
                                                                length=UNDEFINED) + image(explicit=True)),
        "explicit data set on an implicit context": (CTX_IMPLICIT, ok_e),
        "sequence nested 5000 deep": (CTX_EXPLICIT, h_e + nested(5000, explicit=True) + image(explicit=True)),
        "sequence length claiming 4 GB": (CTX_EXPLICIT, h_e + el(0x0008, 0x1115, "SQ", item(b""), explicit=True,
                                                                length=0xFFFFFFF0) + image(explicit=True)),
        "unterminated sequence of 20000 items": (CTX_IMPLICIT, h_i + el(0x0008, 0x1115, "SQ", b"", explicit=False,
                                                                         length=UNDEFINED)
                                                 + item(el(0x0008, 0x1150, "UI", uid(CT), explicit=False)) * 20000),
        "item length past its sequence": (CTX_EXPLICIT, h_e + el(0x0008, 0x1115, "SQ", item(b"\x00" * 8, length=4000),
                                                                 explicit=True) + image(explicit=True)),
        "item outside a sequence": (CTX_IMPLICIT, h_i + item(b"") + image(explicit=False)),
        "sequence delimiter at top level": (CTX_IMPLICIT, h_i + SEQ_END + image(explicit=False)),
        "empty data set": (CTX_IMPLICIT, b""),
        "noise": (CTX_EXPLICIT, bytes(rng.randrange(256) for _ in range(5000))),
    }


def store(assoc: raw.RawAssociation, ctx: int, sop: str, data: bytes) -> int:
    assoc.send_command(ctx, raw.c_store_rq(1, CT, sop))
    assoc.send_dataset(ctx, data)
    return raw.status_of(assoc.read_command())


def is_failure(status: int) -> bool:
    return status != 0x0000 and status & 0xF000 != 0xB000 and status not in (0xFF00, 0xFF01)



def store_all(target) -> tuple[dict[str, int], str]:
    """The malformed data sets, then a good one, over one association: name -> status."""
    assoc = raw.RawAssociation(target.port, timeout=60)
    answers = {}
    try:
        assert assoc.associate([(CTX_IMPLICIT, CT, [IMPLICIT]), (CTX_EXPLICIT, CT, [EXPLICIT])],
                               called=target.called_ae) == 0x02
        assert {c: r for c, (r, _ts) in assoc.accepted.items()} == {CTX_IMPLICIT: 0, CTX_EXPLICIT: 0}
        for n, (name, (ctx, data)) in enumerate(malformed(f"{ROOT}.3.{{}}").items()):
            sop = f"{ROOT}.3.{n + 1}"
            answers[name] = store(assoc, ctx, sop, data.replace(uid(f"{ROOT}.3.{{}}"), uid(sop)))
        good_sop = f"{ROOT}.4.1"
        answers["good"] = store(assoc, CTX_EXPLICIT, good_sop, good(good_sop, explicit=True))
        assert assoc.release() == 0x06
    finally:
        assoc.close()
    print(f"\n{target.kind}: " + ", ".join(f"{k}: 0x{v:04X}" for k, v in answers.items()))
    return answers, good_sop


def test_malformed_data_sets_do_not_disturb_the_server(target):
    answers, _good = store_all(target)
    assert answers["good"] == 0x0000, target.log[-4000:]
    assert target.alive()
    assert target.tracebacks() == [], target.log
    assert target.echo().returncode == 0


def test_malformed_data_sets_are_refused_and_leave_nothing(target):
    answers, good_sop = store_all(target)
    accepted = [name for name, status in answers.items() if name != "good" and not is_failure(status)]
    assert accepted == [], f"{target.kind} did not refuse: {accepted}\n{target.log[-4000:]}"
    assert answers["good"] == 0x0000, target.log[-4000:]
    files = target.stored_files()
    assert len(files) == 1, files
    if target.indexed_uids() is not None:
        assert target.indexed_uids() == [good_sop]
