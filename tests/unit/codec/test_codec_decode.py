"""Decoding: every compressed sample against its reference, decoder agreement, byte order."""

from __future__ import annotations

import copy

import numpy as np
import pydicom
import pytest

from pydcmkit.codec import (
    CodecError,
    can_decode,
    decodable_syntaxes,
    decoder_backends,
    decompress,
    transfer_syntax,
)
from pydcmkit.codec.pixels import DCMTK_DECODER_ORDER
from pydcmkit.codec.syntaxes import (
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    TRANSFER_SYNTAXES,
    UNCOMPRESSED,
)
from tests.unit.codec.codec_samples import (
    CROSS_DECODER_CASES,
    PROGRESSIVE_FIXTURES,
    REFERENCE_CASES,
    UNDECODABLE,
    compressed_samples,
    pixels,
    psnr,
    read,
)


def _decoded(name: str, backend: str | None = None, target: str = EXPLICIT_VR_LITTLE_ENDIAN):
    ds = read(name)
    decompress(ds, target, backend=backend)
    return ds


def test_every_compressed_sample_is_in_a_table():
    covered = {c.name for c in REFERENCE_CASES} | set(CROSS_DECODER_CASES) | set(UNDECODABLE)
    assert set(compressed_samples()) == covered


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=lambda c: c.name)
def test_decoded_pixels_match_reference(case):
    ds = _decoded(case.name)
    decoded = ds.pixel_array.astype(np.int64)
    reference = case.reference()
    assert decoded.shape == reference.shape, case.reference_name
    assert ds.file_meta.TransferSyntaxUID == EXPLICIT_VR_LITTLE_ENDIAN
    assert not ds["PixelData"].is_undefined_length
    if case.exact:
        assert np.array_equal(decoded, reference), f"differs from {case.reference_name}"
        return
    diff = np.abs(decoded - reference)
    if case.max_abs is not None:
        assert diff.max() <= case.max_abs, f"max |error| {diff.max()} vs {case.reference_name}"
    if case.min_psnr is not None:
        value = psnr(decoded, reference)
        assert value >= case.min_psnr, f"PSNR {value:.1f} dB vs {case.reference_name}"
    assert ds.LossyImageCompression == "01"


@pytest.mark.parametrize("name", [c.name for c in REFERENCE_CASES] + CROSS_DECODER_CASES)
def test_decoders_agree(name):
    ts = read(name).file_meta.TransferSyntaxUID
    results = {}
    for backend in decoder_backends(ts):
        try:
            results[backend] = _decoded(name, backend).pixel_array.astype(np.int64)
        except CodecError:
            continue  # e.g. GDCM and 12-bit lossy JPEG; another backend must then succeed
    assert results, f"no backend decodes {name}"
    arrays = list(results.values())
    tolerance = 3 if transfer_syntax(ts).family == "jpeg" and transfer_syntax(ts).is_lossy else 0
    for other in arrays[1:]:
        assert other.shape == arrays[0].shape
        assert np.abs(other - arrays[0]).max() <= tolerance, list(results)


@pytest.mark.parametrize("name", sorted(PROGRESSIVE_FIXTURES))
def test_progressive_jpeg_decodes_like_its_baseline_source(name):
    from pydicom.encaps import generate_frames

    ds = read(name)
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    assert b"\xff\xc2" in frame  # SOF2: progressive DCT (processes 6-12 of ISO 10918-1)
    for backend in decoder_backends(ds.file_meta.TransferSyntaxUID):
        progressive = _decoded(name, backend).pixel_array
        baseline = _decoded(PROGRESSIVE_FIXTURES[name], backend).pixel_array
        assert np.array_equal(progressive, baseline), backend


@pytest.mark.parametrize("name", sorted(UNDECODABLE))
def test_undecodable_sample_raises_codec_error_and_keeps_data(name):
    ds = read(name)
    before = ds.PixelData
    with pytest.raises(CodecError) as info:
        decompress(ds)
    assert info.value.transfer_syntax == UNDECODABLE[name]
    assert UNDECODABLE[name] in str(info.value)
    assert ds.file_meta.TransferSyntaxUID == UNDECODABLE[name]
    assert ds.PixelData == before


def test_can_decode_matches_what_decodes():
    seen = {}
    for name in [c.name for c in REFERENCE_CASES] + CROSS_DECODER_CASES:
        seen.setdefault(str(read(name).file_meta.TransferSyntaxUID), name)
    for ts, name in seen.items():
        assert can_decode(ts)
        _decoded(name)
    assert set(seen) <= set(decodable_syntaxes())
    # every decodable compressed syntax has a sample that decodes
    compressed = {uid for uid in decodable_syntaxes() if transfer_syntax(uid).is_compressed}
    assert compressed <= set(seen)


@pytest.mark.parametrize("uid", ["1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.107",
                                 "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.94",
                                 "1.2.840.10008.1.2.4.52", "1.2.3.4.5"])
def test_no_decoder_for_video_part2_jpip_arithmetic_private(uid):
    assert not can_decode(uid)
    ds = read("MR_small_RLE.dcm")
    ds.file_meta.TransferSyntaxUID = uid
    with pytest.raises(CodecError, match=uid.replace(".", r"\.")):
        decompress(ds)


def test_decodable_syntaxes_follow_dcmtk_order():
    listed = decodable_syntaxes()
    dcmtk = [
        "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
        "1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.55", "1.2.840.10008.1.2.4.57",
        "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.5",
    ]
    assert listed[: len(dcmtk)] == dcmtk
    assert listed == [uid for uid in DCMTK_DECODER_ORDER if uid in listed]
    assert not set(listed) & set(UNCOMPRESSED)
    assert all(uid in TRANSFER_SYNTAXES for uid in listed)


