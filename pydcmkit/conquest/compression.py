"""ConQuest's compression codes: parse them, apply them to a data set, negotiate with them.

dgate names every way it can store or send an object with a short code (dgate.md §8.1):
``as``/``is``/empty (as received), ``un`` (uncompressed), ``ui``/``ul``/``ub``/``ue`` (an
uncompressed transfer syntax), ``uj`` (uncompressed unless JPEG), ``n1``-``n5``/``nj``/``n#S,C``
(NKI private compression), ``j1``-``j7``/``js``/``jk``/``jl``/``ja``/``j#S,C`` (the JPEG family,
lossy ones optionally followed by a quality, ``j380``), ``k1``-``kc`` (downsizing), ``s0``-``s9``
(scripts) and ``v`` (virtual: store the database rows only).  The same codes appear in
dicom.ini (``IncomingCompression``, ``DroppedFileCompression``, ``ArchiveCompression``), in the
fourth column of acrnema.map, after a ``~`` in a called AE title (``CONQUESTSRV1~j2``, §9) and
in the ``--compress:`` commands (§8.3).

* :func:`parse_code` reads a code into a :class:`CompressionCode` (case-insensitive);
* :func:`split_called_ae` splits ``BASE~XX`` / ``BASE~pN`` (§9);
* :func:`apply` turns a data set into the requested form with the rules of §8.2: an object
  already in that form is left alone, anything else is decompressed fully (NKI, JPEG, RLE;
  palette colour, planar configuration and native YBR_FULL normalised) and then compressed;
  ``n`` modes strip group 0002; ``k`` downsizes by an integer factor;
* :func:`proposed_syntaxes` gives the transfer syntaxes dgate proposes for a code on an outgoing
  association and :func:`code_for_accepted` the code applied to an object once the peer has
  accepted one of them (§9).

The pixel work is done by :mod:`pydcmkit.codec` (decoders and encoders of pydicom, pylibjpeg and
GDCM) and :mod:`pydcmkit.codec.nki` (NKI, byte-identical to ConQuest).  What ConQuest does with
a request it cannot fulfil is followed where it is a deliberate rule (a lossy JPEG request on
more than 12 bits stored is coded as ``j1``; ``j3``/``j4`` pick baseline or extended by the bits
stored; no JPEG for PR, SR and RT objects or for less than 8 bits allocated: the object is only
decompressed); other failures raise :class:`CompressionError` and leave the input untouched.
Scripts (``s0``-``s9``, ``CompressionConverterN`` Lua) are out of scope and raise
:class:`UnsupportedCompressionError`.
"""

from __future__ import annotations

import copy
import logging
import math
import re
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.valuerep import DSfloat

from pydcmkit.codec.conversion import compress, dataset_transfer_syntax, decompress
from pydcmkit.codec.errors import CodecError
from pydcmkit.codec.nki import compress_dataset as nki_compress_dataset
from pydcmkit.codec.nki import is_nki_compressed, nki_mode
from pydcmkit.codec.pixels import can_encode
from pydcmkit.codec.syntaxes import (
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    JPEG_2000,
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    JPEG_EXTENDED,
    JPEG_FULL_PROGRESSION,
    JPEG_LOSSLESS,
    JPEG_LOSSLESS_SV1,
    JPEG_LS_LOSSLESS,
    JPEG_LS_NEAR_LOSSLESS,
    JPEG_SPECTRAL_SELECTION,
    UNCOMPRESSED,
    transfer_syntax,
)

__all__ = [
    "CompressionCode",
    "CompressionCodeError",
    "CompressionError",
    "DEFAULT_LOSSY_QUALITY",
    "DOWNSIZE_LIMITS",
    "JPEG_FAMILY",
    "UnsupportedCompressionError",
    "VIRTUAL",
    "Virtual",
    "apply",
    "code_for_accepted",
    "downsize",
    "downsize_factor",
    "parse_code",
    "proposed_syntaxes",
    "split_called_ae",
]

log = logging.getLogger(__name__)

#: dicom.ini ``LossyQuality`` default: the quality of a lossy code given without digits.
DEFAULT_LOSSY_QUALITY = 95

#: ``k`` codes: rows and columns are brought to at most this many pixels (dgate.md §8.1).
DOWNSIZE_LIMITS = {"k1": 1024, "k2": 512, "k4": 256, "k8": 128, "ka": 64, "kb": 32, "kc": 16}

#: The JPEG-family syntaxes dgate recognises, with the code whose result they are: an object
#: in one of them is "already in the requested form" for that code, kept by ``ja``, ``uj`` and
#: ``nj``, and is what an accepted transfer syntax maps back to (dgate.md §8.2, §9).
JPEG_FAMILY: dict[str, str] = {
    JPEG_BASELINE: "j3",
    JPEG_EXTENDED: "j4",
    JPEG_SPECTRAL_SELECTION: "j5",
    JPEG_FULL_PROGRESSION: "j6",
    JPEG_LOSSLESS: "j2",
    JPEG_LOSSLESS_SV1: "j1",
    JPEG_LS_LOSSLESS: "js",
    JPEG_LS_NEAR_LOSSLESS: "j7",
    JPEG_2000_LOSSLESS: "jk",
    JPEG_2000: "jl",
}

