"""pydcmkit.uids: DCMTK 3.6.7's naming facts (dcmrecv.md Appendix A/B, dcmsend.md §2.2 and §6)."""

from __future__ import annotations

import ctypes
import os
import re
from pathlib import Path

import pytest

from pydcmkit import uids

SPEC = Path("/work/shared/spec/dcmrecv.md")
LIBDCMDATA = "/usr/lib/x86_64-linux-gnu/libdcmdata.so.17"


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, uid", [
    ("VerificationSOPClass", "1.2.840.10008.1.1"),
    ("CTImageStorage", "1.2.840.10008.5.1.4.1.1.2"),
    ("MRImageStorage", "1.2.840.10008.5.1.4.1.1.4"),
    ("SecondaryCaptureImageStorage", "1.2.840.10008.5.1.4.1.1.7"),
    ("FINDPatientRootQueryRetrieveInformationModel", "1.2.840.10008.5.1.4.1.2.1.1"),
    ("FINDStudyRootQueryRetrieveInformationModel", "1.2.840.10008.5.1.4.1.2.2.1"),
    ("MOVEStudyRootQueryRetrieveInformationModel", "1.2.840.10008.5.1.4.1.2.2.2"),
    ("GETPatientRootQueryRetrieveInformationModel", "1.2.840.10008.5.1.4.1.2.1.3"),
    ("RETIRED_FINDPatientStudyOnlyQueryRetrieveInformationModel", "1.2.840.10008.5.1.4.1.2.3.1"),
    ("FINDModalityWorklistInformationModel", "1.2.840.10008.5.1.4.31"),
    ("StorageCommitmentPushModelSOPClass", "1.2.840.10008.1.20.1"),
    ("ModalityPerformedProcedureStepSOPClass", "1.2.840.10008.3.1.2.3.3"),
    ("BasicGrayscalePrintManagementMetaSOPClass", "1.2.840.10008.5.1.1.9"),
    ("BasicFilmSessionSOPClass", "1.2.840.10008.5.1.1.1"),
    ("PrinterSOPClass", "1.2.840.10008.5.1.1.16"),
    ("MediaStorageDirectoryStorage", "1.2.840.10008.1.3.10"),
])
def test_sop_class_names_both_ways(name, uid):
    assert uids.sop_class_uid(name) == uid
    assert uids.sop_class_name(uid) == name
    assert uids.uid_from_name(name) == uid


def test_sop_class_uid_forms():
    assert uids.sop_class_uid("=CTImageStorage") == "1.2.840.10008.5.1.4.1.1.2"
    assert uids.sop_class_uid("1.3.6.1.4.1.99999.1.1") == "1.3.6.1.4.1.99999.1.1"  # numeric: as is
    assert uids.sop_class_uid("ctimagestorage") is None                         # case-sensitive
    assert uids.sop_class_uid("NoSuchStorage") is None
    assert uids.sop_class_uid("LittleEndianImplicit") is None                   # a transfer syntax
    assert uids.sop_class_name("1.3.6.1.4.1.99999.1.1") is None


def test_sop_class_label_is_report_form():
    assert uids.sop_class_label("1.2.840.10008.5.1.4.1.1.7") == "SecondaryCaptureImageStorage"
    assert uids.sop_class_label("1.3.6.1.4.1.99999.1.1") == "unknown"  # dcmsend.md §6 observed


def test_every_name_used_in_the_debian_profile_files_is_known():
    names = set()
    for cfg in ("/etc/dcmtk/storescp.cfg", "/etc/dcmtk/storescu.cfg"):
        if not os.path.exists(cfg):
            pytest.skip("DCMTK sample configs not installed")
        for line in Path(cfg).read_text().splitlines():
            m = re.match(r"(?:TransferSyntax|PresentationContext)\d+\s*=\s*([^\\\s]+)", line)
            if m:
                names.add(m.group(1))
    assert len(names) > 150
    unresolved = {n for n in names if uids.resolve_symbolic_uid(n) == n and not n[0].isdigit()}
    assert unresolved == set()


