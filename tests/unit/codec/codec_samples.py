"""Sample data for the codec tests: pydicom's bundled test files, the local fixtures, and the
table pairing every compressed file with its reference.

The download-only references of pydicom's test suite (JPEG-LL.dcm, US1_UNCR.dcm, SC_rgb.dcm ...)
are not in the wheel, so a reference is the nearest bundled truth:

* an uncompressed file of the same image (``MR_small.dcm``, ``rtdose.dcm``, ``SC_rgb_small_odd.dcm``),
* for the 100x100 colour bars (``SC_rgb_*``) the RLE file ``SC_rgb_rle.dcm`` -- itself checked to
  be identical to the independently coded JPEG lossless SV1 file ``SC_rgb_jpeg_gdcm.dcm`` --
  and the values derived from it (frame 2 = 255 - frame 1, 16-bit = x257, 32-bit = x0x01010101),
* ``SC_rgb_jpeg_dcmd.dcm``, the decompressed form of ``SC_rgb_jpeg.dcm`` shipped with pydicom.

Lossy tolerances: a minimum PSNR over the reference's value range (or a maximum absolute error
for JPEG-LS near-lossless, whose NEAR bounds it), set a few dB under what the file measures so
that another IDCT implementation still passes.  Files without any reference are decoded with
every available backend and the backends must agree (exactly for lossless syntaxes, within 3
for lossy JPEG, whose IDCT is implementation defined).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pydicom

TEST_FILES = Path(os.path.dirname(pydicom.__file__)) / "data" / "test_files"
FIXTURES = Path(__file__).resolve().parent / "data"


def sample_path(name: str) -> Path:
    local = FIXTURES / name
    return local if local.exists() else TEST_FILES / name


def read(name: str) -> pydicom.Dataset:
    return pydicom.dcmread(sample_path(name))


def pixels(name: str) -> np.ndarray:
    """The pixel array of an uncompressed (or reference-quality lossless) sample."""
    from pydcmkit.codec import decompress, transfer_syntax

    ds = read(name)
    if transfer_syntax(ds.file_meta.TransferSyntaxUID).is_encapsulated:
        decompress(ds)
    return ds.pixel_array


def _bars() -> np.ndarray:
    return pixels("SC_rgb_rle.dcm").astype(np.int64)


def _bars_2frame() -> np.ndarray:
    bars = _bars()
    return np.stack([bars, 255 - bars])


def _ct12() -> np.ndarray:
    return mono12().pixel_array.astype(np.int64)


#: DCMTK's default quality on the 12-bit CT measures 61.1 dB.
PSNR_CT12 = 55.0


@dataclass(frozen=True)
class Case:
    """A compressed file and how its decoded pixels are judged."""

    name: str
    reference: Callable[[], np.ndarray]
    reference_name: str
    exact: bool = True
    min_psnr: float | None = None
    max_abs: int | None = None


def _file(name: str) -> tuple[Callable[[], np.ndarray], str]:
    return (lambda: pixels(name).astype(np.int64)), name


def _lossless(name: str, ref: str) -> Case:
    fn, label = _file(ref)
    return Case(name, fn, label)


def _lossy(name: str, ref: str, *, min_psnr: float | None = None, max_abs: int | None = None) -> Case:
    fn, label = _file(ref)
    return Case(name, fn, label, exact=False, min_psnr=min_psnr, max_abs=max_abs)


#: Every compressed sample with a reference.
REFERENCE_CASES: list[Case] = [
    # lossless: exact
    _lossless("MR_small_RLE.dcm", "MR_small.dcm"),
    _lossless("MR_small_jp2klossless.dcm", "MR_small.dcm"),
    _lossless("MR_small_jpeg_ls_lossless.dcm", "MR_small.dcm"),
    _lossless("MR_small_htj2k_lossless.dcm", "MR_small.dcm"),
    _lossless("MR_small_htj2k_rpcl.dcm", "MR_small.dcm"),
    _lossless("rtdose_rle.dcm", "rtdose.dcm"),
    _lossless("rtdose_rle_1frame.dcm", "rtdose_1frame.dcm"),
    _lossless("SC_rgb_rle.dcm", "SC_rgb_jpeg_gdcm.dcm"),
    _lossless("SC_rgb_jpeg_gdcm.dcm", "SC_rgb_rle.dcm"),
    _lossless("SC_rgb_htj2k_lossless.dcm", "SC_rgb_rle.dcm"),
    Case("SC_rgb_rle_2frame.dcm", _bars_2frame, "SC_rgb_rle.dcm, 255-SC_rgb_rle.dcm"),
    Case("SC_rgb_rle_16bit.dcm", lambda: _bars() * 257, "SC_rgb_rle.dcm x 257"),
    Case("SC_rgb_rle_16bit_2frame.dcm", lambda: _bars_2frame() * 257, "2 frames x 257"),
    Case("SC_rgb_rle_32bit.dcm", lambda: _bars() * 0x01010101, "SC_rgb_rle.dcm x 0x01010101"),
    Case("SC_rgb_rle_32bit_2frame.dcm", lambda: _bars_2frame() * 0x01010101, "2 frames x 0x01010101"),
    # JPEG 2000 (.91) coded reversibly by GDCM: lossy syntax, but the data are exact
    _lossy("SC_rgb_gdcm_KY.dcm", "SC_rgb_rle.dcm", max_abs=0),
    # JPEG-LS near-lossless: |error| <= NEAR (2 in these files)
    _lossy("SC_rgb_jls_lossy_line.dcm", "SC_rgb_rle.dcm", max_abs=2),
    _lossy("SC_rgb_jls_lossy_sample.dcm", "SC_rgb_rle.dcm", max_abs=2),
    # lossy JPEG of the colour bars (DCMTK dcmcjpeg option variants, GDCM); measured PSNR in ()
    _lossy("SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_rle.dcm", min_psnr=50),  # (56.5)
    _lossy("SC_rgb_dcmtk_+eb+cy+n1.dcm", "SC_rgb_rle.dcm", min_psnr=25),  # (28.2)
    _lossy("SC_rgb_dcmtk_+eb+cy+n2.dcm", "SC_rgb_rle.dcm", min_psnr=42),  # (46.6)
    _lossy("SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb_rle.dcm", min_psnr=25),  # (28.2)
    _lossy("SC_rgb_dcmtk_+eb+cy+s2.dcm", "SC_rgb_rle.dcm", min_psnr=42),  # (46.6)
    _lossy("SC_rgb_dcmtk_+eb+cy+s4.dcm", "SC_rgb_rle.dcm", min_psnr=42),  # (46.6)
    _lossy("SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_rle.dcm", min_psnr=42),  # (46.6)
    _lossy("SC_rgb_jpeg_lossy_gdcm.dcm", "SC_rgb_rle.dcm", min_psnr=25),  # (28.3)
    _lossy("SC_rgb_htj2k_lossy.dcm", "SC_rgb_rle.dcm", min_psnr=45),  # (53.1)
    # local fixtures: the DCT coefficients of two files above, re-sent progressively by jpegtran
    _lossy("SC_rgb_jpeg_dcmtk_progressive.dcm", "SC_rgb_rle.dcm", min_psnr=42),
    _lossy("SC_rgb_dcmtk_+eb+cy+s2_spectral.dcm", "SC_rgb_rle.dcm", min_psnr=42),
    _lossy("SC_rgb_small_odd_jpeg.dcm", "SC_rgb_small_odd.dcm", min_psnr=36),  # (41.9)
    _lossy("SC_rgb_jpeg.dcm", "SC_rgb_jpeg_dcmd.dcm", max_abs=2),
    _lossy("SC_jpeg_no_color_transform.dcm", "SC_rgb_jpeg_dcmd.dcm", max_abs=2),
    _lossy("MR_small_htj2k_lossy.dcm", "MR_small.dcm", min_psnr=38),  # (43.5)
    # local fixtures made by DCMTK's dcmcjpeg: lossless process 14 with predictors 7 and 4,
    # 12-bit spectral selection (process 8) and full progression (process 12)
    _lossless("MR_small_dcmtk_jpll_sv7.dcm", "MR_small.dcm"),
    _lossless("SC_rgb_small_odd_dcmtk_jpll_sv4.dcm", "SC_rgb_small_odd.dcm"),
    Case("CT_small_12bit_dcmtk_spectral.dcm", lambda: _ct12(), "CT_small rescaled to 12 bits",
         exact=False, min_psnr=PSNR_CT12),
    Case("CT_small_12bit_dcmtk_progressive.dcm", lambda: _ct12(), "CT_small rescaled to 12 bits",
         exact=False, min_psnr=PSNR_CT12),
]

#: Compressed samples without a reference: the decoders must agree with each other.
CROSS_DECODER_CASES: list[str] = [
    "GDCMJ2K_TextGBR.dcm",
    "examples_jpeg2k.dcm",
    "J2K_pixelrep_mismatch.dcm",
    "693_J2KI.dcm",
    "JPEG2000.dcm",
    "JPGExtended.dcm",
    "JPEGLSNearLossless_08.dcm",
    "JPEGLSNearLossless_16.dcm",
    "SC_jpeg_no_color_transform_2.dcm",
    "SC_rgb_jpeg_app14_dcmd.dcm",
    "examples_ybr_color.dcm",
]

#: Bundled files that no installed decoder (nor pydicom itself) can decode.
UNDECODABLE: dict[str, str] = {
    # a sequential (SOF1) frame whose scan header carries progressive Ss/Se values
    "JPEG-lossy.dcm": "1.2.840.10008.1.2.4.51",
    # the fragment embeds (FFFE,E0DD); pydicom 3.0.2 splits the frame there
    "JPEG2000-embedded-sequence-delimiter.dcm": "1.2.840.10008.1.2.4.91",
}

#: The baseline file each progressive fixture was made from: same DCT coefficients, so the
#: decoded pixels must be identical.
PROGRESSIVE_FIXTURES = {
    "SC_rgb_jpeg_dcmtk_progressive.dcm": "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_dcmtk_+eb+cy+s2_spectral.dcm": "SC_rgb_dcmtk_+eb+cy+s2.dcm",
}


def psnr(decoded: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB over the reference's value range (peak = 255 for 8-bit data)."""
    ref = reference.astype(np.float64)
    mse = float(np.mean((decoded.astype(np.float64) - ref) ** 2))
    if mse == 0:
        return float("inf")
    peak = 255.0 if reference.dtype.itemsize == 1 or ref.max() <= 255 else float(ref.max() - ref.min())
    return 10 * np.log10(peak * peak / mse)


