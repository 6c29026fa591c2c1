"""Re-encoding of received data sets (storage.encoding): each output option read back with pydicom
and, where pydicom hides the encoding, checked on the raw bytes."""

from __future__ import annotations

import io
import os
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.datadict import dictionary_VR

from pydcmkit.codec.pixels import can_decode
from pydcmkit.storage.encoding import EncodingError, WriteEncoding, reencode
from pydcmkit.storage.scan import DatasetStructureError
from pydcmkit.storage.writer import file_meta_bytes

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
ELE, ILE, EBE, DEFL = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"
J2K = "1.2.840.10008.1.2.4.91"
PADDING = 0xFFFCFFFC


# -- helpers -------------------------------------------------------------------------------------

def received(tmp_path: Path, name: str):
    """``name`` stored as the SCP stores what it receives: our meta header, then the data set bytes.
    Returns (path, dataset offset, transfer syntax, original data set)."""
    raw = (TEST_FILES / name).read_bytes()
    assert raw[128:132] == b"DICM" and raw[132:136] == b"\x02\x00\x00\x00"  # starts with (0002,0000)
    start = 144 + struct.unpack("<I", raw[140:144])[0]
    original = pydicom.dcmread(TEST_FILES / name)
    ts = str(original.file_meta.TransferSyntaxUID)
    meta = file_meta_bytes(str(original.SOPClassUID), str(original.SOPInstanceUID), ts)
    path = tmp_path / f"{name}.received"
    path.write_bytes(meta + raw[start:])
    return path, len(meta), ts, original


def write(tmp_path, name, encoding, **kw):
    path, offset, ts, original = received(tmp_path, name)
    out = io.BytesIO()
    result = reencode(path, offset, ts, encoding, out, **kw)
    return out.getvalue(), result, original, raw_dataset(path, offset)


def raw_dataset(path, offset):
    return Path(path).read_bytes()[offset:]


def read_back(data: bytes) -> pydicom.Dataset:
    return pydicom.dcmread(io.BytesIO(data))


def elements(buf: bytes, pos: int, end: int, implicit: bool, little: bool):
    """Yield (tag, vr, start, value_start, length, next) of the elements in ``buf[pos:end]`` at one
    level; ``length`` is None for undefined length (the items are skipped)."""
    e = "<" if little else ">"
    while pos < end:
        group, elem = struct.unpack_from(e + "HH", buf, pos)
        tag = group << 16 | elem
        if implicit:
            vr = implicit_vr(tag)
            length = struct.unpack_from(e + "I", buf, pos + 4)[0]
            value = pos + 8
        else:
            vr = buf[pos + 4:pos + 6].decode()
            if vr in ("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"):
                length = struct.unpack_from(e + "I", buf, pos + 8)[0]
                value = pos + 12
            else:
                length = struct.unpack_from(e + "H", buf, pos + 6)[0]
                value = pos + 8
        if length == 0xFFFFFFFF:
            nxt = skip_items(buf, value, implicit, little)
            yield tag, vr, pos, value, None, nxt
        else:
            nxt = value + length
            yield tag, vr, pos, value, length, nxt
        pos = nxt


def implicit_vr(tag: int) -> str:
    if not tag & 0xFFFF:
        return "UL"
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


def skip_items(buf, pos, implicit, little):
    e = "<" if little else ">"
    while True:
        tag, length = struct.unpack_from(e + "HHI", buf, pos)[0:2], struct.unpack_from(e + "I", buf, pos + 4)[0]
        tag = tag[0] << 16 | tag[1]
        pos += 8
        if tag == 0xFFFEE0DD:
            return pos
        if length == 0xFFFFFFFF:  # item of undefined length: elements up to the item delimiter
            while struct.unpack_from(e + "HH", buf, pos) != (0xFFFE, 0xE00D):
                pos = next(elements(buf, pos, len(buf), implicit, little))[5]
            pos += 8
        else:
            pos += length


def item_lengths(buf, pos, end, implicit, little, found=None):
    """The length fields of all items (explicit lengths), recursively."""
    found = [] if found is None else found
    e = "<" if little else ">"
    for tag, vr, _start, value, length, _nxt in elements(buf, pos, end, implicit, little):
        if vr == "SQ" and length is not None:
            p = value
            while p < value + length:
                item_len = struct.unpack_from(e + "I", buf, p + 4)[0]
                found.append(item_len)
                item_lengths(buf, p + 8, p + 8 + item_len, implicit, little, found)
                p += 8 + item_len
    return found


