"""dgate's DICOM server (``python3 -m tools.dgate -v``) against DCMTK 3.6.7 peers over loopback.

Storage with FileNameSyntax, the database rows, rewrites, IncomingCompression and ``~XX``
(dgate.md §5, §8, §9), C-FIND in the three models and the worklist, C-MOVE to a DCMTK storescp
listed in acrnema.map, C-GET, concurrent associations, bad input and shutdown (§10, §13).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time

import numpy as np
import pydicom
import pytest
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import generate_uid

from pydcmkit.conquest.naming import read_v2
from tests.interop.dcmqrscp_support import findscu, keys, scu, tool_env
from tests.interop.dgate_support import (AE, DgateRun, StoreSCP, free_port_pair, pixels, read_stored, sample,
                                         transfer_syntax)
from tests.interop.rawclient import RawAssociation, c_store_rq, status_of
from tests.support.procs import free_port, ours

CT, MR = "CT_small.dcm", "MR_small.dcm"
OVERLAY, RGB, DOSE = "examples_overlay.dcm", "SC_rgb_small_odd.dcm", "rtdose_1frame.dcm"
NATIVE_SET = (CT, MR, OVERLAY, RGB, DOSE)
IMPLICIT, EXPLICIT, BIG = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"
NAME_4 = re.compile(r"^(?P<id>[^/]{1,16})/(?P<series>[0-9.]+)_(?P<sn>\d{4})_(?P<in>\d{6})_\d+[0-9a-f]{4}\.dcm$")


def original(name: str) -> pydicom.Dataset:
    return pydicom.dcmread(sample(name))


@pytest.fixture
def dgates(tmp_path):
    """Factory of started servers in their own run directories; all are stopped at teardown."""
    started = []

    def make(name: str = "run", *args, **kw) -> DgateRun:
        run = DgateRun(tmp_path / name, **kw)
        started.append(run)
        return run.start(*args)

    yield make
    for run in started:
        run.stop()


# ---------------------------------------------------------------------------------------------
# Verification and storage

def test_echo(dgates):
    run = dgates()
    proc = run.echoscu()
    assert proc.returncode == 0, proc.stderr
    assert "Received C-ECHO Request" in run.log


@pytest.mark.parametrize("option, debug, stamped", [("-l", False, False), ("-L", True, False),
                                                     ("-^", False, True), ("-#", True, True)])
def test_log_file_options(dgates, tmp_path, option, debug, stamped):
    # -lFILE / -LFILE: normal / normal and debug log to FILE; -^FILE / -#FILE: the same with time stamps
    log_file = tmp_path / "server.log"
    run = dgates("run", f"{option}{log_file}")
    assert run.storescu(sample(CT)).returncode == 0
    run.stop()
    lines = log_file.read_text().splitlines()
    assert any("Received C-STORE" in line or "Written file" in line for line in lines), lines[:20]
    stamp = re.compile(r"^\d{8} \d\d:\d\d:\d\d ")
    records = [line for line in lines if "Association Received" in line or "is running" in line]
    assert records and all(bool(stamp.match(line)) == stamped for line in records), records[:5]
    # the debug log also has the association's negotiation dump, which the normal log leaves out
    assert any("Presentation Context" in line or "Our Implementation Class UID" in line
               for line in lines) == debug, lines[:40]


def test_max_associations_rejects_the_one_too_many(dgates):
    # pydcmkit's MaxAssociations key of dicom.ini bounds the associations served at once
    run = dgates(settings={"MaxAssociations": "1"})
    held = RawAssociation(run.port)
    assert held.associate([(1, "1.2.840.10008.1.1", [IMPLICIT])], called=AE) == 0x02
    try:
        proc = run.echoscu()
        assert proc.returncode != 0 and "Association Rejected" in proc.stderr, proc.stderr
    finally:
        held.release()
    deadline = time.monotonic() + 10
    while run.echoscu().returncode != 0:
        assert time.monotonic() < deadline, "the slot was not freed"
        time.sleep(0.2)


def test_database_from_the_environment(tmp_path):
    # PYDCMKIT_DGATE_DATABASE (a postgresql:// URL or an SQLite path) replaces the database that
    # dicom.ini names, for servers sharing one database
    other = tmp_path / "shared.sqlite"
    run = DgateRun(tmp_path / "run")
    try:
        run.start(PYDCMKIT_DGATE_DATABASE=str(other))
        assert run.storescu(sample(CT)).returncode == 0
    finally:
        run.stop()
    import sqlite3
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT SOPInstanc FROM DICOMImages").fetchall() == [(original(CT).SOPInstanceUID,)]
    assert not (run.mag0 / "dbase" / "conquest.db3").exists()  # the database of dicom.ini was not used


def test_store_names_rows_and_meta(dgates):
    run = dgates()
    proc = run.storescu(*map(sample, NATIVE_SET))
    assert proc.returncode == 0, proc.stderr
    files = run.files()
    assert len(files) == len(NATIVE_SET), files
    for name in NATIVE_SET:
        ds = original(name)
        path = run.object_file(ds.SOPInstanceUID)
        rel = path.relative_to(run.mag0).as_posix()
        m = NAME_4.match(rel)
        assert m, rel
        assert m["id"] == ds.PatientID[:16] and m["series"] == ds.SeriesInstanceUID
        assert m["sn"] == f"{int(ds.get('SeriesNumber') or 0):04d}"
        assert m["in"] == f"{int(ds.get('InstanceNumber') or 0):06d}"
        stored = pydicom.dcmread(path)
        assert stored.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert stored.file_meta.TransferSyntaxUID in (IMPLICIT, EXPLICIT)
        assert stored.PatientName == ds.PatientName
        assert np.array_equal(stored.pixel_array, ds.pixel_array)
    patients = {r[0] for r in run.rows("SELECT PatientID FROM DICOMPatients")}
    assert patients == {original(n).PatientID for n in NATIVE_SET}
    studies = run.rows("SELECT StudyInsta, PatientID, StudyDate FROM DICOMStudies")
    assert {s[0] for s in studies} == {original(n).StudyInstanceUID for n in NATIVE_SET}
    ct = original(CT)
    assert (ct.StudyInstanceUID, ct.PatientID, ct.StudyDate) in studies
    series = run.rows("SELECT SeriesInst, Modality, StudyInsta FROM DICOMSeries")
    assert (ct.SeriesInstanceUID, "CT", ct.StudyInstanceUID) in series
    images = run.rows("SELECT SOPInstanc, SOPClassUI, SeriesInst, ImagePat, DeviceName FROM DICOMImages")
    assert (ct.SOPInstanceUID, ct.SOPClassUID, ct.SeriesInstanceUID, ct.PatientID, "MAG0") in images
    assert len(images) == len(NATIVE_SET)
    assert "Written file:" in run.log


def _modified(tmp_path, name: str, **changes) -> str:
    ds = original(name)
    for key, value in changes.items():
        setattr(ds, key, value)
    out = tmp_path / f"modified-{name}"
    ds.save_as(out)
    return str(out)


@pytest.mark.parametrize("ignore", [0, 1])
def test_resend_rewrites_the_same_file_unless_ignore_rewrite(dgates, tmp_path, ignore):
    run = dgates(settings={"IgnoreRewrite": ignore})
    assert run.storescu(sample(CT)).returncode == 0
    uid = original(CT).SOPInstanceUID
    first = run.object_file(uid)
    inode = first.stat().st_ino
    proc = run.storescu(_modified(tmp_path, CT, StudyDescription="SECOND VERSION"))
    assert proc.returncode == 0, proc.stderr
    assert "Store Failed" not in proc.stderr
    assert run.files() == [first.relative_to(run.mag0).as_posix()]
    assert run.object_file(uid) == first
    assert len(run.rows("SELECT * FROM DICOMImages")) == 1
    stored = pydicom.dcmread(first)
    if ignore:
        assert first.stat().st_ino == inode
        assert stored.get("StudyDescription", "") != "SECOND VERSION"
    else:
        assert first.stat().st_ino != inode  # written anew (atomic rename) under the same name
        assert stored.StudyDescription == "SECOND VERSION"
        assert run.rows("SELECT StudyDescr FROM DICOMStudies") == [("SECOND VERSION",)]


def test_rewrite_under_another_name_removes_the_old_file(dgates):
    # FileNameSyntax 3 gives .v2 names, which cannot hold JPEG data: the same instance sent again
    # as JPEG lossless (~j2) is stored under a .dcm name, and the .v2 file must not stay behind
    run = dgates(settings={"FileNameSyntax": "3"})
    uid = original(CT).SOPInstanceUID
    assert run.storescu(sample(CT)).returncode == 0
    first = run.object_file(uid)
    assert first.suffix == ".v2"
    assert run.storescu(sample(CT), aec=f"{AE}~j2").returncode == 0
    second = run.object_file(uid)
    assert second.suffix == ".dcm" and second.exists()
    assert not first.exists()
    assert run.files() == [second.relative_to(run.mag0).as_posix()]
    assert len(run.rows("SELECT * FROM DICOMImages")) == 1


@pytest.mark.parametrize("syntax, pattern", [
    ("3", r"^{id16}/{series}_0001_000001_\d+[0-9a-f]{{4}}\.v2$"),
    ("8", r"^{id32}/{study}/{series}/{sop}\.dcm$"),
    ("9", r"^{study}/{series}/{sop}\.dcm$"),
    ("%modality/%id/%series_%image[2,5]_%sopuid.dcm", r"^CT/{id16}/0001_0001_{sop}\.dcm$"),
])
def test_file_name_syntax(dgates, syntax, pattern):
    run = dgates(settings={"FileNameSyntax": syntax})
    assert run.storescu(sample(CT)).returncode == 0
    ds = original(CT)
    expected = pattern.format(id16=re.escape(ds.PatientID[:16]), id32=re.escape(ds.PatientID[:32]),
                              series=re.escape(ds.SeriesInstanceUID), study=re.escape(ds.StudyInstanceUID),
                              sop=re.escape(ds.SOPInstanceUID))
    files = run.files()
    assert len(files) == 1 and re.match(expected, files[0]), (files, expected)
    assert run.rows("SELECT ObjectFile FROM DICOMImages") == [(files[0],)]
    path = run.mag0 / files[0]
    if files[0].endswith(".v2"):
        raw = path.read_bytes()
        assert raw[128:132] != b"DICM" and not raw.startswith(b"\x02\x00")  # no preamble, no meta
        stored = read_v2(path)
    else:
        stored = pydicom.dcmread(path)
    assert stored.SOPInstanceUID == ds.SOPInstanceUID
    assert np.array_equal(stored.pixel_array, ds.pixel_array)


# ---------------------------------------------------------------------------------------------
# IncomingCompression and the ~XX called-AE suffix (dgate.md §5.2, §8, §9)

@pytest.fixture(scope="module")
def compressing(tmp_path_factory):
    """Servers for the compression tests: FileNameSyntax 4 (.dcm), 3 (.v2), 4 with AllowNKIAsDICOM."""
    root = tmp_path_factory.mktemp("compression")
    runs = {"dcm": DgateRun(root / "dcm"), "v2": DgateRun(root / "v2", settings={"FileNameSyntax": 3}),
            "nki-dcm": DgateRun(root / "nki-dcm", settings={"AllowNKIAsDICOM": 1})}
    try:
        for run in runs.values():
            run.start()
        yield runs
    finally:
        for run in runs.values():
            run.stop()


def _store(run: DgateRun, name: str, code: str | None, *, send=None) -> tuple[pydicom.Dataset, object]:
    """Send ``name`` to ``AE~code`` (storescu for native files, dcmsend for compressed ones);
    return the original and the stored file's path."""
    aec = f"{AE}~{code}" if code else AE
    ds = original(name)
    proc = (send or run.storescu)(sample(name), aec=aec)
    assert proc.returncode == 0 and "Failed" not in proc.stderr, proc.stderr + run.log[-2000:]
    return ds, run.object_file(ds.SOPInstanceUID)


