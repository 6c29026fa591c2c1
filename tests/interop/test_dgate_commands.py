"""dgate's remote commands end to end (dgate.md §6, §7.2): our dgate client (send_command and the
``tools.dgate`` command line) against our DgateServer on loopback, in ConQuest-style run
directories made in tmp_path.  A second server (DEST) is the destination of moves and forwards.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import threading

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from pydcmkit.conquest import commands
from pydcmkit.conquest.ini import resolve_config_location
from pydcmkit.conquest.remote import RemoteCommandFailed, send_command
from pydcmkit.conquest.server import DgateServer
from pydcmkit.conquest.service import Dgate
from tests.support.procs import REPO, env, free_port

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

TEST_FILES = os.path.join(os.path.dirname(pydicom.data.__file__), "test_files")
CT = os.path.join(TEST_FILES, "CT_small.dcm")            # patient 1CT1, Explicit LE, 128x128
MR = os.path.join(TEST_FILES, "MR_small.dcm")            # patient 4MR1, 64x64
MR_RLE = os.path.join(TEST_FILES, "MR_small_RLE.dcm")
RGB_2FRAME = os.path.join(TEST_FILES, "SC_rgb_rle_2frame.dcm")  # patient ID1, 2 frames, RLE
CT_SOP = pydicom.dcmread(CT, stop_before_pixels=True).SOPInstanceUID
CT_STUDY = pydicom.dcmread(CT, stop_before_pixels=True).StudyInstanceUID
CT_SERIES = pydicom.dcmread(CT, stop_before_pixels=True).SeriesInstanceUID
MR_STUDY = pydicom.dcmread(MR, stop_before_pixels=True).StudyInstanceUID


class Running:
    """A DgateServer serving in a thread; ``cmd`` sends a command with our client."""

    def __init__(self, folder, ae: str, port: int, peers: dict[str, int]):
        self.folder, self.ae, self.port = folder, ae, port
        (folder / "data").mkdir(parents=True)
        (folder / "dicom.ini").write_text(
            f"[sscscp]\nMicroPACS = sscscp\nMyACRNema = {ae}\nTCPPort = {port}\n"
            f"SQLServer = {folder}/conquest.db3\nSqLite = 1\nMAGDevices = 1\nMAGDevice0 = {folder}/data/\n"
            f"FileNameSyntax = 4\n")
        lines = [f"{name:<17} 127.0.0.1 {p:<10} un\n" for name, p in peers.items()]
        (folder / "acrnema.map").write_text("".join(lines))
        self.dgate = Dgate(resolve_config_location(["dgate", f"-w{folder}"]))
        self.server = DgateServer(self.dgate, register_commands=commands.register_all)
        self.server.start()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def cmd(self, text: str, payload: bytes | None = None) -> bytes | None:
        return send_command("127.0.0.1", self.port, self.ae, text, payload, timeout=60)

    def text(self, text: str) -> str:
        answer = self.cmd(text)
        return "" if answer is None else answer.decode()

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(15)
        assert not self.thread.is_alive()

    def patients(self) -> list[str]:
        return [r[0] for r in self.dgate.database.raw_query("DICOMPatients", "PatientID")]

    def images(self) -> list[str]:
        return sorted(r[0] for r in self.dgate.database.raw_query("DICOMImages", "SOPInstanc"))


@pytest.fixture
def pair(tmp_path):
    src_port, dest_port = free_port(), free_port()
    peers = {"CONQUESTSRV1": src_port, "DEST": dest_port, "NOWHERE": free_port()}
    dest = Running(tmp_path / "dest", "DEST", dest_port, peers)
    src = Running(tmp_path / "src", "CONQUESTSRV1", src_port, peers)
    yield src, dest
    src.stop()
    dest.stop()


@pytest.fixture
def srv(pair):
    return pair[0]


def add(server: Running, *paths: str) -> None:
    for path in paths:
        assert server.cmd(f"addimagefile:{path}") == b"0"


def client(folder, port: int, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Our dgate's command line as a client (pattern 3)."""
    return subprocess.run([sys.executable, "-m", "tools.dgate", f"-w{folder}", f"-p{port}", f"--{command}"],
                          cwd=REPO, env=env(), capture_output=True, timeout=timeout, check=False)


# -- stateless and status ----------------------------------------------------------------------------

