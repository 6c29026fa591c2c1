"""NKI private compression (ConQuest n1-n5): the spec's ConQuest test vectors, a per-pixel
reference of the encoder policy, real images, corrupt input and the data set helpers."""

from __future__ import annotations

import copy
import struct
from io import BytesIO

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import read_dataset

from pydcmkit.codec import CodecError, convert, decompress, holds_private_pixels
from pydcmkit.codec.conversion import _TARGETS, encode_dataset
from pydcmkit.codec.nki import (
    NKI_TAG,
    NKIError,
    compress_dataset,
    decompress_dataset,
    is_nki_compressed,
    nki_compress,
    nki_crc,
    nki_decompress,
    nki_header,
    nki_mode,
    nki_value,
)
from pydcmkit.codec.syntaxes import EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN
from tests.unit.codec.codec_samples import TEST_FILES

MODES = (1, 2, 3, 4, 5)

# ---------------------------------------------------------------------------------------------
# nki-compression.md §7: produced by ConQuest 1.5.0e
# ---------------------------------------------------------------------------------------------

VECTOR = np.array([100] * 8 + [101, 103, 102, 100, 99, 98, 97, 96, 97, 98, 150, 1000,
                                -20000, -20000, -20000, -19936, -20000] + [5] * 12 + [6, 7, 8],
                  dtype=np.int16)
# The spec lists modes 3 and 4 without the final pad byte although their lengths (40, 52) and
# mode 4's body size word (0x20) count it: the "00" is appended here.
VECTOR_VALUES = {
    1: ("2800000001000000 6400 8007 0102fffeffffffff0101 34 4352 7fb1e0 8002 4040 c0 7f0005"
        " 800b 010101 00", 42),
    2: ("2800000002000000 22000000 3650806e 62aab633 6400 8007 0102fffeffffffff0101 34 4352"
        " 7fb1e0 8002 4040 c0 7f0005 800b 010101 00", 54),
    3: ("2800000003000000 6400 8007 c00a 12feffff11 34 4352 7fb1e0 0000 4040 bfc0 7f0005 800b"
        " 010101 00", 40),
    4: ("2800000004000000 20000000 3650806e 00000000 6400 8007 c00a 12feffff11 34 4352 7fb1e0"
        " 0000 4040 bfc0 7f0005 800b 010101 00", 52),
    5: ("2800000005000000 1b000000 00000000 00000000 0064 e6 81827f7e7f7f7f7f8181 b4 03e8 11e0"
        " e1 c0 40 0005 ea 818181 00", 48),
}


def vector_value(mode: int) -> bytes:
    text, length = VECTOR_VALUES[mode]
    value = bytes.fromhex(text.replace(" ", ""))
    assert len(value) == length
    return value


def low13(pixels) -> np.ndarray:
    return (np.asarray(pixels).astype(np.int32).ravel() & 0x1FFF).astype(np.int16)


def expected_pixels(pixels, mode: int) -> np.ndarray:
    flat = np.asarray(pixels).astype(np.int16).ravel()
    return flat if mode != 5 else low13(flat)


def test_crc_is_conquests_variant():
    assert nki_crc(VECTOR.astype("<i2").tobytes()) == 0x6E805036
    assert nki_crc(b"hello") == 4029829531


@pytest.mark.parametrize("mode", MODES)
def test_vector_compresses_byte_identical(mode):
    assert nki_compress(VECTOR, mode) == vector_value(mode)


@pytest.mark.parametrize("mode", MODES)
def test_vector_decompresses(mode):
    pixels = nki_decompress(vector_value(mode))
    assert pixels.dtype == np.int16
    assert np.array_equal(pixels, expected_pixels(VECTOR, mode))


@pytest.mark.parametrize("mode", MODES)
def test_vector_header(mode):
    header = nki_header(vector_value(mode))
    assert (header.npixels, header.mode) == (40, mode)
    assert header.size == (8 if mode in (1, 3) else 20)
    if mode in (2, 4):
        assert header.pixel_crc == 0x6E805036
    if mode == 5:
        assert header.body_size == 27    # exact, not padded


