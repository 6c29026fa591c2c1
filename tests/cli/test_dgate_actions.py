"""dgate's local actions (dgate.md §1.4, §1.5): ``dgate -wDIR -ACTION`` on a ConQuest-style run
directory, in-process (``tools.dgate.main``) and as a subprocess (``python3 -m tools.dgate``),
checking output, exit status, the SQLite rows and the files on MAG0."""

from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
import pytest

from pydcmkit.conquest import compression as comp
from pydcmkit.conquest.naming import read_object
from tests.support import procs
from tools import dgate

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

TEST_FILES = Path(os.path.dirname(pydicom.data.__file__)) / "test_files"
CT = TEST_FILES / "CT_small.dcm"               # patient 1CT1, Explicit VR LE, 16 bits
MR = TEST_FILES / "MR_small.dcm"               # patient 4MR1
MR_J2K = TEST_FILES / "MR_small_jp2klossless.dcm"
CT_SOP = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"
CT_STUDY = pydicom.dcmread(CT, stop_before_pixels=True).StudyInstanceUID
CT_SERIES = pydicom.dcmread(CT, stop_before_pixels=True).SeriesInstanceUID
MR_SOP = pydicom.dcmread(MR, stop_before_pixels=True).SOPInstanceUID

INI = """\
[sscscp]
MicroPACS                = sscscp
MyACRNema                = {ae}
TCPPort                  = {port}
SQLServer                = {root}/data/dbase/conquest.db3
SqLite                   = 1
UIDPrefix                = 99999.99999
FileNameSyntax           = 4
MAGDevices               = 1
MAGDevice0               = {root}/data/
"""

AMAP = """\
/* AE           host         port   compression */
CONQUESTSRV1    127.0.0.1    5678   un
REMOTEPACS      127.0.0.1    11199  j2
"""