#: The transfer syntax each code asks for (the result may differ, see :func:`apply`).
_NOMINAL_SYNTAX = {code: uid for uid, code in JPEG_FAMILY.items()} | {
    "j#": JPEG_LOSSLESS,
    "ja": JPEG_LOSSLESS_SV1,
    "ui": IMPLICIT_VR_LITTLE_ENDIAN,
    "ul": EXPLICIT_VR_LITTLE_ENDIAN,
    "ub": EXPLICIT_VR_BIG_ENDIAN,
}

_AS_IS = ("", "as", "is")
_PLAIN = frozenset({
    "as", "is", "un", "ui", "ul", "ub", "ue", "uj",
    "n1", "n2", "n3", "n4", "n5", "nj",
    "j1", "j2", "js", "jk", "ja",
    *DOWNSIZE_LIMITS,
    *(f"s{n}" for n in range(10)),
})
#: Codes that may be followed by a quality (dgate reads ``atoi(code + 2)``).
_WITH_QUALITY = frozenset({"j3", "j4", "j5", "j6", "j7", "jl"})
_KNOWN = ("as, is, un, ui, ul, ub, ue, uj, n1-n5, nj, n#S,C, j1-j7, js, jk, jl, ja, j#S,C "
          "(lossy ones with an optional quality, j380), k1 k2 k4 k8 ka kb kc, s0-s9, v")
_CODE = re.compile(r"(?P<mode>[a-z][a-z0-9#])(?P<rest>[^!]*)(?P<bang>!?)")

#: Modalities dgate never JPEG-compresses (CompressJPEGImage: first two characters).
_NO_JPEG_MODALITIES = ("PR", "SR", "RT")
_PALETTE_TAGS = (0x0028_1101, 0x0028_1102, 0x0028_1103, 0x0028_1199, 0x0028_1201, 0x0028_1202,
                 0x0028_1203, 0x0028_1221, 0x0028_1222, 0x0028_1223)
_PIXEL_DATA = 0x7FE0_0010


# --------------------------------------------------------------------------------------------
# Errors and the virtual marker
# --------------------------------------------------------------------------------------------

class CompressionCodeError(ValueError):
    """A compression code (or a called AE's ``~`` suffix) is not one dgate knows.

    ``str(exc)`` names the code and the reason: ``invalid compression code 'j9': unknown code
    (dgate.md §8.1: ...)``.
    """

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason
        super().__init__(f"invalid compression code {code!r}: {reason}")


class CompressionError(Exception):
    """A valid code cannot be applied to this object; the input data set is unchanged.

    ``str(exc)`` names the code and the reason, e.g. ``cannot apply compression 'j3': cannot
    encode 1.2.840.10008.1.2.4.51 (JPEGExtended12Bit): PS3.5 §8.2 does not allow ...``.  The
    underlying :class:`~pydcmkit.codec.errors.CodecError` is the ``__cause__``.
    """

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason
        super().__init__(f"cannot apply compression {code!r}: {reason}")


class UnsupportedCompressionError(CompressionError):
    """The code is valid for dgate but not implemented here (``s0``-``s9``: Lua scripts)."""


