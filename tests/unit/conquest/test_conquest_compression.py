"""ConQuest compression codes (dgate.md §8-§9) on pydicom's bundled images."""

from __future__ import annotations

import copy
import logging
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import generate_uid

from pydcmkit.codec import decompress
from pydcmkit.codec.nki import NKI_TAG, compress_dataset, nki_mode, nki_value
from pydcmkit.codec.pixels import can_encode
from pydcmkit.conquest.compression import (
    DEFAULT_LOSSY_QUALITY,
    JPEG_FAMILY,
    VIRTUAL,
    CompressionCode,
    CompressionCodeError,
    CompressionError,
    UnsupportedCompressionError,
    apply,
    code_for_accepted,
    downsize,
    downsize_factor,
    parse_code,
    proposed_syntaxes,
    split_called_ae,
)

TEST_FILES = Path(os.path.dirname(pydicom.__file__)) / "data" / "test_files"

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG = "1.2.840.10008.1.2.2"
RLE = "1.2.840.10008.1.2.5"
J = "1.2.840.10008.1.2.4."


def read(name: str) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(TEST_FILES / name)


def decoded(ds: Dataset) -> np.ndarray:
    """The pixels of any result (JPEG, RLE, NKI ...) after decoding a copy."""
    work = copy.deepcopy(ds)
    decompress(work)
    return work.pixel_array


def reference(name: str) -> np.ndarray:
    return decoded(read(name))


def ts(ds: Dataset) -> str:
    return str(ds.file_meta.TransferSyntaxUID)


def psnr(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(peak ** 2 / mse)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


# --------------------------------------------------------------------------------------------
# parse_code
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, mode, quality, scale, clip, fallback", [
    ("", "", None, None, None, True),
    ("as", "as", None, None, None, True),
    ("is", "is", None, None, None, True),
    ("un", "un", None, None, None, True),
    ("ui", "ui", None, None, None, True),
    ("ul", "ul", None, None, None, True),
    ("ub", "ub", None, None, None, True),
    ("ue", "ue", None, None, None, True),
    ("uj", "uj", None, None, None, True),
    ("n1", "n1", None, None, None, True),
    ("n5", "n5", None, None, None, True),
    ("nj", "nj", None, None, None, True),
    ("n#3,150", "n#", None, 3, 150, True),
    ("j1", "j1", None, None, None, True),
    ("j2!", "j2", None, None, None, False),
    ("j3", "j3", None, None, None, True),
    ("j380", "j3", 80, None, None, True),
    ("j380!", "j3", 80, None, None, False),
    ("j4100", "j4", 100, None, None, True),
    ("j790", "j7", 90, None, None, True),
    ("jl10", "jl", 10, None, None, True),
    ("js", "js", None, None, None, True),
    ("jk", "jk", None, None, None, True),
    ("ja", "ja", None, None, None, True),
    ("j#12,100", "j#", None, 12, 100, True),
    ("k4", "k4", None, None, None, True),
    ("kc", "kc", None, None, None, True),
    ("s7", "s7", None, None, None, True),
    ("v", "v", None, None, None, True),
    ("vj2", "v", None, None, None, True),
])
def test_parse_valid_codes(text, mode, quality, scale, clip, fallback):
    code = parse_code(text)
    assert (code.mode, code.quality, code.scale, code.clip, code.implicit_fallback) == \
        (mode, quality, scale, clip, fallback)
    assert str(code) == text


def test_parse_is_case_insensitive_and_ignores_blanks():
    assert parse_code("  J380 ") == parse_code("j380")
    assert parse_code("KA") == parse_code("ka")
    assert parse_code("N#3,150").scale == 3


@pytest.mark.parametrize("text, reason", [
    ("j9", "unknown code"),
    ("x", "unknown code"),
    ("n6", "unknown code"),
    ("n0", "unknown code"),
    ("k3", "unknown code"),
    ("asx", "unknown code"),
    ("j3!80", "unknown code"),
    ("j30", "quality after j3 must be 1-100"),
    ("j3101", "quality after j3 must be 1-100"),
    ("jlxx", "quality after jl must be 1-100"),
    ("j180", "j1 takes no quality"),
    ("n480", "n4 takes no quality"),
    ("n#3", "n# needs a scale and a clip level"),
    ("j#,5", "j# needs a scale and a clip level"),
    ("j#0,5", "scale S of j#S,C must be at least 1"),
])
def test_parse_invalid_codes_name_the_code(text, reason):
    with pytest.raises(CompressionCodeError, match=reason) as info:
        parse_code(text)
    assert f"invalid compression code {text!r}" in str(info.value)
    assert info.value.code == text