def check_group_lengths(buf: bytes, pos: int, implicit: bool, little: bool) -> dict[int, int]:
    """Check every top-level (gggg,0000) against the bytes of its group; return {group: value}."""
    top = list(elements(buf, pos, len(buf), implicit, little))
    checked = {}
    for i, (tag, _vr, _start, value, _length, nxt) in enumerate(top):
        if tag & 0xFFFF:
            continue
        group = tag >> 16
        stated = struct.unpack_from("<I" if little else ">I", buf, value)[0]
        end = nxt
        for other in top[i + 1:]:
            if other[0] >> 16 != group:
                break
            end = other[5]
        assert stated == end - nxt, f"group {group:04x}: stated {stated}, actual {end - nxt}"
        checked[group] = stated
    return checked


def same_values(a: pydicom.Dataset, b: pydicom.Dataset):
    """Equal values except group lengths, padding and Pixel Data (compared separately)."""
    def values(ds):
        return {e.tag: e.value for e in ds if e.tag & 0xFFFF and e.tag >> 16 != 0xFFFC
                and e.tag != 0x7FE00010 and e.VR != "SQ"}
    assert values(a) == values(b)


# -- WriteEncoding -------------------------------------------------------------------------------

def test_default_encoding_is_the_fast_path():
    assert WriteEncoding().is_default
    assert WriteEncoding(compression_level=9).is_default  # a received deflate stream is kept
    for change in ({"write_meta": False}, {"transfer_syntax": ELE}, {"new_vr": False},
                   {"group_length": "create"}, {"group_length": "remove"}, {"explicit_length": False},
                   {"padding": (0, 0)}):
        assert not WriteEncoding(**change).is_default, change
    assert WriteEncoding(write_meta=False).keeps_dataset
    assert not WriteEncoding(write_meta=False, explicit_length=False).keeps_dataset


@pytest.mark.parametrize("bad", [{"group_length": "sometimes"}, {"compression_level": 10},
                                 {"compression_level": -1}, {"padding": (-2, 0)}, {"padding": (8,)}])
def test_invalid_encoding(bad):
    with pytest.raises(ValueError):
        WriteEncoding(**bad)


# -- file format (PS3.10 §7.1) ------------------------------------------------------------------

def test_write_dataset_copies_the_received_bytes(tmp_path):
    data, result, _, dataset = write(tmp_path, "CT_small.dcm", WriteEncoding(write_meta=False))
    assert data == dataset
    assert result == (ELE, 0)


def test_write_dataset_with_reencoding_has_no_meta_header(tmp_path):
    data, result, original, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(write_meta=False, transfer_syntax=ILE))
    assert result == (ILE, 0)
    assert data[128:132] != b"DICM"
    back = pydicom.dcmread(io.BytesIO(data), force=True)
    assert not back.file_meta
    assert back.SOPInstanceUID == original.SOPInstanceUID


def test_write_file_meta_header_names_the_written_syntax(tmp_path):
    data, result, original, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=EBE))
    assert data[:128] == bytes(128) and data[128:132] == b"DICM"
    back = read_back(data)
    assert back.file_meta.TransferSyntaxUID == EBE
    assert back.file_meta.MediaStorageSOPInstanceUID == original.SOPInstanceUID
    assert back.file_meta.MediaStorageSOPClassUID == original.SOPClassUID
    assert result == (EBE, len(file_meta_bytes(original.SOPClassUID, original.SOPInstanceUID, EBE)))


def test_meta_header_uses_the_given_uids(tmp_path):
    data, _, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=ILE),
                          sop_class_uid="1.2.3", sop_instance_uid="1.2.3.4")
    back = read_back(data)
    assert (back.file_meta.MediaStorageSOPClassUID, back.file_meta.MediaStorageSOPInstanceUID) == ("1.2.3", "1.2.3.4")


# -- transfer syntax -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm",
                                  "image_dfl.dcm", "rtplan.dcm"])
@pytest.mark.parametrize("target", [ELE, ILE, EBE, DEFL])
def test_transfer_syntax_round_trip(tmp_path, name, target):
    data, result, original, _ = write(tmp_path, name, WriteEncoding(transfer_syntax=target))
    assert result.transfer_syntax_uid == target
    back = read_back(data)
    assert back.file_meta.TransferSyntaxUID == target
    same_values(original, back)
    if "PixelData" in original:
        assert np.array_equal(back.pixel_array, original.pixel_array)