class Virtual:
    """What :func:`apply` returns for a ``v`` code: store the database rows, not the file.

    There is one instance, :data:`VIRTUAL`; test with ``result is VIRTUAL``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "VIRTUAL"


VIRTUAL = Virtual()


# --------------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CompressionCode:
    """A parsed ConQuest compression code (dgate.md §8.1).

    Attributes
    ----------
    text : str
        The code in lower case as written, quality, scale/clip and ``!`` included (``j380!``);
        ``str(code)`` gives it back.
    mode : str
        The code without its arguments: ``""`` (empty code), ``as``, ``is``, ``un``, ``ui``,
        ``ul``, ``ub``, ``ue``, ``uj``, ``n1``-``n5``, ``nj``, ``n#``, ``j1``-``j7``, ``js``,
        ``jk``, ``jl``, ``ja``, ``j#``, ``k1`` ... ``kc``, ``s0``-``s9`` or ``v``.
    quality : int or None
        The digits after a lossy code (``j380`` -> 80; 1-100), ``None`` when absent: dgate's
        ``LossyQuality`` then applies.
    scale, clip : int or None
        ``S`` and ``C`` of ``n#S,C`` / ``j#S,C``.
    implicit_fallback : bool
        ``False`` when the code contains ``!``: Implicit VR Little Endian is then not proposed
        as the last transfer syntax on outgoing associations (dgate.md §9).
    """

    text: str
    mode: str
    quality: int | None = None
    scale: int | None = None
    clip: int | None = None
    implicit_fallback: bool = True

    def __str__(self) -> str:
        return self.text

    @property
    def is_as_is(self) -> bool:
        """``as``, ``is`` or the empty code: the object is stored or sent as received."""
        return self.mode in _AS_IS

    @property
    def is_virtual(self) -> bool:
        """``v...``: only the database rows are stored (IncomingCompression)."""
        return self.mode == "v"

    @property
    def is_script(self) -> bool:
        """``s0``-``s9``: runs the Lua script ``CompressionConverterN``."""
        return self.mode.startswith("s")

    @property
    def is_jpeg(self) -> bool:
        """A ``j`` code: the only ones with transfer syntax negotiation (dgate.md §9)."""
        return self.mode.startswith("j")

    @property
    def is_nki(self) -> bool:
        """An ``n`` code: NKI private compression, group 0002 stripped."""
        return self.mode.startswith("n")

    @property
    def downsize_limit(self) -> int | None:
        """The maximum of rows and columns for a ``k`` code, ``None`` for any other code."""
        return DOWNSIZE_LIMITS.get(self.mode)

    @property
    def transfer_syntax(self) -> str | None:
        """The transfer syntax the code asks for (``j3`` -> ``.4.50``, ``ul`` -> ``.1.2.1``);
        ``None`` when it does not name one (the result of :func:`apply` may still differ)."""
        return _NOMINAL_SYNTAX.get(self.mode)


def parse_code(text: str) -> CompressionCode:
    """Read a ConQuest compression code (dgate.md §8.1), case-insensitively.

    Surrounding blanks are ignored.  Lossy codes (``j3``-``j7``, ``jl``) may be followed by a
    quality 1-100 (``j380``, ``jl10``, ``j790``); ``n#`` and ``j#`` take ``S,C`` (``n#3,150``);
    any code may end in ``!`` (no Implicit VR LE fallback proposal, §9); ``v`` may be followed
    by anything, as in dgate.

    Raises
    ------
    CompressionCodeError
        For anything else, naming the code and what is wrong with it.
    """
    original = str(text)
    code = original.strip().lower()
    if code == "":
        return CompressionCode("", "")
    if code.startswith("v"):
        return CompressionCode(code, "v", implicit_fallback="!" not in code)
    match = _CODE.fullmatch(code)
    if not match:
        raise CompressionCodeError(original, f"unknown code (dgate.md §8.1: {_KNOWN})")
    mode, rest, bang = match["mode"], match["rest"], match["bang"]
    fallback = not bang
    if mode in ("n#", "j#"):
        args = re.fullmatch(r"(\d+),(\d+)", rest)
        if not args:
            raise CompressionCodeError(original, f"{mode} needs a scale and a clip level, "
                                                 f"{mode}S,C (e.g. {mode}3,150)")
        scale, clip = int(args[1]), int(args[2])
        if scale < 1:
            raise CompressionCodeError(original, f"the scale S of {mode}S,C must be at least 1")
        return CompressionCode(code, mode, scale=scale, clip=clip, implicit_fallback=fallback)
    if mode in _WITH_QUALITY:
        if rest == "":
            return CompressionCode(code, mode, implicit_fallback=fallback)
        if not rest.isdigit() or not 1 <= int(rest) <= 100:
            raise CompressionCodeError(original, f"the quality after {mode} must be 1-100")
        return CompressionCode(code, mode, quality=int(rest), implicit_fallback=fallback)
    if mode in _PLAIN and rest == "":
        return CompressionCode(code, mode, implicit_fallback=fallback)
    if mode in _PLAIN and rest.isdigit():
        raise CompressionCodeError(original, f"{mode} takes no quality (only j3-j7 and jl do)")
    raise CompressionCodeError(original, f"unknown code (dgate.md §8.1: {_KNOWN})")


def _as_code(code: CompressionCode | str) -> CompressionCode:
    return code if isinstance(code, CompressionCode) else parse_code(code)


def split_called_ae(ae: str) -> tuple[str, CompressionCode | None, int]:
    """Split a called AE title ``BASE~XX`` into ``(BASE, code, port_offset)`` (dgate.md §9).

    Everything after the first ``~`` is a compression code, quality digits included
    (``CONQUESTSRV1~j380``); it overrides IncomingCompression for a C-STORE association and the
    destination's acrnema.map column for a C-MOVE.  ``BASE~pN`` is a port override instead:
    the C-MOVE destination's port is increased by N (a digit; ConQuest's change log also
    allows ``A``-``Z`` for 10-35) and the code is ``None`` (the map's column applies).  Without
    a ``~`` the result is ``(AE, None, 0)``.  Blanks around the AE and the code are ignored.

    Raises
    ------
    CompressionCodeError
        The suffix is not a code.  dgate accepts any called AE, so a server would accept the
        association and decide what such a suffix means (store as received, say).
    """
    title = str(ae).strip()
    if "~" not in title:
        return title, None, 0
    base, suffix = title.split("~", 1)
    base, suffix = base.rstrip(), suffix.strip()
    port = re.fullmatch(r"[pP]([0-9A-Za-z])", suffix)
    if port:
        return base, None, int(port[1], 36)
    try:
        return base, parse_code(suffix), 0
    except CompressionCodeError as exc:
        raise CompressionCodeError(suffix, f"{exc.reason} (in called AE {title!r})") from None


# --------------------------------------------------------------------------------------------
# Outgoing associations (dgate.md §9)
# --------------------------------------------------------------------------------------------

_PROPOSALS: dict[str, tuple[str, ...]] = {
    "ul": (EXPLICIT_VR_LITTLE_ENDIAN,),
    "ub": (EXPLICIT_VR_BIG_ENDIAN,),
    "ue": (EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN),
    "j3": (JPEG_EXTENDED, JPEG_BASELINE),
    "j4": (JPEG_EXTENDED, JPEG_BASELINE),
    "j5": (JPEG_SPECTRAL_SELECTION, JPEG_EXTENDED, JPEG_BASELINE),
    "j6": (JPEG_FULL_PROGRESSION, JPEG_EXTENDED, JPEG_BASELINE),
    "jk": (JPEG_2000_LOSSLESS,),
    "jl": (JPEG_2000, JPEG_2000_LOSSLESS),
    "js": (JPEG_LS_LOSSLESS,),
    "j7": (JPEG_LS_NEAR_LOSSLESS, JPEG_LS_LOSSLESS),
}
_LOSSLESS_JPEG_PROPOSAL = (JPEG_LOSSLESS, JPEG_LOSSLESS_SV1)


def proposed_syntaxes(code: CompressionCode | str) -> list[str]:
    """The transfer syntaxes dgate proposes, in order, for an outgoing C-STORE with `code`.

    One presentation context per SOP Class carries (dgate.md §9): ``ul`` Explicit LE, ``ub``
    Explicit BE, ``ue`` both; ``j3``/``j4`` ``.4.51, .4.50``; ``j5`` ``.4.53, .4.51, .4.50``;
    ``j6`` ``.4.55, .4.51, .4.50``; ``jk`` ``.4.90``; ``jl`` ``.4.91, .4.90``; ``js`` ``.4.80``;
    ``j7`` ``.4.81, .4.80``; ``j1``, ``j2`` and every other ``j`` code ``.4.57, .4.70``; then
    Implicit VR Little Endian -- the only syntax for all other codes -- unless the code
    contains ``!``.  So ``un!`` proposes nothing, which peers reject.
    """
    code = _as_code(code)
    if code.is_jpeg:
        syntaxes = list(_PROPOSALS.get(code.mode, _LOSSLESS_JPEG_PROPOSAL))
    else:
        syntaxes = list(_PROPOSALS.get(code.mode, ()))
    if code.implicit_fallback:
        syntaxes.append(IMPLICIT_VR_LITTLE_ENDIAN)
    return syntaxes


_ACCEPTED_NATIVE = {EXPLICIT_VR_LITTLE_ENDIAN: "ul", EXPLICIT_VR_BIG_ENDIAN: "ub",
                    IMPLICIT_VR_LITTLE_ENDIAN: "ui"}


def code_for_accepted(code: CompressionCode | str, accepted_ts: str) -> CompressionCode:
    """The code to apply to an object sent on a context that accepted `accepted_ts` (§9).

    For a ``j`` request the accepted syntax decides: ``.4.70`` -> ``j1``, ``.4.57`` -> ``j2``,
    ``.4.50`` -> ``j3``, ``.4.51`` -> ``j4``, ``.4.53`` -> ``j5``, ``.4.55`` -> ``j6``,
    ``.4.80`` -> ``js``, ``.4.81`` -> ``j7``, ``.4.90`` -> ``jk``, ``.4.91`` -> ``jl``, Explicit LE
    -> ``ul``, Explicit BE -> ``ub``, Implicit LE -> ``ui`` (uncompressed), anything else ``un``.
    When the accepted syntax is the one the request names, the request itself is returned,
    and a quality carries over to a lossy code it maps to (``j380`` accepted as ``.4.51`` is
    ``j480``); dgate 1.5.0e drops both (``j#3,150`` accepted as ``.4.57`` becomes a plain ``j2``
    there, ``j380`` a ``j3`` at LossyQuality).  Every other code is applied as requested --
    ``n1``-``n4`` go out as NKI data over Implicit VR LE even to peers that cannot read them,
    and ``ul``/``ub``/``ue`` are not changed by the accepted syntax: the sender still encodes
    the (native) result in the accepted one.  A ``j3``-``j6`` result may also be of another
    JPEG process than the accepted one (8-bit data give baseline ``.4.50`` for ``j4``); a
    baseline codestream is valid ``.4.51`` data.
    """
    code = _as_code(code)
    if not code.is_jpeg:
        return code
    uid = str(accepted_ts).strip().rstrip("\x00")
    if uid == code.transfer_syntax:
        return code
    mode = JPEG_FAMILY.get(uid) or _ACCEPTED_NATIVE.get(uid, "un")
    if mode in _WITH_QUALITY and code.quality is not None:
        return parse_code(f"{mode}{code.quality}")
    return parse_code(mode)


# --------------------------------------------------------------------------------------------
# Applying a code (dgate.md §8.2)
# --------------------------------------------------------------------------------------------

def apply(ds: Dataset, code: CompressionCode | str,
          lossy_quality: int = DEFAULT_LOSSY_QUALITY) -> Dataset | Virtual:
    """Bring `ds` into the form `code` asks for, as dgate's ``recompress`` does (dgate.md §8.2).

    Parameters
    ----------
    ds : Dataset
        The object, with ``file_meta`` (0002,0010) giving its encoding (or read from a file
        without meta, whose encoding pydicom remembers).  It is never changed.
    code : CompressionCode or str
        The code (:func:`parse_code`).
    lossy_quality : int
        dicom.ini ``LossyQuality`` (1-100), used by lossy codes given without digits.

    Returns
    -------
    Dataset or Virtual
        `ds` itself when it is already in the requested form, otherwise a converted copy;
        :data:`VIRTUAL` for ``v`` codes (the caller stores the database rows only).  The rules:

        * ``as``, ``is``, empty: `ds`.
        * ``un`` (and ``ue``, which only matters for proposals): NKI, JPEG and RLE data are
          decoded, palette colour becomes RGB, planar configuration 1 becomes 0, native
          YBR_FULL becomes RGB.  A decoded encapsulated object is Explicit VR LE, an NKI object
          stays Implicit VR LE, other native objects keep their transfer syntax.
        * ``ui``/``ul``/``ub``: left alone when already in that syntax, with planar
          configuration 0, no palette and no NKI data; otherwise as ``un``, then re-encoded in
          Implicit LE / Explicit LE / Explicit BE.  (dgate 1.5.0e leaves an NKI object alone for
          ``ui`` since its syntax is Implicit LE; here ``ui`` means uncompressed.)
        * ``uj``: JPEG, JPEG-LS and JPEG 2000 (:data:`JPEG_FAMILY`) left alone, else ``un``.
        * ``n1``-``n5``: left alone when the NKI data are already of that mode, else decoded
          and NKI compressed (:mod:`pydcmkit.codec.nki`, Implicit VR LE); ``nj`` keeps the
          JPEG family and uses mode 5 (lossy, 13 bits) otherwise; ``n#S,C`` sets pixels below
          C to 0, divides them by S (truncating), multiplies Rescale Slope by S, compresses
          with mode 5 and sets (0028,2110) ``01``.  All ``n`` codes strip group 0002: the
          result's ``file_meta`` holds (0002,0010) only and the data set no group 0002 element.
        * ``j`` codes: left alone when already in the code's syntax (``.4.50`` for ``j3``,
          ``.4.51`` ``j4``, ``.4.53`` ``j5``, ``.4.55`` ``j6``, ``.4.57`` ``j2``, ``.4.70``
          ``j1``, ``.4.80`` ``js``, ``.4.81`` ``j7``, ``.4.90`` ``jk``, ``.4.91`` ``jl``,
          whatever the quality), ``ja`` keeps any of them and is ``j1`` otherwise; anything
          else is decoded as for ``un`` and coded: ``j1`` JPEG lossless SV1 ``.4.70``, ``j2``
          lossless process 14 ``.4.57``, ``j3``/``j4`` baseline ``.4.50`` for up to 8 bits
          stored and extended ``.4.51`` for 9-12 (dgate picks by the bits, not the code),
          ``j5``/``j6`` spectral selection ``.4.53`` / progressive ``.4.55`` when an encoder
          for them is installed, otherwise the sequential process of the same precision
          (``.4.50``/``.4.51``, logged), ``js`` JPEG-LS lossless ``.4.80``, ``j7`` JPEG-LS
          ``.4.81`` with NEAR = 10 - (quality + 9) // 10 (0 at quality 91-100; ``.4.80`` at
          quality 100), ``jk`` JPEG 2000 lossless ``.4.90``, ``jl`` JPEG 2000 ``.4.91`` at a
          compression ratio of 100 / quality (``jl10`` 10:1; quality 100 gives ``.4.90``),
          ``j#S,C`` clip and scale as ``n#`` then ``j2``.  A ``j3``-``j6`` request on more than
          12 bits stored is coded ``j1``.  PR, SR and RT objects and data of less than 8 bits
          allocated are not JPEG coded: the result is the decoded object (dgate refuses them).
          (0028,2110) becomes ``01`` when the coding was lossy (lossy JPEG, JPEG 2000, JPEG-LS
          with NEAR > 0, with the (0028,2112)/(0028,2114) pair of PS3.3 C.7.6.1.1.5) and for
          ``j#``; dgate 1.5.0e also sets it when a lossy request fell back to ``j1`` and never
          for ``j7``, which at its default quality codes losslessly.
        * ``k1``-``kc``: a single-frame object with Pixel Spacing whose rows or columns exceed
          the limit is decoded and downsized (:func:`downsize`), keeping its transfer syntax if
          native (Explicit VR LE if it was encapsulated); any other object is left alone.
        * An object without pixel data is left alone by every code that only concerns pixels.

    Raises
    ------
    UnsupportedCompressionError
        ``s0``-``s9``: ConQuest's Lua compression scripts are not supported.
    CompressionError
        The pixel data cannot be decoded, or cannot be coded as asked (no encoder, or PS3.5
        §8.2 does not allow the image in the syntax, e.g. signed data in lossy JPEG).
    CompressionCodeError
        `code` is a string that is not a code.
    """
    code = _as_code(code)
    if not 1 <= int(lossy_quality) <= 100:
        raise ValueError(f"LossyQuality must be 1-100, not {lossy_quality}")
    if code.is_as_is:
        return ds
    if code.is_virtual:
        return VIRTUAL
    if code.is_script:
        raise UnsupportedCompressionError(
            code.text, f"compression scripts (CompressionConverter{code.mode[1]}) are not "
                       "supported")
    try:
        if code.mode.startswith("u"):
            return _apply_uncompressed(ds, code)
        if code.is_nki:
            return _apply_nki(ds, code)
        if code.is_jpeg:
            return _apply_jpeg(ds, code, int(lossy_quality))
        if code.downsize_limit:
            return _apply_downsize(ds, code.downsize_limit)
    except (CodecError, ValueError) as exc:  # ValueError: NKIError, malformed pixel data
        raise CompressionError(code.text, str(exc)) from exc
    raise AssertionError(f"unhandled compression code {code.text!r}")  # pragma: no cover


def _source(ds: Dataset) -> str:
    return dataset_transfer_syntax(ds)


def _has_pixels(ds: Dataset) -> bool:
    return _PIXEL_DATA in ds or is_nki_compressed(ds)


def _palette_or_planar(ds: Dataset) -> bool:
    """dgate's test of an uncompressed object that still needs decoding (palette, planes)."""
    return (_PIXEL_DATA in ds and (ds.get("PhotometricInterpretation") == "PALETTE COLOR"
                                  or int(ds.get("PlanarConfiguration") or 0) != 0))