def test_code_properties():
    assert parse_code("").is_as_is and parse_code("AS").is_as_is and parse_code("is").is_as_is
    assert parse_code("v").is_virtual and parse_code("s0").is_script
    assert parse_code("nj").is_nki and parse_code("ja").is_jpeg
    assert parse_code("k8").downsize_limit == 128 and parse_code("un").downsize_limit is None
    assert parse_code("j380").transfer_syntax == J + "50"
    assert parse_code("ub").transfer_syntax == BIG
    assert parse_code("n4").transfer_syntax is None


# --------------------------------------------------------------------------------------------
# split_called_ae (dgate.md §9)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ae, base, code, port", [
    ("CONQUESTSRV1", "CONQUESTSRV1", None, 0),
    ("CONQUESTSRV1    ", "CONQUESTSRV1", None, 0),
    ("CONQUESTSRV1~j380", "CONQUESTSRV1", "j380", 0),
    ("CONQUESTSRV1~k4", "CONQUESTSRV1", "k4", 0),
    ("CONQUESTSRV1~n4  ", "CONQUESTSRV1", "n4", 0),
    ("SRV~J2!", "SRV", "j2!", 0),
    ("SRV~n#3,150", "SRV", "n#3,150", 0),
    ("SRV~", "SRV", "", 0),
    ("CONQUESTSRV1~p2", "CONQUESTSRV1", None, 2),
    ("SRV~P9", "SRV", None, 9),
    ("SRV~pA", "SRV", None, 10),
])
def test_split_called_ae(ae, base, code, port):
    got_base, got_code, got_port = split_called_ae(ae)
    assert got_base == base and got_port == port
    assert (got_code.text if got_code is not None else None) == code


def test_split_called_ae_bad_suffix_names_code_and_ae():
    with pytest.raises(CompressionCodeError, match=r"'zz'.*called AE 'SRV~zz'"):
        split_called_ae("SRV~zz")


# --------------------------------------------------------------------------------------------
# proposed_syntaxes / code_for_accepted (dgate.md §9)
# --------------------------------------------------------------------------------------------

PROPOSALS = {
    "un": [IMPLICIT], "as": [IMPLICIT], "is": [IMPLICIT], "": [IMPLICIT],
    "n1": [IMPLICIT], "n2": [IMPLICIT], "n3": [IMPLICIT], "n4": [IMPLICIT], "n5": [IMPLICIT],
    "nj": [IMPLICIT], "uj": [IMPLICIT], "ui": [IMPLICIT],
    "k1": [IMPLICIT], "k2": [IMPLICIT], "k4": [IMPLICIT], "k8": [IMPLICIT],
    "ka": [IMPLICIT], "kb": [IMPLICIT], "kc": [IMPLICIT],
    "ul": [EXPLICIT, IMPLICIT],
    "ub": [BIG, IMPLICIT],
    "ue": [EXPLICIT, BIG, IMPLICIT],
    "j1": [J + "57", J + "70", IMPLICIT],
    "j2": [J + "57", J + "70", IMPLICIT],
    "ja": [J + "57", J + "70", IMPLICIT],
    "j#3,150": [J + "57", J + "70", IMPLICIT],
    "j3": [J + "51", J + "50", IMPLICIT],
    "j380": [J + "51", J + "50", IMPLICIT],
    "j4": [J + "51", J + "50", IMPLICIT],
    "j5": [J + "53", J + "51", J + "50", IMPLICIT],
    "j6": [J + "55", J + "51", J + "50", IMPLICIT],
    "jk": [J + "90", IMPLICIT],
    "jl": [J + "91", J + "90", IMPLICIT],
    "jl10": [J + "91", J + "90", IMPLICIT],
    "js": [J + "80", IMPLICIT],
    "j7": [J + "81", J + "80", IMPLICIT],
}


@pytest.mark.parametrize("code", sorted(PROPOSALS))
def test_proposed_syntaxes(code):
    assert proposed_syntaxes(code) == PROPOSALS[code]
    assert proposed_syntaxes(parse_code(code)) == PROPOSALS[code]


