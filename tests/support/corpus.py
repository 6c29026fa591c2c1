"""The shared test corpus of dcmtk-cli.md Appendix A (fixed UIDs), plus DCMTK-made variants."""

from __future__ import annotations

import os
import subprocess

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

ROOT = "1.2.826.0.1.3680043.10.999"
CT, MR, SC = ("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.7")


def make(out, fname, cls, inst, pname, pid, birth, sex, study, sdate, stime, acc, sid,
         sdesc, series, sno, modality, ino, series_date=None,
         ts=ExplicitVRLittleEndian, bits=16, with_meta=True, size=16):
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID, ds.SOPInstanceUID = cls, inst
    ds.StudyDate, ds.StudyTime = sdate, stime
    if series_date is not None:
        ds.SeriesDate = series_date
    ds.AccessionNumber, ds.Modality = acc, modality
    ds.ReferringPhysicianName, ds.StudyDescription = "REF^DOC", sdesc
    ds.PatientName, ds.PatientID = pname, pid
    ds.PatientBirthDate, ds.PatientSex = birth, sex
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = sid, sno, ino
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = size
    ds.BitsAllocated = bits
    ds.BitsStored = 8 if bits == 8 else 12
    ds.HighBit, ds.PixelRepresentation = ds.BitsStored - 1, 0
    px = (np.arange(size * size) % 256).astype(np.uint8 if bits == 8 else np.uint16).reshape(size, size)
    ds.PixelData = (px if bits == 8 else px * 8).tobytes()
    path = os.path.join(out, fname)
    if with_meta:
        fm = FileMetaDataset()
        fm.MediaStorageSOPClassUID, fm.MediaStorageSOPInstanceUID = cls, inst
        fm.TransferSyntaxUID = ts
        fm.ImplementationClassUID = ROOT + ".1"
        ds.file_meta = fm
        ds.save_as(path, enforce_file_format=True,
                   implicit_vr=(ts == ImplicitVRLittleEndian), little_endian=True)
    else:
        ds.save_as(path, implicit_vr=True, little_endian=True)
    return path


def generate(out: str, dcmtk_variants: bool = True) -> str:
    os.makedirs(out, exist_ok=True)
    R = ROOT
    make(out, "ct1.dcm", CT, R+".4.111", "DOE^JOHN", "PAT001", "19700101", "M", R+".2.1", "20230115",
         "101500", "ACC001", "STUDY1", "CT HEAD", R+".3.11", 1, "CT", 1, "20230115")
    make(out, "ct2.dcm", CT, R+".4.112", "DOE^JOHN", "PAT001", "19700101", "M", R+".2.1", "20230115",
         "101500", "ACC001", "STUDY1", "CT HEAD", R+".3.11", 1, "CT", 2, "20230115")
    make(out, "ct3.dcm", CT, R+".4.121", "DOE^JOHN", "PAT001", "19700101", "M", R+".2.1", "20230115",
         "101500", "ACC001", "STUDY1", "CT HEAD", R+".3.12", 2, "CT", 1, "20230116")
    make(out, "mr1.dcm", MR, R+".4.211", "SMITH^JANE", "PAT002", "19800202", "F", R+".2.2", "20230620",
         "093000", "ACC002", "STUDY2", "MR KNEE", R+".3.21", 1, "MR", 1, "20230620",
         ts=ImplicitVRLittleEndian)
    make(out, "sc1.dcm", SC, R+".4.311", "NODATE^PAT", "PAT003", "19900303", "O", R+".2.3", "20240101",
         "120000", "ACC003", "STUDY3", "SC", R+".3.31", 1, "OT", 1, None, bits=8)
    make(out, "sc8.dcm", SC, R+".4.312", "NODATE^PAT", "PAT003", "19900303", "O", R+".2.3", "20240101",
         "120000", "ACC003", "STUDY3", "SC", R+".3.31", 1, "OT", 2, "2024010", bits=8)
    make(out, "priv1.dcm", "1.3.6.1.4.1.99999.1.1", R+".4.411", "PRIV^PAT", "PAT004", "19900404", "M",
         R+".2.4", "20240202", "120000", "ACC004", "STUDY4", "PRIV", R+".3.41", 1, "OT", 1, "20240202")
    make(out, "nometa.dcm", CT, R+".4.511", "NOMETA^PAT", "PAT005", "19900505", "M", R+".2.5", "20240303",
         "120000", "ACC005", "STUDY5", "NOMETA", R+".3.51", 1, "CT", 1, "20240303", with_meta=False)
    make(out, "nonstorage.dcm", "1.2.840.10008.1.1", R+".4.611", "NS^PAT", "PAT006", "19900606", "M",
         R+".2.6", "20240404", "120000", "ACC006", "STUDY6", "NS", R+".3.61", 1, "OT", 1, "20240404")
    make(out, "baduid.dcm", CT, "1.2.3.abc", "BADUID^PAT", "PAT007", "19900707", "M", R+".2.7",
         "20240505", "120000", "ACC007", "STUDY7", "BADUID", R+".3.71", 1, "CT", 1, "20240505")
    with open(os.path.join(out, "notdicom.txt"), "w") as f:
        f.write("this is not a DICOM file\n")
    if dcmtk_variants:
        for cmd in (["dcmcjpeg", "ct1.dcm", "ct1_jpll.dcm"], ["dcmcrle", "ct2.dcm", "ct2_rle.dcm"],
                    ["dcmcjpls", "ct3.dcm", "ct3_jls.dcm"], ["dcmconv", "+td", "ct1.dcm", "ct1_defl.dcm"],
                    ["dcmcjpeg", "+eb", "sc1.dcm", "sc1_jpb.dcm"]):
            subprocess.run(["/usr/bin/" + cmd[0]] + cmd[1:], cwd=out, check=True, timeout=60)
    return out


MY_CFG = """\
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LocalEndianExplicit
TransferSyntax2 = LittleEndianImplicit
[ImplicitOnly]
TransferSyntax1 = 1.2.840.10008.1.2

[[PresentationContexts]]
[Store SCP]
PresentationContext1 = VerificationSOPClass\\Uncompressed
PresentationContext2 = CTImageStorage\\Uncompressed
PresentationContext3 = MRImageStorage\\ImplicitOnly
PresentationContext4 = SecondaryCaptureImageStorage\\Uncompressed
PresentationContext5 = 1.3.6.1.4.1.99999.1.1\\Uncompressed

[[Profiles]]
[My Profile]
PresentationContexts = Store SCP
"""