def _needs_decoding(ds: Dataset, source: str) -> bool:
    if not _has_pixels(ds):
        return False
    if is_nki_compressed(ds) or source not in UNCOMPRESSED:
        return True
    return _palette_or_planar(ds) or (ds.get("PhotometricInterpretation") == "YBR_FULL"
                                      and int(ds.get("BitsAllocated") or 0) == 8)


def _decompressed(ds: Dataset) -> Dataset:
    """dgate's DecompressImage: `ds` itself when nothing needs doing, else a decoded copy.

    NKI, JPEG, JPEG-LS, JPEG 2000 and RLE data are decoded, palette colour becomes RGB,
    planar configuration 0, native 8-bit YBR_FULL RGB.  Native objects keep their transfer
    syntax (an NKI object Implicit VR LE), decoded encapsulated ones become Explicit VR LE.
    """
    source = _source(ds)
    if not _needs_decoding(ds, source):
        return ds
    target = source if source in UNCOMPRESSED else EXPLICIT_VR_LITTLE_ENDIAN
    out = copy.deepcopy(ds)
    decompress(out, EXPLICIT_VR_LITTLE_ENDIAN)
    _normalise(out)
    if target != EXPLICIT_VR_LITTLE_ENDIAN:
        decompress(out, target)
    return out