# -- Appendix A: storage classes and prefixes ----------------------------------------------------


def _appendix_a():
    rows = re.findall(r"^\| (1\.2\.840[0-9.]+) \| (\S+) \| `([^`]+)` \|$", SPEC.read_text(), re.M)
    assert len(rows) == 194
    return rows


@pytest.mark.skipif(not SPEC.exists(), reason="spec not available")
def test_appendix_a_names_and_prefixes():
    for uid, name, prefix in _appendix_a():
        assert uids.sop_class_name(uid) == name, uid
        assert uids.modality_prefix(uid, "UNKNOWN") == prefix, uid
        assert uids.is_storage_sop_class(uid), uid
    assert {u for u, _, _ in _appendix_a()} == uids.STORAGE_SOP_CLASSES


@pytest.mark.parametrize("uid, prefix", [
    ("1.2.840.10008.5.1.4.1.1.2", "CT"),
    ("1.2.840.10008.5.1.4.1.1.88.11", "SRt"),
    ("1.2.840.10008.5.1.4.1.1.11.1", "PSg"),
    ("1.2.840.10008.5.1.4.1.1.481.2", "RD"),
    ("1.2.840.10008.5.1.4.1.1.9.1", "WV_d"),
    ("1.2.840.10008.5.1.4.1.1.88.76", "SRde"),
    ("1.2.840.10008.5.1.4.38.1", "HP"),
])
def test_modality_prefix_spot_checks(uid, prefix):
    assert uids.modality_prefix(uid, "XX") == prefix


def test_modality_prefix_sri_quirk():
    assert uids.modality_prefix("1.2.840.10008.5.1.4.1.1.88.70", "XX") == "SRi"
    assert uids.modality_prefix("1.2.840.10008.5.1.4.1.1.88.75", "XX") == "SRi"


@pytest.mark.parametrize("uid", [
    "1.3.6.1.4.1.99999.1.1",            # private
    "1.2.840.10008.1.1",                 # Verification: known, not storage
    "1.2.840.10008.5.1.4.1.1.2.",        # exact match only
    "1.2.840.10008.5.1.4.1.1.2 ",
    "",
])
def test_modality_prefix_fallbacks(uid):
    assert uids.modality_prefix(uid, "UNKNOWN") == "UNKNOWN"
    assert uids.modality_prefix(uid, "XX") == "XX"


def test_storage_lists():
    assert len(uids.STORAGE_SOP_CLASSES) == 194
    assert len(uids.NON_PATIENT_STORAGE_SOP_CLASSES) == 8
    assert uids.NON_PATIENT_STORAGE_SOP_CLASSES < uids.STORAGE_SOP_CLASSES
    assert len(uids.LONG_SCU_STORAGE_SOP_CLASSES) == 120 <= 128
    assert set(uids.LONG_SCU_STORAGE_SOP_CLASSES) <= uids.STORAGE_SOP_CLASSES
    assert "1.2.840.10008.5.1.4.1.1.2" in uids.LONG_SCU_STORAGE_SOP_CLASSES
    assert not uids.is_storage_sop_class("1.2.840.10008.1.1")
    assert not uids.is_storage_sop_class("1.2.840.10008.1.3.10")  # DICOMDIR


# -- dcmsend.md §2.2 -----------------------------------------------------------------------------


