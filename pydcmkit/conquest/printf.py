"""C ``printf`` formatting as dgate applies user formats (dgate.md §6.5 "Format arguments").

Several remote commands take a C format (``get_amap:0,%s=%s``, ``get_param:TCPPort,port=%s!``,
``get_sqldef:image,0,...``) and hand it to ``sprintf`` with the fields repeated several times
over, so ``%0.0s`` skips a field and fields can be re-used.  :func:`c_format` does the same for
the conversions that make sense on these fields: ``s``, ``d i u``, ``x X o``, ``c``, ``e f g``
and ``%%``, with flags, width and precision (``*`` widths and length modifiers ``h l ll z`` are
accepted and ignored).  Where C would be undefined -- too few arguments, ``%d`` of a string --
the result is defined instead: a missing argument formats as empty (or 0), a string under an
integer conversion goes through C ``atoi``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["atoi", "c_format"]

_SPEC = re.compile(r"%(?P<flags>[-+ #0]*)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d*))?"
                   r"(?:hh|h|ll|l|L|q|j|z|t)?(?P<conv>[diouxXeEfgGcs%])")
_ATOI = re.compile(r"[ \t\n\v\f\r]*([+-]?\d+)")


def atoi(text: str) -> int:
    """C ``atoi``: leading white space, an optional sign and digits; 0 when there are none."""
    match = _ATOI.match(text)
    return int(match.group(1)) if match else 0


def c_format(fmt: str, args: Sequence[object]) -> str:
    """Format ``args`` with the C format ``fmt``.

    Parameters
    ----------
    fmt : str
        A C format string.
    args : sequence
        The values in order; strings, integers or floats.

    Returns
    -------
    str
    """
    out: list[str] = []
    pos = 0
    index = 0
    for match in _SPEC.finditer(fmt):
        out.append(fmt[pos:match.start()])
        pos = match.end()
        conv = match.group("conv")
        if conv == "%":
            out.append("%")
            continue
        flags = match.group("flags") or ""
        width = match.group("width") or ""
        prec = match.group("prec")
        if width == "*":
            width = ""
            index += 1
        if prec == "*":
            prec = ""
            index += 1
        value = args[index] if index < len(args) else None
        index += 1
        spec = "%" + flags + width + ("." + prec if prec is not None else "")
        if conv == "s":
            out.append((spec + "s") % ("" if value is None else str(value)))
        elif conv == "c":
            char = value if isinstance(value, str) else chr(_as_int(value) & 0xFF)
            out.append((spec + "s") % char[:1])
        elif conv in "diu":
            out.append((spec + "d") % _as_int(value))
        elif conv in "oxX":
            number = _as_int(value)
            out.append((spec + conv) % (number & 0xFFFFFFFF if number < 0 else number))
        else:
            out.append((spec + conv) % _as_float(value))
    out.append(fmt[pos:])
    return "".join(out)


def _as_int(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    return atoi(str(value))


def _as_float(value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    match = re.match(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", str(value))
    return float(match.group(0)) if match else 0.0