def test_implicit_target_has_no_vr_fields(tmp_path):
    data, result, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=ILE))
    first = data[result.dataset_offset:result.dataset_offset + 12]
    group, elem, length = struct.unpack("<HHI", first[:8])
    assert (group, elem) == (0x0008, 0x0005) and length == 10  # (0008,0005) CS "ISO_IR 100", no "CS"


def test_deflated_output_is_raw_deflate_of_explicit_little_endian(tmp_path):
    explicit, plain, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=ELE))
    deflated, result, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=DEFL))
    stream = deflated[result.dataset_offset:]
    assert len(stream) % 2 == 0  # PS3.5 §A.5: padded to even length
    assert zlib.decompressobj(-zlib.MAX_WBITS).decompress(stream) == explicit[plain.dataset_offset:]


@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_deflate_compression_level(tmp_path, level):
    data, result, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=DEFL, compression_level=level))
    stream = data[result.dataset_offset:]
    inflated = zlib.decompressobj(-zlib.MAX_WBITS).decompress(stream)
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    expected = compressor.compress(inflated) + compressor.flush()
    assert stream == expected + b"\x00" * (len(expected) % 2)


def test_compression_level_orders_sizes(tmp_path):
    sizes = [len(write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=DEFL, compression_level=level))[0])
             for level in (0, 9)]
    assert sizes[0] > sizes[1]


def test_deflated_received_kept_deflated_is_deflated_again(tmp_path):
    data, result, original, _ = write(tmp_path, "image_dfl.dcm", WriteEncoding(group_length="remove"))
    assert result.transfer_syntax_uid == DEFL
    back = read_back(data)
    assert np.array_equal(back.pixel_array, original.pixel_array)


def test_compressed_pixel_data_are_decoded_for_an_uncompressed_target(tmp_path):
    if not can_decode(J2K):
        pytest.skip("no JPEG 2000 decoder installed")
    data, result, original, _ = write(tmp_path, "JPEG2000.dcm", WriteEncoding(transfer_syntax=ELE))
    back = read_back(data)
    assert result.transfer_syntax_uid == ELE
    assert not back["PixelData"].is_undefined_length
    assert np.array_equal(back.pixel_array, original.pixel_array)


def test_compressed_kept_in_its_syntax_stays_encapsulated(tmp_path):
    data, result, original, _ = write(tmp_path, "JPEG2000.dcm", WriteEncoding(group_length="create"))
    back = read_back(data)
    assert result.transfer_syntax_uid == J2K
    assert back["PixelData"].is_undefined_length
    assert back.PixelData == original.PixelData


def test_undecodable_pixel_data_fail_clearly(tmp_path):
    path, offset, _, _ = received(tmp_path, "CT_small.dcm")
    with pytest.raises(EncodingError, match=r"cannot decode 1\.2\.3\.4\.5.*unknown transfer syntax"):
        reencode(path, offset, "1.2.3.4.5", WriteEncoding(transfer_syntax=ILE), io.BytesIO())


def test_broken_deflate_stream_is_a_structure_error(tmp_path):
    path = tmp_path / "broken"
    path.write_bytes(b"\x00" * 10 + b"not a deflate stream")
    with pytest.raises(DatasetStructureError, match="inflate"):
        reencode(path, 10, DEFL, WriteEncoding(transfer_syntax=ELE), io.BytesIO())


# -- post-1993 VRs (PS3.5 §6.2) -------------------------------------------------------------------

def test_disable_new_vr_writes_ut_as_ob(tmp_path):
    original = pydicom.dcmread(TEST_FILES / "reportsi.dcm")
    ut_tags = {e.tag for e in original.iterall() if e.VR == "UT"}
    assert ut_tags
    data, _, _, _ = write(tmp_path, "reportsi.dcm", WriteEncoding(new_vr=False))
    back = read_back(data)
    vrs = {e.tag: e.VR for e in back.iterall() if e.tag in ut_tags}
    assert set(vrs.values()) == {"OB"}
    values = {e.tag: e.value for e in back.iterall() if e.tag in ut_tags}
    originals = {e.tag: e.value.encode() + b" " * (len(e.value) % 2) for e in original.iterall() if e.tag in ut_tags}
    assert values == originals


def test_enable_new_vr_keeps_ut(tmp_path):
    data, _, _, _ = write(tmp_path, "reportsi.dcm", WriteEncoding(transfer_syntax=EBE))
    assert "UT" in {e.VR for e in read_back(data).iterall()}


