"""A fast structural walk over an encoded dataset.

Receiving an instance must not cost a full decode (pydicom builds an object per element), yet
the receiver has to refuse a dataset whose element lengths do not add up, and naming wants a
couple of top-level values (Series Date for ``+ssd``).  :func:`scan_dataset` walks the element
headers only (PS3.5 §7.1 data element structure, §7.5 nesting of sequences and items, §A.4
encapsulated pixel data), checks that every length stays inside its container, and returns the
raw values of the requested top-level tags.
"""

from __future__ import annotations

import struct

_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
MAX_DEPTH = 64


class DatasetStructureError(ValueError):
    """The dataset's element structure is inconsistent (lengths, delimiters, nesting)."""


def scan_dataset(buf, offset: int = 0, *, implicit: bool = False, little_endian: bool = True,
                 wanted: frozenset[int] | set[int] = frozenset(), end: int | None = None) -> dict[int, bytes]:
    """Walk a dataset encoded in ``buf[offset:end]`` and return ``{tag: raw value}`` of ``wanted``.

    Only top-level elements are returned.  Raises :class:`DatasetStructureError` on a length that
    runs past its container, a missing delimiter, nesting deeper than ``MAX_DEPTH`` or an empty
    dataset.
    """
    n = len(buf) if end is None else end
    if n - offset <= 0:
        raise DatasetStructureError("empty dataset")
    e = "<" if little_endian else ">"
    tag_fmt = struct.Struct(e + "HH")
    u16 = struct.Struct(e + "H")
    u32 = struct.Struct(e + "I")
    found: dict[int, bytes] = {}
    pos = offset
    # stack of containers: (end, kind, implicit VR inside); kind is 'seq_undef', 'item_undef',
    # 'fragments' (encapsulated pixel data) or 'defined'
    stack: list[tuple[int, str]] = []
    limit = n
    while True:
        if stack:
            lim, kind = stack[-1][0], stack[-1][1]
            if kind == "defined" and pos == lim:
                stack.pop()
                continue
            if pos + 8 > (lim if kind == "defined" else n):
                raise DatasetStructureError(f"element header at offset {pos} runs past its container")
        elif pos >= limit:
            break
        elif pos + 8 > limit:
            raise DatasetStructureError(f"truncated element header at offset {pos}")
        g, el = tag_fmt.unpack_from(buf, pos)
        tag = (g << 16) | el
        if g == 0xFFFE:
            length = u32.unpack_from(buf, pos + 4)[0]
            pos += 8
            if tag == ITEM:
                if not stack or stack[-1][1] == "item_undef":
                    raise DatasetStructureError(f"item outside a sequence at offset {pos - 8}")
                if stack[-1][1] == "fragments":
                    if length == UNDEFINED or pos + length > n:
                        raise DatasetStructureError(f"pixel data fragment at offset {pos - 8} runs past the dataset")
                    pos += length
                    continue
                if length == UNDEFINED:
                    stack.append((n, "item_undef", stack[-1][2]))
                else:
                    if pos + length > (stack[-1][0] if stack[-1][1] == "defined" else n):
                        raise DatasetStructureError(f"item at offset {pos - 8} runs past its sequence")
                    stack.append((pos + length, "defined", stack[-1][2]))
                if len(stack) > MAX_DEPTH:
                    raise DatasetStructureError("sequences nested too deeply")
            elif tag == ITEM_END:
                if not stack or stack[-1][1] != "item_undef":
                    raise DatasetStructureError(f"unexpected item delimiter at offset {pos - 8}")
                stack.pop()
            elif tag == SEQ_END:
                if not stack or stack[-1][1] not in ("seq_undef", "fragments"):
                    raise DatasetStructureError(f"unexpected sequence delimiter at offset {pos - 8}")
                stack.pop()
            else:
                raise DatasetStructureError(f"invalid delimitation tag ({g:04x},{el:04x})")
            continue
        cur_implicit = stack[-1][2] if stack else implicit
        if cur_implicit:
            length = u32.unpack_from(buf, pos + 4)[0]
            vr = None
            pos += 8
        else:
            vr = bytes(buf[pos + 4:pos + 6])
            if vr in _LONG_VRS:
                if pos + 12 > n:
                    raise DatasetStructureError(f"truncated element header at offset {pos}")
                length = u32.unpack_from(buf, pos + 8)[0]
                pos += 12
            else:
                if not (65 <= vr[0] <= 90 and 65 <= vr[1] <= 90):
                    raise DatasetStructureError(f"invalid VR {vr!r} at offset {pos}")
                length = u16.unpack_from(buf, pos + 6)[0]
                pos += 8
        if length == UNDEFINED:
            if vr is not None and vr not in (b"SQ", b"UN", b"OB", b"OW"):
                raise DatasetStructureError(f"undefined length for VR {vr.decode('ascii', 'replace')}")
            # PS3.5 §6.2.2: a UN element of undefined length holds an Implicit VR LE sequence
            nested_implicit = cur_implicit or vr == b"UN"
            stack.append((n, "fragments" if (vr in (b"OB", b"OW") or tag == 0x7FE00010) else "seq_undef",
                          nested_implicit))
            if len(stack) > MAX_DEPTH:
                raise DatasetStructureError("sequences nested too deeply")
            continue
        container_end = stack[-1][0] if stack and stack[-1][1] == "defined" else limit
        if pos + length > container_end:
            raise DatasetStructureError(
                f"element ({g:04x},{el:04x}) of length {length} at offset {pos} runs past its container")
        if vr == b"SQ" and length:
            stack.append((pos + length, "defined", cur_implicit))
            continue
        if not stack and tag in wanted:
            found[tag] = bytes(buf[pos:pos + length])
        pos += length
    if stack:
        raise DatasetStructureError("dataset ends inside a sequence or item")
    return found