class Run:
    """A run directory: dicom.ini, acrnema.map, data/ (MAG0) with data/dbase/conquest.db3."""

    def __init__(self, root: Path, *, ae: str = "CONQUESTSRV1", port: int = 5678, amap: str = AMAP):
        self.root = root
        self.port = port
        self.mag0 = root / "data"
        (self.mag0 / "dbase").mkdir(parents=True)
        (root / "dicom.ini").write_text(INI.format(root=root, ae=ae, port=port))
        (root / "acrnema.map").write_text(amap)

    def __call__(self, *args: str, capsys=None):
        """``dgate -wROOT args`` in-process; returns (exit status, stdout, stderr)."""
        code = dgate.main([f"-w{self.root}", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    def sub(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tools.dgate", f"-w{self.root}", *map(str, args)],
                              cwd=procs.REPO, env=procs.env(), capture_output=True, text=True, timeout=120, check=False)

    def rows(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.root / "data" / "dbase" / "conquest.db3") as conn:
            return conn.execute(sql).fetchall()

    def files(self) -> list[Path]:
        return sorted(p for p in self.mag0.rglob("*") if p.is_file() and "dbase" not in p.parts)


@pytest.fixture(autouse=True)
def restore_logging():
    """tools.dgate.main sets up the "pydcmkit" logger (handlers, level, no propagation) for the
    process; put it back so later tests' caplog still sees records."""
    logger = logging.getLogger("pydcmkit")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


@pytest.fixture
def run(tmp_path, capsys):
    r = Run(tmp_path / "conquest")

    def call(*args):
        return r(*args, capsys=capsys)

    call.run = r
    call.sub = r.sub
    call.rows = r.rows
    call.files = r.files
    call.root = r.root
    call.mag0 = r.mag0
    return call


def pixels(path) -> np.ndarray:
    ds = read_object(str(path))
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
        ds.file_meta = pydicom.dataset.FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2"
    return comp.apply(ds, "un").pixel_array


# ------------------------------------------------------------------------------------------------
# Command line, configuration
# ------------------------------------------------------------------------------------------------


def test_missing_dicom_ini_is_conquests_message_and_exit_1(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    p = subprocess.run([sys.executable, "-m", "tools.dgate", f"-w{empty}", "-fu"], cwd=procs.REPO,
                       env=procs.env(), capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 1
    assert "dicom.ini not found, but required." in p.stdout
    assert "Configuration file" in p.stdout


def test_unknown_option_prints_usage_on_stderr_and_exits_0(run):
    p = run.sub("-x")
    assert p.returncode == 0
    assert p.stdout == ""
    assert "usage: dgate" in p.stderr


def test_unavailable_action_fails_clearly(run):
    code, out, err = run("-y", "mode=start")
    assert code == 1
    assert "-y" in err and "not available" in err


# ------------------------------------------------------------------------------------------------
# -i -r -ar -fr, -d -m -k -t -o
# ------------------------------------------------------------------------------------------------


def test_i_creates_the_tables_quietly_without_v(run):
    code, out, err = run("-i")
    assert (code, out, err) == (0, "", "")
    tables = {r[0] for r in run.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"DICOMPatients", "DICOMStudies", "DICOMSeries", "DICOMImages", "DICOMWorkList", "UIDMODS"} <= tables
    indexes = {r[0] for r in run.rows("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "images_lnk" in indexes


def test_i1_creates_no_indexes_and_i7_is_refused(run):
    assert run("-i1")[0] == 0
    assert "images_lnk" not in {r[0] for r in run.rows("SELECT name FROM sqlite_master WHERE type = 'index'")}
    code, out, err = run("-i7")
    assert code == 1 and "unknown mode 7" in err


def test_i_empties_the_image_tables(run):
    assert run("-fa" + str(CT))[0] == 0
    assert run.rows("SELECT COUNT(*) FROM DICOMImages") == [(1,)]
    assert run("-v", "-i")[1] == "Initializing Tables\n"
    assert run.rows("SELECT COUNT(*) FROM DICOMImages") == [(0,)]
    assert len(run.files()) == 1  # files are not touched


def test_r_regenerates_the_database_from_mag0(run):
    assert run("-fa" + str(CT))[0] == 0
    assert run("-fa" + str(MR))[0] == 0
    (run.root / "data" / "dbase" / "conquest.db3").unlink()
    code, out, err = run("-v", "-r")
    assert code == 0, err
    assert "2 objects entered" in out
    assert sorted(r[0] for r in run.rows("SELECT PatientID FROM DICOMPatients")) == ["1CT1", "4MR1"]
    files = {r[0] for r in run.rows("SELECT ObjectFile FROM DICOMImages")}
    assert files == {p.relative_to(run.mag0).as_posix() for p in run.files()}


def test_ar_regenerates_one_device_and_refuses_an_unknown_one(run):
    assert run("-fa" + str(CT))[0] == 0
    run("-i")
    assert run("-arMAG0")[0] == 0
    assert run.rows("SELECT SOPInstanc, DeviceName FROM DICOMImages") == [(CT_SOP, "MAG0")]
    code, out, err = run("-arMAG3")
    assert code == 1 and "MAG3" in err


def test_fr_regenerates_one_folder(run):
    assert run("-fa" + str(CT))[0] == 0
    assert run("-fa" + str(MR))[0] == 0
    run("-i")
    assert run("-fr1CT1")[0] == 0
    assert run.rows("SELECT SOPInstanc FROM DICOMImages") == [(CT_SOP,)]
    assert run(f"-frMAG0,{run.mag0 / '4MR1'}")[0] == 0
    assert run.rows("SELECT COUNT(*) FROM DICOMImages") == [(2,)]
    code, out, err = run("-frnowhere")
    assert code == 1 and "nowhere" in err and "no such directory" in err
    code, out, err = run(f"-frMAG0,{run.root}")
    assert code == 1 and "not below the root" in err


@pytest.mark.parametrize("option", ["-d", "-m", "-k", "-t"])
def test_listings_print_only_with_v(run, option):
    code, out, err = run(option)
    assert (code, out, err) == (0, "", "")
    code, out, err = run("-v", option)
    assert code == 0 and out


def test_d_m_k_contents(run):
    out = run("-v", "-d")[1]
    assert out.startswith("MAG0 (") and "MByte free" in out
    out = run("-v", "-m")[1]
    assert "REMOTEPACS" in out and "11199" in out and "j2" in out
    out = run("-v", "-k")[1]
    assert "DICOMPatients" in out and "PatientID" in out and "DICOMWorkList" in out


def test_o_creates_fills_and_drops_a_test_table_ten_times(run):
    code, out, err = run("-v", "-o")
    assert code == 0, err
    assert out.count("dropped") == 10
    assert not run.rows("SELECT name FROM sqlite_master WHERE name = 'pydcmkit_dgate_test'")


# ------------------------------------------------------------------------------------------------
# -fa and friends
# ------------------------------------------------------------------------------------------------


def test_fa_stores_the_file_by_filenamesyntax_and_enters_it(run):
    p = run.sub("-fa" + str(CT))
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    files = run.files()
    assert len(files) == 1
    assert files[0].parent.name == "1CT1"
    assert files[0].name.startswith(CT_SERIES + "_0001_000001_") and files[0].suffix == ".dcm"
    rows = run.rows("SELECT SOPInstanc, ImagePat, ObjectFile, DeviceName FROM DICOMImages")
    assert rows == [(CT_SOP, "1CT1", files[0].relative_to(run.mag0).as_posix(), "MAG0")]
    assert np.array_equal(pixels(files[0]), pydicom.dcmread(CT).pixel_array)


def test_fa_with_new_patient_id_renews_the_uids(run):
    code, out, err = run("-fa" + str(CT) + ",NEWPAT")
    assert code == 0, err
    [(sop, pat)] = run.rows("SELECT SOPInstanc, ImagePat FROM DICOMImages")
    assert pat == "NEWPAT" and sop != CT_SOP and sop.startswith("99999.99999.7.")
    assert (CT_SOP, sop) in run.rows("SELECT OldUID, NewUID FROM UIDMODS")
    assert pydicom.dcmread(run.files()[0]).PatientID == "NEWPAT"


def test_fa_of_a_file_that_is_not_dicom_stores_nothing(run, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("this is not a DICOM file\n")
    p = run.sub("-fa" + str(bad))
    assert p.returncode == 1
    assert str(bad) in p.stderr and "not a DICOM object" in p.stderr
    assert run.files() == []
    assert run.rows("SELECT COUNT(*) FROM DICOMImages") == [(0,)]


def test_fa_of_a_missing_file(run, tmp_path):
    code, out, err = run("-fa" + str(tmp_path / "nothere.dcm"))
    assert code == 1 and "nothere.dcm" in err and "no such file" in err


def test_fa_applies_droppedfilecompression(run):
    ini = run.root / "dicom.ini"
    ini.write_text(ini.read_text() + "DroppedFileCompression = j2\n")
    assert run("-fa" + str(CT))[0] == 0
    stored = pydicom.dcmread(run.files()[0])
    assert stored.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.57"
    assert np.array_equal(stored.pixel_array, pydicom.dcmread(CT).pixel_array)


def test_fa_with_a_bad_droppedfilecompression_stores_nothing(run):
    ini = run.root / "dicom.ini"
    ini.write_text(ini.read_text() + "DroppedFileCompression = zz\n")
    code, out, err = run("-fa" + str(CT))
    assert code == 1 and "'zz'" in err and "dicom.ini" in err
    assert run.files() == []


def test_fa_of_a_zip_loads_every_member(run, tmp_path):
    archive = tmp_path / "images.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CT, "a/ct.dcm")
        z.write(MR, "b/mr.dcm")
    code, out, err = run("-v", "-fa" + str(archive))
    assert code == 0, err
    assert "Loaded 2 of 2 files" in out
    assert sorted(r[0] for r in run.rows("SELECT SOPInstanc FROM DICOMImages")) == sorted([CT_SOP, MR_SOP])


def test_fa_of_a_tar_gz_with_a_bad_member_loads_the_rest_and_fails(run, tmp_path):
    junk = tmp_path / "readme.txt"
    junk.write_text("not dicom")
    archive = tmp_path / "images.tar.gz"
    with tarfile.open(archive, "w:gz") as t:
        t.add(CT, "ct.dcm")
        t.add(junk, "readme.txt")
    code, out, err = run("-fa" + str(archive))
    assert code == 1
    assert "readme.txt" in err and "not a DICOM object" in err
    assert run.rows("SELECT SOPInstanc FROM DICOMImages") == [(CT_SOP,)]


def test_fa_of_a_gz_file(run, tmp_path):
    archive = tmp_path / "ct.dcm.gz"
    archive.write_bytes(gzip.compress(CT.read_bytes()))
    assert run("-fa" + str(archive))[0] == 0
    assert run.rows("SELECT SOPInstanc FROM DICOMImages") == [(CT_SOP,)]


def test_fa_of_a_zip_member_leaving_the_folder_is_refused(run, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CT, "../../escape.dcm")
    code, out, err = run("-fa" + str(archive))
    assert code == 1 and "outside the archive" in err
    assert run.files() == []


def test_fa_of_a_7z_is_refused_clearly(run, tmp_path):
    archive = tmp_path / "images.7z"
    archive.write_bytes(b"7z\xbc\xaf\x27\x1c")
    code, out, err = run("-fa" + str(archive))
    assert code == 1 and "7z archives are not supported" in err


HL7 = ("MSH|^~\\&|HIS|HOSP|DGATE|RAD|20240101120000||ORM^O01|MSG1|P|2.3\r"
       "PID|1||INTERNAL|PAT123|DOE^JOHN||19700102|M\r"
       "OBR|1|PLACER|ACC42|CTHEAD^CT of the head|||20240105093000|||||||||DR^WHO|||||CT|||SCHEDULED|||HIGH\r")


def test_fa_of_an_hl7_file_fills_the_worklist(run, tmp_path):
    message = tmp_path / "order.hl7"
    message.write_bytes(HL7.encode())
    code, out, err = run("-fa" + str(message))
    assert code == 0, err
    rows = run.rows("SELECT PatientID, PatientNam, PatientBir, PatientSex, AccessionN, ReqProcDes, SchedPSID, "
                    "StartDate, StartTime, Modality, ReqPhysici, SchedStati, ReqProcID, ReqProcPri "
                    "FROM DICOMWorkList")
    assert rows == [("PAT123", "DOE^JOHN", "19700102", "M", "ACC42", "CT of the head", "CTHEAD^CT of the",  # SchedPSID: cut to 16
                     "20240105", "093000", "CT", "DR^WHO", "SCHEDULED", "CTHEAD", "HIGH")]
    assert run.files() == []


def test_fa_of_an_hl7_file_without_pid_fails(run, tmp_path):
    message = tmp_path / "bad.hl7"
    message.write_text("MSH|^~\\&|HIS\rEVN|A01\r")
    code, out, err = run("-fa" + str(message))
    assert code == 1 and "bad.hl7" in err and "PID" in err
    assert run.rows("SELECT COUNT(*) FROM DICOMWorkList") == [(0,)]


def test_f_question_mark_prints_the_sop_instance_uid(run):
    p = run.sub("-f?" + str(CT))
    assert (p.returncode, p.stdout) == (0, CT_SOP + "\n")
    code, out, err = run("-f?" + str(run.root / "dicom.ini"))
    assert code == 1 and "dicom.ini" in err and "not a DICOM object" in err


def test_f_question_mark_accepts_patid_colon_sop(run):
    assert run("-fa" + str(CT))[0] == 0
    code, out, err = run(f"-f?1CT1:{CT_SOP}")
    assert (code, out) == (0, CT_SOP + "\n")


def test_fu_prints_a_new_uid(run):
    code, out, err = run("-fu")
    assert code == 0 and out.startswith("99999.99999.6.") and out.endswith("\n")
    assert pydicom.uid.UID(out.strip()).is_valid


def test_fe_re_enters_a_file_fd_removes_the_entry_only(run):
    assert run("-fa" + str(CT))[0] == 0
    [stored] = run.files()
    code, out, err = run("-fd" + str(stored))
    assert code == 0, err
    assert run.rows("SELECT COUNT(*) FROM DICOMImages") == [(0,)]
    assert stored.exists()
    code, out, err = run("-fd" + str(stored))
    assert code == 1 and CT_SOP in err and "not in the database" in err
    assert run("-fe" + str(stored))[0] == 0
    assert run.rows("SELECT SOPInstanc, ObjectFile FROM DICOMImages") == [
        (CT_SOP, stored.relative_to(run.mag0).as_posix())]


def test_fe_of_a_file_outside_the_devices_fails(run):
    code, out, err = run("-fe" + str(CT))
    assert code == 1 and "not on a MAG device" in err


def test_fz_removes_entry_and_file(run):
    assert run("-fa" + str(CT))[0] == 0
    [stored] = run.files()
    assert run("-fz" + str(stored))[0] == 0
    assert not stored.exists()
    assert run.rows("SELECT COUNT(*) FROM DICOMImages") == [(0,)]


def test_fc_moves_the_object_to_a_new_patient(run):
    assert run("-fa" + str(CT))[0] == 0
    [old] = run.files()
    code, out, err = run("-fcOTHER," + str(old))
    assert code == 0, err
    assert not old.exists()
    [new] = run.files()
    assert new.parent.name == "OTHER"
    assert run.rows("SELECT PatientID FROM DICOMPatients") == [("OTHER",)]
    [(sop,)] = run.rows("SELECT SOPInstanc FROM DICOMImages")
    assert sop != CT_SOP and pydicom.dcmread(new).SOPInstanceUID == sop


def test_fk_copies_the_object_to_a_new_patient(run):
    assert run("-fa" + str(CT))[0] == 0
    [old] = run.files()
    assert run("-fkOTHER," + str(old))[0] == 0
    assert old.exists() and len(run.files()) == 2
    assert sorted(r[0] for r in run.rows("SELECT PatientID FROM DICOMPatients")) == ["1CT1", "OTHER"]
    code, out, err = run("-fk" + str(old))
    assert code == 1 and "NEWPATID,FILE" in err


# ------------------------------------------------------------------------------------------------
# Deletes
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def two_patients(run):
    assert run("-fa" + str(CT))[0] == 0
    assert run("-fa" + str(MR))[0] == 0
    return run


def test_fp_deletes_the_patient_from_the_database_only(two_patients):
    run = two_patients
    code, out, err = run("-fp1CT1")
    assert code == 0, err
    assert run.rows("SELECT PatientID FROM DICOMPatients") == [("4MR1",)]
    assert run.rows("SELECT COUNT(*) FROM DICOMStudies WHERE PatientID = '1CT1'") == [(0,)]
    assert len(run.files()) == 2


def test_z_deletes_rows_and_files(two_patients):
    run = two_patients
    p = run.sub("-z4MR1")
    assert p.returncode == 0, p.stderr
    assert run.rows("SELECT PatientID FROM DICOMPatients") == [("1CT1",)]
    assert [f.parent.name for f in run.files()] == ["1CT1"]
    assert not (run.mag0 / "4MR1").exists()


def test_deleting_an_unknown_patient_fails(two_patients):
    code, out, err = two_patients("-zNOBODY")
    assert code == 1 and "NOBODY" in err and "not in the database" in err


def test_ft_fs_fi_with_and_without_patient(two_patients):
    run = two_patients
    code, out, err = run(f"-ft4MR1:{CT_STUDY}")
    assert code == 1 and "for patient 4MR1" in err
    assert run(f"-ft1CT1:{CT_STUDY}")[0] == 0
    assert run.rows("SELECT PatientID FROM DICOMPatients") == [("4MR1",)]
    mr = pydicom.dcmread(MR, stop_before_pixels=True)
    assert run(f"-fs{mr.SeriesInstanceUID}")[0] == 0
    assert run.rows("SELECT COUNT(*) FROM DICOMSeries") == [(0,)]
    assert len(run.files()) == 2
    run("-r")
    assert run(f"-fi{MR_SOP}")[0] == 0
    assert run.rows("SELECT SOPInstanc FROM DICOMImages") == [(CT_SOP,)]


def test_ff_deletes_least_recently_used_patients(two_patients):
    run = two_patients
    assert run("-ff1")[0] == 0
    assert len(run.files()) == 2
    code, out, err = run("-v", f"-ff{10 ** 12}")
    assert code == 1 and "MB free" in err
    assert out.count("Deleted patient") == 2
    assert run.files() == []
    code, out, err = run("-ffmany")
    assert code == 1 and "number of MB" in err


# ------------------------------------------------------------------------------------------------
# Compression: -j* -j- -jd -nd -nc -jc -nu
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, syntax", [("j1", "1.2.840.10008.1.2.4.70"), ("j2", "1.2.840.10008.1.2.4.57"),
                                          ("js", "1.2.840.10008.1.2.4.80"), ("jk", "1.2.840.10008.1.2.4.90"),
                                          ("n1", "1.2.840.10008.1.2"), ("n4", "1.2.840.10008.1.2")])
@pytest.mark.parametrize("source", [CT, MR])
def test_lossless_recompression_in_place_round_trips_pixel_exact(run, tmp_path, mode, syntax, source):
    work = tmp_path / "x.dcm"
    shutil.copy(source, work)
    code, out, err = run(f"-j*{mode}{work}")
    assert (code, out, err) == (0, "", "")
    stored = pydicom.dcmread(work)
    assert stored.file_meta.TransferSyntaxUID == syntax
    if mode.startswith("n"):
        assert 0x7FDF0010 in stored and 0x7FE00010 not in stored
    assert np.array_equal(pixels(work), pydicom.dcmread(source).pixel_array)
    code, out, err = run(f"-jd{work}")
    assert code == 0
    plain = pydicom.dcmread(work)
    assert not plain.file_meta.TransferSyntaxUID.is_compressed and 0x7FDF0010 not in plain
    assert np.array_equal(plain.pixel_array, pydicom.dcmread(source).pixel_array)


def test_jd_and_nd_decompress_jpeg_2000(run, tmp_path):
    for option in ("-jd", "-nd"):
        work = tmp_path / f"{option}.dcm"
        shutil.copy(MR_J2K, work)
        assert run(f"{option}{work}")[0] == 0
        ds = pydicom.dcmread(work)
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        assert np.array_equal(ds.pixel_array, pydicom.dcmread(MR).pixel_array)


def test_j_star_with_a_bad_mode_fails_and_leaves_the_file(run, tmp_path):
    work = tmp_path / "x.dcm"
    shutil.copy(CT, work)
    code, out, err = run(f"-j*q9{work}")
    assert code == 1 and "'q9'" in err and "unknown code" in err
    assert work.read_bytes() == CT.read_bytes()
    code, out, err = run("-j*j")
    assert code == 1 and "2-character mode" in err


def test_j_star_of_a_missing_file(run, tmp_path):
    code, out, err = run(f"-j*j1{tmp_path / 'gone.dcm'}")
    assert code == 1 and "gone.dcm" in err and "no such file" in err


def test_j_minus_writes_a_raw_v2_and_exits_1(run, tmp_path):
    work = tmp_path / "x.dcm"
    shutil.copy(CT, work)
    p = run.sub(f"-j-n4{work}")
    assert p.returncode == 1
    assert p.stderr == ""
    data = work.read_bytes()
    assert data[128:132] != b"DICM"
    assert data[:4] == b"\x08\x00\x05\x00"  # (0008,0005) first, Implicit VR LE, no preamble
    assert np.array_equal(pixels(work), pydicom.dcmread(CT).pixel_array)


def test_recompressing_a_stored_v2_file(run):
    ini = run.root / "dicom.ini"
    ini.write_text(ini.read_text().replace("FileNameSyntax           = 4", "FileNameSyntax           = 3"))
    assert run("-fa" + str(CT))[0] == 0
    [v2] = run.files()
    assert v2.suffix == ".v2"
    before = v2.read_bytes()
    code, out, err = run(f"-j*j1{v2}")
    assert code == 1 and "cannot hold a compressed object" in err and "-j-" in err
    assert v2.read_bytes() == before
    assert run(f"-j*n4{v2}")[0] == 0                       # NKI data do go in a .v2
    assert v2.read_bytes()[:4] == b"\x08\x00\x05\x00"
    assert run(f"-jd{v2}")[0] == 0
    assert np.array_equal(pixels(v2), pydicom.dcmread(CT).pixel_array)
    assert run(f"-f?{v2}")[1] == CT_SOP + "\n"


@pytest.mark.parametrize("option", ["-nc1", "-jc2"])
def test_nc_and_jc_are_broken_as_in_conquest(run, tmp_path, option):
    work = tmp_path / "x.dcm"
    shutil.copy(CT, work)
    code, out, err = run(f"{option}{work}")
    assert code == 1 and "not recognised" in err and "-j*" in err
    assert work.read_bytes() == CT.read_bytes()


def test_nu_decompresses_an_nki_file_to_another_file(run, tmp_path):
    nki = tmp_path / "nki.dcm"
    shutil.copy(CT, nki)
    assert run(f"-j*n2{nki}")[0] == 0
    out_file = tmp_path / "plain.dcm"
    p = run.sub("-nu", nki, out_file)
    assert p.returncode == 0, p.stderr
    ds = pydicom.dcmread(out_file)
    assert 0x7FDF0010 not in ds
    assert np.array_equal(ds.pixel_array, pydicom.dcmread(CT).pixel_array)
    code, out, err = run("-nu", nki)
    assert code == 1 and "-nu INFILE OUTFILE" in err


# ------------------------------------------------------------------------------------------------
# JSON
# ------------------------------------------------------------------------------------------------


def test_js_prints_json_without_pixel_data(run):
    code, out, err = run("-js" + str(CT))
    assert code == 0, err
    data = json.loads(out)
    assert data["00080018"]["Value"] == [CT_SOP]
    assert "7FE00010" not in data and not any(k.startswith("0002") for k in data)


def test_jj_prints_json_with_pixel_data(run):
    p = run.sub("-jj" + str(CT))
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    import base64
    raw = base64.b64decode(data["7FE00010"]["InlineBinary"])
    assert raw == pydicom.dcmread(CT).PixelData


def test_js_of_a_missing_file(run, tmp_path):
    code, out, err = run("-js" + str(tmp_path / "x.dcm"))
    assert code == 1 and out == "" and "x.dcm" in err


# ------------------------------------------------------------------------------------------------
# -g: grab from another server, through our own running server
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def two_servers(tmp_path):
    """Our run directory (CONQUESTSRV1) and a REMOTE dgate holding CT (20040119) and MR (20040826),
    each knowing the other in acrnema.map; the servers are started by the test."""
    ours_port, remote_port = procs.free_port(), procs.free_port()
    amap = f"CONQUESTSRV1 127.0.0.1 {ours_port} un\nREMOTE 127.0.0.1 {remote_port} un\n"
    ours = Run(tmp_path / "ours", port=ours_port, amap=amap)
    remote = Run(tmp_path / "remote", ae="REMOTE", port=remote_port, amap=amap)
    for f in (CT, MR):
        assert remote.sub("-fa" + str(f)).returncode == 0
    return ours, remote


def serve(run: Run) -> procs.Server:
    return procs.Server([sys.executable, "-m", "tools.dgate", f"-w{run.root}"], run.port, run.root)


def test_g_grabs_the_missing_images_of_a_date(two_servers):
    ours, remote = two_servers
    with serve(remote), serve(ours):
        p = ours.sub("-v", "-gREMOTE,20040119")
        assert p.returncode == 0, p.stdout + p.stderr
        assert "1 images found, 1 not here" in p.stdout
        assert ours.rows("SELECT SOPInstanc FROM DICOMImages") == [(CT_SOP,)]
        p = ours.sub("-v", "-gREMOTE")                      # DATE defaults to *: only MR is missing
        assert p.returncode == 0, p.stdout + p.stderr
        assert "2 images found, 1 not here" in p.stdout
        assert sorted(r[0] for r in ours.rows("SELECT SOPInstanc FROM DICOMImages")) == sorted([CT_SOP, MR_SOP])
        p = ours.sub("-gREMOTE")
        assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    assert len(ours.files()) == 2


def test_g_without_our_server_running_fails_clearly(two_servers):
    ours, remote = two_servers
    with serve(remote):
        p = ours.sub("-gREMOTE,20040119")
    assert p.returncode == 1
    assert "CONQUESTSRV1" in p.stderr and "does not answer" in p.stderr and str(ours.port) in p.stderr
    assert ours.rows("SELECT COUNT(*) FROM DICOMImages") == [(0,)]


def test_g_of_an_unknown_or_unreachable_ae(two_servers):
    ours, remote = two_servers
    p = ours.sub("-gNOBODY")
    assert p.returncode == 1 and "NOBODY not in acrnema.map" in p.stderr
    with serve(ours):                                        # REMOTE is not running
        p = ours.sub("-gREMOTE")
    assert p.returncode == 1 and "REMOTE" in p.stderr and str(remote.port) in p.stderr