def test_disable_new_vr_has_no_effect_in_implicit_vr(tmp_path):
    implicit, _, _, _ = write(tmp_path, "reportsi.dcm", WriteEncoding(transfer_syntax=ILE))
    both, _, _, _ = write(tmp_path, "reportsi.dcm", WriteEncoding(transfer_syntax=ILE, new_vr=False))
    assert implicit == both


# -- group length (PS3.5 §7.2) ---------------------------------------------------------------------

def test_group_length_recalc_keeps_and_corrects_existing(tmp_path):
    data, result, original, _ = write(tmp_path, "ExplVR_BigEnd.dcm", WriteEncoding(transfer_syntax=ELE))
    present = sorted(t >> 16 for t in original.keys() if not t & 0xFFFF)
    assert present
    checked = check_group_lengths(data, result.dataset_offset, False, True)
    assert sorted(checked) == present


def test_group_length_recalc_adds_none(tmp_path):
    data, result, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=ILE))
    assert not check_group_lengths(data, result.dataset_offset, True, True)


@pytest.mark.parametrize("target, implicit, little", [(ELE, False, True), (ILE, True, True), (EBE, False, False)])
def test_group_length_create(tmp_path, target, implicit, little):
    data, result, original, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=target,
                                                                              group_length="create"))
    groups = {t >> 16 for t in original.keys() if t >> 16 != 0xFFFC}
    checked = check_group_lengths(data, result.dataset_offset, implicit, little)
    assert set(checked) == groups
    assert read_back(data).pixel_array.shape == original.pixel_array.shape


def test_group_length_create_in_items(tmp_path):
    data, _, _, _ = write(tmp_path, "rtplan.dcm", WriteEncoding(group_length="create"))
    back = read_back(data)
    item = back.FractionGroupSequence[0]
    assert all((t >> 16) << 16 in item for t in item.keys())


def test_group_length_remove(tmp_path):
    data, result, _, _ = write(tmp_path, "ExplVR_BigEnd.dcm", WriteEncoding(group_length="remove"))
    back = read_back(data)
    assert not [t for t in back.keys() if not t & 0xFFFF]
    assert not check_group_lengths(data, result.dataset_offset, False, False)


# -- sequence and item lengths (PS3.5 §7.5) -------------------------------------------------------

def test_length_explicit_defines_every_sequence_and_item(tmp_path):
    original = pydicom.dcmread(TEST_FILES / "reportsi.dcm")
    assert any(e.is_undefined_length for e in original.iterall() if e.VR == "SQ")
    data, _, _, _ = write(tmp_path, "reportsi.dcm", WriteEncoding(transfer_syntax=ILE))
    back = read_back(data)
    sequences = [e for e in back.iterall() if e.VR == "SQ"]
    assert sequences and not any(e.is_undefined_length for e in sequences)
    assert not any(item.is_undefined_length_sequence_item for e in sequences for item in e.value)
    same_values(original, back)


def test_length_undefined_everywhere(tmp_path):
    original = pydicom.dcmread(TEST_FILES / "rtplan.dcm")
    assert not any(e.is_undefined_length for e in original.iterall() if e.VR == "SQ")
    data, _, _, _ = write(tmp_path, "rtplan.dcm", WriteEncoding(explicit_length=False))
    back = read_back(data)
    sequences = [e for e in back.iterall() if e.VR == "SQ"]
    assert sequences and all(e.is_undefined_length for e in sequences)
    assert all(item.is_undefined_length_sequence_item for e in sequences for item in e.value)
    assert data.count(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00") == len(sequences)
    same_values(original, back)


def test_encapsulated_pixel_data_keep_undefined_length_with_explicit_lengths(tmp_path):
    data, _, _, _ = write(tmp_path, "JPEG2000.dcm", WriteEncoding(explicit_length=True, group_length="remove"))
    assert read_back(data)["PixelData"].is_undefined_length


# -- padding (FFFC,FFFC) ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", [ELE, ILE, EBE])
@pytest.mark.parametrize("file_pad", [256, 1024, 4096])
def test_padding_aligns_the_file(tmp_path, target, file_pad):
    data, _, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=target, padding=(file_pad, 0)))
    assert len(data) % file_pad == 0
    back = read_back(data)
    assert back[PADDING].VR == "OB" and set(back[PADDING].value) <= {0}


def test_padding_element_size(tmp_path):
    plain, _, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=ELE))
    assert PADDING not in read_back(plain)
    padded, _, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=ELE, padding=(1000, 0)))
    size = len(padded) - len(plain)  # the whole padding element: 12 bytes of header + value
    assert 12 <= size < 1000 + 12
    assert len(read_back(padded)[PADDING].value) == size - 12
    assert len(padded) % 1000 == 0


