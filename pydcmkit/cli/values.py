"""C ``sscanf``-style numeric conversion and DCMTK's value/parameter error messages.

DCMTK reads numeric option values and parameters with ``sscanf(s, "%lu")`` (unsigned) or
``sscanf(s, "%li")`` (signed): leading white space is skipped, an optional sign is accepted,
the longest run of digits is converted and trailing junk is ignored (``11160abc`` is 11160,
``0x2b68`` read as unsigned is 0).  Out-of-range magnitudes saturate (glibc ``strtoul``
semantics) and an unsigned conversion of ``-N`` wraps modulo 2**64.  For *option values* (not
parameters) DCMTK 3.6.7 additionally rejects an unsigned value whose first non-space character
is ``-``.
"""

from __future__ import annotations

from pydcmkit.status import CommandLineError

ULONG_MAX = 2**64 - 1
LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)
_C_SPACE = " \t\n\v\f\r"


def _split_sign(text: str) -> tuple[bool, str]:
    rest = text.lstrip(_C_SPACE)
    negative = False
    if rest[:1] in ("+", "-"):
        negative = rest[0] == "-"
        rest = rest[1:]
    return negative, rest


def _leading(rest: str, digits: str) -> str:
    end = 0
    while end < len(rest) and rest[end] in digits:
        end += 1
    return rest[:end]


def scan_unsigned(text: str) -> int | None:
    """Emulate ``sscanf(text, "%lu")``: the converted value, or ``None`` if nothing converts."""
    negative, rest = _split_sign(text)
    run = _leading(rest, "0123456789")
    if not run:
        return None
    value = int(run)
    if value > ULONG_MAX:
        return ULONG_MAX
    return (-value) % (ULONG_MAX + 1) if negative else value


def scan_signed(text: str) -> int | None:
    """Emulate ``sscanf(text, "%li")`` (base auto-detected: ``0x`` hex, ``0`` octal)."""
    negative, rest = _split_sign(text)
    if rest[:2].lower() == "0x" and _leading(rest[2:], "0123456789abcdefABCDEF"):
        value = int(_leading(rest[2:], "0123456789abcdefABCDEF"), 16)
    elif rest[:1] == "0":
        value = int(_leading(rest, "01234567"), 8)
    else:
        run = _leading(rest, "0123456789")
        if not run:
            return None
        value = int(run)
    value = -value if negative else value
    return max(LONG_MIN, min(LONG_MAX, value))


def convert_option_value(long: str, text: str, vtype, vmin=None, vmax=None):
    """Convert one value of option ``long`` as DCMTK's ``getValue``/``checkValue`` does.

    Raises :class:`CommandLineError` with DCMTK's exact texts:
    ``Invalid value for option <long> (<value>)`` (no parenthesis when the value is empty),
    ``... (underflow: <value>)`` and ``... (overflow: <value>)``.  String values (``vtype``
    ``None``/``str``) are returned verbatim, even when empty (DCMTK accepts them silently).
    """
    if vtype in (None, str):
        return text
    if vtype is int:
        value = scan_unsigned(text)
        stripped = text.lstrip(" ")
        if value is not None and stripped.startswith("-"):
            value = None
    else:
        value = scan_signed(text)
    if value is None:
        suffix = f" ({text})" if text else ""
        raise CommandLineError(f"Invalid value for option {long}{suffix}")
    if vmin is not None and value < vmin:
        raise CommandLineError(f"Invalid value for option {long} (underflow: {text})")
    if vmax is not None and value > vmax:
        raise CommandLineError(f"Invalid value for option {long} (overflow: {text})")
    return value


def convert_param_value(text: str, vtype, vmin=None, vmax=None):
    """Convert a parameter as DCMTK's ``getParam``/``checkParam`` does.

    Messages: ``Invalid parameter value <value>`` (with a trailing space and nothing else when
    the value is empty), ``Invalid parameter value <value> (underflow)`` / ``(overflow)``.
    Unsigned parameters are *not* checked for a leading ``-``: ``-5`` wraps and overflows.
    """
    if vtype in (None, str):
        return text
    value = scan_unsigned(text) if vtype is int else scan_signed(text)
    if value is None:
        raise CommandLineError(f"Invalid parameter value {text}")
    if vmin is not None and value < vmin:
        raise CommandLineError(f"Invalid parameter value {text} (underflow)")
    if vmax is not None and value > vmax:
        raise CommandLineError(f"Invalid parameter value {text} (overflow)")
    return value