def test_input_forms_agree():
    raw = VECTOR.astype("<i2").tobytes()
    for mode in MODES:
        expected = vector_value(mode)
        assert nki_compress(raw, mode) == expected
        assert nki_compress(bytearray(raw) + b"\x07", mode) == expected   # odd byte ignored
        assert nki_compress(VECTOR.view(np.uint16), mode) == expected
        assert nki_compress(VECTOR.astype(">i2"), mode) == expected
        assert nki_compress(VECTOR.reshape(5, 8), mode) == expected


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        nki_compress(VECTOR, 6)
    with pytest.raises(ValueError, match="at least one pixel"):
        nki_compress(b"", 1)
    with pytest.raises(ValueError, match="16-bit"):
        nki_compress(np.zeros(4, dtype=np.float32), 1)


# ---------------------------------------------------------------------------------------------
# A per-pixel reference of the encoder policy (nki-compression.md §4.1, §5), against the
# vectorised encoder on inputs that reach every rule: run caps, the last-pixel rule, 4-bit runs
# packed at 254, short runs, odd leading candidates, open runs at the end, 13-bit masking.
# ---------------------------------------------------------------------------------------------

def reference_compress(px: list[int], mode: int) -> bytes:
    n = len(px)
    out = bytearray()
    if mode == 5:
        out += bytes(((px[0] & 0x1FFF) >> 8, px[0] & 0xFF))
    else:
        out += struct.pack("<h", px[0])
    n4 = 0

    def pack(count):
        count &= ~1
        tail = out[-count:]
        del out[-count:]
        out.extend((0xC0, count))
        for j in range(0, count, 2):
            high = tail[j] - 256 if tail[j] >= 128 else tail[j]
            out.append(((high << 4) | (tail[j + 1] & 15)) & 0xFF)

    def close():
        nonlocal n4
        if n4 >= 6:
            pack(n4)
        n4 = 0

    def candidate(byte):
        nonlocal n4
        out.append(byte)
        n4 += 1
        if n4 >= 254:
            pack(n4)
            n4 = 0

    k = 1
    while k < n:
        rem = n - k
        d = (px[k] & 0x1FFF) - (px[k - 1] & 0x1FFF) if mode == 5 else px[k] - px[k - 1]
        if d == 0:
            cap = 33 if mode == 5 else 256
            i = 2
            while i < rem and px[k + i - 1] == px[k - 1] and i < cap:
                i += 1
            r = i - 1
            if mode == 5:
                out.append(0xE0 + r - 1)
            elif mode in (1, 2):
                out += b"\x00" if r == 1 else bytes((0x80, r))
            elif r <= 4:
                for _ in range(r):
                    candidate(0)
            else:
                close()
                out += bytes((0x80, r))
            k += r
            continue
        if mode == 5:
            v = px[k] & 0x1FFF
            out += bytes((d + 128,)) if -96 <= d <= 95 else bytes((v >> 8, v & 0xFF))
        elif -64 <= d <= 63 and mode in (1, 2) or -63 <= d <= 63:
            if mode in (3, 4) and -8 <= d <= 7:
                candidate(d & 0xFF)
            else:
                close()
                out.append(d & 0xFF)
        else:
            close()
            if -0x3F00 <= d <= 0x3EFF:
                out += bytes((((d >> 8) ^ 0x40) & 0xFF, d & 0xFF))
            else:
                out += bytes((0x7F, (px[k] >> 8) & 0xFF, px[k] & 0xFF))
        k += 1
    body = bytes(out)
    if mode in (1, 3):
        value = struct.pack("<II", n, mode) + body
    elif mode == 5:
        value = struct.pack("<IIIII", n, mode, len(body), 0, 0) + body
    else:
        body += b"\x00" * (len(body) % 2)
        pixel_crc = nki_crc(struct.pack(f"<{n}h", *px))
        value = struct.pack("<IIIII", n, mode, len(body), pixel_crc,
                            nki_crc(body) if mode == 2 else 0) + body
    return value + b"\x00" * (len(value) % 2)


def test_reference_matches_vectors():
    for mode in MODES:
        assert reference_compress(VECTOR.tolist(), mode) == vector_value(mode)