def _own(out: Dataset, ds: Dataset) -> Dataset:
    return copy.deepcopy(ds) if out is ds else out


def _apply_uncompressed(ds: Dataset, code: CompressionCode) -> Dataset:
    source = _source(ds)
    if code.mode == "uj" and source in JPEG_FAMILY:
        return ds
    wanted = code.transfer_syntax
    if wanted and source == wanted and not _palette_or_planar(ds) and not is_nki_compressed(ds):
        return ds
    out = _decompressed(ds)
    if wanted and _source(out) != wanted:
        out = _own(out, ds)
        decompress(out, wanted)
    return out


def _strip_group_2(ds: Dataset, original: Dataset) -> Dataset:
    """dgate's Strip2: no group 0002, in the data set or its meta; (0002,0010) is kept in
    ``file_meta`` only to tell the writer the encoding."""
    out = _own(ds, original)
    uid = _source(out)
    for tag in [tag for tag in out.keys() if tag.group == 0x0002]:
        del out[tag]
    out.file_meta = FileMetaDataset()
    out.file_meta.TransferSyntaxUID = uid
    return out


def _apply_nki(ds: Dataset, code: CompressionCode) -> Dataset:
    if code.mode == "nj" and _source(ds) in JPEG_FAMILY:
        return _strip_group_2(ds, ds)
    mode = 5 if code.mode in ("nj", "n#") else int(code.mode[1])
    if nki_mode(ds) == mode and code.mode != "n#":
        return _strip_group_2(ds, ds)
    out = _own(_decompressed(ds), ds)
    if code.mode == "n#" and _PIXEL_DATA in out:
        _scale_clip(out, code.scale, code.clip)
        out.LossyImageCompression = "01"
    nki_compress_dataset(out, mode)
    return _strip_group_2(out, ds)