def test_padding_smaller_than_the_element_header_adds_a_multiple(tmp_path):
    plain, _, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=ELE))
    pad = 8
    data, _, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(transfer_syntax=ELE, padding=(pad, 0)))
    assert len(data) % pad == 0
    if len(plain) % pad:
        assert len(data) - len(plain) >= 12


def test_padding_aligns_items(tmp_path):
    data, result, _, _ = write(tmp_path, "rtplan.dcm", WriteEncoding(padding=(0, 16)))
    lengths = item_lengths(data, result.dataset_offset, len(data), True, True)
    assert lengths and all(n % 16 == 0 for n in lengths)
    back = read_back(data)
    assert PADDING not in back
    assert any(PADDING in item for e in back.iterall() if e.VR == "SQ" for item in e.value)


def test_padding_zero_drops_existing_padding(tmp_path):
    assert PADDING in pydicom.dcmread(TEST_FILES / "CT_small.dcm")
    data, _, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(padding=(0, 0)))
    assert PADDING not in read_back(data)


def test_odd_padding_is_refused(tmp_path):
    with pytest.raises(EncodingError, match="even"):
        write(tmp_path, "CT_small.dcm", WriteEncoding(padding=(255, 0)))


def test_padding_with_group_lengths_stays_consistent(tmp_path):
    data, result, _, _ = write(tmp_path, "CT_small.dcm", WriteEncoding(group_length="create", padding=(512, 0)))
    assert len(data) % 512 == 0
    check_group_lengths(data, result.dataset_offset, False, True)


# -- byte for byte against DCMTK's writer (dcmconv uses the same dcmdata code as dcmqrscp) ----------

DCMCONV = "/usr/bin/dcmconv"
_OPTION_ENCODING = {"+te": {"transfer_syntax": ELE}, "+ti": {"transfer_syntax": ILE}, "+tb": {"transfer_syntax": EBE},
                    "+td": {"transfer_syntax": DEFL}, "+g": {"group_length": "create"},
                    "-g": {"group_length": "remove"}, "-e": {"explicit_length": False}, "-u": {"new_vr": False},
                    "-p": {}}


def dataset_of(data: bytes) -> bytes:
    assert data[128:132] == b"DICM"
    return data[144 + struct.unpack("<I", data[140:144])[0]:]


@pytest.mark.skipif(not os.path.exists(DCMCONV), reason="DCMTK's dcmconv is not installed")
@pytest.mark.parametrize("name", ["CT_small.dcm", "rtplan.dcm", "reportsi.dcm", "ExplVR_BigEnd.dcm",
                                  "MR_small_implicit.dcm"])
@pytest.mark.parametrize("options", ["+te", "+ti", "+tb", "+te +g", "+tb -g", "+ti -e", "+te -u", "+ti +g -e",
                                     "+td"])
def test_same_data_set_as_dcmtk(tmp_path, name, options):
    import subprocess

    argv = options.split() + ["-p"]  # dcmconv keeps padding unless told; dcmqrscp drops it (-p)
    kwargs = {}
    for option in argv:
        kwargs.update(_OPTION_ENCODING[option])
    ours, _, _, _ = write(tmp_path, name, WriteEncoding(**kwargs))
    subprocess.run([DCMCONV, *argv, str(TEST_FILES / name), str(tmp_path / "dcmtk.dcm")], check=True,
                   capture_output=True, timeout=60)
    theirs = (tmp_path / "dcmtk.dcm").read_bytes()
    if kwargs.get("transfer_syntax") == DEFL:  # DCMTK leaves an odd deflate stream unpadded
        def inflate(stream):
            return zlib.decompressobj(-zlib.MAX_WBITS).decompress(stream)

        assert inflate(dataset_of(ours)) == inflate(dataset_of(theirs))
    else:
        assert dataset_of(ours) == dataset_of(theirs)