@pytest.mark.parametrize("uid, reason", [
    ("1.2.840.10008.5.1.4.1.1.2", None),                       # known storage
    ("1.2.840.10008.5.1.4.38.1", None),                        # known (non-patient) storage
    ("1.2.840.10008.5.1.4.1.1.999", None),                     # standard storage prefix
    ("1.2.840.10008.5.1.4.1.10", None),                        # plain string prefix, as DCMTK
    ("1.3.6.1.4.1.99999.1.1", None),                           # private root
    ("1.2.840.10008.1.1", "Invalid SOP Class UID"),            # known name, not storage
    ("1.2.840.10008.1.3.10", "Invalid SOP Class UID"),         # Media Storage Directory
    ("1.2.840.10008.1.2", "Invalid SOP Class UID"),            # a transfer syntax
    ("1.2.840.10008.9.9.9", "Unknown Storage SOP Class"),      # standard root, unknown
    ("1.2.840.100081", "Unknown Storage SOP Class"),           # plain string prefix
    ("", "Invalid SOP Class UID"),
    ("1.2.840.10008.05.1", "Invalid SOP Class UID"),           # not a valid UID
    ("1.2.3.abc", "Invalid SOP Class UID"),
])
def test_check_sop_class_for_sending(uid, reason):
    # all observed with dcmsend 3.6.7 (E: cannot add DICOM file to the transfer list: <file>: <reason>)
    assert uids.check_sop_class_for_sending(uid) == reason


def test_check_sop_class_for_sending_without_value_checks():
    assert uids.check_sop_class_for_sending("1.2.840.10008.1.1", check_values=False) is None
    assert uids.check_sop_class_for_sending("1.2.3.abc", check_values=False) is None
    assert uids.check_sop_class_for_sending("", check_values=False) == "Invalid SOP Class UID"


# -- UID syntax ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, valid", [
    ("1.2.840.10008.1.2", True), ("0", True), ("1", True), ("1.0.3", True), ("1." + "2" * 62, True),
    ("1." + "2" * 63, False), ("1.02.3", False), ("1.00", False), ("1.2.3.", False), (".1.2", False),
    ("1..2", False), ("1.2.3.abc", False), ("", False), ("1.2 ", False), ("1.2\\1.3", False),
    ("１.２", False),  # non-ASCII digits
])
def test_is_valid_uid(value, valid):
    assert uids.is_valid_uid(value) is valid


# -- transfer syntaxes ---------------------------------------------------------------------------


@pytest.mark.skipif(not SPEC.exists(), reason="spec not available")
def test_appendix_b_names():
    rows = re.findall(r"^\| `([^`]+)` \| ([0-9.]+) \|$", SPEC.read_text(), re.M)
    assert len(rows) == 47
    for name, uid in rows:
        assert uids.ts_uid(name) == uid, name
        assert uids.resolve_symbolic_uid(name) == uid, name
    assert dict(uids.TRANSFER_SYNTAX_NAMES) == {n: u for n, u in rows}