def _apply_downsize(ds: Dataset, limit: int) -> Dataset:
    if not _has_pixels(ds) or _downsize_factor_of(ds, limit) == 1:
        return ds
    source = _source(ds)
    target = source if source in UNCOMPRESSED else EXPLICIT_VR_LITTLE_ENDIAN
    out = copy.deepcopy(ds)
    decompress(out, EXPLICIT_VR_LITTLE_ENDIAN)
    _normalise(out)
    downsize(out, limit)
    if target != EXPLICIT_VR_LITTLE_ENDIAN:
        decompress(out, target)
    return out


def _apply_jpeg(ds: Dataset, code: CompressionCode, lossy_quality: int) -> Dataset:
    source = _source(ds)
    if not _has_pixels(ds):
        return ds
    if code.mode == "ja" and source in JPEG_FAMILY:
        return ds
    if JPEG_FAMILY.get(source) == code.mode:
        return ds
    out = _decompressed(ds)
    modality = str(out.get("Modality") or "")
    if modality[:2] in _NO_JPEG_MODALITIES:
        log.warning("compression %s: no JPEG for modality %s (dgate), stored decompressed",
                    code.text, modality)
        return out
    bits_allocated = int(out.get("BitsAllocated") or 0)
    if bits_allocated < 8:
        log.warning("compression %s: no JPEG for %d bits allocated (dgate), stored decompressed",
                    code.text, bits_allocated)
        return out
    out = _own(out, ds)
    decompress(out, EXPLICIT_VR_LITTLE_ENDIAN)

    quality = code.quality or lossy_quality
    target, options = _jpeg_target(out, code, quality)
    if target == JPEG_BASELINE:
        _narrow_to_8_bits(out)
    if code.mode == "j#":
        _scale_clip(out, code.scale, code.clip)
    compress(out, target, **options)
    if code.mode == "j#":
        out.LossyImageCompression = "01"
    return out


