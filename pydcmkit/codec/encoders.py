"""Pixel data encoders: native frames in, encapsulated codestreams out.

An encoder is a small object (:class:`PixelEncoder`) that turns the frames of native pixel data
into one codestream per frame for a transfer syntax, and says how the Image Pixel module
(PS3.3 C.7.6.3) describes the coded data.  :mod:`pydcmkit.codec.conversion` does everything around
it (reading the native pixels, encapsulation per PS3.5 §A.4, the transfer syntax, the lossy
compression attributes), so a new backend only has to implement ``encode``.

Built-in backends, tried in this order for a transfer syntax:

``pydicom``
    pydicom's own encoders with their installed plugins (RLE Lossless through pydicom,
    pylibjpeg-rle or GDCM; JPEG 2000 through pylibjpeg-openjpeg; JPEG-LS through pyjpegls when
    installed).
``gdcm``
    python-gdcm's IJG-based JPEG codec (baseline, extended 12-bit, lossless process 14 and
    selection value 1) and CharLS-based JPEG-LS codec (lossless and near-lossless), driven frame
    by frame in memory.
``native``
    Encapsulated Uncompressed Explicit VR Little Endian (PS3.5 §A.4.11): each frame is its own
    fragment.

Non-pixel targets such as ConQuest's NKI private compression are datasets rather than frames;
they plug in one level up, with :func:`pydcmkit.codec.conversion.register_target`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from pydcmkit.codec.errors import CodecError
from pydcmkit.codec.syntaxes import (
    ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN,
    JPEG_2000,
    JPEG_2000_LOSSLESS,
    JPEG_BASELINE,
    JPEG_EXTENDED,
    JPEG_LOSSLESS,
    JPEG_LOSSLESS_SV1,
    JPEG_LS_LOSSLESS,
    JPEG_LS_NEAR_LOSSLESS,
    RLE_LOSSLESS,
)

__all__ = [
    "EncodeParams",
    "ImagePixel",
    "EncodedPixels",
    "PixelEncoder",
    "register_encoder",
    "encoders_for",
    "select_encoder",
    "DEFAULT_JPEG_QUALITY",
    "DEFAULT_NEAR_LOSSLESS",
    "DEFAULT_J2K_RATIO",
]

#: IJG quality used for lossy JPEG when none is given (DCMTK ``dcmcjpeg`` default, ``+q 90``).
DEFAULT_JPEG_QUALITY = 90
#: JPEG-LS NEAR used for near-lossless when none is given (DCMTK ``dcmcjpls`` default, ``+md 2``).
DEFAULT_NEAR_LOSSLESS = 2
#: JPEG 2000 compression ratio used for ``.91`` when none is given.
DEFAULT_J2K_RATIO = 10.0


@dataclass(frozen=True)
class EncodeParams:
    """Codec parameters of a compression request.

    Attributes
    ----------
    quality : int or None
        IJG quality 1-100 for lossy JPEG (``.50``, ``.51``); ConQuest's ``j380`` gives 80.
    near_lossless : int or None
        JPEG-LS NEAR, the maximum absolute error per sample (``.81``, ISO 14495-1 §A.2).
    ratio : float or None
        Target compression ratio for lossy JPEG 2000 (``.91``), uncompressed size / coded size.
    options : dict
        Backend specific options, passed through untouched (e.g. a future NKI mode number).
    """

    quality: int | None = None
    near_lossless: int | None = None
    ratio: float | None = None
    options: dict = field(default_factory=dict)

    def resolved(self) -> EncodeParams:
        """Return a copy with the defaults filled in and the values checked."""
        quality = DEFAULT_JPEG_QUALITY if self.quality is None else int(self.quality)
        near = DEFAULT_NEAR_LOSSLESS if self.near_lossless is None else int(self.near_lossless)
        ratio = DEFAULT_J2K_RATIO if self.ratio is None else float(self.ratio)
        if not 1 <= quality <= 100:
            raise ValueError(f"JPEG quality must be 1-100, not {quality}")
        if not 0 <= near <= 255:
            raise ValueError(f"JPEG-LS near-lossless error bound must be 0-255, not {near}")
        if ratio < 1:
            raise ValueError(f"JPEG 2000 compression ratio must be at least 1, not {ratio}")
        return dataclasses.replace(self, quality=quality, near_lossless=near, ratio=ratio)


@dataclass(frozen=True)
class ImagePixel:
    """The Image Pixel module values (PS3.3 C.7.6.3) that describe a set of frames.

    Encoder input is always pixel-interleaved (Planar Configuration 0) little endian frames.
    """

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric_interpretation: str
    number_of_frames: int = 1

    @property
    def high_bit(self) -> int:
        return self.bits_stored - 1

    def replace(self, **changes) -> ImagePixel:
        return dataclasses.replace(self, **changes)


@dataclass
class EncodedPixels:
    """What an encoder returns.

    Attributes
    ----------
    frames : list of bytes
        One codestream per frame, in frame order.
    image_pixel : ImagePixel
        The Image Pixel module values that describe the coded data (the Photometric
        Interpretation may change, e.g. RGB -> YBR_RCT for JPEG 2000 with the reversible
        colour transform, PS3.5 §8.2.4).
    lossy : bool
        Irreversible coding was applied (PS3.3 C.7.6.1.1.5 then needs (0028,2110) ``01``).
    """

    frames: list[bytes]
    image_pixel: ImagePixel
    lossy: bool


#: ``encode(frames, image_pixel, transfer_syntax_uid, params) -> EncodedPixels``; `frames` has
#: the shape (frames, rows, columns, samples) and the dtype of the native pixel cells.
EncodeFunction = Callable[[np.ndarray, ImagePixel, str, EncodeParams], EncodedPixels]


@dataclass(frozen=True)
class PixelEncoder:
    """One encoding backend for a set of transfer syntaxes."""

    name: str
    syntaxes: frozenset[str]
    is_available: Callable[[str], bool]
    encode: EncodeFunction

    def can_encode(self, ts_uid: str) -> bool:
        return ts_uid in self.syntaxes and self.is_available(ts_uid)


# --------------------------------------------------------------------------------------------
# Validation against PS3.5 §8.2 (the per-syntax Image Pixel constraints pydicom tabulates)
# --------------------------------------------------------------------------------------------

def check_profile(ts_uid: str, ip: ImagePixel) -> None:
    """Raise :class:`CodecError` unless `ip` is allowed for `ts_uid` by PS3.5 §8.2.

    Uses the tables of PS3.5 Table 8.2.1-1 (JPEG), 8.2.3-1 (JPEG-LS), 8.2.4-1 (JPEG 2000) as
    pydicom encodes them; syntaxes without a table (RLE, encapsulated uncompressed) pass.
    """
    from pydicom.pixels.encoders.base import ENCODING_PROFILES

    profiles = ENCODING_PROFILES.get(ts_uid)
    if not profiles:
        return
    for pi, spp, px_repr, bits_a, bits_s in profiles:
        if (ip.photometric_interpretation == pi and ip.samples_per_pixel == spp
                and ip.pixel_representation in px_repr and ip.bits_allocated in bits_a
                and ip.bits_stored in bits_s):
            return
    raise CodecError(
        ts_uid,
        f"PS3.5 §8.2 does not allow Photometric Interpretation {ip.photometric_interpretation}, "
        f"Samples per Pixel {ip.samples_per_pixel}, Bits Allocated {ip.bits_allocated}, "
        f"Bits Stored {ip.bits_stored}, Pixel Representation {ip.pixel_representation}",
        action="encode",
    )


def _rgb_from_ybr_full(frames: np.ndarray) -> np.ndarray:
    from pydicom.pixels.processing import convert_color_space

    return np.stack([convert_color_space(f, "YBR_FULL", "RGB") for f in frames])


# --------------------------------------------------------------------------------------------
# pydicom's encoders (RLE, JPEG 2000, JPEG-LS with pyjpegls)
# --------------------------------------------------------------------------------------------

_PYDICOM_SYNTAXES = frozenset({RLE_LOSSLESS, JPEG_2000_LOSSLESS, JPEG_2000, JPEG_LS_LOSSLESS,
                               JPEG_LS_NEAR_LOSSLESS})


def _pydicom_available(ts_uid: str) -> bool:
    from pydicom.pixels import get_encoder

    try:
        return bool(get_encoder(ts_uid).is_available)
    except (NotImplementedError, KeyError):
        return False


def _pydicom_encode(frames: np.ndarray, ip: ImagePixel, ts_uid: str,
                    params: EncodeParams) -> EncodedPixels:
    from pydicom.pixels import get_encoder

    lossy = False
    opts: dict = {}
    out = ip
    if ts_uid in (JPEG_2000_LOSSLESS, JPEG_2000):
        # PS3.5 §8.2.4: RGB coded with the multiple component transform is labelled
        # YBR_RCT (reversible, lossless) or YBR_ICT (irreversible); anything else without MCT.
        if ip.photometric_interpretation == "RGB":
            out = ip.replace(photometric_interpretation="YBR_RCT" if ts_uid == JPEG_2000_LOSSLESS
                             else "YBR_ICT")
            opts["use_mct"] = True
        else:
            opts["use_mct"] = False
        if ts_uid == JPEG_2000:
            opts["j2k_cr"] = [float(params.ratio)]
            lossy = True
    elif ts_uid == JPEG_LS_NEAR_LOSSLESS:
        opts["jls_error"] = int(params.near_lossless)
        lossy = params.near_lossless > 0
    check_profile(ts_uid, out)
    encoder = get_encoder(ts_uid)
    src = frames if ip.number_of_frames > 1 else frames[0]
    if ip.samples_per_pixel == 1:
        src = src[..., 0]
    try:
        coded = list(encoder.iter_encode(
            np.ascontiguousarray(src),
            rows=ip.rows,
            columns=ip.columns,
            samples_per_pixel=ip.samples_per_pixel,
            bits_allocated=ip.bits_allocated,
            bits_stored=ip.bits_stored,
            pixel_representation=ip.pixel_representation,
            photometric_interpretation=out.photometric_interpretation,
            number_of_frames=ip.number_of_frames,
            planar_configuration=0,
            **opts,
        ))
    except (ValueError, RuntimeError, TypeError) as exc:
        raise CodecError(ts_uid, f"pydicom encoder failed: {_first_line(exc)}", action="encode") from exc
    return EncodedPixels([bytes(c) for c in coded], out, lossy)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:300] or type(exc).__name__


# --------------------------------------------------------------------------------------------
# GDCM: JPEG (IJG 8/12/16-bit builds) and JPEG-LS (CharLS), driven one frame at a time
# --------------------------------------------------------------------------------------------

_GDCM_JPEG = frozenset({JPEG_BASELINE, JPEG_EXTENDED, JPEG_LOSSLESS, JPEG_LOSSLESS_SV1})
_GDCM_JPEG_LS = frozenset({JPEG_LS_LOSSLESS, JPEG_LS_NEAR_LOSSLESS})


def _gdcm_available(ts_uid: str) -> bool:
    try:
        import gdcm  # noqa: F401
    except ImportError:
        return False
    return True


def _gdcm_encode(frames: np.ndarray, ip: ImagePixel, ts_uid: str,
                 params: EncodeParams) -> EncodedPixels:
    """Code each frame with ``gdcm.JPEGCodec`` or ``gdcm.JPEGLSCodec``.

    GDCM chooses its IJG build (8, 12 or 16-bit sample precision P) from Bits Allocated, so the
    pixel format handed to the codec carries the precision wanted: P = 8 for baseline, 8 or 12
    for extended (ISO 10918-1 §B.2.2 allows only those for DCT processes), Bits Allocated for
    the lossless processes.
    """
    import gdcm

    lossy = ts_uid in (JPEG_BASELINE, JPEG_EXTENDED) or (
        ts_uid == JPEG_LS_NEAR_LOSSLESS and params.near_lossless > 0)
    out = ip
    codec_bits = ip.bits_allocated
    if ts_uid in (JPEG_BASELINE, JPEG_EXTENDED):
        if ip.photometric_interpretation in ("YBR_FULL", "YBR_FULL_422"):
            frames = _rgb_from_ybr_full(frames)
            ip = ip.replace(photometric_interpretation="RGB")
        if ip.photometric_interpretation == "RGB":
            # IJG converts RGB to YCbCr with 2x2 chrominance subsampling; PS3.5 §8.2.1 labels
            # subsampled YCbCr JPEG as YBR_FULL_422.
            out = ip.replace(photometric_interpretation="YBR_FULL_422")
        else:
            out = ip
        if ts_uid == JPEG_EXTENDED and ip.bits_allocated == 16:
            if ip.pixel_representation == 0 and ip.bits_stored < 12:
                out = out.replace(bits_stored=12)
            codec_bits = 12
        check_profile(ts_uid, out)
    else:
        check_profile(ts_uid, out)

    pi_type = gdcm.PhotometricInterpretation.GetPIType(ip.photometric_interpretation)
    if pi_type == gdcm.PhotometricInterpretation.PI_END:
        raise CodecError(ts_uid, f"GDCM does not know Photometric Interpretation "
                                 f"{ip.photometric_interpretation}", action="encode")
    pixel_format = gdcm.PixelFormat(ip.samples_per_pixel, codec_bits, out.bits_stored,
                                    out.bits_stored - 1, ip.pixel_representation)
    dtype = _native_dtype(ip)
    coded: list[bytes] = []
    for index, frame in enumerate(frames):
        if ts_uid in _GDCM_JPEG:
            codec = gdcm.JPEGCodec()
            if lossy:
                codec.SetLossless(False)
                codec.SetQuality(float(params.quality))
            else:
                codec.SetLossless(True)
        else:
            codec = gdcm.JPEGLSCodec()
            if ts_uid == JPEG_LS_NEAR_LOSSLESS:
                codec.SetLossless(False)
                codec.SetLossyError(int(params.near_lossless))
            else:
                codec.SetLossless(True)
        codec.SetNumberOfDimensions(2)
        codec.SetDimensions((ip.columns, ip.rows, 1))
        codec.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(pi_type))
        codec.SetPlanarConfiguration(0)
        codec.SetPixelFormat(pixel_format)
        src = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
        src.SetByteStringValue(np.ascontiguousarray(frame, dtype=dtype).tobytes())
        dst = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
        if not codec.Code(src, dst):
            raise CodecError(ts_uid, f"GDCM could not code frame {index + 1}", action="encode")
        fragments = dst.GetSequenceOfFragments()
        if fragments is None or fragments.GetNumberOfFragments() != 1:
            raise CodecError(ts_uid, f"GDCM returned no codestream for frame {index + 1}",
                             action="encode")
        buffer = fragments.GetFragment(0).GetByteValue().GetBuffer()
        coded.append(buffer.encode("utf-8", "surrogateescape"))
    return EncodedPixels(coded, out, lossy)


def _native_dtype(ip: ImagePixel) -> np.dtype:
    size = {8: 1, 16: 2, 32: 4, 64: 8}[ip.bits_allocated]
    kind = "i" if ip.pixel_representation else "u"
    return np.dtype(f"<{kind}{size}")


# --------------------------------------------------------------------------------------------
# Encapsulated Uncompressed Explicit VR Little Endian (PS3.5 §A.4.11)
# --------------------------------------------------------------------------------------------

def _encapsulated_uncompressed_encode(frames: np.ndarray, ip: ImagePixel, ts_uid: str,
                                      params: EncodeParams) -> EncodedPixels:
    dtype = _native_dtype(ip)
    coded = [np.ascontiguousarray(f, dtype=dtype).tobytes() for f in frames]
    return EncodedPixels(coded, ip, False)


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

_REGISTRY: list[PixelEncoder] = [
    PixelEncoder("pydicom", _PYDICOM_SYNTAXES, _pydicom_available, _pydicom_encode),
    PixelEncoder("gdcm", _GDCM_JPEG | _GDCM_JPEG_LS, _gdcm_available, _gdcm_encode),
    PixelEncoder("native", frozenset({ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN}),
                 lambda uid: True, _encapsulated_uncompressed_encode),
]


def register_encoder(encoder: PixelEncoder, *, first: bool = True) -> None:
    """Add an encoding backend; with `first` it is preferred to the built-in ones."""
    if first:
        _REGISTRY.insert(0, encoder)
    else:
        _REGISTRY.append(encoder)


def encoders_for(ts_uid: str) -> list[PixelEncoder]:
    """The available encoders for `ts_uid`, preferred first."""
    return [enc for enc in _REGISTRY if enc.can_encode(ts_uid)]


def select_encoder(ts_uid: str, backend: str | None = None) -> PixelEncoder:
    """Return the preferred available encoder for `ts_uid` (or the one named `backend`)."""
    candidates: Sequence[PixelEncoder] = encoders_for(ts_uid)
    if backend:
        candidates = [enc for enc in candidates if enc.name == backend]
    if not candidates:
        reason = (f"no available encoder named {backend!r}" if backend
                  else "no encoder is available for this transfer syntax")
        raise CodecError(ts_uid, reason, action="encode")
    return candidates[0]