def test_echo_genuid_checksum_and_status(srv):
    assert srv.text("echo:CONQUESTSRV1") == "CONQUESTSRV1 is UP"
    assert srv.text("echo:NOWHERE") == "NOWHERE is DOWN"
    assert srv.text("checksum:hello") == "4029829531"
    assert srv.text("genuid:").startswith("1.2.826.0.1.3680043.2.135.1066.6.")
    status = srv.text("display_status:")
    assert status.startswith(f"DICOM server 'CONQUESTSRV1' (version 1.5.0e, port {srv.port}, bits 64) was started on ")
    assert "Space on MAG0 : " in status and "Database type: sqlite" in status
    assert srv.text("status_string:") == ""
    assert srv.text("testmode:1") == "" and "TestMode=1" in srv.text("display_status:")


def test_client_command_line_exit_codes(srv):
    proc = client(srv.folder, srv.port, "get_param:MyACRNema")
    assert (proc.returncode, proc.stdout) == (255, b"CONQUESTSRV1")
    proc = client(srv.folder, srv.port, "get_param:Nonexistent")
    assert (proc.returncode, proc.stdout) == (0, b"")


# -- dicom.ini ------------------------------------------------------------------------------------------

def test_params_and_ini(srv):
    assert srv.text("get_param:TCPPort,port=%s!") == f"port={srv.port}!"
    assert srv.text("get_ini_param:FileNameSyntax") == "4"
    srv.cmd("put_param:LossyQuality,80")
    assert srv.text("get_param:LossyQuality") == "80"
    text = (srv.folder / "dicom.ini").read_text()
    assert text.startswith("# Written by put_param on ") and "# Parameter added by put_param on" in text
    srv.cmd("put_param:LossyQuality,70")
    assert srv.text("get_param:LossyQuality") == "70"
    srv.cmd("delete_param:LossyQuality")
    assert srv.cmd("get_param:LossyQuality") is None
    lines = (srv.folder / "dicom.ini").read_text().splitlines(keepends=True)
    assert srv.text("get_ini:") == "".join(lines)
    assert srv.text("get_ini_num:1") == lines[1]
    assert srv.text("get_ini_num:1,<%.9s>") == "<" + lines[1][:9] + ">"
    assert srv.cmd("get_ini_num:999") is None
    with open(srv.folder / "dicom.ini", "a") as f:
        f.write("[sscscp]\n")
    assert srv.cmd("read_ini:") is None


# -- acrnema.map, dgatesop.lst, dicom.sql, devices ---------------------------------------------------

def test_amap_commands(srv):
    assert srv.text("get_amap:1") == f"{'DEST':<17} {'127.0.0.1':<30} {srv.dgate.amap[1].port:<10} {'un':<16}"
    assert srv.text("get_amap:1,%s:%0.0s%s") == f"DEST:{srv.dgate.amap[1].port}"
    assert srv.text("get_amaps:%s,").split(",")[:3] == ["CONQUESTSRV1", "DEST", "NOWHERE"]
    srv.cmd("put_amap:9,NEWAE,10.0.0.1,104,j2")
    assert srv.text("get_amap:3").split() == ["NEWAE", "10.0.0.1", "104", "j2"]
    srv.cmd("put_amap:3,NEWAE,10.0.0.2,105,un")
    assert srv.text("get_amap:3").split() == ["NEWAE", "10.0.0.2", "105", "un"]
    assert "NEWAE" not in (srv.folder / "acrnema.map").read_text()  # memory only
    srv.cmd("write_amap:")
    assert "NEWAE" in (srv.folder / "acrnema.map").read_text()
    srv.cmd("delete_amap:3")
    assert srv.cmd("get_amap:3") is None
    srv.cmd("read_amap:")
    assert srv.text("get_amap:3").split()[0] == "NEWAE"


def test_sop_commands(srv):
    sop = srv.folder / "dgatesop.lst"
    sop.write_text("Verification 1.2.840.10008.1.1 sop\nCTImageStorage 1.2.840.10008.5.1.4.1.1.2 sop\n"
                   "LittleEndianImplicit 1.2.840.10008.1.2 transfer\n")
    assert srv.text("get_sop:1") == "1.2.840.10008.5.1.4.1.1.2 CTImageStorage"
    assert srv.text("get_transfer:0,%s") == "1.2.840.10008.1.2"
    assert srv.cmd("get_localae:0") is None
    srv.cmd("put_sop:2,1.2.840.10008.5.1.4.1.1.4,MRImageStorage")
    assert srv.text("get_sop:2") == "1.2.840.10008.5.1.4.1.1.4 MRImageStorage"
    assert "File written by put_sop" in sop.read_text() and "MRImageStorage" in sop.read_text()
    srv.cmd("put_transfer:1,1.2.840.10008.1.2.1,LittleEndianExplicit")
    srv.cmd("put_remoteae:0,CONQUESTSRV1,calling")
    assert srv.text("get_remoteae:0") == "CONQUESTSRV1 calling"
    srv.cmd("delete_sop:0")
    assert srv.text("get_sop:0") == "1.2.840.10008.5.1.4.1.1.2 CTImageStorage"
    srv.cmd("delete_remoteae:0")
    assert srv.cmd("get_remoteae:0") is None