def _jpeg_target(ds: Dataset, code: CompressionCode, quality: int) -> tuple[str, dict]:
    """The syntax and codec parameters dgate's CompressJPEGImage uses for `code` on `ds`."""
    mode = code.mode
    bits_stored = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    if mode in ("j3", "j4", "j5", "j6") and bits_stored > 12:
        log.warning("compression %s: lossy JPEG on %d bits stored, coded j1 (lossless) as "
                    "dgate does", code.text, bits_stored)
        mode = "j1"
    if mode in ("j1", "ja"):
        return JPEG_LOSSLESS_SV1, {}
    if mode in ("j2", "j#"):
        return JPEG_LOSSLESS, {}
    sequential = JPEG_BASELINE if bits_stored <= 8 else JPEG_EXTENDED
    if mode in ("j3", "j4"):
        return sequential, {"quality": quality}
    if mode in ("j5", "j6"):
        wanted = _NOMINAL_SYNTAX[mode]
        if can_encode(wanted):
            return wanted, {"quality": quality}
        log.warning("compression %s: no encoder for %s, coded %s (same precision, sequential)",
                    code.text, transfer_syntax(wanted), transfer_syntax(sequential))
        return sequential, {"quality": quality}
    if mode == "js":
        return JPEG_LS_LOSSLESS, {}
    if mode == "j7":
        if quality >= 100:
            return JPEG_LS_LOSSLESS, {}
        return JPEG_LS_NEAR_LOSSLESS, {"near_lossless": 10 - (quality + 9) // 10}
    if mode == "jk":
        return JPEG_2000_LOSSLESS, {}
    if mode == "jl":
        if quality >= 100:
            return JPEG_2000_LOSSLESS, {}
        return JPEG_2000, {"ratio": 100.0 / quality}
    raise AssertionError(mode)  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Pixel operations on native little endian data
# --------------------------------------------------------------------------------------------

def _pixel_dtype(ds: Dataset) -> np.dtype:
    bits = int(ds.BitsAllocated)
    if bits not in (8, 16, 32, 64):
        raise CodecError("", f"Bits Allocated {bits} pixel data cannot be processed",
                         action="process")
    kind = "i" if int(ds.get("PixelRepresentation") or 0) else "u"
    return np.dtype(f"<{kind}{bits // 8}")


def _frames(ds: Dataset) -> int:
    return int(ds.get("NumberOfFrames") or 1)


def _pixels(ds: Dataset) -> np.ndarray:
    """Native little endian Pixel Data as (frames, rows, columns, samples), a copy."""
    dtype = _pixel_dtype(ds)
    rows, columns = int(ds.Rows), int(ds.Columns)
    spp = int(ds.get("SamplesPerPixel") or 1)
    count = _frames(ds) * rows * columns * spp
    flat = np.frombuffer(ds.PixelData, dtype=dtype, count=count).copy()
    if spp > 1 and int(ds.get("PlanarConfiguration") or 0) == 1:
        return flat.reshape(-1, spp, rows, columns).transpose(0, 2, 3, 1).copy()
    return flat.reshape(-1, rows, columns, spp)


def _set_pixels(ds: Dataset, array: np.ndarray) -> None:
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    if len(data) % 2:
        data += b"\x00"
    ds.PixelData = data
    ds["PixelData"].VR = "OB" if array.dtype.itemsize == 1 else "OW"
    ds._pixel_array = None
    ds._pixel_id = {}


def _normalise(ds: Dataset) -> None:
    """Palette colour -> RGB, planar configuration 1 -> 0, 8-bit YBR_FULL -> RGB (dgate's
    DecodePalette, DePlane, DeYBRFULL), on native little endian data."""
    if _PIXEL_DATA not in ds:
        return
    photometric = ds.get("PhotometricInterpretation")
    if photometric == "PALETTE COLOR":
        _depalette(ds)
    elif int(ds.get("SamplesPerPixel") or 1) == 3 and int(ds.get("PlanarConfiguration") or 0):
        _set_pixels(ds, _pixels(ds))
        ds.PlanarConfiguration = 0
    if ds.get("PhotometricInterpretation") == "YBR_FULL" and int(ds.BitsAllocated) == 8:
        from pydicom.pixels.processing import convert_color_space

        rgb = convert_color_space(_pixels(ds), "YBR_FULL", "RGB")
        _set_pixels(ds, rgb)
        ds.PhotometricInterpretation = "RGB"


def _depalette(ds: Dataset) -> None:
    from pydicom.pixels.processing import apply_color_lut

    indices = _pixels(ds)[..., 0]
    rgb = np.asarray(apply_color_lut(indices, ds))
    if rgb.dtype.itemsize == 2:
        # 16-bit table entries with one byte always zero carry 8-bit colours (dgate too).
        if not (rgb & 0x00FF).any():
            rgb = (rgb >> 8).astype(np.uint8)
        elif not (rgb & 0xFF00).any():
            rgb = rgb.astype(np.uint8)
    bits = rgb.dtype.itemsize * 8
    _set_pixels(ds, rgb)
    for tag in _PALETTE_TAGS:
        if tag in ds:
            del ds[tag]
    ds.PhotometricInterpretation = "RGB"
    ds.SamplesPerPixel = 3
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0


def _narrow_to_8_bits(ds: Dataset) -> None:
    """Up to 8 bits stored in 16 allocated -> 8 allocated, as baseline JPEG needs (dgate's
    FixPrecision)."""
    if int(ds.BitsAllocated) != 16 or int(ds.get("BitsStored") or 16) > 8:
        return
    if int(ds.get("PixelRepresentation") or 0):
        return  # signed data: refused by the encoder with the PS3.5 §8.2 reason
    pixels = _pixels(ds)
    _set_pixels(ds, (pixels & 0xFF).astype(np.uint8))
    ds.BitsAllocated = 8
    ds.HighBit = min(int(ds.get("HighBit") or 7), 7)


def _scale_clip(ds: Dataset, scale: int, clip: int) -> None:
    """``n#S,C`` / ``j#S,C``: pixels below C become 0, then are divided by S (truncating, as
    C integer division does), and Rescale Slope is multiplied by S."""
    pixels = _pixels(ds).astype(np.int64)
    pixels[pixels < clip] = 0
    pixels = np.sign(pixels) * (np.abs(pixels) // scale)
    _set_pixels(ds, pixels.astype(_pixel_dtype(ds)))
    slope = float(ds.get("RescaleSlope") or 1)
    ds.RescaleSlope = DSfloat(slope * scale, auto_format=True)
    if "RescaleIntercept" not in ds:
        ds.RescaleIntercept = "0"


def downsize_factor(rows: int, columns: int, limit: int) -> int:
    """dgate's integer downsizing factor: ``ceil(max(rows, columns) / limit)``, at least 1."""
    return max(1, math.ceil(max(int(rows), int(columns)) / int(limit)))


def _downsize_factor_of(ds: Dataset, limit: int) -> int:
    if _frames(ds) != 1 or "PixelSpacing" not in ds or "Rows" not in ds or "Columns" not in ds:
        return 1
    return downsize_factor(ds.Rows, ds.Columns, limit)


def downsize(ds: Dataset, limit: int) -> int:
    """Downsize native little endian pixel data in place as dgate's ``k`` codes do (§8.2).

    Only single-frame images with (0028,0030) Pixel Spacing whose rows or columns exceed
    `limit`: with ``f = ceil(max(rows, columns) / limit)`` the new rows and columns are
    ``floor(dim / f)`` (at least 1), each new pixel is the top-left one of its f x f block
    (nearest neighbour), and Pixel Spacing is multiplied by f.  ``k4`` (256) on 320 x 320
    gives f = 2 and 160 x 160.  Returns f (1: nothing was done).
    """
    factor = _downsize_factor_of(ds, limit)
    if factor == 1 or _PIXEL_DATA not in ds:
        return 1
    rows, columns = int(ds.Rows), int(ds.Columns)
    new_rows, new_columns = max(1, rows // factor), max(1, columns // factor)
    if int(ds.BitsAllocated) == 1:
        spp = int(ds.get("SamplesPerPixel") or 1)
        bits = np.unpackbits(np.frombuffer(ds.PixelData, dtype=np.uint8), bitorder="little")
        plane = bits[:rows * columns * spp].reshape(rows, columns, spp)
        small = plane[:new_rows * factor:factor, :new_columns * factor:factor]
        data = np.packbits(small.ravel(), bitorder="little").tobytes()
        ds.PixelData = data + b"\x00" * (len(data) % 2)
        ds._pixel_array = None
        ds._pixel_id = {}
    else:
        pixels = _pixels(ds)
        _set_pixels(ds, pixels[:, :new_rows * factor:factor, :new_columns * factor:factor])
    ds.Rows, ds.Columns = new_rows, new_columns
    ds.PixelSpacing = [DSfloat(float(v) * factor, auto_format=True) for v in ds.PixelSpacing]
    return factor
