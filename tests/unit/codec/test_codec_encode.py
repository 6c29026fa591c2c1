"""Encoding: round trips through every encodable syntax, lossy attributes, conversions."""

from __future__ import annotations

import copy
from io import BytesIO

import numpy as np
import pydicom
import pytest

from pydcmkit.codec import (
    CodecError,
    EncodeParams,
    can_encode,
    compress,
    convert,
    decoder_backends,
    decompress,
    encodable_syntaxes,
    encoder_backends,
    register_target,
    transfer_syntax,
)
from pydcmkit.codec.syntaxes import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
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
from tests.unit.codec.codec_samples import ENCODER_INPUTS, mono12, psnr, read

ENCAPSULATED_TARGETS = [uid for uid in encodable_syntaxes() if transfer_syntax(uid).is_encapsulated]

#: (input, syntax) pairs PS3.5 §8.2 forbids: 16-bit in baseline, >12 bits or signed in
#: extended, and RGB in extended (only monochrome is allowed there).
NOT_ALLOWED = {
    ("mono12", JPEG_BASELINE), ("mono12s", JPEG_BASELINE), ("mono16s", JPEG_BASELINE),
    ("mono16_bigendian", JPEG_BASELINE), ("mono12s", JPEG_EXTENDED),
    ("mono16s", JPEG_EXTENDED), ("mono16_bigendian", JPEG_EXTENDED),
    ("rgb8", JPEG_EXTENDED), ("rgb8x2", JPEG_EXTENDED),
}

#: Lossy bounds per syntax at the default parameters: JPEG quality 90 (PSNR over the value
#: range), JPEG-LS NEAR 2 (|error| <= 2), JPEG 2000 ratio 10 (PSNR).
MIN_PSNR = {JPEG_BASELINE: 28.0, JPEG_EXTENDED: 40.0, JPEG_2000: 30.0}


def _roundtrip(ds):
    """Write as a file, read back, decode with every backend."""
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    back = pydicom.dcmread(BytesIO(buffer.getvalue()))
    decoded = {}
    for backend in decoder_backends(back.file_meta.TransferSyntaxUID):
        item = copy.deepcopy(back)
        try:
            decompress(item, backend=backend)
        except CodecError:
            continue  # GDCM cannot decode 12-bit lossy JPEG; pylibjpeg must
        decoded[backend] = item.pixel_array
    assert decoded, "no backend decodes the result"
    return back, decoded


@pytest.mark.parametrize("ts", ENCAPSULATED_TARGETS, ids=lambda u: transfer_syntax(u).keyword)
@pytest.mark.parametrize("source", sorted(ENCODER_INPUTS))
def test_encode_decode_roundtrip(source, ts):
    ds = ENCODER_INPUTS[source]()
    reference = ds.pixel_array.astype(np.int64)
    uid = ds.SOPInstanceUID
    if (source, ts) in NOT_ALLOWED:
        with pytest.raises(CodecError, match="PS3.5"):
            compress(ds, ts)
        return
    compress(ds, ts)
    assert ds.file_meta.TransferSyntaxUID == ts
    assert ds.SOPInstanceUID == uid
    assert ds["PixelData"].is_undefined_length and ds["PixelData"].VR == "OB"
    back, decoded = _roundtrip(ds)
    for backend, array in decoded.items():
        array = array.astype(np.int64)
        assert array.shape == reference.shape, backend
        if ts == JPEG_LS_NEAR_LOSSLESS:
            assert np.abs(array - reference).max() <= 2, backend
        elif ts in MIN_PSNR:
            assert psnr(array, reference) >= MIN_PSNR[ts], backend
        else:
            assert np.array_equal(array, reference), backend
    lossy = ts in (JPEG_BASELINE, JPEG_EXTENDED, JPEG_2000, JPEG_LS_NEAR_LOSSLESS)
    assert (back.get("LossyImageCompression") == "01") == lossy
    if lossy:
        assert back.LossyImageCompressionMethod == transfer_syntax(ts).lossy_method
        assert float(back.LossyImageCompressionRatio) > 1