def test_sqldef_and_freestore(srv):
    assert srv.text("get_sqldef:study,0") == "0x0020, 0x000d           StudyInsta   64 SQL_C_CHAR   DT_UI (UI)"
    assert srv.text("get_sqldef:patient,0,%0.0s%0.0s%s") == "PatientID"
    assert srv.cmd("get_sqldef:study,999") is None
    assert abs(int(srv.text("get_freestore:MAG0")) - shutil.disk_usage(srv.folder / "data").free // 2 ** 20) < 64
    assert srv.text("get_freestore:MAG0,%dMB").endswith("MB")
    assert "unknown device" in srv.text("get_freestore:MAG7")


def test_logging_commands(srv, tmp_path):
    log = tmp_path / "pacs.log"
    assert srv.cmd(f"log_on:{log}") is None
    srv.cmd("debuglevel:1")
    add(srv, CT)
    assert log.exists() and "Added file" in log.read_text()
    srv.cmd("debuglog_on:")
    srv.cmd("log_on:")


# -- loading, finding, listing ------------------------------------------------------------------------

def test_addimagefile_finders_listers_and_query(srv):
    add(srv, CT, MR)
    assert srv.cmd("addimagefile:/nonexistent.dcm") == b"1"
    assert srv.text("patientfinder:local|CT") == "CompressedSamples^CT1 1CT1"
    assert srv.text("patientfinder:local|=4MR1").endswith(" 4MR1")
    assert srv.text("patientfinder:local|").count("\n") == 1
    assert srv.text("studyfinder:local|2004") .count("\n") == 1
    assert srv.text("studyfinder:local|1CT1|%s %s") == "20040119 CT"
    assert srv.text(f"seriesfinder:local|={CT_STUDY}|%0.0s%0.0s%s") == "CT"
    assert srv.text(f"imagefinder:local|={CT_SERIES}|%s") == CT_SOP
    assert srv.text(f"serieslister:local|1CT1|{CT_STUDY}") == CT_SERIES
    files = srv.text(f"imagelister:local||{CT_SERIES}").split("*")
    assert len(files) == 1 and os.path.isfile(files[0]) and files[0].startswith(str(srv.folder / "data"))
    rows = srv.text("query:DICOMImages|ObjectFile,DeviceName||%s@%s*").split("*")
    assert len(rows) == 2 and all(r.endswith(".dcm@MAG0") for r in rows)
    assert srv.text("query:DICOMPatients|PatientID|PatientID = '1CT1'") == "1CT1 \n"
    assert srv.text("query2:DICOMImages|SOPInstanc||%s|1").count(".") > 3
    out = srv.folder / "q.txt"
    assert srv.cmd(f"query:DICOMPatients|PatientID||%s|{out}") is None and out.read_text().count("\n") == 1
    assert srv.text("status_string:") == ""


def test_remote_finders_by_c_find(pair):
    src, dest = pair
    add(dest, CT, MR)
    assert src.text("patientfinder:DEST|CT") == "CompressedSamples^CT1 1CT1"
    assert src.text(f"seriesfinder:DEST|={CT_STUDY}|%0.0s%0.0s%s") == "CT"
    assert src.text(f"imagefinder:DEST|={CT_SERIES}|%s") == CT_SOP
    assert src.text(f"serieslister:DEST||{CT_STUDY}") == CT_SERIES
    assert "failed" in src.text("patientfinder:NOWHERE|")


def test_addlocalfile_uploads_a_file_over_1_mb(srv, tmp_path):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid(), generate_uid()
    ds.PatientID, ds.PatientName, ds.Modality = "BIG1", "Big^File", "OT"
    ds.Rows = ds.Columns = 1024
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = np.arange(1024 * 1024, dtype=np.uint16).tobytes()
    path = tmp_path / "big.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert path.stat().st_size > 2 * 2 ** 20
    proc = client(srv.folder, srv.port, f"addlocalfile:{path},NEWBIG")
    assert (proc.returncode, proc.stdout) == (255, b"0"), proc.stderr
    assert srv.patients() == ["NEWBIG"]
    stored = pydicom.dcmread(srv.text("imagelister:local|NEWBIG|" + srv.dgate.database.raw_query(
        "DICOMSeries", "SeriesInst")[0][0]).split("*")[0])
    assert stored.PixelData == ds.PixelData and stored.SOPInstanceUID != ds.SOPInstanceUID
    assert srv.text(f"changeuidback:{stored.SOPInstanceUID}") == ""  # renewed with stage NEWBIG, not (empty)


def test_changeuid(srv):
    new = srv.text("changeuid:1.2.3.4")
    assert new.startswith("1.2.826.0.1.3680043.2.135.1066.7.")
    assert srv.text("changeuid:1.2.3.4") == new
    assert srv.text(f"changeuidback:{new}") == "1.2.3.4"
    assert srv.cmd("changeuidback:9.9.9") is None


# -- deletes, regen, tables, space ------------------------------------------------------------------

def test_deletes(srv):
    add(srv, CT, MR, RGB_2FRAME)
    ct_file = srv.text(f"imagelister:local||{CT_SERIES}")
    srv.cmd(f"deleteimagefromdb:{ct_file}")
    assert CT_SOP not in srv.images() and os.path.exists(ct_file)
    srv.cmd(f"regenfile:{ct_file}")
    assert CT_SOP in srv.images()
    srv.cmd(f"deletesopfromdb:1CT1,{CT_STUDY},{CT_SERIES},{CT_SOP}")
    assert CT_SOP not in srv.images() and os.path.exists(ct_file)
    srv.cmd("regendir:MAG0,1CT1")
    assert CT_SOP in srv.images()
    srv.cmd(f"deleteimagefile:1CT1:{CT_SOP}")
    assert CT_SOP not in srv.images() and not os.path.exists(ct_file)
    add(srv, CT)
    srv.cmd(f"deleteimage:1CT1:{CT_SOP}")
    assert "1CT1" not in srv.patients()
    add(srv, CT)
    srv.cmd(f"deleteseries:{CT_SERIES}")
    assert "1CT1" not in srv.patients()
    add(srv, CT)
    srv.cmd(f"deletestudy:WRONG:{CT_STUDY}")
    assert "1CT1" in srv.patients()
    srv.cmd(f"deletestudy:1CT1:{CT_STUDY}")
    assert "1CT1" not in srv.patients()
    srv.cmd("deletestudies:20040826")
    assert "4MR1" not in srv.patients()
    srv.cmd("deletepatient:ID1")
    assert srv.patients() == [] and not any(p.is_file() for p in (srv.folder / "data").rglob("*"))


def test_regen_initializetables_and_makespace(srv):
    add(srv, CT, MR)
    srv.cmd("initializetables:")
    assert srv.patients() == [] and srv.images() == []  # tables re-created empty, files kept
    srv.cmd("regen:")
    assert len(srv.images()) == 2
    assert srv.text("status_string:") == "regen: 2 files entered, 0 failed"
    srv.dgate.database.delete_records("DICOMImages", "1 = 1")
    srv.cmd("regendevice:MAG0")
    assert len(srv.images()) == 2
    srv.cmd("makespace:1")
    assert len(srv.images()) == 2  # there is more than 1 MB free
    srv.cmd(f"makespace:{2 ** 40}")
    assert srv.patients() == []


def test_addrecord_and_deleterecord(srv):
    srv.cmd("addrecord:DICOMWorkList|PatientID,PatientNam,AccessionN|'WL1','Doe^John',  'ACC''1'")
    assert srv.text("query:DICOMWorkList|PatientID,PatientNam,AccessionN||%s/%s/%s") == "WL1/Doe^John/ACC'1"
    assert "failed" in srv.text("addrecord:NoTable|a|'b'")
    srv.cmd("deleterecord:DICOMWorkList,PatientID = 'WL1'")
    assert srv.cmd("query:DICOMWorkList|PatientID||%s") is None


# -- objects ---------------------------------------------------------------------------------------------

def test_dump_header_and_count_frames(srv, tmp_path):
    add(srv, CT)
    dump = srv.text(f"dump_header:1CT1:{CT_SOP}")
    assert '0010,0020      4 LO PatientID              "1CT1" ' in dump.splitlines()
    assert "0028,0010      2 US Rows                   128 " in dump.splitlines()
    out = tmp_path / "dump.txt"
    assert srv.cmd(f"dump_header:{CT},{out}") is None and out.read_text() == dump
    assert srv.text(f"count_frames:{CT}") == "0"
    assert srv.text(f"count_frames:{RGB_2FRAME}") == "2"


def test_extract_uncompress_compress(srv, tmp_path):
    out = tmp_path / "frame.dcm"
    assert srv.cmd(f"extract_frames:{RGB_2FRAME},{out},1,1") is None
    one, both = pydicom.dcmread(out), pydicom.dcmread(RGB_2FRAME)
    assert one.NumberOfFrames == 1 and np.array_equal(one.pixel_array, both.pixel_array[1])
    plain = tmp_path / "plain.dcm"
    srv.cmd(f"uncompress:{MR_RLE},{plain}")
    decoded = pydicom.dcmread(plain)
    assert decoded.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert np.array_equal(decoded.pixel_array, pydicom.dcmread(MR).pixel_array)
    nki = tmp_path / "nki.dcm"
    srv.cmd(f"compress:{MR},n4,{nki}")
    assert 0x7FDF0010 in pydicom.dcmread(nki, force=True)
    assert "failed" in srv.text(f"compress:{MR},zz,{nki}")


def test_convert_to_dicom_and_bmp(srv, tmp_path):
    add(srv, CT)
    answer = srv.cmd(f"convert_to_dicom:1CT1:{CT_SOP},64")
    assert answer.startswith(b"Content-type: application/dicom\n\n")
    ds = pydicom.dcmread(__import__("io").BytesIO(answer[len(b"Content-type: application/dicom\n\n"):]))
    assert (ds.Rows, ds.Columns) == (64, 64)
    bmp = srv.cmd(f"convert_to_bmp:{CT},64,")
    assert bmp[:2] == b"BM" and struct.unpack_from("<ii", bmp, 18) == (64, 64)
    assert struct.unpack_from("<I", bmp, 2)[0] == len(bmp)
    out = tmp_path / "x.bmp"
    assert srv.cmd(f"convert_to_bmp:{RGB_2FRAME},0,{out},//1") is None
    assert out.read_bytes()[:2] == b"BM" and struct.unpack_from("<H", out.read_bytes(), 28)[0] == 24
    assert srv.cmd(f"convert_to_bmp:{CT},0,cgi,40/400").startswith(b"Content-type: image/bmp\n\nBM")
    assert "not supported" in srv.text(f"convert_to_jpg:{CT},64,")
    assert "not supported" in srv.text(f"convert_to_gif:{CT},64,")


def test_modifypatid_and_anonymize(srv):
    add(srv, CT)
    assert srv.cmd(f"modifypatid:NEWID,1CT1:{CT_SOP}") is None
    assert srv.patients() == ["NEWID"] and CT_SOP not in srv.images()
    new_sop = srv.images()[0]
    assert srv.text(f"changeuidback:{new_sop}") == ""  # stage NEWID
    srv.cmd(f"anonymize:ANON1,NEWID:{new_sop}")
    assert srv.patients() == ["ANON1"]
    stored = pydicom.dcmread(srv.text("query:DICOMImages|ObjectFile||%s").strip().join(
        [str(srv.folder / "data") + "/", ""]))
    assert str(stored.PatientName) == "anonymous" and stored.PatientBirthDate == "19010101"
    assert stored.ReferringPhysicianName == ""


def test_mergestudy_and_mergeseries(srv, tmp_path):
    add(srv, CT)
    other = pydicom.dcmread(CT)
    other.StudyInstanceUID, other.SeriesInstanceUID, other.SOPInstanceUID = (generate_uid(), generate_uid(),
                                                                              generate_uid())
    other.save_as(tmp_path / "other.dcm")
    add(srv, str(tmp_path / "other.dcm"))
    assert len(srv.dgate.database.raw_query("DICOMStudies", "StudyInsta")) == 2
    assert srv.cmd(f"mergestudy:{CT_STUDY},{other.StudyInstanceUID}") is None
    assert srv.dgate.database.raw_query("DICOMStudies", "StudyInsta") == [(CT_STUDY,)]
    assert len(srv.images()) == 2 and len(list((srv.folder / "data").rglob("*.dcm"))) == 2
    assert srv.cmd(f"mergeseries:{CT_SERIES},{other.SeriesInstanceUID}") is None
    assert srv.dgate.database.raw_query("DICOMSeries", "SeriesInst") == [(CT_SERIES,)]
    assert "not in the database" in srv.text("mergestudy:9.9,8.8")


def test_scripts_and_lua_are_refused(srv):
    assert srv.text("lua:return 6*7") == "lua: Lua is not supported by pydcmkit's dgate"
    for command in ("luastart:x", "globallua:x"):
        assert "Lua is not supported" in srv.text(command)
    for command in ("modifystudy:P,1.2,script", "modifyseries:P,1.2,script", "modifyimage:f,script",
                    "modifier:P,1,2,3,1,script"):
        assert "scripts and Lua are not supported" in srv.text(command)


# -- network ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command, moved", [
    ("movepatient:(local),DEST,1CT1", [CT_SOP]),
    (f"movestudy:CONQUESTSRV1,DEST,1CT1:{CT_STUDY}", [CT_SOP]),
    (f"moveseries:(local),DEST,{CT_SERIES}", [CT_SOP]),
    (f"moveseries:(local),DEST,1CT1:{CT_SERIES},{CT_STUDY}", [CT_SOP]),
    ("movestudies:(local),DEST,20040119", [CT_SOP]),
    (f"move:(local),DEST,,,,{CT_SOP}", [CT_SOP]),
    ("move:(local),DEST,4MR1,,,", None),
])
def test_moves(pair, command, moved):
    src, dest = pair
    add(src, CT, MR)
    assert src.text(command) == "0"
    if moved is None:
        assert dest.patients() == ["4MR1"]
    else:
        assert dest.images() == moved