def compressed_samples() -> list[str]:
    """Every bundled and local sample whose pixel data are encapsulated."""
    from pydcmkit.codec import transfer_syntax

    names = []
    for directory in (TEST_FILES, FIXTURES):
        for path in sorted(directory.glob("*.dcm")):
            try:
                ds = pydicom.dcmread(path)
            except Exception:
                continue
            ts = getattr(ds, "file_meta", {}).get("TransferSyntaxUID")
            if ts and transfer_syntax(ts).is_encapsulated and "PixelData" in ds:
                names.append(path.name)
    return names


# ---- generated inputs for the encoders --------------------------------------------------------

def native(name: str) -> pydicom.Dataset:
    """A sample decoded to Explicit VR Little Endian."""
    from pydcmkit.codec import decompress

    return decompress(read(name))


def mono8() -> pydicom.Dataset:
    ds = native("CT_small.dcm")
    arr = ds.pixel_array.astype(np.float64)
    arr = ((arr - arr.min()) * 255 / (arr.max() - arr.min())).astype(np.uint8)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = arr.tobytes()
    ds["PixelData"].VR = "OB"
    return ds


def mono12() -> pydicom.Dataset:
    ds = native("CT_small.dcm")
    arr = ds.pixel_array.astype(np.float64)
    arr = ((arr - arr.min()) * 4095 / (arr.max() - arr.min())).astype(np.uint16)
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
    ds.PixelData = arr.tobytes()
    return ds


def mono12_signed() -> pydicom.Dataset:
    ds = native("CT_small.dcm")
    arr = np.clip(ds.pixel_array.astype(np.int32) - 1000, -2048, 2047).astype(np.int16)
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 1
    ds.PixelData = arr.tobytes()
    return ds


#: Encoder inputs: name -> factory.  mono16s is signed 16-bit CT; rgb8x2 is multi-frame.
ENCODER_INPUTS: dict[str, Callable[[], pydicom.Dataset]] = {
    "mono8": mono8,
    "mono12": mono12,
    "mono12s": mono12_signed,
    "mono16s": lambda: read("CT_small.dcm"),
    "rgb8": lambda: native("SC_rgb_rle.dcm"),
    "rgb8x2": lambda: native("SC_rgb_rle_2frame.dcm"),
    "mono16_bigendian": lambda: read("MR_small_bigendian.dcm"),
}