@pytest.mark.parametrize("code", sorted(set(PROPOSALS) - {""}))
def test_bang_drops_the_implicit_fallback(code):
    assert proposed_syntaxes(code + "!") == PROPOSALS[code][:-1]


@pytest.mark.parametrize("accepted, expected", [
    (J + "70", "j1"), (J + "57", "j2"), (J + "50", "j3"), (J + "51", "j4"), (J + "53", "j5"),
    (J + "55", "j6"), (J + "80", "js"), (J + "81", "j7"), (J + "90", "jk"), (J + "91", "jl"),
    (EXPLICIT, "ul"), (BIG, "ub"), (IMPLICIT, "ui"), (RLE, "un"), ("1.2.3.4", "un"),
])
def test_accepted_syntax_maps_back_for_jpeg_requests(accepted, expected):
    request = "jk!" if accepted != J + "90" else "jl"
    assert code_for_accepted(request, accepted).text == expected
    assert code_for_accepted(parse_code(request), accepted).text == expected


def test_accepted_keeps_the_request_and_its_quality():
    assert code_for_accepted("j#3,150", J + "57").text == "j#3,150"
    assert code_for_accepted("j380", J + "50").text == "j380"
    assert code_for_accepted("j380", J + "51").text == "j480"
    assert code_for_accepted("j580", J + "55").text == "j680"
    assert code_for_accepted("j780", J + "80").text == "js"
    assert code_for_accepted("jl10", J + "90").text == "jk"


@pytest.mark.parametrize("code", ["n4", "n1", "k4", "un", "ul", "ub!", "uj", "nj", "as", ""])
def test_non_jpeg_requests_apply_as_requested(code):
    for accepted in (IMPLICIT, EXPLICIT, J + "70"):
        assert code_for_accepted(code, accepted) == parse_code(code)


# --------------------------------------------------------------------------------------------
# apply: trivial codes
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["", "as", "is", "AS"])
def test_as_is(code):
    ds = read("MR_small_RLE.dcm")
    assert apply(ds, code) is ds


@pytest.mark.parametrize("code", ["v", "V", "vj2"])
def test_virtual_returns_the_marker(code):
    ds = read("CT_small.dcm")
    assert apply(ds, code) is VIRTUAL
    assert repr(VIRTUAL) == "VIRTUAL"


@pytest.mark.parametrize("code", ["s0", "s9"])
def test_scripts_are_not_supported(code):
    with pytest.raises(UnsupportedCompressionError,
                       match=rf"'{code}'.*CompressionConverter{code[1]}.*not supported"):
        apply(read("CT_small.dcm"), code)


def test_bad_arguments():
    with pytest.raises(CompressionCodeError):
        apply(read("CT_small.dcm"), "zz")
    with pytest.raises(ValueError, match="LossyQuality"):
        apply(read("CT_small.dcm"), "j3", lossy_quality=0)


# --------------------------------------------------------------------------------------------
# apply: lossless codes round-trip exactly
# --------------------------------------------------------------------------------------------

SOURCES = {
    # name: reference file
    "CT_small.dcm": "CT_small.dcm",
    "MR_small.dcm": "MR_small.dcm",
    "MR_small_bigendian.dcm": "MR_small.dcm",
    "MR_small_implicit.dcm": "MR_small.dcm",
    "MR_small_RLE.dcm": "MR_small.dcm",
    "MR_small_jp2klossless.dcm": "MR_small.dcm",
    "MR_small_jpeg_ls_lossless.dcm": "MR_small.dcm",
    "SC_rgb_rle.dcm": "SC_rgb_rle.dcm",
    "SC_rgb_jpeg_gdcm.dcm": "SC_rgb_rle.dcm",
}

#: The syntax of the result for a native source (None: the source's own syntax).
LOSSLESS = {
    "un": None, "ue": None, "uj": None, "ui": IMPLICIT, "ul": EXPLICIT, "ub": BIG,
    "n1": IMPLICIT, "n2": IMPLICIT, "n3": IMPLICIT, "n4": IMPLICIT,
    "j1": J + "70", "ja": J + "70", "j2": J + "57", "js": J + "80", "jk": J + "90",
    "j7": J + "81",             # LossyQuality 95: NEAR = 0, lossless though labelled .81
    "jl100": J + "90",          # quality 100: reversible
    "j7100": J + "80",
}