def policy_inputs():
    rng = np.random.default_rng(20240607)
    yield "one pixel", np.array([-5])
    yield "two equal", np.array([7, 7])
    yield "three equal", np.array([7, 7, 7])
    for length in (2, 5, 6, 254, 255, 256, 257, 510, 511, 512, 600):
        yield f"flat {length} then step", np.r_[np.full(length, 3), 9, 9, 9]
        yield f"flat {length} to the end", np.r_[1, np.full(length, 3)]
    for length in (5, 6, 7, 253, 254, 255, 256, 508, 509, 600):
        steps = rng.integers(-8, 8, length)
        yield f"{length} small steps, closed", np.cumsum(np.r_[0, steps, 40, 0, 0, 0, 0, 0, 1])
        yield f"{length} small steps, open", np.cumsum(np.r_[0, steps])
    yield "extremes", np.array([-32768, 32767, -32768, 0, 0x3EFF, -0x3F00, 0x3F00, -0x3F01, 0])
    yield "edge differences", np.cumsum([0, 63, 64, -63, -64, -65, 7, -8, 8, -9, 95, 96, -96,
                                         -97, 0x3EFF, -0x3F00, 0x3F00, -0x3F01])
    yield "13-bit aliases", rng.choice([0, 8192, -8192, 16384, 1, 8193], 3000)
    yield "alias runs", np.repeat(rng.choice([5, 5 + 8192, 5 - 8192], 400),
                                  rng.integers(1, 40, 400))
    for kind in range(40):
        n = int(rng.integers(2, 4000))
        choice = kind % 5
        if choice == 0:
            px = rng.integers(-32768, 32768, n)
        elif choice == 1:
            px = np.cumsum(rng.integers(-9, 10, n))
        elif choice == 2:
            px = np.repeat(rng.integers(-2, 3, n), rng.integers(1, 300, n))[:n]
        elif choice == 3:
            px = np.cumsum(rng.choice([0, 0, 0, 1, -1, 8, -9, 64, -64, 0x3EFF, -0x3F00, 20000], n))
        else:
            px = np.cumsum(np.where(rng.random(n) < 0.7, 0, rng.integers(-7, 8, n)))
        yield f"random {kind}", px


POLICY_INPUTS = list(policy_inputs())


@pytest.mark.parametrize("mode", MODES)
def test_encoder_follows_conquest_policy(mode):
    for name, px in POLICY_INPUTS:
        pixels = np.asarray(px, dtype=np.int64).astype(np.int16)   # wraps like C shorts
        value = nki_compress(pixels, mode)
        assert value == reference_compress(pixels.tolist(), mode), name
        assert np.array_equal(nki_decompress(value), expected_pixels(pixels, mode)), name


def test_decoder_wraps_at_16_bits():
    # Differences that cross -32768/32767 wrap as in ConQuest's short arithmetic.
    body = struct.pack("<h", 32767) + bytes((0x01, 0x7F, 0x80, 0x00))
    value = struct.pack("<II", 3, 1) + body
    assert nki_decompress(value).tolist() == [32767, -32768, -32768]


# ---------------------------------------------------------------------------------------------
# Real images
# ---------------------------------------------------------------------------------------------

REAL_IMAGES = ["CT_small.dcm", "MR_small.dcm", "MR_small_bigendian.dcm", "rtdose.dcm",
               "SC_rgb_small_odd.dcm"]


def native_le_pixels(name: str) -> bytes:
    ds = pydicom.dcmread(TEST_FILES / name)
    array = ds.pixel_array
    return array.astype(array.dtype.newbyteorder("<")).tobytes()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", REAL_IMAGES)
