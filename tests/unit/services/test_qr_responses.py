"""C-FIND response identifiers written directly from text are byte for byte what pydicom writes."""

from __future__ import annotations

import random
import warnings

import pytest

from pydcmkit.db.matching import response_dataset
from pydcmkit.db.model import KEYS, QUERY_RETRIEVE_LEVEL, RETRIEVE_AE_TITLE, SPECIFIC_CHARACTER_SET
from pydcmkit.services.qr import _encode_plain, encode_identifier, encode_response

SYNTAXES = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99")
TAG_OF_VR = {}
for _key in KEYS:
    TAG_OF_VR.setdefault(_key.vr, _key.tag)
ALPHABET = "AZaz09 ^=\\.-+eE:*?_/%[]'\"\t\r\n\x01\x7f\x1b"


def pydicom_bytes(elements, ts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return encode_identifier(response_dataset(elements), ts)


@pytest.mark.parametrize("ts", SYNTAXES)
@pytest.mark.parametrize("vr", sorted(TAG_OF_VR))
def test_every_value_of_every_vr(vr, ts):
    rng = random.Random(f"{vr}{ts}")
    for _ in range(400):
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(12))).strip(" ")
        elements = [(TAG_OF_VR[vr], vr, value), (QUERY_RETRIEVE_LEVEL, "CS", "STUDY")]
        assert encode_response(elements, ts) == pydicom_bytes(elements, ts), repr(value)


@pytest.mark.parametrize("charset", ["ISO_IR 100", "ISO_IR 192", "\\ISO 2022 IR 87", "ISO 2022 IR 13\\ISO 2022 IR 87",
                                     "GB18030", "ISO_IR 144"])
@pytest.mark.parametrize("ts", SYNTAXES)
def test_a_typical_response_in_any_character_set(charset, ts):
    elements = [(0x00100010, "PN", "DOE^JOHN^^DR"), (0x00100020, "LO", "PID-001"), (0x00080020, "DA", "20240101"),
                (0x00080030, "TM", "101500.25"), (0x00200013, "IS", "12"), (0x00101020, "DS", "1.75"),
                (0x0020000D, "UI", "1.2.826.0.1.3680043.10.999.2.1"), (0x00080061, "CS", "CT\\MR"),
                (0x00081030, "LO", "100% DOSE"), (QUERY_RETRIEVE_LEVEL, "CS", "STUDY"), (RETRIEVE_AE_TITLE, "AE", "QRSCP"),
                (SPECIFIC_CHARACTER_SET, "CS", charset)]
    assert _encode_plain(elements, False, True) is not None  # the direct path is taken
    assert encode_response(elements, ts) == pydicom_bytes(elements, ts)


@pytest.mark.parametrize("ts", SYNTAXES)
def test_values_beyond_ascii_go_through_pydicom(ts):
    elements = [(0x00100010, "PN", "MÜLLER^JOSÉ=ミュラー"), (QUERY_RETRIEVE_LEVEL, "CS", "PATIENT"),
                (SPECIFIC_CHARACTER_SET, "CS", "ISO_IR 192")]
    assert _encode_plain(elements, False, True) is None
    assert encode_response(elements, ts) == pydicom_bytes(elements, ts)