def expected_syntax(code: str, source_ts: str) -> str:
    wanted = LOSSLESS[code]
    if wanted is not None:
        return wanted
    if code == "uj" and source_ts in JPEG_FAMILY:
        return source_ts
    return source_ts if source_ts in (IMPLICIT, EXPLICIT, BIG) else EXPLICIT


@pytest.mark.parametrize("code", sorted(LOSSLESS))
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_lossless_codes_round_trip(name, code):
    ds = read(name)
    before = copy.deepcopy(ds)
    source_ts = ts(ds)
    out = apply(ds, code)
    assert ds == before and ts(ds) == source_ts            # the input is never changed
    expected = expected_syntax(code, source_ts)
    if JPEG_FAMILY.get(source_ts) == parse_code(code).mode or (
            code in ("ja", "uj") and source_ts in JPEG_FAMILY):
        expected = source_ts                               # already in the requested form
    assert ts(out) == expected
    if code.startswith("n"):
        assert nki_mode(out) == int(code[1]) and "PixelData" not in out
    assert np.array_equal(decoded(out), reference(SOURCES[name]))
    assert out.get("LossyImageCompression") is None


def native_words(ds: Dataset) -> np.ndarray:
    """The decoded Pixel Data as the signed 16-bit words NKI codes, whatever Bits Allocated."""
    work = copy.deepcopy(ds)
    decompress(work)
    data = work.PixelData
    return np.frombuffer(data, "<i2", count=len(data) // 2).astype(np.int64)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_RLE.dcm", "SC_rgb_rle.dcm"])
def test_n5_keeps_13_bits(name):
    out = apply(read(name), "n5")
    assert nki_mode(out) == 5 and ts(out) == IMPLICIT
    assert "LossyImageCompression" not in out                # ConQuest does not mark n5
    assert np.array_equal(native_words(out), native_words(read(SOURCES[name])) & 0x1FFF)


def test_nj_is_lossy_nki_unless_jpeg():
    out = apply(read("MR_small_RLE.dcm"), "nj")
    assert nki_mode(out) == 5
    ds = read("MR_small_jp2klossless.dcm")
    out = apply(ds, "nj")
    assert ts(out) == J + "90" and out.PixelData is ds.PixelData


# --------------------------------------------------------------------------------------------
# apply: lossy codes within a tolerance, (0028,2110)
# --------------------------------------------------------------------------------------------

def mono12() -> Dataset:
    """A 12-bit unsigned MR (300 x 484, values 0-1123)."""
    return read("examples_overlay.dcm")


@pytest.mark.parametrize("code, syntax, min_psnr", [
    ("j3", J + "51", 50.0),        # 12 bits stored: dgate picks extended for j3 too
    ("j4", J + "51", 50.0),
    ("j450", J + "51", 40.0),
    ("jl", J + "91", 50.0),
    ("jl10", J + "91", 35.0),
])
def test_lossy_codes_on_12_bit_data(code, syntax, min_psnr):
    ds = mono12()
    out = apply(ds, code)
    assert ts(out) == syntax
    assert out.LossyImageCompression == "01"
    assert len(out.LossyImageCompressionMethod) >= 1
    assert psnr(decoded(out), ds.pixel_array, 4095) >= min_psnr


def test_quality_digits_and_lossy_quality():
    sizes = {}
    for label, code, quality in [("q95", "j4", DEFAULT_LOSSY_QUALITY), ("q50", "j4", 50),
                                 ("digits", "j450", DEFAULT_LOSSY_QUALITY)]:
        out = apply(mono12(), code, lossy_quality=quality)
        sizes[label] = len(out.PixelData)
    assert sizes["q50"] == sizes["digits"] < sizes["q95"]


def test_jl_rate_is_100_over_the_quality():
    native = 300 * 484 * 12 / 8        # OpenJPEG's rate counts the bits stored
    out = apply(mono12(), "jl10")
    assert native / len(out.PixelData) == pytest.approx(10, rel=0.25)
    out = apply(mono12(), "jl", lossy_quality=20)
    assert native / len(out.PixelData) == pytest.approx(5, rel=0.25)


@pytest.mark.parametrize("code", ["j3", "j4", "j380"])
def test_lossy_codes_on_8_bit_colour(code):
    ds = read("SC_rgb_rle.dcm")
    out = apply(ds, code)
    assert ts(out) == J + "50"     # 8 bits stored: dgate picks baseline for j4 too
    assert out.PhotometricInterpretation == "YBR_FULL_422"
    assert out.LossyImageCompression == "01"
    # colour bars: sharp chroma edges under 4:2:2 subsampling measure 28 dB
    assert psnr(decoded(out), reference("SC_rgb_rle.dcm"), 255) >= 25


def test_baseline_on_8_bits_stored_in_16():
    ds = mono12()
    ds.PixelData = (ds.pixel_array >> 4).astype("<u2").tobytes()
    ds.BitsStored, ds.HighBit = 8, 7
    out = apply(ds, "j3")
    assert ts(out) == J + "50" and out.BitsAllocated == 8
    assert psnr(decoded(out), ds.pixel_array, 255) >= 35


@pytest.mark.parametrize("code, syntax", [("j5", J + "53"), ("j6", J + "55")])
@pytest.mark.parametrize("name, sequential", [("SC_rgb_rle.dcm", J + "50"),
                                              ("examples_overlay.dcm", J + "51")])
def test_progressive_codes(code, syntax, name, sequential, caplog):
    ds = read(name)
    with caplog.at_level(logging.WARNING, logger="pydcmkit.conquest.compression"):
        out = apply(ds, code)
    if can_encode(syntax):
        assert ts(out) == syntax
    else:                          # no encoder installed: the sequential process, logged
        assert ts(out) == sequential
        assert f"no encoder for {syntax}" in caplog.text
    assert out.LossyImageCompression == "01"


def test_j7_near_lossless_from_the_quality():
    ds = read("MR_small.dcm")
    out = apply(ds, "j780")        # NEAR = 10 - (80 + 9) // 10 = 2
    assert ts(out) == J + "81" and out.LossyImageCompression == "01"
    diff = np.abs(decoded(out).astype(np.int64) - ds.pixel_array.astype(np.int64))
    assert 0 < diff.max() <= 2


@pytest.mark.parametrize("code", ["j3", "j4", "j5", "j6", "j380"])
def test_lossy_request_on_more_than_12_bits_is_j1(code, caplog):
    ds = read("CT_small.dcm")      # 16 bits stored
    with caplog.at_level(logging.WARNING, logger="pydcmkit.conquest.compression"):
        out = apply(ds, code)
    assert ts(out) == J + "70"
    assert np.array_equal(decoded(out), ds.pixel_array)
    assert "LossyImageCompression" not in out
    assert "coded j1" in caplog.text


def test_lossless_code_on_lossy_source_keeps_the_mark():
    ds = read("JPEG2000.dcm")      # .91
    out = apply(ds, "j1")
    assert ts(out) == J + "70" and out.LossyImageCompression == "01"
    assert np.array_equal(decoded(out), reference("JPEG2000.dcm"))


# --------------------------------------------------------------------------------------------
# apply: clip and scale (n#S,C, j#S,C)
# --------------------------------------------------------------------------------------------

def clipped_scaled(pixels: np.ndarray, scale: int, clip: int) -> np.ndarray:
    values = pixels.astype(np.int64)
    values[values < clip] = 0
    return (np.sign(values) * (np.abs(values) // scale)).astype(pixels.dtype)


@pytest.mark.parametrize("code, syntax, nki", [("n#3,150", IMPLICIT, 5), ("j#3,150", J + "57", None)])
def test_clip_and_scale(code, syntax, nki):
    ds = read("CT_small.dcm")      # values 128-2191, slope 1, intercept -1024
    out = apply(ds, code)
    assert ts(out) == syntax and nki_mode(out) == nki
    assert out.LossyImageCompression == "01"
    assert float(out.RescaleSlope) == 3.0 and float(out.RescaleIntercept) == -1024
    assert np.array_equal(decoded(out), clipped_scaled(ds.pixel_array, 3, 150))


def test_scale_multiplies_an_existing_slope_and_adds_an_intercept():
    ds = read("MR_small.dcm")
    ds.RescaleSlope = "0.5"
    out = apply(ds, "j#4,0")
    assert float(out.RescaleSlope) == 2.0 and float(out.RescaleIntercept) == 0


# --------------------------------------------------------------------------------------------
# apply: already in the requested form (dgate.md §8.2)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, code", [
    ("SC_rgb_jpeg_gdcm.dcm", "j1"),          # .70
    ("SC_rgb_jpeg_dcmtk.dcm", "j3"),         # .50
    ("SC_rgb_jpeg_dcmtk.dcm", "j395"),       # whatever the quality
    ("JPGExtended.dcm", "j4"),               # .51
    ("MR_small_jpeg_ls_lossless.dcm", "js"),  # .80
    ("JPEGLSNearLossless_16.dcm", "j7"),     # .81
    ("MR_small_jp2klossless.dcm", "jk"),     # .90
    ("JPEG2000.dcm", "jl"),                  # .91
    ("JPEG2000.dcm", "jl10"),
    ("JPEG2000.dcm", "ja"),
    ("JPGExtended.dcm", "ja"),
    ("MR_small_jpeg_ls_lossless.dcm", "uj"),
    ("SC_rgb_jpeg_gdcm.dcm", "uj"),
    ("MR_small_implicit.dcm", "ui"),
    ("MR_small.dcm", "ul"),
    ("MR_small_bigendian.dcm", "ub"),
    ("MR_small.dcm", "un"),
    ("CT_small.dcm", "k4"),                  # 128 x 128: within the limit
    ("rtplan.dcm", "j2"),                    # no pixel data
    ("rtplan.dcm", "un"),
])
def test_already_in_requested_form_is_left_alone(name, code):
    ds = read(name)
    assert apply(ds, code) is ds


@pytest.mark.parametrize("name, code, syntax", [
    ("JPGExtended.dcm", "j3", J + "51"),     # .51 is not j3's form: recoded (12 bits: .51)
    ("SC_rgb_jpeg_gdcm.dcm", "j2", J + "57"),
    ("MR_small_RLE.dcm", "ja", J + "70"),    # RLE is not JPEG: ja codes j1
    ("MR_small_RLE.dcm", "uj", EXPLICIT),
    ("MR_small_jp2klossless.dcm", "js", J + "80"),
    ("MR_small_implicit.dcm", "ul", EXPLICIT),
])
def test_other_forms_are_decoded_then_coded(name, code, syntax):
    ds = read(name)
    out = apply(ds, code)
    assert out is not ds and ts(out) == syntax


def test_nki_of_the_same_mode_is_left_alone_but_loses_group_2():
    ds = compress_dataset(read("CT_small.dcm"), 4)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    value = nki_value(ds)
    out = apply(ds, "n4")
    assert nki_value(out) is value or nki_value(out) == value
    assert list(out.file_meta.keys()) == [0x0002_0010]
    assert "MediaStorageSOPInstanceUID" in ds.file_meta     # the input keeps its meta
    out = apply(ds, "n2")
    assert nki_mode(out) == 2
    assert np.array_equal(decoded(out), read("CT_small.dcm").pixel_array)


@pytest.mark.parametrize("code", ["n1", "n5", "nj", "n#2,0"])
def test_n_modes_strip_group_2(code):
    ds = read("MR_small.dcm")
    ds.add_new(0x0002_0016, "AE", "SOURCE")      # a stray meta element in the data set
    out = apply(ds, code)
    assert [tag for tag in out.keys() if tag.group == 2] == []
    assert list(out.file_meta.keys()) == [0x0002_0010]
    assert ts(out) == IMPLICIT
    assert len(read("MR_small.dcm").file_meta) > 1


def test_nj_keeps_jpeg_but_strips_group_2():
    ds = read("JPGExtended.dcm")
    out = apply(ds, "nj")
    assert ts(out) == J + "51" and list(out.file_meta.keys()) == [0x0002_0010]


def test_ui_decodes_nki():
    ds = compress_dataset(read("MR_small.dcm"), 3)
    out = apply(ds, "ui")
    assert NKI_TAG not in out and ts(out) == IMPLICIT
    assert np.array_equal(out.pixel_array, read("MR_small.dcm").pixel_array)


# --------------------------------------------------------------------------------------------
# apply: un normalises palette, planes and YBR_FULL
# --------------------------------------------------------------------------------------------

def test_un_decodes_palette_colour():
    from pydicom.pixels.processing import apply_color_lut

    ds = read("examples_palette.dcm")                # 16-bit table entries, low byte 0
    rgb = apply_color_lut(ds.pixel_array, ds)
    assert rgb.dtype == np.uint16 and not (rgb & 0xFF).any()
    out = apply(ds, "un")
    assert out.PhotometricInterpretation == "RGB" and out.SamplesPerPixel == 3
    assert out.PlanarConfiguration == 0 and "RedPaletteColorLookupTableData" not in out
    assert (out.BitsAllocated, out.BitsStored, out.HighBit) == (8, 8, 7)
    assert ts(out) == EXPLICIT
    assert np.array_equal(out.pixel_array, rgb >> 8)


def test_planar_configuration_is_normalised():
    ds = read("SC_rgb_small_odd.dcm")
    rgb = ds.pixel_array.copy()
    planar = np.ascontiguousarray(rgb.transpose(2, 0, 1)).tobytes()
    ds.PixelData = planar + b"\x00" * (len(planar) % 2)
    ds.PlanarConfiguration = 1
    assert apply(ds, "ul") is not ds                 # not left alone: planes
    out = apply(ds, "un")
    assert out.PlanarConfiguration == 0
    assert np.array_equal(out.pixel_array, rgb)


def test_native_ybr_full_becomes_rgb():
    from pydicom.pixels.processing import convert_color_space

    ds = read("SC_rgb_rle.dcm")
    decompress(ds)
    rgb = ds.pixel_array.copy()
    ds.PixelData = convert_color_space(rgb, "RGB", "YBR_FULL").tobytes()
    ds.PhotometricInterpretation = "YBR_FULL"
    out = apply(ds, "un")
    assert out.PhotometricInterpretation == "RGB"
    assert np.abs(out.pixel_array.astype(int) - rgb.astype(int)).max() <= 2


# --------------------------------------------------------------------------------------------
# apply: downsizing (dgate.md §8.2)
# --------------------------------------------------------------------------------------------

def image(rows: int, columns: int, *, spacing=("0.5", "0.7"), frames: int = 1,
          ts_uid: str = EXPLICIT) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ts_uid
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "CT"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if frames > 1:
        ds.NumberOfFrames = frames
    if spacing:
        ds.PixelSpacing = list(spacing)
    values = (np.arange(frames * rows * columns) * 7919 % 4096).astype("<u2")
    ds.PixelData = values.tobytes()
    ds["PixelData"].VR = "OW"
    return ds


def test_k4_on_320_gives_160_with_doubled_spacing():
    ds = image(320, 320)
    original = ds.pixel_array.copy()
    out = apply(ds, "k4")
    assert (out.Rows, out.Columns) == (160, 160)
    assert [float(v) for v in out.PixelSpacing] == [1.0, 1.4]
    assert np.array_equal(out.pixel_array, original[::2, ::2])
    assert ts(out) == EXPLICIT and (ds.Rows, ds.Columns) == (320, 320)


@pytest.mark.parametrize("rows, columns, limit, factor, new", [
    (320, 320, 256, 2, (160, 160)),
    (513, 100, 256, 3, (171, 33)),
    (1024, 256, 256, 4, (256, 64)),
    (257, 257, 256, 2, (128, 128)),
    (256, 256, 256, 1, (256, 256)),
    (2000, 3, 16, 125, (16, 1)),
])
def test_downsize_arithmetic(rows, columns, limit, factor, new):
    assert downsize_factor(rows, columns, limit) == factor
    ds = image(rows, columns)
    original = ds.pixel_array.reshape(rows, columns).copy()
    assert downsize(ds, limit) == factor
    assert (ds.Rows, ds.Columns) == new
    if factor > 1:
        expected = original[: new[0] * factor: factor, : new[1] * factor: factor]
        assert np.array_equal(ds.pixel_array.reshape(new), expected)


@pytest.mark.parametrize("ds", [image(320, 320, spacing=None), image(320, 320, frames=2),
                                image(200, 256)], ids=["no spacing", "multi-frame", "small"])
def test_k_leaves_alone(ds):
    assert apply(ds, "k4") is ds


def test_k_on_compressed_big_endian_and_nki():
    out = apply(read("JPEG2000.dcm"), "k4")          # 1024 x 256 .91
    assert (out.Rows, out.Columns) == (256, 64) and ts(out) == EXPLICIT
    assert np.array_equal(out.pixel_array, reference("JPEG2000.dcm")[::4, ::4])
    big = image(320, 320, ts_uid=BIG)
    big.PixelData = np.frombuffer(big.PixelData, "<u2").astype(">u2").tobytes()
    out = apply(big, "k4")
    assert ts(out) == BIG and (out.Rows, out.Columns) == (160, 160)
    assert np.array_equal(out.pixel_array, big.pixel_array[::2, ::2])
    nki = compress_dataset(image(320, 320), 2)
    out = apply(nki, "k4")
    assert ts(out) == IMPLICIT and NKI_TAG not in out and out.Rows == 160


def test_k_on_colour_and_one_bit_data():
    ds = read("SC_rgb_rle.dcm")                      # 100 x 100 RGB, Pixel Spacing
    out = apply(ds, "kb")                             # 32: f = 4
    assert (out.Rows, out.Columns) == (25, 25)
    assert np.array_equal(out.pixel_array, reference("SC_rgb_rle.dcm")[::4, ::4])
    bits = image(40, 40)
    bits.BitsAllocated = bits.BitsStored = 1
    bits.HighBit = 0
    plane = (np.arange(1600).reshape(40, 40) % 3 == 0).astype(np.uint8)
    bits.PixelData = np.packbits(plane.ravel(), bitorder="little").tobytes()
    out = apply(bits, "kc")                           # 16: f = 3, 13 x 13
    assert (out.Rows, out.Columns) == (13, 13)
    got = np.unpackbits(np.frombuffer(out.PixelData, np.uint8), bitorder="little")[:169]
    assert np.array_equal(got.reshape(13, 13), plane[:39:3, :39:3])


# --------------------------------------------------------------------------------------------
# apply: what dgate refuses, and errors
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("modality", ["RTIMAGE", "PR", "SR"])
def test_no_jpeg_for_pr_sr_rt_objects(modality, caplog):
    ds = read("MR_small_RLE.dcm")
    ds.Modality = modality
    with caplog.at_level(logging.WARNING, logger="pydcmkit.conquest.compression"):
        out = apply(ds, "j2")
    assert ts(out) == EXPLICIT                        # decoded, not JPEG coded
    assert np.array_equal(out.pixel_array, read("MR_small.dcm").pixel_array)
    assert f"no JPEG for modality {modality}" in caplog.text


def test_no_jpeg_below_8_bits_allocated():
    ds = image(40, 40)
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    ds.PixelData = bytes(200)
    assert apply(ds, "j1") is ds


def test_encoder_refusal_is_a_compression_error_and_keeps_the_input():
    ds = read("CT_small.dcm")
    ds.BitsStored, ds.HighBit = 12, 11                # signed 12-bit: no lossy JPEG (PS3.5)
    before = copy.deepcopy(ds)
    with pytest.raises(CompressionError, match=r"cannot apply compression 'j4':.*PS3.5") as info:
        apply(ds, "j4")
    assert info.value.__cause__ is not None
    assert ds == before


def test_corrupt_nki_is_a_compression_error():
    ds = compress_dataset(read("MR_small.dcm"), 2)
    value = nki_value(ds)
    ds[NKI_TAG].value = value[:20] + bytes(len(value) - 20)
    for code in ("un", "j1", "n4"):
        with pytest.raises(CompressionError, match="NKI data corrupt"):
            apply(ds, code)


def test_applying_a_parsed_code_or_text_is_the_same():
    ds = read("MR_small.dcm")
    a, b = apply(ds, parse_code("n3")), apply(ds, "N3")
    assert nki_value(a) == nki_value(b)
    assert isinstance(parse_code("n3"), CompressionCode)
    assert struct.unpack_from("<I", nki_value(a), 4)[0] == 3


def test_accepted_code_applied_end_to_end():
    ds = mono12()
    code = code_for_accepted("j5", J + "51")          # peer took extended only
    assert code.text == "j4"
    assert ts(apply(ds, code)) == J + "51"
    code = code_for_accepted("j2", IMPLICIT)           # peer took no JPEG
    out = apply(read("MR_small_RLE.dcm"), code)
    assert ts(out) == IMPLICIT and "PixelData" in out