def test_moveaccession_and_failures(pair, tmp_path):
    src, dest = pair
    ds = pydicom.dcmread(CT)
    ds.AccessionNumber = "ACC42"
    ds.save_as(tmp_path / "acc.dcm")
    add(src, str(tmp_path / "acc.dcm"))
    assert src.text("moveaccession:(local),DEST,ACC42") == "0" and dest.images() == [CT_SOP]
    assert src.text("movepatient:(local),NOWHERE,1CT1") == "1 Move failed from (local) to NOWHERE"
    assert src.text("movepatient:UNKNOWN,DEST,1CT1") == "1 Move failed from UNKNOWN to DEST"
    assert src.text("movepatient:(local),DEST,") == "1 movepatient: no patient ID"


def test_grabimagesfromserver_and_forward(pair):
    src, dest = pair
    add(src, CT, MR)
    add(dest, MR)
    assert dest.cmd("grabimagesfromserver:CONQUESTSRV1,20040119") is None
    assert sorted(dest.patients()) == ["1CT1", "4MR1"]
    assert "1 images grabbed" in dest.text("status_string:")
    add(src, RGB_2FRAME)
    assert src.cmd(f"forward:ID1:{pydicom.dcmread(RGB_2FRAME).SOPInstanceUID},n4,DEST") is None
    assert "ID1" in dest.patients()
    stored = pydicom.dcmread(dest.text("query:DICOMImages|ObjectFile|ImagePat = 'ID1'|%s").join(
        [str(dest.folder / "data") + "/", ""]), force=True)
    assert stored.NumberOfFrames == 2
    assert "forward: " in src.text(f"forward:{CT},un,NOWHERE")


def test_loadanddeletedir(srv, tmp_path):
    incoming = tmp_path / "incoming"
    (incoming / "sub").mkdir(parents=True)
    shutil.copy(CT, incoming / "a.dcm")
    shutil.copy(MR, incoming / "sub" / "b.dcm")
    (incoming / "junk.txt").write_text("not dicom")
    assert srv.cmd(f"loadanddeletedir:{incoming},LOADED") is None
    assert srv.patients() == ["LOADED"] and len(srv.images()) == 2
    assert sorted(p.name for p in incoming.rglob("*") if p.is_file()) == ["junk.txt"]


def test_quit_ends_the_server_without_an_answer(srv):
    proc = client(srv.folder, srv.port, "quit:")
    assert proc.returncode == 1 and proc.stdout == b""
    srv.thread.join(15)
    assert not srv.thread.is_alive()
    with pytest.raises(RemoteCommandFailed):
        srv.cmd("echo:CONQUESTSRV1")


def test_safequit(srv):
    assert srv.cmd("safequit:") is None
    srv.thread.join(15)
    assert not srv.thread.is_alive()
