"""Which transfer syntaxes this installation can decode and encode, and with what.

Decoding uses pydicom's pixel data decoders with whatever plugins are installed
(``pydicom.pixels.get_decoder(uid).is_available``: pylibjpeg-libjpeg, pylibjpeg-openjpeg,
pylibjpeg-rle, python-gdcm, pydicom's own RLE decoder), plus three cases pydicom 3.0 has no
decoder object for but that the same libraries handle:

* Deflated Explicit VR Little Endian (PS3.5 §A.5) -- inflated when the data set is read;
* JPEG spectral selection (``.53``) and full progression (``.55``), processes 6-12 of
  ISO 10918-1: the JPEG decoders read the process from the SOF marker, so these codestreams go
  through the decoder of JPEG Extended (``.51``);
* Encapsulated Uncompressed Explicit VR Little Endian (PS3.5 §A.4.11): fragments are frames.

Encoding is described in :mod:`pydcmkit.codec.encoders`.
"""

from __future__ import annotations

from functools import lru_cache

from pydcmkit.codec import encoders as _encoders
from pydcmkit.codec.syntaxes import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN,
    HTJ2K,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
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
    RLE_LOSSLESS,
    TRANSFER_SYNTAXES,
    UNCOMPRESSED,
)

__all__ = [
    "DCMTK_DECODER_ORDER",
    "JPEG_VIA_EXTENDED",
    "can_decode",
    "decoder_backends",
    "decodable_syntaxes",
    "can_encode",
    "encoder_backends",
    "encodable_syntaxes",
]

#: The order of ``dcmsend --list-decoders`` ("Transfer syntaxes supported by decoders",
#: dcmsend.md §8.3), followed by the further syntaxes pydcmkit may decode.
DCMTK_DECODER_ORDER: tuple[str, ...] = (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    JPEG_BASELINE,
    JPEG_EXTENDED,
    JPEG_SPECTRAL_SELECTION,
    JPEG_FULL_PROGRESSION,
    JPEG_LOSSLESS,
    JPEG_LOSSLESS_SV1,
    JPEG_LS_LOSSLESS,
    JPEG_LS_NEAR_LOSSLESS,
    RLE_LOSSLESS,
    JPEG_2000_LOSSLESS,
    JPEG_2000,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    HTJ2K,
    ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN,
)

#: Retired JPEG processes decoded through the JPEG Extended (``.51``) decoder.
JPEG_VIA_EXTENDED: frozenset[str] = frozenset({JPEG_SPECTRAL_SELECTION, JPEG_FULL_PROGRESSION})

#: Plugins of the ``.51`` decoder whose libraries decode progressive (SOF2) codestreams.
_PROGRESSIVE_PLUGINS = ("pylibjpeg", "gdcm")


def _norm(uid: str) -> str:
    return str(uid).strip().rstrip("\x00")


@lru_cache(maxsize=None)
def decoder_backends(ts_uid: str) -> tuple[str, ...]:
    """Names of the backends able to decode pixel data in `ts_uid`, preferred first.

    ``native`` for the uncompressed and encapsulated-uncompressed syntaxes, ``zlib`` for Deflated
    Explicit VR Little Endian, otherwise the names of pydicom's available decoding plugins
    (``pylibjpeg``, ``gdcm``, ``pydicom``, ``pyjpegls``, ``pillow``).  Empty when nothing can.
    """
    uid = _norm(ts_uid)
    if uid in UNCOMPRESSED or uid == ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN:
        return ("native",)
    if uid == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
        return ("zlib",)
    plugins = _pydicom_decoder_plugins(JPEG_EXTENDED if uid in JPEG_VIA_EXTENDED else uid)
    if uid in JPEG_VIA_EXTENDED:
        plugins = tuple(p for p in plugins if p in _PROGRESSIVE_PLUGINS)
    return plugins


def _pydicom_decoder_plugins(uid: str) -> tuple[str, ...]:
    from pydicom.pixels import get_decoder

    try:
        decoder = get_decoder(uid)
    except (NotImplementedError, KeyError, ValueError):
        return ()
    if not decoder.is_available:
        return ()
    return tuple(decoder.available_plugins)


def can_decode(ts_uid: str) -> bool:
    """``True`` when pixel data in `ts_uid` can be turned into native pixel data here.

    This decides the rows of dcmsend's presentation context table (dcmsend.md §3.1): an
    instance whose syntax can be decoded may also be proposed with the uncompressed syntaxes.
    """
    return bool(decoder_backends(ts_uid))


def decodable_syntaxes() -> list[str]:
    """The non-native syntaxes that can be decoded, for ``dcmsend --list-decoders``.

    DCMTK's own list comes first in DCMTK's order (Deflated, JPEG Baseline, Extended, Spectral
    Selection, Full Progression, Lossless 14, Lossless SV1, JPEG-LS lossless, near-lossless,
    RLE), then JPEG 2000, HTJ2K and Encapsulated Uncompressed when available.  The uncompressed
    syntaxes are "supported natively" and are not listed.
    """
    return [uid for uid in DCMTK_DECODER_ORDER if can_decode(uid)]


def encoder_backends(ts_uid: str) -> tuple[str, ...]:
    """Names of the backends able to produce `ts_uid`, preferred first (see :func:`can_encode`)."""
    uid = _norm(ts_uid)
    if uid in UNCOMPRESSED:
        return ("native",)
    if uid == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
        return ("zlib",)
    return tuple(enc.name for enc in _encoders.encoders_for(uid))


def can_encode(ts_uid: str) -> bool:
    """``True`` when native pixel data can be converted to `ts_uid` here.

    Always for the uncompressed syntaxes and Deflated Explicit VR Little Endian; otherwise when
    an encoder backend is installed (RLE, JPEG 2000 through pydicom; JPEG baseline, extended,
    lossless 14 / SV1 and JPEG-LS through GDCM).  Whether a particular image can be coded also
    depends on its Image Pixel module (PS3.5 §8.2), checked when encoding.
    """
    return bool(encoder_backends(ts_uid))


def encodable_syntaxes() -> list[str]:
    """Every syntax of the registry that :func:`can_encode`, uncompressed ones first."""
    ordered = list(UNCOMPRESSED) + [DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN] + [
        uid for uid in TRANSFER_SYNTAXES if uid not in UNCOMPRESSED
        and uid != DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN]
    return [uid for uid in ordered if can_encode(uid)]