def test_real_image_round_trip(name, mode):
    raw = native_le_pixels(name)
    value = nki_compress(raw, mode)
    assert len(value) % 2 == 0
    pixels = nki_decompress(value)
    source = np.frombuffer(raw, dtype="<i2", count=len(raw) // 2)
    assert np.array_equal(pixels, expected_pixels(source, mode))
    if mode != 5:
        assert pixels.tobytes() == raw[: len(raw) // 2 * 2]


def test_ct_compresses_about_as_conquest_says():
    raw = native_le_pixels("CT_small.dcm")
    ratios = {mode: len(nki_compress(raw, mode)) / len(raw) for mode in MODES}
    assert all(ratio < 0.75 for ratio in ratios.values()), ratios
    assert ratios[3] <= ratios[1]


def test_large_image_round_trip():
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:512, :512]
    disc = (yy - 256) ** 2 + (xx - 256) ** 2 < 200 ** 2
    image = np.where(disc, 1040 + rng.normal(0, 15, disc.shape), 24).round().astype(np.int16)
    for mode in MODES:
        assert np.array_equal(nki_decompress(nki_compress(image, mode)),
                              expected_pixels(image, mode))


# ---------------------------------------------------------------------------------------------
# Corrupt input
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, reason", [
    (b"", "too short for the 8-byte header"),
    (b"\x28\x00\x00\x00\x02\x00", "too short for the 8-byte header"),
    (struct.pack("<II", 40, 6) + b"\x00" * 10, "unknown compression mode 6"),
    (struct.pack("<II", 40, 0) + b"\x00" * 10, "unknown compression mode 0"),
    (struct.pack("<II", 0, 1) + b"\x00" * 10, "0 pixels"),
    (struct.pack("<II", 40, 2) + b"\x00" * 10, "too short for the 20-byte header of mode 2"),
    (struct.pack("<II", 40, 1) + b"\x64", "first pixel needs 2"),
    (struct.pack("<II", 10**9, 1) + b"\x00" * 10, "cannot hold 1000000000 pixels"),
])
def test_bad_header(value, reason):
    with pytest.raises(NKIError, match=reason) as info:
        nki_decompress(value)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("NKI data corrupt: ")


@pytest.mark.parametrize("mode", MODES)
def test_truncated(mode):
    value = vector_value(mode)
    for cut in (len(value) - 6, len(value) - 12, nki_header(value).size + 4):
        with pytest.raises(NKIError, match="truncated"):
            nki_decompress(value[:cut])


@pytest.mark.parametrize("mode", [2, 4])
def test_flipped_pixel_crc(mode):
    value = bytearray(vector_value(mode))
    value[12] ^= 0x01
    with pytest.raises(NKIError, match="pixel CRC 0x6e805036 does not match the header's "
                                       "0x6e805037"):
        nki_decompress(bytes(value))


def test_flipped_body_byte_mode_2_says_damaged():
    value = bytearray(vector_value(2))
    value[20 + 6] ^= 0x01        # a one-byte difference inside the body
    with pytest.raises(NKIError, match="body CRC does not match either"):
        nki_decompress(bytes(value))


def test_flipped_pixel_crc_mode_2_blames_the_coder():
    value = bytearray(vector_value(2))
    value[12] ^= 0x01
    with pytest.raises(NKIError, match="body CRC matches"):
        nki_decompress(bytes(value))


def test_flipped_body_byte_mode_4():
    value = bytearray(vector_value(4))
    value[20 + 6] ^= 0x01
    with pytest.raises(NKIError, match="pixel CRC"):
        nki_decompress(bytes(value))


@pytest.mark.parametrize("npixels, body, reason", [
    (4, b"\x64\x00\x80\x05", "run of 5 pixels at pixel 1 overflows the 4 pixels"),
    (4, b"\x64\x00\x80\x00\x01\x01\x01", "run of 0 pixels"),
    (2, b"\x64\x00\x7f\x00", "truncated: the code at body byte 2 runs past the end"),
    (3, b"\x64\x00\x01\x42", "truncated: the code at body byte 3 runs past the end"),
    (4, b"\x64\x00\x7f\x00", "truncated: the body ends after 2 of 4 pixels"),
])
def test_corrupt_codes(npixels, body, reason):
    with pytest.raises(NKIError, match=reason):
        nki_decompress(struct.pack("<II", npixels, 1) + body)


def test_corrupt_4bit_runs():
    with pytest.raises(NKIError, match="odd count"):
        nki_decompress(struct.pack("<II", 4, 3) + b"\x64\x00\xc0\x03\x11\x11")
    with pytest.raises(NKIError, match="overflows"):
        nki_decompress(struct.pack("<II", 4, 3) + b"\x64\x00\xc0\x04\x11\x11")
    with pytest.raises(NKIError, match="runs past the end"):
        nki_decompress(struct.pack("<II", 5, 3) + b"\x64\x00\xc0\x04\x11")