@pytest.mark.skipif(not os.path.exists(DCMCONV), reason="DCMTK's dcmconv is not installed")
def test_same_item_padding_as_dcmtk(tmp_path):
    import subprocess

    ours, result, _, _ = write(tmp_path, "rtplan.dcm", WriteEncoding(transfer_syntax=ELE, padding=(256, 16)))
    subprocess.run([DCMCONV, "+te", "+p", "256", "16", str(TEST_FILES / "rtplan.dcm"), str(tmp_path / "dcmtk.dcm")],
                   check=True, capture_output=True, timeout=60)
    theirs = (tmp_path / "dcmtk.dcm").read_bytes()
    assert len(ours) % 256 == 0 and len(theirs) % 256 == 0
    # the meta headers differ in length, so only the top-level padding element may differ
    ours_ds, theirs_ds = dataset_of(ours), dataset_of(theirs)
    cut = ours_ds.rindex(b"\xfc\xff\xfc\xffOB")
    assert ours_ds[:cut] == theirs_ds[:theirs_ds.rindex(b"\xfc\xff\xfc\xffOB")]


# -- the storage SCP -------------------------------------------------------------------------------

PROFILE = """\
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LittleEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[[PresentationContexts]]
[Store]
PresentationContext1 = VerificationSOPClass\\Uncompressed
PresentationContext2 = CTImageStorage\\Uncompressed
[[Profiles]]
[Store]
PresentationContexts = Store
"""


class RecordingSCP:
    """StorageSCP that remembers what instance_stored was told."""

    def __init__(self, settings):
        from pydcmkit.services.store import StorageSCP

        class _SCP(StorageSCP):
            def instance_stored(inner, stored):
                self.stored.append(stored)

        self.stored = []
        self.scp = _SCP(settings)


def serve_and_send(tmp_path, encoding, dataset):
    from pynetdicom import AE

    from pydcmkit.config.asconfig import parse_config
    from pydcmkit.net import dimse
    from pydcmkit.net.negotiation import ProfileNegotiator
    from pydcmkit.net.server import DicomServer, ServerSettings
    from pydcmkit.services.store import StoreSettings, handle_echo
    from pydcmkit.storage.naming import StorageLayout

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    recorder = RecordingSCP(StoreSettings(layout=StorageLayout(output_dir=str(out_dir)), encoding=encoding,
                                          durable=False))
    profile = parse_config(PROFILE, "store.cfg").profile("Store")
    server = DicomServer(ServerSettings(port=0, bind_address="127.0.0.1", host_lookup=False),
                         ProfileNegotiator(profile),
                         {dimse.C_ECHO_RQ: handle_echo, dimse.C_STORE_RQ: recorder.scp.handle})
    server.bind()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ae = AE(ae_title="STORESCU")
        ae.add_requested_context(dataset.SOPClassUID, ELE)
        assoc = ae.associate("127.0.0.1", server.port, ae_title="ANY-SCP")
        assert assoc.is_established
        status = assoc.send_c_store(dataset)
        assoc.release()
    finally:
        server.shutdown()
        thread.join(10)
    return status.Status, sorted(p for p in out_dir.iterdir()), recorder.stored


def test_storage_scp_stores_the_reencoded_file(tmp_path):
    original = pydicom.dcmread(TEST_FILES / "CT_small.dcm")
    status, files, stored = serve_and_send(tmp_path, WriteEncoding(transfer_syntax=ILE, group_length="create"),
                                           original)
    assert status == 0x0000
    assert len(files) == 1 and len(stored) == 1
    back = pydicom.dcmread(files[0])
    assert back.file_meta.TransferSyntaxUID == ILE
    assert (0x0008 << 16) in back
    assert np.array_equal(back.pixel_array, original.pixel_array)
    info = stored[0]
    assert info.transfer_syntax_uid == ILE
    assert info.size == os.path.getsize(files[0])
    assert info.dataset_offset == len(file_meta_bytes(original.SOPClassUID, original.SOPInstanceUID, ILE))
    check_group_lengths(files[0].read_bytes(), info.dataset_offset, True, True)


def test_storage_scp_writes_a_bare_data_set(tmp_path):
    original = pydicom.dcmread(TEST_FILES / "CT_small.dcm")
    status, files, stored = serve_and_send(tmp_path, WriteEncoding(write_meta=False), original)
    assert status == 0x0000
    data = files[0].read_bytes()
    assert data[128:132] != b"DICM"
    assert stored[0].dataset_offset == 0 and stored[0].transfer_syntax_uid == ELE
    assert pydicom.dcmread(files[0], force=True).SOPInstanceUID == original.SOPInstanceUID


def test_storage_scp_answers_out_of_resources_when_it_cannot_encode(tmp_path):
    original = pydicom.dcmread(TEST_FILES / "CT_small.dcm")
    status, files, stored = serve_and_send(tmp_path, WriteEncoding(padding=(7, 0)), original)
    assert status == 0xA700
    assert files == [] and stored == []
