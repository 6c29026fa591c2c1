import struct

import pytest
from pydicom import dcmread
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset

from pydcmkit.net import dimse


def _pydicom_decode(raw: bytes):
    return read_dataset(DicomBytesIO(raw), is_implicit_VR=True, is_little_endian=True)


def test_encode_matches_pydicom_reading():
    raw = dimse.encode_command(CommandField=dimse.C_STORE_RQ, MessageID=7,
                               AffectedSOPClassUID="1.2.840.10008.5.1.4.1.1.2", Priority=0,
                               CommandDataSetType=0, AffectedSOPInstanceUID="1.2.3.4.5")
    ds = _pydicom_decode(raw)
    assert ds.CommandGroupLength == len(raw) - 12
    assert ds.CommandField == 1 and ds.MessageID == 7
    assert ds.AffectedSOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    assert ds.AffectedSOPInstanceUID == "1.2.3.4.5"
    tags = [int(e.tag) for e in ds]
    assert tags == sorted(tags)


def test_uid_padding_is_nul_and_text_padding_is_space():
    raw = dimse.encode_command(CommandField=dimse.C_MOVE_RQ, MoveDestination="ABC", MessageID=1,
                               AffectedSOPInstanceUID="1.2.3")
    assert b"1.2.3\x00" in raw and b"ABC " in raw


def test_round_trip():
    raw = dimse.encode_command(CommandField=dimse.C_STORE_RSP, MessageIDBeingRespondedTo=3,
                               CommandDataSetType=dimse.NO_DATASET, Status=0xA700,
                               AffectedSOPInstanceUID="1.2.3")
    cmd = dimse.decode_command(raw)
    assert cmd.command_field == dimse.C_STORE_RSP
    assert cmd.Status == 0xA700 and not cmd.has_dataset
    assert cmd.AffectedSOPInstanceUID == "1.2.3"


@pytest.mark.parametrize("raw,match", [
    (struct.pack("<HHI", 0, 0x100, 2) + b"\x01", "exceeds"),
    (struct.pack("<HHI", 0, 0x100, 4) + b"\x01\x00\x00\x00", "length 4"),
    (struct.pack("<HHI", 8, 0x18, 2) + b"12", "not a command element"),
    (b"\x00\x00\x00", "truncated"),
    (b"", "without CommandField"),
])
def test_malformed_commands_are_rejected(raw, match):
    with pytest.raises(dimse.CommandError, match=match):
        dimse.decode_command(raw)


@pytest.mark.parametrize("status,klass,text", [
    (0x0000, "SUCCESS", "Success"), (0xA700, "REFUSED", "Refused: OutOfResources"),
    (0x0122, "REFUSED", "Refused: SOPClassNotSupported"), (0xC000, "ERROR", "Error: CannotUnderstand"),
    (0xA900, "ERROR", "Error: DataSetDoesNotMatchSOPClass"), (0xB000, "WARNING", "Warning: CoercionOfDataElements"),
    (0xB007, "WARNING", "Warning: DataSetDoesNotMatchSOPClass"), (0x0107, "UNKNOWN", None),
])
def test_status_classes_follow_dcmsend_summary(status, klass, text):
    assert dimse.status_class(status) == klass
    if text:
        assert dimse.status_text(status) == text


def test_private_elements_follow_group_0000_outside_its_group_length():
    raw = dimse.encode_command(CommandField=dimse.C_ECHO_RQ, MessageID=1, CommandDataSetType=dimse.NO_DATASET,
                               private={0x99990400: b"echo:X\x00\x00", 0x99990300: b"hi"})
    group_length = struct.unpack_from("<I", raw, 8)[0]
    assert raw[12 + group_length:] == (struct.pack("<HHI", 0x9999, 0x0300, 2) + b"hi"
                                       + struct.pack("<HHI", 0x9999, 0x0400, 8) + b"echo:X\x00\x00")
    cmd = dimse.decode_command(raw)
    assert cmd.command_field == dimse.C_ECHO_RQ
    assert cmd.private == {0x99990300: b"hi", 0x99990400: b"echo:X\x00\x00"}


@pytest.mark.parametrize("private,match", [({0x00080018: b"12"}, "not a private"), ({0x99990400: b"abc"}, "odd")])
def test_private_elements_must_be_odd_group_and_even_length(private, match):
    with pytest.raises(ValueError, match=match):
        dimse.encode_command(CommandField=dimse.C_ECHO_RQ, private=private)