def test_corrupt_mode_5():
    header = struct.pack("<IIIII", 4, 5, 4, 0, 0)
    with pytest.raises(NKIError, match="overflows"):
        nki_decompress(header + b"\x00\x64\xe5\x00")
    with pytest.raises(NKIError, match="runs past the end"):
        nki_decompress(struct.pack("<IIIII", 3, 5, 4, 0, 0) + b"\x00\x64\x81\x01")


def test_trailing_bytes_are_ignored():
    value = vector_value(1) + b"\xff\x7f\x80"
    assert np.array_equal(nki_decompress(value), VECTOR)


# ---------------------------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------------------------

def read(name: str) -> Dataset:
    return pydicom.dcmread(TEST_FILES / name)


def reread_implicit(ds: Dataset) -> Dataset:
    """Write `ds` as Implicit VR LE (a ConQuest .v2 body) and read it back, elements raw."""
    back = read_dataset(BytesIO(encode_dataset(ds, IMPLICIT_VR_LITTLE_ENDIAN)), True, True)
    back.file_meta = FileMetaDataset()
    back.file_meta.TransferSyntaxUID = IMPLICIT_VR_LITTLE_ENDIAN
    return back


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_bigendian.dcm",
                                  "MR_small_jp2klossless.dcm", "rtdose.dcm"])
def test_dataset_round_trip(name, mode):
    ds = read(name)
    reference = ds.pixel_array.copy()
    compress_dataset(ds, mode)
    assert "PixelData" not in ds
    assert ds.file_meta.TransferSyntaxUID == IMPLICIT_VR_LITTLE_ENDIAN
    assert ds[NKI_TAG].VR == "OW"
    assert nki_header(ds[NKI_TAG].value).mode == mode
    assert is_nki_compressed(ds) and nki_mode(ds) == mode
    assert (ds.Rows, ds.Columns, ds.BitsAllocated) == (reference.shape[-2], reference.shape[-1],
                                                       read(name).BitsAllocated)

    back = reread_implicit(ds)
    assert nki_mode(back) == mode
    decompress_dataset(back)
    assert NKI_TAG not in back and not is_nki_compressed(back)
    if mode == 5:
        assert np.array_equal(back.pixel_array.ravel().astype(np.int32) & 0x1FFF,
                              reference.ravel().astype(np.int32) & 0x1FFF)
    else:
        assert np.array_equal(back.pixel_array, reference)


def test_dataset_same_mode_is_left_alone_other_mode_recompressed():
    ds = read("CT_small.dcm")
    compress_dataset(ds, 4)
    value = ds[NKI_TAG].value
    compress_dataset(ds, 4)
    assert ds[NKI_TAG].value is value
    compress_dataset(ds, 1)
    assert nki_mode(ds) == 1
    assert ds[NKI_TAG].value == nki_compress(nki_decompress(value), 1)


def test_dataset_in_memory_without_transfer_syntax():
    ds = Dataset()
    ds.Rows, ds.Columns, ds.BitsAllocated = 5, 8, 16
    ds.PixelData = VECTOR.astype("<i2").tobytes()
    compress_dataset(ds, 3)
    assert nki_value(ds) == vector_value(3)
    decompress_dataset(ds)
    assert ds.PixelData == VECTOR.astype("<i2").tobytes()
    assert ds["PixelData"].VR == "OW"


