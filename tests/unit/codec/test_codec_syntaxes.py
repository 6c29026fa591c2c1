"""The transfer syntax registry (PS3.6 Table A-1, PS3.5 §10) and lossless classification."""

from __future__ import annotations

import pydicom.uid
import pytest

from pydcmkit.codec import is_lossless_conversion, lookup, transfer_syntax
from pydcmkit.codec.syntaxes import TRANSFER_SYNTAXES, UNCOMPRESSED, is_uncompressed

PYDICOM_SYNTAXES = sorted(
    {str(v) for v in vars(pydicom.uid).values() if isinstance(v, pydicom.uid.UID) and v.is_transfer_syntax}
)


def test_uncompressed_in_dcmtk_proposal_order():
    assert UNCOMPRESSED == ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2")
    assert all(is_uncompressed(uid) for uid in UNCOMPRESSED)


@pytest.mark.parametrize("uid", PYDICOM_SYNTAXES)
def test_every_pydicom_syntax_is_known_with_the_same_encoding(uid):
    ts = lookup(uid)
    assert ts is not None
    expected = pydicom.uid.UID(uid)
    assert ts.is_implicit == expected.is_implicit_VR
    assert ts.is_little_endian == expected.is_little_endian
    if not ts.pixel_data_referenced:
        assert ts.is_encapsulated == expected.is_encapsulated


def test_registry_covers_all_jpeg_processes_and_newer_syntaxes():
    for n in range(50, 67):
        assert lookup(f"1.2.840.10008.1.2.4.{n}").family == "jpeg"
    for uid in ("1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.94", "1.2.840.10008.1.2.4.95",
                "1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.205",
                "1.2.840.10008.1.2.1.98", "1.2.840.10008.1.2.8.1", "1.2.840.10008.1.20"):
        assert lookup(uid) is not None, uid
    assert len(TRANSFER_SYNTAXES) >= 60


@pytest.mark.parametrize("uid, lossless", [
    ("1.2.840.10008.1.2", True), ("1.2.840.10008.1.2.1.99", True), ("1.2.840.10008.1.2.5", True),
    ("1.2.840.10008.1.2.4.57", True), ("1.2.840.10008.1.2.4.70", True),
    ("1.2.840.10008.1.2.4.80", True), ("1.2.840.10008.1.2.4.90", True),
    ("1.2.840.10008.1.2.4.201", True), ("1.2.840.10008.1.2.4.202", True),
    ("1.2.840.10008.1.2.4.50", False), ("1.2.840.10008.1.2.4.51", False),
    ("1.2.840.10008.1.2.4.53", False), ("1.2.840.10008.1.2.4.55", False),
    ("1.2.840.10008.1.2.4.81", False), ("1.2.840.10008.1.2.4.91", False),
    ("1.2.840.10008.1.2.4.203", False), ("1.2.840.10008.1.2.4.100", False),
    ("1.2.840.10008.1.2.4.107", False), ("1.2.840.10008.1.2.4.94", None),
])
def test_lossless_classification(uid, lossless):
    ts = lookup(uid)
    assert ts.lossless is lossless
    assert (ts.lossy_method is not None) == (lossless is False)


def test_flags_of_special_syntaxes():
    deflated = lookup("1.2.840.10008.1.2.1.99")
    assert deflated.is_deflated and not deflated.is_encapsulated and not deflated.is_compressed
    encapsulated_native = lookup("1.2.840.10008.1.2.1.98")
    assert encapsulated_native.is_encapsulated and not encapsulated_native.is_compressed
    big = lookup("1.2.840.10008.1.2.2")
    assert not big.is_little_endian and big.is_retired and big.is_uncompressed
    jpip = lookup("1.2.840.10008.1.2.4.95")
    assert jpip.pixel_data_referenced and jpip.is_deflated


def test_unknown_syntax_placeholder():
    assert lookup("1.2.3.4") is None
    ts = transfer_syntax("1.2.3.4\x00")
    assert ts.uid == "1.2.3.4" and not ts.is_known and ts.lossless is None
    assert ts.is_encapsulated and not ts.is_implicit and ts.is_little_endian


@pytest.mark.parametrize("src, dst, expected", [
    ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.50", True),   # left alone
    ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.1", True),      # decode: no further loss
    ("1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.90", True),
    ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.70", True),
    ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99", True),
    ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50", False),
    ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", False),
    ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", False),
    ("1.2.840.10008.1.2.1", "1.2.3.4", False),
])
def test_is_lossless_conversion(src, dst, expected):
    assert is_lossless_conversion(src, dst) is expected