def test_decompress_keeps_uid_and_normalises_colour():
    ds = read("examples_ybr_color.dcm")  # 30 frames JPEG baseline YBR_FULL_422
    uid = ds.SOPInstanceUID
    decompress(ds)
    assert ds.SOPInstanceUID == uid
    assert ds.PhotometricInterpretation == "RGB"
    assert ds.PlanarConfiguration == 0
    assert ds.NumberOfFrames == 30
    assert len(ds.PixelData) == 30 * 240 * 320 * 3
    assert ds["PixelData"].VR == "OB"


def test_lossless_decoding_keeps_coded_colour_space_and_lossy_flag_absent():
    ds = read("SC_rgb_rle.dcm")
    ds.PhotometricInterpretation = "YBR_FULL"
    decompress(ds)
    assert ds.PhotometricInterpretation == "YBR_FULL"
    assert "LossyImageCompression" not in ds


def test_decoding_a_lossy_syntax_marks_lossy_unless_disabled():
    ds = read("SC_rgb_jpeg_dcmtk.dcm")
    del ds.LossyImageCompression
    decompress(ds)
    assert ds.LossyImageCompression == "01"
    ds = read("SC_rgb_jpeg_dcmtk.dcm")
    del ds.LossyImageCompression
    decompress(ds, mark_lossy=False)
    assert "LossyImageCompression" not in ds


def test_extended_offset_table_is_removed():
    from pydicom.encaps import encapsulate_extended, generate_frames

    ds = read("SC_rgb_rle_2frame.dcm")
    frames = list(generate_frames(ds.PixelData, number_of_frames=2))
    ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(frames)
    ds["PixelData"].is_undefined_length = True
    decompress(ds)
    assert "ExtendedOffsetTable" not in ds and "ExtendedOffsetTableLengths" not in ds
    assert np.array_equal(ds.pixel_array, pixels("SC_rgb_rle_2frame.dcm"))


@pytest.mark.parametrize("target", UNCOMPRESSED, ids=["explicit_le", "explicit_be", "implicit_le"])
@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "rtdose_rle.dcm",
                                  "SC_rgb_jpeg_gdcm.dcm"])
def test_decompress_to_each_uncompressed_syntax(name, target):
    ds = _decoded(name, target=target)
    assert ds.file_meta.TransferSyntaxUID == target
    reference = pixels(name)
    assert np.array_equal(ds.pixel_array, reference)
    # and the file written in that syntax reads back the same
    from io import BytesIO

    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    back = pydicom.dcmread(BytesIO(buffer.getvalue()))
    assert back.file_meta.TransferSyntaxUID == target
    assert np.array_equal(back.pixel_array, reference)


@pytest.mark.parametrize("big, little", [
    ("MR_small_expb.dcm", "MR_small.dcm"),            # 16-bit OW
    ("rtdose_expb.dcm", "rtdose.dcm"),                # 32-bit cells, 15 frames
    ("SC_rgb_small_odd_big_endian.dcm", "SC_rgb_small_odd.dcm"),  # 8-bit written as OW
    ("liver_expb_1frame.dcm", "liver_1frame.dcm"),    # 1-bit OB
])
def test_big_endian_to_little_endian_swaps_pixel_cells(big, little):
    ds = read(big)
    decompress(ds, EXPLICIT_VR_LITTLE_ENDIAN)
    ref = read(little)
    n = len(ref.PixelData) - len(ref.PixelData) % 2
    assert ds.PixelData[:n] == ref.PixelData[:n]
    assert np.array_equal(ds.pixel_array, ref.pixel_array)
    # and back again
    decompress(ds, EXPLICIT_VR_BIG_ENDIAN)
    assert np.array_equal(ds.pixel_array, ref.pixel_array)


def test_big_endian_other_word_values_are_swapped():
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = EXPLICIT_VR_LITTLE_ENDIAN
    ds.add_new(0x60003000, "OW", b"\x01\x02\x03\x04")
    ds.add_new(0x00660040, "OL", b"\x01\x02\x03\x04")
    ds.Rows = 1
    decompress(ds, EXPLICIT_VR_BIG_ENDIAN)
    assert ds[0x60003000].value == b"\x02\x01\x04\x03"
    assert ds[0x00660040].value == b"\x04\x03\x02\x01"
    assert ds.Rows == 1  # decoded values are unaffected


def test_deflated_source_is_decoded_by_reencoding():
    ds = read("image_dfl.dcm")
    expected = ds.pixel_array.copy()
    decompress(ds, IMPLICIT_VR_LITTLE_ENDIAN)
    assert ds.file_meta.TransferSyntaxUID == IMPLICIT_VR_LITTLE_ENDIAN
    assert np.array_equal(ds.pixel_array, expected)


def test_decompress_rejects_compressed_target():
    with pytest.raises(CodecError, match=r"1\.2\.840\.10008\.1\.2\.5"):
        decompress(read("MR_small.dcm"), "1.2.840.10008.1.2.5")


def test_unknown_backend_is_a_codec_error():
    with pytest.raises(CodecError, match="not available"):
        decompress(read("MR_small_RLE.dcm"), backend="nosuchplugin")


def test_decompress_without_transfer_syntax_is_a_codec_error():
    ds = copy.deepcopy(read("MR_small_RLE.dcm"))
    del ds.file_meta.TransferSyntaxUID
    ds.set_original_encoding(None, None)
    with pytest.raises(CodecError, match="Transfer Syntax UID"):
        decompress(ds)