def test_eight_bit_pixel_data_keep_ob():
    ds = read("SC_rgb_small_odd.dcm")
    raw = ds.PixelData
    compress_dataset(ds, 2)
    assert ds[NKI_TAG].VR == "OB"
    decompress_dataset(ds)
    assert ds["PixelData"].VR == "OB"
    assert ds.PixelData[: len(raw) // 2 * 2] == raw[: len(raw) // 2 * 2]


def nki_dataset(value: bytes, *, pixel_data: bool = False) -> Dataset:
    ds = Dataset()
    ds.add_new(NKI_TAG, "OW", value)
    if pixel_data:
        ds.PixelData = b"\x00\x00"
    return ds


@pytest.mark.parametrize("value, pixel_data", [
    (b"ACUSON" + vector_value(1)[6:], False),
    (b"ELSCIN" + vector_value(1)[6:], False),
    (vector_value(1)[:8], False),
    (struct.pack("<II", 40, 6) + b"\x00" * 8, False),
    (vector_value(1), True),
])
def test_foreign_or_shadowed_nki_tag_is_not_ours(value, pixel_data):
    ds = nki_dataset(value, pixel_data=pixel_data)
    assert not is_nki_compressed(ds) and nki_mode(ds) is None
    before = copy.deepcopy(ds)
    decompress_dataset(ds)
    assert ds == before
    compress_dataset(ds, 4)       # ConQuest: (7FDF,0010) taken, nothing is compressed
    assert ds[NKI_TAG].value == value


def test_corrupt_dataset_value_raises_and_keeps_the_data_set():
    ds = nki_dataset(vector_value(2)[:-12])
    assert is_nki_compressed(ds)
    with pytest.raises(NKIError, match="truncated"):
        decompress_dataset(ds)
    assert NKI_TAG in ds and "PixelData" not in ds


def test_value_decoded_as_text_is_refused():
    ds = nki_dataset(vector_value(1))
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = IMPLICIT_VR_LITTLE_ENDIAN
    ds = reread_implicit(ds)
    _ = ds[NKI_TAG]               # pydicom converts a Private Creator slot to LO text
    with pytest.raises(NKIError, match="read it raw"):
        nki_value(ds)
    assert not is_nki_compressed(ds)


def test_no_pixel_data_is_left_alone():
    ds = Dataset()
    ds.PatientID = "X"
    compress_dataset(ds, 2)
    assert NKI_TAG not in ds and ds.file_meta.TransferSyntaxUID == IMPLICIT_VR_LITTLE_ENDIAN


@pytest.mark.parametrize("target", ["n1", "n2", "n3", "n4", "n5"])
def test_registered_conversion_targets(target):
    assert target in _TARGETS
    ds = read("MR_small_jp2klossless.dcm")
    reference = read("MR_small.dcm").pixel_array
    convert(ds, target)
    assert nki_mode(ds) == int(target[1])
    assert ds.file_meta.TransferSyntaxUID == IMPLICIT_VR_LITTLE_ENDIAN
    convert(ds, EXPLICIT_VR_LITTLE_ENDIAN, pixel_transform=decompress_dataset)
    assert ds.file_meta.TransferSyntaxUID == EXPLICIT_VR_LITTLE_ENDIAN
    expected = reference if target != "n5" else reference.astype(np.int32) & 0x1FFF
    assert np.array_equal(ds.pixel_array, expected)


# --------------------------------------------------------------------------------------------
# conversion decodes NKI objects (the registered private decoder)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
                                    "1.2.840.10008.1.2.2"])
def test_decompress_decodes_nki(target):
    ds = read("CT_small.dcm")
    reference = ds.pixel_array.copy()
    back = reread_implicit(compress_dataset(ds, 4))
    assert holds_private_pixels(back)
    decompress(back, target)
    assert NKI_TAG not in back and not holds_private_pixels(back)
    assert back.file_meta.TransferSyntaxUID == target
    assert np.array_equal(back.pixel_array, reference)


def test_convert_decodes_nki_even_to_its_own_syntax():
    ds = reread_implicit(compress_dataset(read("MR_small.dcm"), 2))
    convert(ds, IMPLICIT_VR_LITTLE_ENDIAN)
    assert NKI_TAG not in ds
    assert np.array_equal(ds.pixel_array, read("MR_small.dcm").pixel_array)


def test_convert_nki_to_jpeg_2000():
    ds = compress_dataset(read("MR_small.dcm"), 1)
    convert(ds, "1.2.840.10008.1.2.4.90")
    decompress(ds)
    assert np.array_equal(ds.pixel_array, read("MR_small.dcm").pixel_array)


def test_corrupt_nki_is_a_codec_error_and_keeps_the_data_set():
    ds = nki_dataset(vector_value(2)[:-12])
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = IMPLICIT_VR_LITTLE_ENDIAN
    with pytest.raises(CodecError, match="NKI pixel data: NKI data corrupt: truncated"):
        decompress(ds)
    assert NKI_TAG in ds and "PixelData" not in ds
