"""Transfer syntax conversion of a data set: decode, encode, re-encode, serialise.

The functions change the data set in place (and return it), like pydicom's
``Dataset.decompress``/``compress``: the caller copies first when it needs the original.
The SOP Instance UID is kept unless asked otherwise -- a change of transfer syntax does not make
a new instance (PS3.5 §10), and dcmsend/dgate send the converted object under its own UID.

Rules implemented here:

* PS3.5 §A.1-A.3: the three uncompressed encodings; switching byte order swaps every value of
  VR OW (2-byte words), OL/OF (4 bytes), OD/OV (8 bytes), and native Pixel Data by pixel cell
  (Bits Allocated 16/32/64; 8-bit Pixel Data is written as OB, so it needs no swap).
* PS3.5 §A.4: encapsulated Pixel Data, OB with undefined length, one fragment per frame, a Basic
  Offset Table, or the Extended Offset Table (7FE0,0001)/(7FE0,0002) when the fragments exceed
  the 32-bit offsets; both offset tables are dropped again on decoding.
* PS3.5 §A.5: Deflated Explicit VR Little Endian = the Explicit VR Little Endian encoding of the
  data set (no File Meta Information), compressed with raw deflate (RFC 1951, no zlib header),
  padded with one 0x00 to even length.
* PS3.5 §8.2: the Photometric Interpretation of the coded data (RGB decoded from YCbCr JPEG or
  from J2K with a colour transform becomes RGB; Planar Configuration 0).
* PS3.3 C.7.6.1.1.5: after irreversible coding (0028,2110) Lossy Image Compression = ``01``
  ("once set, it shall not be reset"), and a (0028,2112) ratio / (0028,2114) method pair is
  appended; decoding pixel data of a lossy syntax also sets ``01`` when it is missing.
* dgate.md §8.2: an object already in the requested syntax is left alone.
* Pixel data a native data set keeps outside (7FE0,0010) -- ConQuest's NKI compression in
  (7FDF,0010), nki-compression.md -- are decoded by the decoders registered with
  :func:`register_private_decoder`, so that decompressing or converting such an object yields
  ordinary native Pixel Data.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import generate_uid

from pydcmkit.codec.encoders import EncodedPixels, EncodeParams, ImagePixel, select_encoder
from pydcmkit.codec.errors import CodecError
from pydcmkit.codec.pixels import JPEG_VIA_EXTENDED, can_decode, decoder_backends
from pydcmkit.codec.syntaxes import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    JPEG_EXTENDED,
    UNCOMPRESSED,
    TransferSyntax,
    transfer_syntax,
)

__all__ = [
    "dataset_transfer_syntax",
    "decompress",
    "compress",
    "convert",
    "encode_dataset",
    "is_lossless_conversion",
    "register_target",
    "PixelTransform",
    "TargetEncoder",
    "PrivatePixelDecoder",
    "register_private_decoder",
    "holds_private_pixels",
]

#: A change to native pixel data applied between decoding and encoding (e.g. dgate's ``k``
#: downsizing); it receives an Explicit VR Little Endian data set and changes it in place.
PixelTransform = Callable[[Dataset], None]
#: An encoder for a target that is not a plain encapsulated transfer syntax (e.g. ConQuest's NKI
#: private compression): receives a native Explicit VR Little Endian data set, returns the result
#: with its file meta Transfer Syntax UID set.
TargetEncoder = Callable[[Dataset, EncodeParams], Dataset]

_TARGETS: dict[str, TargetEncoder] = {}


@dataclass(frozen=True)
class PrivatePixelDecoder:
    """A decoder for pixel data that a native data set keeps outside (7FE0,0010).

    ConQuest's NKI compression is the case in point: the object is Implicit VR Little Endian,
    with the compressed pixels in (7FDF,0010) and no (7FE0,0010) (nki-compression.md §1).  The
    transfer syntax does not tell, so :func:`decompress` and :func:`convert` ask every
    registered decoder.

    Attributes
    ----------
    name : str
        A label for messages (``nki``).
    holds : callable
        ``holds(ds) -> bool``: the data set has pixel data of this kind.
    decode : callable
        ``decode(ds)``: replace them in place by native little endian (7FE0,0010) Pixel Data;
        raises (any exception) when they are corrupt, leaving the data set unchanged.
    """

    name: str
    holds: Callable[[Dataset], bool]
    decode: Callable[[Dataset], object]


_PRIVATE_DECODERS: list[PrivatePixelDecoder] = []

#: The syntaxes whose data set is encoded Explicit VR Little Endian or Implicit VR Little Endian
#: with native little endian pixel data: they differ only in the VR field, not in the values.
_LITTLE_ENDIAN_NATIVE = frozenset({IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN,
                                   DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN})

_EXTENDED_OFFSET_TABLE = (0x7FE0_0001, 0x7FE0_0002)
_PIXEL_DATA = 0x7FE0_0010
_SWAP_WIDTH = {"OW": 2, "OL": 4, "OF": 4, "OD": 8, "OV": 8,
               "OB or OW": 2, "US or OW": 2, "US or SS or OW": 2}


def register_target(name: str, encoder: TargetEncoder) -> None:
    """Make `name` a conversion target handled by `encoder` (see :data:`TargetEncoder`).

    Used for compressions that are not an encapsulated transfer syntax, such as ConQuest's NKI
    modes ``n1``-``n4`` (Implicit VR LE with (7FDF,0010)); :func:`convert` and :func:`compress`
    then decode to native pixel data and hand the data set over.
    """
    _TARGETS[name] = encoder


def register_private_decoder(decoder: PrivatePixelDecoder) -> None:
    """Have :func:`decompress` and :func:`convert` decode pixel data of `decoder`'s kind.

    A decoder registered again under the same name replaces the earlier one.
    """
    _PRIVATE_DECODERS[:] = [d for d in _PRIVATE_DECODERS if d.name != decoder.name]
    _PRIVATE_DECODERS.append(decoder)


def holds_private_pixels(ds: Dataset) -> bool:
    """``True`` when a registered :class:`PrivatePixelDecoder` recognises the pixels of `ds`."""
    return any(decoder.holds(ds) for decoder in _PRIVATE_DECODERS)


def _decode_private(ds: Dataset, source: TransferSyntax) -> None:
    """Decode private pixel data of a native little endian data set, if it holds any.

    Only little endian data sets are looked at: ConQuest writes NKI data only in Implicit VR
    Little Endian, and the value must stay raw bytes (read as text it is lost, see
    :func:`pydcmkit.codec.nki.nki_value`), which a byte swap of the whole data set would undo.
    """
    if not source.is_little_endian:
        return
    for decoder in _PRIVATE_DECODERS:
        if not decoder.holds(ds):
            continue
        try:
            decoder.decode(ds)
        except Exception as exc:  # the decoders' own errors (NKIError: corrupt data ...)
            raise CodecError(source.uid, f"{decoder.name} pixel data: {_one_line(exc)}",
                             action="decode") from exc
        _forget_pixel_cache(ds)
        return


# --------------------------------------------------------------------------------------------
# Transfer syntax of a data set
# --------------------------------------------------------------------------------------------

def dataset_transfer_syntax(ds: Dataset) -> str:
    """Return the transfer syntax the data set's values are currently encoded in.

    That is (0002,0010) of ``ds.file_meta``; for a data set without one, the encoding it was read
    with (pydicom's ``original_encoding``) when its pixel data are native.

    Raises
    ------
    CodecError
        When neither is known.
    """
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if uid:
        return str(uid).strip().rstrip("\x00")
    implicit, little = ds.original_encoding
    pixel = ds.get("PixelData") if _PIXEL_DATA in ds else None
    encapsulated = bool(pixel is not None and getattr(pixel, "is_undefined_length", False))
    if implicit is not None and not encapsulated:
        if implicit:
            return IMPLICIT_VR_LITTLE_ENDIAN
        return EXPLICIT_VR_LITTLE_ENDIAN if little else EXPLICIT_VR_BIG_ENDIAN
    raise CodecError("", "the data set has no (0002,0010) Transfer Syntax UID", action="convert")


def _set_transfer_syntax(ds: Dataset, uid: str) -> None:
    if getattr(ds, "file_meta", None) is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid


def _forget_pixel_cache(ds: Dataset) -> None:
    ds._pixel_array = None
    ds._pixel_id = {}


# --------------------------------------------------------------------------------------------
# Byte order (PS3.5 §7.3, A.1-A.3)
# --------------------------------------------------------------------------------------------

def _byteswap(value: bytes, width: int) -> bytes:
    aligned = len(value) - len(value) % width
    swapped = np.frombuffer(value, dtype=f"u{width}", count=aligned // width).byteswap().tobytes()
    return swapped + bytes(value[aligned:])


def _swap_byte_order(ds: Dataset) -> None:
    """Swap the byte order of the values pydicom keeps as raw bytes, recursively.

    Every element is parsed on the way (no raw element of the old byte order is left), so the
    data set's original encoding is forgotten: pydicom then writes it in whatever encoding the
    transfer syntax says.
    """
    bits_allocated = ds.get("BitsAllocated")
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value or ():
                _swap_byte_order(item)
            continue
        value = elem.value
        if not isinstance(value, (bytes, bytearray)) or not value:
            continue
        if elem.tag == _PIXEL_DATA:
            if getattr(elem, "is_undefined_length", False):
                continue  # encapsulated: codestreams have their own byte order
            if bits_allocated in (16, 32, 64):
                width = bits_allocated // 8
            else:
                width = 2 if elem.VR == "OW" else 1
        else:
            width = _SWAP_WIDTH.get(elem.VR, 1)
        if width > 1:
            elem.value = _byteswap(bytes(value), width)
    ds.set_original_encoding(None, None)


def _set_native_encoding(ds: Dataset, little_endian_now: bool, target: str) -> None:
    """Relabel a data set with native pixel data as `target` (one of :data:`UNCOMPRESSED`)."""
    if little_endian_now != transfer_syntax(target).is_little_endian:
        _swap_byte_order(ds)
    if _PIXEL_DATA in ds:
        elem = ds["PixelData"]
        elem.is_undefined_length = False
        elem.VR = "OB" if int(ds.get("BitsAllocated", 16)) <= 8 else "OW"
    _set_transfer_syntax(ds, target)
    _forget_pixel_cache(ds)


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------

def decompress(ds: Dataset, target_ts: str = EXPLICIT_VR_LITTLE_ENDIAN, *, backend: str | None = None,
               mark_lossy: bool = True) -> Dataset:
    """Decode the pixel data of `ds` (all frames) and encode it in an uncompressed syntax.

    Parameters
    ----------
    ds : Dataset
        The data set, changed in place; its current syntax is (0002,0010) of ``ds.file_meta``.
    target_ts : str
        Explicit VR Little Endian (default), Implicit VR Little Endian or Explicit VR Big Endian.
    backend : str, optional
        Name of the decoding plugin to use (``pylibjpeg``, ``gdcm``, ``pydicom`` ...), see
        :func:`pydcmkit.codec.pixels.decoder_backends`; by default the first that succeeds.
    mark_lossy : bool
        Set (0028,2110) Lossy Image Compression ``01`` when the source syntax is lossy and the
        attribute is missing (PS3.3 C.7.6.1.1.5).

    Returns
    -------
    Dataset
        `ds`, with native Pixel Data (OB for Bits Allocated <= 8, OW otherwise), Photometric
        Interpretation and Planar Configuration of the decoded data (YCbCr from lossy JPEG and
        JPEG 2000 colour transforms become RGB, Planar Configuration 0), no Extended Offset
        Table, and (0002,0010) = `target_ts`.  A data set already native is only re-encoded
        (byte order, VR), Deflated Explicit VR Little Endian included, after the decoders of
        :func:`register_private_decoder` have restored Pixel Data kept elsewhere (NKI).

    Raises
    ------
    CodecError
        The target is not uncompressed, the source syntax is unknown or referenced (JPIP),
        no installed decoder can decode it, or private pixel data (NKI) are corrupt.
    """
    target = str(target_ts).strip()
    if target not in UNCOMPRESSED:
        raise CodecError(target, "not an uncompressed transfer syntax (PS3.5 §A.1-A.3)",
                         action="decompress to")
    source = transfer_syntax(dataset_transfer_syntax(ds))

    if source.uid in UNCOMPRESSED or source.is_deflated and not source.pixel_data_referenced:
        _decode_private(ds, source)
        _set_native_encoding(ds, source.is_little_endian, target)
        return ds
    if source.pixel_data_referenced:
        raise CodecError(source.uid, "the pixel data are referenced, not contained (JPIP)",
                         action="decode")
    if not source.is_known:
        raise CodecError(source.uid, "unknown transfer syntax", action="decode")
    if _PIXEL_DATA not in ds:
        # Nothing to decode: the data set itself is Explicit VR Little Endian (PS3.5 §10).
        _set_native_encoding(ds, True, target)
        return ds

    if source.uid == ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN:
        _decode_encapsulated_uncompressed(ds)
    elif can_decode(source.uid):
        _decode_with_pydicom(ds, source, backend)
    else:
        raise CodecError(source.uid, "no decoder is installed for this transfer syntax",
                         action="decode")
    for tag in _EXTENDED_OFFSET_TABLE:
        if tag in ds:
            del ds[tag]
    if mark_lossy and source.lossless is False and "LossyImageCompression" not in ds:
        ds.LossyImageCompression = "01"
    _set_native_encoding(ds, True, target)
    return ds


def _decode_with_pydicom(ds: Dataset, source: TransferSyntax, backend: str | None) -> None:
    from pydicom.pixels.utils import decompress as pydicom_decompress

    if backend and backend not in decoder_backends(source.uid):
        raise CodecError(source.uid, f"decoder {backend!r} is not available "
                                     f"(available: {', '.join(decoder_backends(source.uid))})",
                         action="decode")
    meta = ds.file_meta
    if source.uid in JPEG_VIA_EXTENDED:
        # The JPEG libraries take the process from the SOF marker; pydicom has decoder objects
        # only for .50/.51/.57/.70, so progressive codestreams go through the .51 one.
        meta.TransferSyntaxUID = JPEG_EXTENDED
    # pydicom falls back to the next plugin only when decoding itself fails, not when its
    # post-processing does (e.g. GDCM with J2K sign correction), so try each plugin in turn.
    attempts = [backend] if backend else ["", *decoder_backends(source.uid)]
    first_error: Exception | None = None
    for plugin in attempts:
        try:
            # Lossy syntaxes: normalise YCbCr to RGB as DCMTK's decoders do; lossless ones keep
            # the coded colour space so that decoding is exact (a J2K colour transform is undone
            # by the codec either way).
            pydicom_decompress(ds, as_rgb=source.lossless is False, generate_instance_uid=False,
                               decoding_plugin=plugin)
            return
        except Exception as exc:  # plugins raise anything from ValueError to RuntimeError
            first_error = first_error or exc
    meta.TransferSyntaxUID = source.uid
    raise CodecError(source.uid, _one_line(first_error), action="decode") from first_error


def _decode_encapsulated_uncompressed(ds: Dataset) -> None:
    from pydicom.encaps import generate_frames

    frames = int(ds.get("NumberOfFrames") or 1)
    size = int(ds.Rows) * int(ds.Columns) * int(ds.SamplesPerPixel) * int(ds.BitsAllocated)
    frame_bytes = (size + 7) // 8
    data = b"".join(frame[:frame_bytes] for frame in
                    generate_frames(ds.PixelData, number_of_frames=frames))
    if len(data) != frames * frame_bytes:
        raise CodecError(ENCAPSULATED_UNCOMPRESSED_EXPLICIT_VR_LITTLE_ENDIAN,
                         f"expected {frames} frames of {frame_bytes} bytes, found {len(data)} bytes",
                         action="decode")
    ds.PixelData = data + b"\x00" * (len(data) % 2)


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines)[:300] or type(exc).__name__


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------

def compress(ds: Dataset, target_ts: str, *, quality: int | None = None,
             near_lossless: int | None = None, ratio: float | None = None,
             backend: str | None = None, generate_instance_uid: bool = False,
             mark_lossy: bool = True, **options) -> Dataset:
    """Encode the native pixel data of `ds` in the compressed syntax `target_ts`.

    Parameters
    ----------
    ds : Dataset
        A data set with native pixel data (any of the three uncompressed syntaxes or Deflated
        Explicit VR Little Endian), changed in place.  Use :func:`convert` for compressed input.
    target_ts : str
        RLE Lossless, JPEG-LS lossless / near-lossless, JPEG 2000 lossless / lossy, JPEG baseline
        (8-bit), extended (12-bit), lossless process 14 or SV1, Encapsulated Uncompressed, or a
        name registered with :func:`register_target`.  An uncompressed or deflated target
        re-encodes the native data.
    quality : int, optional
        IJG quality 1-100 for lossy JPEG (default 90).
    near_lossless : int, optional
        JPEG-LS NEAR (default 2).
    ratio : float, optional
        JPEG 2000 ``.91`` compression ratio (default 10).
    backend : str, optional
        Encoder backend name (``pydicom``, ``gdcm``, ``native``); the preferred available one
        by default.
    generate_instance_uid : bool
        Give the result a new SOP Instance UID (DCMTK's ``dcmcjpeg`` does so after lossy
        compression by default; network conversion keeps the UID).
    mark_lossy : bool
        After irreversible coding set (0028,2110) ``01`` and append to (0028,2112) / (0028,2114)
        (PS3.3 C.7.6.1.1.5).
    **options
        Passed to a registered target encoder in :attr:`EncodeParams.options`.

    Returns
    -------
    Dataset
        `ds` with encapsulated Pixel Data (PS3.5 §A.4: OB, undefined length, one fragment per
        frame, Basic Offset Table empty or Extended Offset Table when the data exceed 4 GiB),
        the Image Pixel module of the coded data, Planar Configuration 0 for colour, and
        (0002,0010) = `target_ts`.

    Raises
    ------
    CodecError
        The pixel data are not native, no encoder is installed for the target, or the image
        is not allowed in the target syntax (PS3.5 §8.2, e.g. 16-bit data in JPEG baseline,
        signed data in lossy JPEG).
    """
    params = EncodeParams(quality, near_lossless, ratio, dict(options)).resolved()
    target = str(target_ts).strip()
    source = transfer_syntax(dataset_transfer_syntax(ds))
    if source.is_encapsulated or source.pixel_data_referenced or not source.is_known:
        raise CodecError(target, f"the pixel data are not native but {source}; use convert()",
                         action="encode")
    if target in _TARGETS:
        decompress(ds, EXPLICIT_VR_LITTLE_ENDIAN)
        return _TARGETS[target](ds, params)
    if target in UNCOMPRESSED:
        return decompress(ds, target)
    if target == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
        decompress(ds, EXPLICIT_VR_LITTLE_ENDIAN)
        _set_transfer_syntax(ds, target)
        return ds
    dst = transfer_syntax(target)
    if not dst.is_encapsulated:
        raise CodecError(target, "not a syntax with encapsulated pixel data", action="encode")
    encoder = select_encoder(target, backend)
    if _PIXEL_DATA not in ds:
        raise CodecError(target, "the data set has no (7FE0,0010) Pixel Data", action="encode")

    decompress(ds, EXPLICIT_VR_LITTLE_ENDIAN)  # byte order, deflate: now native little endian
    frames, image_pixel = _native_frames(ds, target)
    if encoder.name != "native" and image_pixel.bits_allocated not in (8, 16, 32, 64):
        raise CodecError(target, f"Bits Allocated {image_pixel.bits_allocated} cannot be coded",
                         action="encode")
    try:
        encoded = encoder.encode(frames, image_pixel, target, params)
    except CodecError:
        raise
    except Exception as exc:
        raise CodecError(target, f"{encoder.name} encoder failed: {_one_line(exc)}",
                         action="encode") from exc
    _store_encoded(ds, target, encoded, image_pixel)
    if encoded.lossy and mark_lossy:
        native_size = frames.size * frames.dtype.itemsize
        coded_size = sum(len(frame) for frame in encoded.frames)
        _mark_lossy(ds, dst.lossy_method, native_size / max(coded_size, 1))
    if generate_instance_uid:
        uid = generate_uid()
        ds.SOPInstanceUID = uid
        ds.file_meta.MediaStorageSOPInstanceUID = uid
    return ds


def _native_frames(ds: Dataset, target: str) -> tuple[np.ndarray, ImagePixel]:
    """The native pixel cells as (frames, rows, columns, samples), pixel-interleaved.

    YBR_FULL_422 native data are expanded to YBR_FULL (PS3.3 C.7.6.3.1.2), the only change.
    """
    from pydicom.pixels import get_decoder

    try:
        array, info = get_decoder(EXPLICIT_VR_LITTLE_ENDIAN).as_array(ds, as_rgb=False)
    except Exception as exc:
        raise CodecError(target, f"the native pixel data cannot be read: {_one_line(exc)}",
                         action="encode") from exc
    nframes = int(info.get("number_of_frames") or 1)
    spp = int(info["samples_per_pixel"])
    rows, columns = int(info["rows"]), int(info["columns"])
    frames = array.reshape(nframes, rows, columns, spp)
    image_pixel = ImagePixel(
        rows=rows,
        columns=columns,
        samples_per_pixel=spp,
        bits_allocated=int(info["bits_allocated"]),
        bits_stored=int(info["bits_stored"]),
        pixel_representation=int(info["pixel_representation"]),
        photometric_interpretation=str(info["photometric_interpretation"]),
        number_of_frames=nframes,
    )
    return frames, image_pixel


def _store_encoded(ds: Dataset, target: str, encoded: EncodedPixels, source: ImagePixel) -> None:
    from pydicom.encaps import encapsulate, encapsulate_extended

    frames = encoded.frames
    total = sum(len(f) + (len(f) % 2) + 8 for f in frames)
    for tag in _EXTENDED_OFFSET_TABLE:
        if tag in ds:
            del ds[tag]
    if total > 2**32 - 1:
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = \
            encapsulate_extended(frames)
    else:
        ds.PixelData = encapsulate(frames, has_bot=False)
    elem = ds["PixelData"]
    elem.VR = "OB"
    elem.is_undefined_length = True

    out = encoded.image_pixel
    ds.PhotometricInterpretation = out.photometric_interpretation
    ds.SamplesPerPixel = out.samples_per_pixel
    ds.BitsAllocated = out.bits_allocated
    ds.BitsStored = out.bits_stored
    ds.HighBit = out.high_bit
    ds.PixelRepresentation = out.pixel_representation
    if out.samples_per_pixel > 1:
        ds.PlanarConfiguration = 0
    if "NumberOfFrames" in ds or len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    _set_transfer_syntax(ds, target)
    _forget_pixel_cache(ds)


def _mark_lossy(ds: Dataset, method: str | None, ratio: float) -> None:
    """PS3.3 C.7.6.1.1.5: ``01``, plus one more ratio/method pair for this compression."""
    ds.LossyImageCompression = "01"
    if not method:
        return
    ratios = _values(ds.get("LossyImageCompressionRatio"))
    methods = _values(ds.get("LossyImageCompressionMethod"))
    ds.LossyImageCompressionRatio = [*ratios, f"{ratio:.2f}"]
    ds.LossyImageCompressionMethod = [*methods, method]


def _values(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes, int, float)):
        return [value]
    return list(value)


# --------------------------------------------------------------------------------------------
# Any -> any
# --------------------------------------------------------------------------------------------

def convert(ds: Dataset, target_ts: str, *, quality: int | None = None,
            near_lossless: int | None = None, ratio: float | None = None,
            backend: str | None = None, decoder: str | None = None,
            pixel_transform: PixelTransform | None = None, generate_instance_uid: bool = False,
            mark_lossy: bool = True, **options) -> Dataset:
    """Convert `ds` in place from its current transfer syntax to `target_ts`.

    An object already in `target_ts` is left alone (dgate.md §8.2) unless `pixel_transform`
    is given or it keeps its pixels privately (NKI, :func:`register_private_decoder`).  Otherwise the pixel data are decoded completely (:func:`decompress`), transformed,
    and encoded (:func:`compress`): compressed -> other compressed goes through native data.
    Native -> native conversions only change the byte order and VR encoding.

    Parameters
    ----------
    ds, target_ts
        The data set and the wanted syntax (or a name from :func:`register_target`).
    quality, near_lossless, ratio, backend, generate_instance_uid, mark_lossy, **options
        As for :func:`compress` (`backend` names the encoder).
    decoder : str, optional
        As `backend` of :func:`decompress`.
    pixel_transform : callable, optional
        Applied to the native Explicit VR Little Endian data set before encoding (dgate's ``k``
        downsizing is such a step).

    Raises
    ------
    CodecError
        When decoding or encoding is impossible; `ds` may then be partly converted (decoded).
    """
    target = str(target_ts).strip()
    source = dataset_transfer_syntax(ds)
    if source == target and pixel_transform is None and not holds_private_pixels(ds):
        return ds
    if target in UNCOMPRESSED or target == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
        native = target if target in UNCOMPRESSED else EXPLICIT_VR_LITTLE_ENDIAN
        if pixel_transform is not None:
            decompress(ds, EXPLICIT_VR_LITTLE_ENDIAN, backend=decoder, mark_lossy=mark_lossy)
            pixel_transform(ds)
            _forget_pixel_cache(ds)
        decompress(ds, native, backend=decoder, mark_lossy=mark_lossy)
        if target == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
            _set_transfer_syntax(ds, target)
        return ds
    if target not in _TARGETS:
        # Fail before decoding when the target cannot be produced at all.
        select_encoder(target, backend)
    decompress(ds, EXPLICIT_VR_LITTLE_ENDIAN, backend=decoder, mark_lossy=mark_lossy)
    if pixel_transform is not None:
        pixel_transform(ds)
        _forget_pixel_cache(ds)
    return compress(ds, target, quality=quality, near_lossless=near_lossless, ratio=ratio,
                    backend=backend, generate_instance_uid=generate_instance_uid,
                    mark_lossy=mark_lossy, **options)


def is_lossless_conversion(src_ts: str, dst_ts: str) -> bool:
    """``True`` when converting pixel data from `src_ts` to `dst_ts` loses nothing more.

    That is when nothing is done (same syntax, dgate.md §8.2) or the destination only admits
    reversible coding (uncompressed, deflated, RLE, JPEG lossless, JPEG-LS lossless, JPEG 2000 /
    HTJ2K lossless).  A lossy source decoded and re-encoded losslessly counts as lossless: the
    earlier loss is recorded in (0028,2110) already.
    """
    src = str(src_ts).strip()
    dst = transfer_syntax(dst_ts)
    return src == dst.uid or dst.lossless is True


# --------------------------------------------------------------------------------------------
# Serialisation
# --------------------------------------------------------------------------------------------

def encode_dataset(ds: Dataset, ts_uid: str, *, deflate_level: int = 6) -> bytes:
    """Return `ds` (without File Meta Information) encoded in `ts_uid`, as sent in P-DATA.

    The data set must already be in `ts_uid` (see :func:`convert`), except that the three
    little endian native syntaxes (Implicit VR LE, Explicit VR LE, Deflated Explicit VR LE) are
    interchangeable: their values are the same, only VR fields and deflate differ.  Group 0002
    elements in the data set itself are not written (PS3.7 / PS3.10: they belong to the file
    meta header only).  Deflated syntaxes (``.1.99``, JPIP Deflate) deflate the Explicit VR
    Little Endian encoding with raw deflate (RFC 1951, ``wbits=-15``) at `deflate_level` and pad
    an odd result with one 0x00 (PS3.5 §A.5).

    Raises
    ------
    CodecError
        The data set is encoded in another syntax.
    """
    target = transfer_syntax(ts_uid)
    current = dataset_transfer_syntax(ds)
    compatible = current == target.uid or (
        current in _LITTLE_ENDIAN_NATIVE and target.uid in _LITTLE_ENDIAN_NATIVE)
    if not compatible:
        raise CodecError(target.uid, f"the data set is encoded in {transfer_syntax(current)}; "
                                     "convert it first", action="encode the data set in")
    if any(tag.group == 0x0002 for tag in ds.keys()):
        clone = Dataset({tag: ds.get_item(tag) for tag in ds.keys() if tag.group != 0x0002})
        clone.set_original_encoding(*ds.original_encoding, ds.original_character_set)
        ds = clone
    buffer = DicomBytesIO()
    buffer.is_implicit_VR = target.is_implicit
    buffer.is_little_endian = target.is_little_endian
    write_dataset(buffer, ds)
    data = buffer.getvalue()
    if not target.is_deflated:
        return data
    compressor = zlib.compressobj(deflate_level, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(data) + compressor.flush()
    if len(deflated) % 2:
        deflated += b"\x00"
    return deflated


# ConQuest's NKI private compression registers the targets "n1"-"n5" (pydcmkit.codec.nki); it is
# imported last because it builds on this module.
from pydcmkit.codec import nki as _nki  # noqa: E402,F401