def test_special_ts_names_follow_host_byte_order():
    assert uids.ts_uid("LocalEndianExplicit") == uids.LOCAL_ENDIAN_EXPLICIT
    assert uids.ts_uid("OppositeEndianExplicit") == uids.OPPOSITE_ENDIAN_EXPLICIT
    assert {uids.LOCAL_ENDIAN_EXPLICIT, uids.OPPOSITE_ENDIAN_EXPLICIT} == {
        "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}
    import sys
    if sys.byteorder == "little":
        assert uids.ts_uid("=LocalEndianExplicit") == "1.2.840.10008.1.2.1"
        assert uids.ts_uid("OppositeEndianExplicit") == "1.2.840.10008.1.2.2"


def test_ts_uid_forms():
    assert uids.ts_uid("=LittleEndianImplicit") == "1.2.840.10008.1.2"
    assert uids.ts_uid("1.2.840.10008.1.2.4.50") == "1.2.840.10008.1.2.4.50"
    assert uids.ts_uid("littleendianimplicit") is None
    assert uids.ts_uid("CTImageStorage") is None
    assert uids.ts_name("1.2.840.10008.1.2.4.70") == "JPEGLossless:Non-hierarchical-1stOrderPrediction"
    assert uids.ts_name("1.2.840.10008.5.1.4.1.1.2") is None


@pytest.mark.parametrize("uid, long_name", [
    ("1.2.840.10008.1.2", "Little Endian Implicit"),
    ("1.2.840.10008.1.2.1", "Little Endian Explicit"),
    ("1.2.840.10008.1.2.2", "Big Endian Explicit"),
    ("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian"),
    ("1.2.840.10008.1.2.4.50", "JPEG Baseline"),
    ("1.2.840.10008.1.2.4.51", "JPEG Extended, Process 2+4"),
    ("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-hierarchical, Process 14"),
    ("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-hierarchical, 1st Order Prediction"),
    ("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
    ("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-lossless)"),
    ("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless only)"),
    ("1.2.840.10008.1.2.4.91", "JPEG 2000 (Lossless or Lossy)"),
    ("1.2.840.10008.1.2.5", "RLE Lossless"),
    ("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile @ Main Level"),
    ("1.2.840.10008.1.2.7.1", "Unknown Transfer Syntax"),   # named, but no DcmXfer entry in 3.6.7
    ("1.2.840.10008.1.2.4.201", "Unknown Transfer Syntax"),
    ("1.2.3", "Unknown Transfer Syntax"),
    ("", "Virtual Big Endian Implicit"),
])
def test_ts_long_names(uid, long_name):
    assert uids.ts_long_name(uid) == long_name


def test_resolve_symbolic_uid_is_dcmuidhandler():
    assert uids.resolve_symbolic_uid("CTImageStorage") == "1.2.840.10008.5.1.4.1.1.2"
    assert uids.resolve_symbolic_uid("=CTImageStorage") == "1.2.840.10008.5.1.4.1.1.2"
    assert uids.resolve_symbolic_uid("=Nope") == "=Nope"            # unchanged, '=' kept
    assert uids.resolve_symbolic_uid("1.2.abc") == "1.2.abc"        # starts with a digit: no lookup
    assert uids.resolve_symbolic_uid("CTImageStorage ") == "CTImageStorage "
    assert uids.resolve_symbolic_uid("") == ""


# -- cross-check with the installed DCMTK library ------------------------------------------------


@pytest.mark.interop
@pytest.mark.skipif(not os.path.exists(LIBDCMDATA), reason="DCMTK 3.6.7 libdcmdata not installed")
def test_tables_agree_with_installed_libdcmdata():
    lib = ctypes.CDLL(LIBDCMDATA)
    find_name = lib._Z16dcmFindNameOfUIDPKcS0_
    find_name.restype, find_name.argtypes = ctypes.c_char_p, [ctypes.c_char_p, ctypes.c_char_p]
    to_modality = lib._Z24dcmSOPClassUIDToModalityPKcS0_
    to_modality.restype, to_modality.argtypes = ctypes.c_char_p, [ctypes.c_char_p, ctypes.c_char_p]
    is_storage = lib._Z24dcmIsaStorageSOPClassUIDPKc21E_StorageSOPClassType
    is_storage.restype, is_storage.argtypes = ctypes.c_bool, [ctypes.c_char_p, ctypes.c_int]
    xfer = lib._ZN7DcmXferC1EPKc
    xfer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    for uid, name in uids.UID_NAMES.items():
        b = uid.encode()
        assert find_name(b, None).decode() == name
        assert is_storage(b, 3) == uids.is_storage_sop_class(uid), uid          # ESSC_All
        assert is_storage(b, 2) == (uid in uids.NON_PATIENT_STORAGE_SOP_CLASSES), uid
        assert (to_modality(b, b"XX") or b"XX").decode() == uids.modality_prefix(uid, "XX"), uid
        buf = ctypes.create_string_buffer(256)
        xfer(buf, b)
        long_name = ctypes.cast(buf, ctypes.POINTER(ctypes.c_char_p))[1].decode()
        assert long_name == uids.ts_long_name(uid), uid
    count = ctypes.c_int.in_dll(lib, "numberOfDcmLongSCUStorageSOPClassUIDs").value
    array = (ctypes.c_char_p * count).in_dll(lib, "dcmLongSCUStorageSOPClassUIDs")
    assert tuple(u.decode() for u in array) == uids.LONG_SCU_STORAGE_SOP_CLASSES