def test_rgb_colour_labels_follow_ps3_5():
    cases = {JPEG_BASELINE: "YBR_FULL_422", JPEG_2000_LOSSLESS: "YBR_RCT", JPEG_2000: "YBR_ICT",
             JPEG_LOSSLESS_SV1: "RGB", JPEG_LS_LOSSLESS: "RGB", RLE_LOSSLESS: "RGB"}
    for ts, pi in cases.items():
        ds = ENCODER_INPUTS["rgb8"]()
        compress(ds, ts)
        assert ds.PhotometricInterpretation == pi, ts
        assert ds.PlanarConfiguration == 0


def test_native_ybr_full_422_is_expanded_for_lossless_coding():
    ds = read("SC_ybr_full_422_uncompressed.dcm")
    expected = ds.pixel_array.copy()  # pydicom's RGB view
    compress(ds, RLE_LOSSLESS)
    assert ds.PhotometricInterpretation == "YBR_FULL"
    decompress(ds)
    assert np.array_equal(ds.pixel_array, expected)


def test_extended_12_bit_uses_precision_12():
    from pydicom.encaps import generate_frames

    ds = mono12()
    ds.BitsStored, ds.HighBit = 10, 9
    ds.PixelData = (np.frombuffer(ds.PixelData, "<u2") >> 2).astype("<u2").tobytes()
    compress(ds, JPEG_EXTENDED)
    assert ds.BitsStored == 12 and ds.HighBit == 11
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    sof = frame.index(b"\xff\xc1")
    assert frame[sof + 4] == 12  # SOF1 sample precision P


def test_quality_near_and_ratio_parameters_take_effect():
    def size(ts, **params):
        ds = ENCODER_INPUTS["mono8"]()
        compress(ds, ts, **params)
        return len(ds.PixelData)

    assert size(JPEG_BASELINE, quality=30) < size(JPEG_BASELINE, quality=95)
    assert size(JPEG_LS_NEAR_LOSSLESS, near_lossless=6) < size(JPEG_LS_NEAR_LOSSLESS, near_lossless=1)
    assert size(JPEG_2000, ratio=40) < size(JPEG_2000, ratio=5)
    ds = ENCODER_INPUTS["mono8"]()
    reference = ds.pixel_array.astype(np.int64)
    compress(ds, JPEG_LS_NEAR_LOSSLESS, near_lossless=5)
    decompress(ds)
    assert np.abs(ds.pixel_array - reference).max() <= 5


def test_near_lossless_zero_is_not_marked_lossy():
    ds = ENCODER_INPUTS["mono8"]()
    compress(ds, JPEG_LS_NEAR_LOSSLESS, near_lossless=0)
    assert "LossyImageCompression" not in ds


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError, match="quality"):
        compress(ENCODER_INPUTS["mono8"](), JPEG_BASELINE, quality=0)
    with pytest.raises(ValueError, match="ratio"):
        compress(ENCODER_INPUTS["mono8"](), JPEG_2000, ratio=0.5)


def test_lossy_attributes_accumulate():
    ds = ENCODER_INPUTS["mono8"]()
    compress(ds, JPEG_BASELINE)
    convert(ds, JPEG_2000, ratio=5)
    assert ds.LossyImageCompression == "01"
    assert list(ds.LossyImageCompressionMethod) == ["ISO_10918_1", "ISO_15444_1"]
    assert len(ds.LossyImageCompressionRatio) == 2


def test_generate_instance_uid():
    ds = ENCODER_INPUTS["mono8"]()
    uid = ds.SOPInstanceUID
    compress(ds, JPEG_BASELINE, generate_instance_uid=True)
    assert ds.SOPInstanceUID != uid
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID


def test_compress_needs_native_input():
    ds = read("MR_small_RLE.dcm")
    with pytest.raises(CodecError, match="convert"):
        compress(ds, JPEG_LS_LOSSLESS)


@pytest.mark.parametrize("target", ["1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.100",
                                    "1.2.840.10008.1.2.4.201", "1.2.3.4"])
def test_unencodable_targets(target):
    assert not can_encode(target)
    ds = read("MR_small.dcm")
    before = ds.PixelData
    with pytest.raises(CodecError, match=target.replace(".", r"\.")):
        convert(ds, target)
    assert ds.PixelData == before  # nothing was changed


def test_rle_32_bit_is_outside_the_rle_profile():
    with pytest.raises(CodecError):
        compress(read("rtdose.dcm"), RLE_LOSSLESS)


def test_encoder_backend_selection():
    assert encoder_backends(JPEG_BASELINE) == ("gdcm",)
    assert "pydicom" in encoder_backends(RLE_LOSSLESS)
    with pytest.raises(CodecError, match="no available encoder named"):
        compress(ENCODER_INPUTS["mono8"](), RLE_LOSSLESS, backend="gdcm")


# ---- convert -----------------------------------------------------------------------------

def test_convert_compressed_to_other_compressed():
    ds = read("MR_small_jpeg_ls_lossless.dcm")
    convert(ds, JPEG_2000_LOSSLESS)
    assert ds.file_meta.TransferSyntaxUID == JPEG_2000_LOSSLESS
    decompress(ds)
    assert np.array_equal(ds.pixel_array, read("MR_small.dcm").pixel_array)


def test_convert_same_syntax_leaves_object_alone():
    ds = read("SC_rgb_jpeg_dcmtk.dcm")
    before = ds.PixelData
    assert convert(ds, JPEG_BASELINE) is ds
    assert ds.PixelData == before


@pytest.mark.parametrize("target", [EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN,
                                    IMPLICIT_VR_LITTLE_ENDIAN, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN])
def test_convert_to_native_and_deflated(target):
    ds = read("rtdose_rle.dcm")
    convert(ds, target)
    assert ds.file_meta.TransferSyntaxUID == target
    assert np.array_equal(ds.pixel_array, read("rtdose.dcm").pixel_array)


def test_pixel_transform_runs_between_decoding_and_encoding():
    def invert(ds):
        arr = ds.pixel_array
        ds.PixelData = (arr.max() - arr).astype(arr.dtype).tobytes()

    ds = read("MR_small_RLE.dcm")
    convert(ds, RLE_LOSSLESS, pixel_transform=invert)
    decompress(ds)
    ref = read("MR_small.dcm").pixel_array
    assert np.array_equal(ds.pixel_array, ref.max() - ref)


def test_registered_target_receives_native_explicit_le():
    seen = {}

    def fake_nki(ds, params: EncodeParams):
        seen["ts"] = ds.file_meta.TransferSyntaxUID
        seen["mode"] = params.options.get("mode")
        ds.file_meta.TransferSyntaxUID = IMPLICIT_VR_LITTLE_ENDIAN
        return ds

    register_target("test-nki", fake_nki)
    ds = read("MR_small_jp2klossless.dcm")
    convert(ds, "test-nki", mode=4)
    assert seen == {"ts": EXPLICIT_VR_LITTLE_ENDIAN, "mode": 4}
    assert ds.file_meta.TransferSyntaxUID == IMPLICIT_VR_LITTLE_ENDIAN


def test_palette_colour_lossless_only():
    ds = read("examples_palette.dcm")
    indices = ds.pixel_array.copy()
    compress(ds, RLE_LOSSLESS)
    decompress(ds)
    assert ds.PhotometricInterpretation == "PALETTE COLOR"
    assert np.array_equal(ds.pixel_array, indices)
    with pytest.raises(CodecError, match="PALETTE COLOR"):
        compress(read("examples_palette.dcm"), JPEG_BASELINE)
