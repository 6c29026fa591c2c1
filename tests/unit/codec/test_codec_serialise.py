"""encode_dataset: the bytes sent in P-DATA for each transfer syntax (PS3.5 §A.1-A.5)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset

from pydcmkit.codec import CodecError, convert, encode_dataset, transfer_syntax
from pydcmkit.codec.syntaxes import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    JPEG_2000_LOSSLESS,
    JPEG_LS_LOSSLESS,
    RLE_LOSSLESS,
)
from tests.unit.codec.codec_samples import read


def _read_back(data: bytes, ts: str):
    syntax = transfer_syntax(ts)
    if syntax.is_deflated:
        data = zlib.decompress(data, -zlib.MAX_WBITS)
    ds = read_dataset(DicomBytesIO(data), syntax.is_implicit, syntax.is_little_endian)
    ds.file_meta = read("MR_small.dcm").file_meta
    ds.file_meta.TransferSyntaxUID = ts
    return ds


TARGETS = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN,
           DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, RLE_LOSSLESS, JPEG_LS_LOSSLESS, JPEG_2000_LOSSLESS]


@pytest.mark.parametrize("ts", TARGETS, ids=lambda u: transfer_syntax(u).keyword)
@pytest.mark.parametrize("name", ["MR_small.dcm", "SC_rgb_rle_2frame.dcm", "MR_small_expb.dcm"])
def test_encoded_bytes_read_back_identical(name, ts):
    ds = read(name)
    reference = ds.pixel_array.copy()
    convert(ds, ts)
    data = encode_dataset(ds, ts)
    assert len(data) % 2 == 0
    back = _read_back(data, ts)
    assert back.PatientName == ds.PatientName
    assert back.SOPInstanceUID == ds.SOPInstanceUID
    assert back.Rows == ds.Rows and back.Columns == ds.Columns
    assert sorted(back.keys()) == sorted(ds.keys())
    assert np.array_equal(back.pixel_array, reference)


def test_little_endian_native_syntaxes_are_interchangeable():
    ds = read("MR_small_implicit.dcm")
    explicit = encode_dataset(ds, EXPLICIT_VR_LITTLE_ENDIAN)
    implicit = encode_dataset(ds, IMPLICIT_VR_LITTLE_ENDIAN)
    assert explicit != implicit
    assert np.array_equal(_read_back(explicit, EXPLICIT_VR_LITTLE_ENDIAN).pixel_array,
                          _read_back(implicit, IMPLICIT_VR_LITTLE_ENDIAN).pixel_array)


def test_deflate_is_raw_deflate_of_explicit_le_at_the_given_level():
    ds = read("MR_small.dcm")
    explicit = encode_dataset(ds, EXPLICIT_VR_LITTLE_ENDIAN)
    fast = encode_dataset(ds, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, deflate_level=1)
    best = encode_dataset(ds, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, deflate_level=9)
    for data in (fast, best):
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # no zlib header (RFC 1951)
        assert inflater.decompress(data) == explicit
        assert inflater.unused_data in (b"", b"\x00")  # even-length padding only
    assert len(best) <= len(fast)


def test_deflated_file_reencodes():
    ds = read("image_dfl.dcm")
    data = encode_dataset(ds, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)
    assert np.array_equal(_read_back(data, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN).pixel_array,
                          ds.pixel_array)


def test_group_0002_is_not_encoded():
    ds = read("MR_small.dcm")
    ds.add_new(0x00020010, "UI", EXPLICIT_VR_LITTLE_ENDIAN)
    data = encode_dataset(ds, EXPLICIT_VR_LITTLE_ENDIAN)
    assert 0x00020010 not in _read_back(data, EXPLICIT_VR_LITTLE_ENDIAN)
    assert 0x00020010 in ds  # the caller's data set is untouched


@pytest.mark.parametrize("name, ts", [("MR_small.dcm", EXPLICIT_VR_BIG_ENDIAN),
                                      ("MR_small.dcm", RLE_LOSSLESS),
                                      ("MR_small_RLE.dcm", EXPLICIT_VR_LITTLE_ENDIAN)])
def test_data_set_must_be_converted_first(name, ts):
    with pytest.raises(CodecError, match="convert it first"):
        encode_dataset(read(name), ts)