@pytest.mark.parametrize("code, syntax", [
    ("ul", EXPLICIT), ("ub", BIG), ("ui", IMPLICIT), ("un", None), ("as", None),
    ("j1", "1.2.840.10008.1.2.4.70"), ("j2", "1.2.840.10008.1.2.4.57"), ("jk", "1.2.840.10008.1.2.4.90"),
    ("js", "1.2.840.10008.1.2.4.80"),
])
@pytest.mark.parametrize("name", [CT, MR])
def test_lossless_codes_are_pixel_exact(compressing, code, syntax, name):
    run = compressing["dcm"]
    ds, path = _store(run, name, code)
    assert path.suffix == ".dcm"
    stored = pydicom.dcmread(path)
    if syntax is None:  # native data stay in a native syntax
        assert stored.file_meta.TransferSyntaxUID in (IMPLICIT, EXPLICIT)
    else:
        assert stored.file_meta.TransferSyntaxUID == syntax
    assert stored.get("LossyImageCompression", "00") != "01"
    assert np.array_equal(stored.pixel_array, ds.pixel_array)


@pytest.mark.parametrize("code, syntaxes", [
    ("j3", ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.70")),
    ("jl", ("1.2.840.10008.1.2.4.91",)),
])
def test_lossy_codes_give_decodable_objects(compressing, code, syntaxes):
    run = compressing["dcm"]
    ds, path = _store(run, "examples_rgb_color.dcm" if code == "j3" else MR, code)
    stored = pydicom.dcmread(path)
    assert stored.file_meta.TransferSyntaxUID in syntaxes
    assert stored.pixel_array.shape == ds.pixel_array.shape
    assert stored.LossyImageCompression == "01"


@pytest.mark.parametrize("code", ["n1", "n2", "n3", "n4"])
def test_nki_codes(compressing, code):
    # .v2 (FileNameSyntax 3): NKI data in (7FDF,0010), no (7FE0,0010)
    ds, path = _store(compressing["v2"], MR, code)
    assert path.suffix == ".v2"
    stored = read_v2(path)
    assert 0x7FDF0010 in stored and 0x7FE00010 not in stored
    assert np.array_equal(pixels(stored), ds.pixel_array)
    # .dcm: decompressed (dgate.md §5.2), unless AllowNKIAsDICOM
    ds, path = _store(compressing["dcm"], CT, code)
    stored = pydicom.dcmread(path)
    assert 0x7FDF0010 not in stored and np.array_equal(stored.pixel_array, ds.pixel_array)
    assert "cannot write NKI compressed in dcm format, decompressing" in compressing["dcm"].log
    ds, path = _store(compressing["nki-dcm"], CT, code)
    stored = pydicom.dcmread(path)
    assert 0x7FDF0010 in stored and 0x7FE00010 not in stored
    assert np.array_equal(pixels(stored), ds.pixel_array)


def test_k4_downsizes(compressing):
    ds, path = _store(compressing["dcm"], OVERLAY, "k4")  # 300 x 484: factor ceil(484 / 256) = 2
    stored = pydicom.dcmread(path)
    assert (stored.Rows, stored.Columns) == (150, 242)
    assert [float(v) for v in stored.PixelSpacing] == [2 * float(v) for v in ds.PixelSpacing]
    assert np.array_equal(stored.pixel_array, ds.pixel_array[::2, ::2][:150, :242])


@pytest.mark.parametrize("name, code, syntax", [
    ("MR_small_jpeg_ls_lossless.dcm", "un", None),
    ("MR_small_jp2klossless.dcm", "as", "1.2.840.10008.1.2.4.90"),
    ("MR_small_RLE.dcm", "j2", "1.2.840.10008.1.2.4.57"),
    ("MR_small_jp2klossless.dcm", "n4", None),
])
def test_compressed_input(compressing, name, code, syntax):
    run = compressing["v2" if code == "n4" else "dcm"]
    ds, path = _store(run, name, code, send=run.dcmsend)
    stored = read_stored(path)
    if syntax is not None:
        assert transfer_syntax(path) == syntax
    elif code == "un":
        assert transfer_syntax(path) in (IMPLICIT, EXPLICIT)
    assert np.array_equal(pixels(stored), original(MR).pixel_array)


@pytest.mark.parametrize("name, code", [("JPEG-lossy.dcm", "un"), (RGB, "j3")])
def test_object_that_cannot_be_converted_is_stored_as_received(compressing, name, code):
    """JPEG-lossy.dcm has a scan header no installed decoder accepts; GDCM cannot code a 3 x 3
    frame: the object is kept as received instead of being refused."""
    run = compressing["dcm"]
    ds, path = _store(run, name, code, send=run.dcmsend)
    assert transfer_syntax(path) == ds.file_meta.TransferSyntaxUID
    assert pydicom.dcmread(path).PixelData == ds.PixelData
    assert f"{ds.SOPInstanceUID}: cannot apply compression" in run.log


@pytest.mark.parametrize("code", ["as", "j2"])
def test_v2_name_becomes_dcm_for_jpeg(compressing, code):
    """FileNameSyntax 3 gives .v2 names, but JPEG data cannot go into a raw .v2 (§5.2)."""
    run = compressing["v2"]
    ds, path = _store(run, "MR_small_jp2klossless.dcm" if code == "as" else MR, code, send=run.dcmsend)
    assert path.suffix == ".dcm"
    stored = pydicom.dcmread(path)
    assert stored.file_meta.TransferSyntaxUID in ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.57")
    assert np.array_equal(stored.pixel_array, original(MR).pixel_array)


def test_incoming_compression_setting(dgates):
    run = dgates(settings={"IncomingCompression": "j2"})
    ds, path = _store(run, CT, None)
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.57"
    _ds, path = _store(run, MR, "ul")  # the suffix wins
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == EXPLICIT


# ---------------------------------------------------------------------------------------------
# Query/Retrieve (dgate.md §10): an archive with CT stored as JPEG lossless (~j2), the rest as is

@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    port = free_port_pair()
    dest = StoreSCP(root / "dest", port, "+xa")
    dest_p1 = StoreSCP(root / "dest-p1", port + 1, "+xa")
    run = DgateRun(root / "dgate", amap=[f"STORESCP  127.0.0.1  {port}  un", f"JPEGDEST  127.0.0.1  {port}  j2",
                                         f"GONE  127.0.0.1  {free_port()}  un"])
    try:
        run.start()
        assert run.storescu(sample(CT), aec=f"{AE}~j2").returncode == 0
        assert run.storescu(*map(sample, (MR, OVERLAY, RGB, DOSE))).returncode == 0
        run.dest, run.dest_p1 = dest, dest_p1
        yield run
    finally:
        run.stop()
        dest.stop()
        dest_p1.stop()


def response_values(result, keyword: str) -> list[str | None]:
    """``keyword``'s value in each response of ``findscu -v`` output, also inside sequences and
    for binary VRs (``US 128``); None where a response lacks it."""
    out = []
    for block in re.split(r"I: Find Response: \d+ \(Pending\)", result.proc.stderr)[1:]:
        block = block.split("I: Received Final Find Response")[0]
        m = re.search(r"^I:\s+\([0-9a-f]{4},[0-9a-f]{4}\) \w\w (?:\[(.*?)\]|\(no value available\)|(\S+))\s+#.*\b"
                      + keyword + r"$", block, re.M)
        out.append(None if m is None else (m.group(1) if m.group(1) is not None else (m.group(2) or "")).rstrip(
            " \0"))
    return out


def _find(run, model: str, *pairs: str, aec: str = AE):
    result = findscu(run.port, model, *keys(*pairs), aec=aec, cwd=run.root)
    assert result.proc.returncode == 0, result.proc.stderr
    assert result.final == "Success", result.proc.stderr
    return result


@pytest.mark.parametrize("model", ["-P", "-S"])
def test_find_study_date_range_and_keys_without_column(archive, model):
    result = _find(archive, model, "QueryRetrieveLevel=STUDY", "StudyDate=20040101-20041231", "StudyInstanceUID",
                   "PatientName", "PatientID=*", "InstitutionName", "OperatorsName", "ModalitiesInStudy")
    ct, mr = original(CT), original(MR)
    assert sorted(result.stripped("StudyInstanceUID")) == sorted([ct.StudyInstanceUID, mr.StudyInstanceUID])
    for response in result.responses:
        assert "InstitutionName" not in response and "OperatorsName" not in response
        assert "20040101" <= response["StudyDate"] <= "20041231"
        assert response["QueryRetrieveLevel"].strip() == "STUDY"
    assert sorted(result.stripped("ModalitiesInStudy")) == ["CT", "MR"]


def test_find_patient_level_wildcards(archive):
    result = _find(archive, "-P", "QueryRetrieveLevel=PATIENT", "PatientName=Compressed*", "PatientID",
                   "PatientBirthDate", "InstitutionName")
    assert sorted(result.stripped("PatientID")) == ["1CT1", "4MR1"]
    assert all("InstitutionName" not in r for r in result.responses)
    result = _find(archive, "-P", "QueryRetrieveLevel=PATIENT", "PatientID=?MR?", "PatientName")
    assert result.stripped("PatientName") == ["CompressedSamples^MR1"]


def test_find_series_and_image_levels(archive):
    ct = original(CT)
    result = _find(archive, "-S", "QueryRetrieveLevel=SERIES", f"StudyInstanceUID={ct.StudyInstanceUID}",
                   "SeriesInstanceUID", "Modality", "SeriesNumber", "OperatorsName")
    assert result.stripped("SeriesInstanceUID") == [ct.SeriesInstanceUID]
    assert result.stripped("Modality") == ["CT"]
    assert "OperatorsName" not in result.responses[0]
    result = _find(archive, "-S", "QueryRetrieveLevel=IMAGE", f"StudyInstanceUID={ct.StudyInstanceUID}",
                   f"SeriesInstanceUID={ct.SeriesInstanceUID}", "SOPInstanceUID", "Rows", "Columns")
    assert result.stripped("SOPInstanceUID") == [ct.SOPInstanceUID]
    assert response_values(result, "Rows") == ["128"] and response_values(result, "Columns") == ["128"]
    result = _find(archive, "-P", "QueryRetrieveLevel=IMAGE", "PatientID=4MR1", "StudyInstanceUID",
                   "SeriesInstanceUID", "SOPInstanceUID", "Modality")
    assert result.stripped("SOPInstanceUID") == [original(MR).SOPInstanceUID]
    assert result.stripped("Modality") == ["MR"]  # an upper-level key in an IMAGE answer


def test_find_patient_study_only_model(archive):
    result = _find(archive, "-O", "QueryRetrieveLevel=STUDY", "PatientName=Last*", "StudyInstanceUID")
    assert result.stripped("StudyInstanceUID") == [original(DOSE).StudyInstanceUID]
    result = findscu(archive.port, "-O", *keys("QueryRetrieveLevel=SERIES", "SeriesInstanceUID"), aec=AE,
                     cwd=archive.root)
    assert result.responses == [] and result.final != "Success"  # no SERIES level in this model


def test_worklist(archive):
    archive.rows("DELETE FROM DICOMWorkList")
    archive.rows("INSERT INTO DICOMWorkList (AccessionN, PatientID, PatientNam, PatientBir, PatientSex, Modality,"
                 " ScheduledA, StartDate, StartTime, ReqProcDes) VALUES"
                 " ('ACC001', 'WL1', 'Worklist^One', '19600101', 'F', 'MR', 'MRSCANNER', '20261123', '0900',"
                 " 'MR head'), ('ACC002', 'WL2', 'Worklist^Two', '19700101', 'M', 'CT', 'CTSCANNER', '20261124',"
                 " '1000', 'CT chest')")
    result = _find(archive, "-W", "PatientName", "PatientID", "AccessionNumber", "InstitutionName",
                   "(0040,0100)[0].Modality=MR", "(0040,0100)[0].ScheduledStationAETitle",
                   "(0040,0100)[0].ScheduledProcedureStepStartDate")
    assert result.stripped("AccessionNumber") == ["ACC001"]
    assert result.stripped("PatientName") == ["Worklist^One"]
    assert response_values(result, "ScheduledStationAETitle") == ["MRSCANNER"]
    assert response_values(result, "ScheduledProcedureStepStartDate") == ["20261123"]
    assert response_values(result, "Modality") == ["MR"]
    assert "InstitutionName" not in result.responses[0]
    result = _find(archive, "-W", "PatientName=Worklist*", "AccessionNumber",
                   "(0040,0100)[0].ScheduledProcedureStepStartDate=20261124-")
    assert result.stripped("AccessionNumber") == ["ACC002"]


def _movescu(run, *args, aec: str = AE):
    return scu("movescu", "-v", "-aet", "MOVESCU", "-aec", aec, *args, "127.0.0.1", run.port, cwd=run.root)


def _clear(run):
    run.dest.clear()
    run.dest_p1.clear()


def test_move_to_storescp(archive):
    _clear(archive)
    proc = _movescu(archive, "-P", "-aem", "STORESCP", *keys("QueryRetrieveLevel=PATIENT", "PatientID=*1*"))
    assert proc.returncode == 0 and "Received Final Move Response (Success)" in proc.stderr, proc.stderr
    files = archive.dest.files()
    assert len(files) == 5
    received = {pydicom.dcmread(f).SOPInstanceUID: pydicom.dcmread(f) for f in files}
    for name in NATIVE_SET:
        ds = original(name)
        got = received[ds.SOPInstanceUID]
        assert got.file_meta.TransferSyntaxUID == IMPLICIT  # 'un' proposes Implicit VR LE only
        assert np.array_equal(got.pixel_array, ds.pixel_array)
    assert "Move SCP: 5 completed, 0 failed" in archive.log


def test_move_selects_nothing_without_a_key(archive):
    """A bare ``*`` is no condition: nothing is sent (dgate would send the whole archive)."""
    _clear(archive)
    proc = _movescu(archive, "-P", "-aem", "STORESCP", *keys("QueryRetrieveLevel=PATIENT", "PatientID=*"))
    assert "Received Final Move Response (Success)" in proc.stderr, proc.stderr
    assert archive.dest.files() == []


def test_move_counts_in_responses(archive):
    _clear(archive)
    proc = scu("movescu", "-d", "-aet", "MOVESCU", "-aec", AE, "-S", "-aem", "STORESCP",
               *keys("QueryRetrieveLevel=STUDY", f"StudyInstanceUID={original(DOSE).StudyInstanceUID}"),
               "127.0.0.1", archive.port, cwd=archive.root)
    assert proc.returncode == 0, proc.stderr
    finals = re.findall(r"Completed Suboperations\s*:\s*(\d+)", proc.stderr)
    assert finals and finals[-1] == "1"
    assert len(archive.dest.files()) == 1


def test_move_unknown_destination(archive):
    _clear(archive)
    proc = scu("movescu", "-d", "-aet", "MOVESCU", "-aec", AE, "-S", "-aem", "NOWHERE",
               *keys("QueryRetrieveLevel=STUDY", f"StudyInstanceUID={original(MR).StudyInstanceUID}"),
               "127.0.0.1", archive.port, cwd=archive.root)
    assert re.search(r"DIMSE Status\s*:\s*0xc003", proc.stderr), proc.stderr
    assert archive.dest.files() == []


def test_move_destination_refuses(archive):
    proc = _movescu(archive, "-S", "-aem", "GONE",
                    *keys("QueryRetrieveLevel=STUDY", f"StudyInstanceUID={original(MR).StudyInstanceUID}"))
    assert "Received Final Move Response (Success)" not in proc.stderr
    assert _movescu(archive, "-S", "-aem", "STORESCP", *keys("QueryRetrieveLevel=STUDY",
                    f"StudyInstanceUID={original(MR).StudyInstanceUID}")).returncode == 0  # still serving


@pytest.mark.parametrize("how", ["suffix", "amap"])
def test_move_jpeg_lossless(archive, how):
    _clear(archive)
    aec, dest = (f"{AE}~j2", "STORESCP") if how == "suffix" else (AE, "JPEGDEST")
    proc = _movescu(archive, "-S", "-aem", dest, *keys("QueryRetrieveLevel=STUDY",
                    f"StudyInstanceUID={original(MR).StudyInstanceUID}"), aec=aec)
    assert proc.returncode == 0 and "Received Final Move Response (Success)" in proc.stderr, proc.stderr
    [path] = archive.dest.files()
    got = pydicom.dcmread(path)
    # proposed .4.57, .4.70, Implicit LE (§9); storescp +xa takes .4.70, so the object goes as j1
    assert got.file_meta.TransferSyntaxUID in ("1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70")
    assert np.array_equal(got.pixel_array, original(MR).pixel_array)


def test_move_port_suffix(archive):
    _clear(archive)
    proc = _movescu(archive, "-S", "-aem", "STORESCP", *keys("QueryRetrieveLevel=STUDY",
                    f"StudyInstanceUID={original(CT).StudyInstanceUID}"), aec=f"{AE}~p1")
    assert proc.returncode == 0 and "Received Final Move Response (Success)" in proc.stderr, proc.stderr
    assert archive.dest.files() == []
    [path] = archive.dest_p1.files()
    got = pydicom.dcmread(path)
    assert got.file_meta.TransferSyntaxUID == IMPLICIT  # map column 'un': the stored JPEG is decoded
    assert np.array_equal(got.pixel_array, original(CT).pixel_array)


def test_get_sends_decompressed(archive, tmp_path):
    out = tmp_path / "get"
    out.mkdir()
    ct = original(CT)
    stored = archive.object_file(ct.SOPInstanceUID)
    assert transfer_syntax(stored) == "1.2.840.10008.1.2.4.57"
    proc = scu("getscu", "-v", "-aet", "GETSCU", "-aec", AE, "-S", "-od", out,
               *keys("QueryRetrieveLevel=SERIES", f"StudyInstanceUID={ct.StudyInstanceUID}",
                     f"SeriesInstanceUID={ct.SeriesInstanceUID}"), "127.0.0.1", archive.port, cwd=tmp_path)
    assert proc.returncode == 0 and "Received Final Get Response (Success)" in proc.stderr or \
        "Received C-GET Response (Success)" in proc.stderr, proc.stderr
    [path] = list(out.iterdir())
    got = pydicom.dcmread(path)
    assert got.file_meta.TransferSyntaxUID in (IMPLICIT, EXPLICIT)
    assert np.array_equal(got.pixel_array, ct.pixel_array)
    assert list((archive.mag0 / "printer_files").iterdir()) == []  # the decoded copy is removed


# ---------------------------------------------------------------------------------------------
# Several associations at once, bad input, start-up failures, shutdown

def _copies(tmp_path, count: int, group: int) -> list[str]:
    """``count`` copies of CT_small in one new series of one shared study and patient."""
    series = f"1.2.826.0.1.3680043.10.999.77.{group}"
    out = []
    for n in range(count):
        ds = original(CT)
        ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.999.77.1"
        ds.SeriesInstanceUID = series
        ds.SeriesNumber = group
        ds.InstanceNumber = n + 1
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        path = tmp_path / f"copy-{group}-{n}.dcm"
        ds.save_as(path)
        out.append(str(path))
    return out


def test_concurrent_associations_lose_nothing(dgates, tmp_path):
    run = dgates()
    batches = [_copies(tmp_path, 6, group) for group in range(2, 6)]
    procs = [subprocess.Popen(["/usr/bin/storescu", "-aet", f"STORE{i}", "-aec", AE, "127.0.0.1", str(run.port),
                               *batch], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, batch in enumerate(batches)]
    try:
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
    assert [p.returncode for p in procs] == [0, 0, 0, 0], results
    sent = {pydicom.dcmread(f).SOPInstanceUID for batch in batches for f in batch}
    stored = {r[0] for r in run.rows("SELECT SOPInstanc FROM DICOMImages")}
    assert stored == sent
    assert len(run.files()) == len(sent)
    assert run.rows("SELECT COUNT(*) FROM DICOMPatients") == [(1,)]
    assert run.rows("SELECT COUNT(*) FROM DICOMStudies") == [(1,)]
    assert run.rows("SELECT COUNT(*) FROM DICOMSeries") == [(4,)]
    assert run.log.count("Association Received") == 4


def _raw_store(port: int, data: bytes, *, sop_instance: str = "1.2.3.4", ts: str = EXPLICIT) -> int:
    assoc = RawAssociation(port)
    try:
        assert assoc.associate([(1, "1.2.840.10008.5.1.4.1.1.2", [ts])], calling="RAWSCU", called=AE) == 0x02
        assoc.send_command(1, c_store_rq(1, "1.2.840.10008.5.1.4.1.1.2", sop_instance))
        assoc.send_dataset(1, data)
        return status_of(assoc.read_command())
    finally:
        assoc.close()


@pytest.mark.parametrize("data", [
    # SOP Class UID, then an element whose length runs past the end
    b"\x08\x00\x16\x00UI\x1a\x001.2.840.10008.5.1.4.1.1.2\x00" + b"\x08\x00\x18\x00UI\xf0\x001.2.3",
    # no SOP Instance UID
    b"\x08\x00\x16\x00UI\x1a\x001.2.840.10008.5.1.4.1.1.2\x00\x10\x00\x20\x00LO\x04\x00ABCD",
    b"\xff" * 37,
])
def test_malformed_dataset_fails_and_server_keeps_serving(dgates, data):
    run = dgates()
    status = _raw_store(run.port, data)
    assert status != 0 and status >> 12 in (0xA, 0xC, 0x0), hex(status)
    assert run.files() == [] and run.rows("SELECT COUNT(*) FROM DICOMImages") == [(0,)]
    assert run.echoscu().returncode == 0
    assert run.storescu(sample(CT)).returncode == 0
    assert len(run.files()) == 1
    assert run.proc.poll() is None
    assert "Traceback" not in run.log
    assert "***" in run.log  # the reason is logged


def test_missing_dicom_ini(tmp_path):
    proc = subprocess.run([*ours("dgate"), "-v"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=tool_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert re.search(r"Configuration file .*dicom\.ini not found, but required\.", proc.stdout + proc.stderr), \
        proc.stdout + proc.stderr


def test_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        run = DgateRun(tmp_path / "run", port=port)
        proc = run.run("-v")
    assert proc.returncode != 0
    assert "***Failed to Listen () - bind error" in proc.stderr + proc.stdout
    assert "in use" in (proc.stderr + proc.stdout).lower()
    assert "Traceback" not in proc.stderr


def test_sigterm_finishes_the_store_in_flight(dgates):
    run = dgates()
    ds = original(OVERLAY)
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, False
    write_dataset(fp, ds)
    data = fp.getvalue()
    assoc = RawAssociation(run.port)
    try:
        assert assoc.associate([(1, ds.SOPClassUID, [EXPLICIT])], calling="RAWSCU", called=AE) == 0x02
        assoc.send_command(1, c_store_rq(1, ds.SOPClassUID, ds.SOPInstanceUID))
        half = len(data) // 2
        assoc.send_dataset(1, data[:half], last=False)
        time.sleep(0.3)
        run.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert run.proc.poll() is None  # waits for the store in flight
        assoc.send_dataset(1, data[half:])
        assert status_of(assoc.read_command()) == 0
    finally:
        assoc.close()
    assert run.proc.wait(20) == 0
    assert "DGATE stopping: 1 association(s) open" in run.log
    stored = pydicom.dcmread(run.object_file(ds.SOPInstanceUID))
    assert np.array_equal(stored.pixel_array, ds.pixel_array)


def test_sigterm_when_idle_exits_zero(dgates):
    run = dgates()
    assert run.echoscu().returncode == 0
    assert run.stop() == 0
