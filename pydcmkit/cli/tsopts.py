"""DCMTK's network transfer syntax options: ``+x...`` (preferred syntaxes of an acceptor) and
``-x...`` (syntaxes a requestor proposes), as dcmqrscp and storescp/storescu define them."""

from __future__ import annotations

from .. import uids
from .parser import ParsedArgs
from .spec import Option

IN_BLOCK = "prefer-ts"
OUT_BLOCK = "propose-ts"

ELE, EBE, ILE = uids.EXPLICIT_VR_LITTLE_ENDIAN, uids.EXPLICIT_VR_BIG_ENDIAN, uids.IMPLICIT_VR_LITTLE_ENDIAN
UNCOMPRESSED = (uids.LOCAL_ENDIAN_EXPLICIT, uids.OPPOSITE_ENDIAN_EXPLICIT, ILE)

# (suffix, long name part, UID, help part, proposed with the uncompressed syntaxes)
_COMPRESSED = (
    ("s", "lossless", "1.2.840.10008.1.2.4.70", "default JPEG lossless TS", True),
    ("y", "jpeg8", "1.2.840.10008.1.2.4.50", "default JPEG lossy TS for 8 bit data", True),
    ("x", "jpeg12", "1.2.840.10008.1.2.4.51", "default JPEG lossy TS for 12 bit data", True),
    ("v", "j2k-lossless", "1.2.840.10008.1.2.4.90", "JPEG 2000 lossless TS", True),
    ("w", "j2k-lossy", "1.2.840.10008.1.2.4.91", "JPEG 2000 lossy TS", True),
    ("t", "jls-lossless", "1.2.840.10008.1.2.4.80", "JPEG-LS lossless TS", True),
    ("u", "jls-lossy", "1.2.840.10008.1.2.4.81", "JPEG-LS lossy TS", True),
    ("m", "mpeg2", "1.2.840.10008.1.2.4.100", "MPEG2 Main Profile @ Main Level TS", False),
    ("h", "mpeg2-high", "1.2.840.10008.1.2.4.101", "MPEG2 Main Profile @ High Level TS", False),
    ("n", "mpeg4", "1.2.840.10008.1.2.4.102", "MPEG4 AVC/H.264 HP / Level 4.1 TS", False),
    ("l", "mpeg4-bd", "1.2.840.10008.1.2.4.103", "MPEG4 AVC/H.264 BD-compatible TS", False),
    ("2", "mpeg4-2-2d", "1.2.840.10008.1.2.4.104", "MPEG4 AVC/H.264 HP / Level 4.2 TS (2D)", False),
    ("3", "mpeg4-2-3d", "1.2.840.10008.1.2.4.105", "MPEG4 AVC/H.264 HP / Level 4.2 TS (3D)", False),
    ("o", "mpeg4-2-st", "1.2.840.10008.1.2.4.106", "MPEG4 AVC/H.264 Stereo / Level 4.2 TS", False),
    ("4", "hevc", "1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1 TS", False),
    ("5", "hevc10", "1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1 TS", False),
    ("r", "rle", "1.2.840.10008.1.2.5", "RLE lossless TS", True),
    ("d", "deflated", uids.DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, "deflated expl. VR little endian TS", True),
)

PREFER_UNCOMPR = Option("--prefer-uncompr", "+x=", help="prefer explicit VR local byte order (default)",
                        block=IN_BLOCK)
PREFER_LITTLE = Option("--prefer-little", "+xe", help="prefer explicit VR little endian TS", block=IN_BLOCK)
PREFER_BIG = Option("--prefer-big", "+xb", help="prefer explicit VR big endian TS", block=IN_BLOCK)
IMPLICIT = Option("--implicit", "+xi", help="accept implicit VR little endian TS only", block=IN_BLOCK)

PROPOSE_UNCOMPR = Option("--propose-uncompr", "-x=", help="propose all uncompressed TS, explicit VR\n"
                         "with local byte ordering first (default)", block=OUT_BLOCK)
PROPOSE_LITTLE = Option("--propose-little", "-xe", help="propose all uncompressed TS, explicit VR\n"
                        "little endian first", block=OUT_BLOCK)
PROPOSE_BIG = Option("--propose-big", "-xb", help="propose all uncompressed TS, explicit VR\n"
                     "big endian first", block=OUT_BLOCK)
PROPOSE_IMPLICIT = Option("--propose-implicit", "-xi", help="propose implicit VR little endian TS only",
                          block=OUT_BLOCK)

_PREFER = {f"--prefer-{name}": (Option(f"--prefer-{name}", f"+x{s}", help=f"prefer {text}", block=IN_BLOCK), uid)
           for s, name, uid, text, _ in _COMPRESSED}
_PROPOSE = {f"--propose-{name}": (Option(f"--propose-{name}", f"-x{s}",
                                         help=f"propose {text}" + ("\nand all uncompressed transfer syntaxes"
                                                                   if with_uncompressed else ""),
                                         block=OUT_BLOCK), uid, with_uncompressed)
            for s, name, uid, text, with_uncompressed in _COMPRESSED}

#: ``+x...`` in DCMTK's help order (``+xi`` last)
PREFER_OPTIONS = (PREFER_UNCOMPR, PREFER_LITTLE, PREFER_BIG, *(o for o, _ in _PREFER.values()), IMPLICIT)
#: ``-x...`` in DCMTK's help order
PROPOSE_OPTIONS = (PROPOSE_UNCOMPR, PROPOSE_LITTLE, PROPOSE_BIG, PROPOSE_IMPLICIT,
                   *(o for o, _, _ in _PROPOSE.values()))


def preferred_syntaxes(args: ParsedArgs) -> tuple[str, ...]:
    """The acceptor's transfer syntax preference (dcmqrscp.md §1.4, ``+x...``)."""
    winner = args.winner(IN_BLOCK) or "--prefer-uncompr"
    if winner == "--prefer-little":
        return ELE, EBE, ILE
    if winner == "--prefer-big":
        return EBE, ELE, ILE
    if winner == "--implicit":
        return (ILE,)
    if winner in _PREFER:
        return (_PREFER[winner][1], *UNCOMPRESSED)
    return UNCOMPRESSED


def proposed_syntaxes(args: ParsedArgs) -> tuple[str, ...]:
    """The transfer syntaxes a requestor proposes (dcmqrscp.md §1.4, ``-x...``)."""
    winner = args.winner(OUT_BLOCK) or "--propose-uncompr"
    if winner == "--propose-little":
        return ELE, EBE, ILE
    if winner == "--propose-big":
        return EBE, ELE, ILE
    if winner == "--propose-implicit":
        return (ILE,)
    if winner in _PROPOSE:
        _opt, uid, with_uncompressed = _PROPOSE[winner]
        return (uid, *UNCOMPRESSED) if with_uncompressed else (uid,)
    return UNCOMPRESSED


def non_default_ts_options(args: ParsedArgs) -> list[str]:
    """The ``+x``/``-x`` options given other than the defaults (they conflict with ``-xf``)."""
    given = []
    for opt in (*PREFER_OPTIONS, *PROPOSE_OPTIONS):
        if opt.long not in ("--prefer-uncompr", "--propose-uncompr") and args.has(opt.long):
            given.append(opt.long)
    return given
