"""pydcmkit.conquest.commands*: the server side of dgate's remote commands (dgate.md §7.2), at the
dispatch level (no network): a Dgate on a run directory in tmp_path behind a RemoteCommandHandler.
"""

from __future__ import annotations

import os
import struct

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from pydcmkit.conquest import commands
from pydcmkit.conquest.commands_db import split_patient, sql_values
from pydcmkit.conquest.commands_net import find_peer, move_request
from pydcmkit.conquest.commands_objects import (
    anonymized,
    bmp_bytes,
    dump_header,
    extract_frames,
    render_8bit,
)
from pydcmkit.conquest.ini import resolve_config_location
from pydcmkit.conquest.remote import CommandContext, RemoteCommandHandler
from pydcmkit.conquest.service import Dgate
from pydcmkit.db.model import InformationModel

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning")]

TEST_FILES = os.path.join(os.path.dirname(pydicom.data.__file__), "test_files")
CT = os.path.join(TEST_FILES, "CT_small.dcm")
RGB_2FRAME = os.path.join(TEST_FILES, "SC_rgb_rle_2frame.dcm")

#: every command of the brief, and whether it changes data (modifies=True)
MODIFYING = {"quit", "safequit", "put_param", "delete_param", "put_amap", "delete_amap", "write_amap",
             "put_sop", "delete_sop", "put_transfer", "delete_transfer", "put_application",
             "delete_application", "put_localae", "delete_localae", "put_remoteae", "delete_remoteae",
             "debuglevel", "testmode", "log_on", "debuglog_on", "initializetables", "regen", "regendevice",
             "regendir", "regenfile", "makespace", "addimagefile", "loadanddeletedir", "deleteimagefile",
             "deleteimagefromdb", "deletesopfromdb", "deletepatient", "deletestudy", "deleteseries",
             "deleteimage", "deletestudies", "movepatient", "movestudy", "moveaccession", "movestudies",
             "moveseries", "move", "grabimagesfromserver", "forward", "extract_frames", "uncompress",
             "compress", "modifypatid", "anonymize", "mergestudy", "mergeseries", "addrecord", "deleterecord",
             "changeuid"}
READING = {"echo", "display_status", "status_string", "genuid", "changeuidback", "checksum", "get_param",
           "get_ini_param", "read_ini", "get_ini", "get_ini_num", "get_amap", "get_amaps", "read_amap", "get_sop",
           "get_transfer", "get_application", "get_localae", "get_remoteae", "get_sqldef", "get_freestore",
           "dump_header", "count_frames", "convert_to_dicom", "convert_to_jpg", "convert_to_bmp", "convert_to_gif",
           "modifystudy", "modifyseries", "modifyimage", "modifier", "query", "query2", "patientfinder",
           "studyfinder", "seriesfinder", "imagefinder", "serieslister", "imagelister", "lua", "luastart",
           "globallua"}


class FakeServer:
    """What register_all needs of a DgateServer, without a socket."""

    def __init__(self, dgate):
        self.dgate = dgate
        self.server = None
        self.active_associations = 0
        self.stopped = 0

    def stop(self):
        self.stopped += 1


@pytest.fixture
def served(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "dicom.ini").write_text(
        f"[sscscp]\nMyACRNema = CONQUESTSRV1\nTCPPort = 5678\nSQLServer = {tmp_path}/conquest.db3\nSqLite = 1\n"
        f"MAGDevices = 1\nMAGDevice0 = {tmp_path}/data/\n")
    (tmp_path / "acrnema.map").write_text("CONQUESTSRV1 127.0.0.1 5678 un\nPEER 10.1.2.3 104 j2\nWILD* 10.0.0.* 104 un\n")
    dgate = Dgate(resolve_config_location(["dgate", f"-w{tmp_path}"]))
    handler = RemoteCommandHandler()
    server = FakeServer(dgate)
    commands.register_all(handler, server)
    yield handler, dgate, server
    dgate.close()


def run(handler, text: str, *, permitted: bool = True, payload: bytes | None = None) -> bytes | None:
    ctx = CommandContext(None, payload=payload, permitted_to_modify=permitted, command=text,
                         calling_ae="PEER", peer_address="10.1.2.3" if not permitted else "127.0.0.1")
    return handler.dispatch(text, ctx)


def test_every_command_is_registered_with_its_access_class(served):
    handler = served[0]
    registered = {prefix[:-1] for prefix in handler.commands}
    assert MODIFYING | READING <= registered
    for name in MODIFYING:
        assert handler._commands[f"{name}:"].modifies, name
    for name in READING:
        assert not handler._commands[f"{name}:"].modifies, name


@pytest.mark.parametrize("name", sorted(MODIFYING - {"quit"}))
def test_modifying_commands_are_refused_to_other_peers(served, name):
    handler, dgate, server = served
    before = open(dgate.ini.path, "rb").read()  # noqa: SIM115
    answer = run(handler, f"{name}:x,y,z", permitted=False)
    assert answer.startswith(f"{name}: refused: PEER at 10.1.2.3".encode())
    assert server.stopped == 0 and open(dgate.ini.path, "rb").read() == before  # noqa: SIM115


def test_unknown_command_is_ignored_and_lua_refused(served):
    handler = served[0]
    assert run(handler, "nosuchcommand:1") is None
    assert run(handler, "lua:return 6*7") == b"lua: Lua is not supported by pydcmkit's dgate"


def test_config_commands(served):
    handler, dgate, _ = served
    assert run(handler, "get_param:MyACRNema") == b"CONQUESTSRV1"
    assert run(handler, "get_ini_num:1,[%s]") == b"[MyACRNema = CONQUESTSRV1\n]"
    assert run(handler, "put_param:TCPPort,104") is None
    assert dgate.ini.get("TCPPort") == "104"
    assert run(handler, "get_amap:2") == b"%-17s %-30s %-10s %-16s" % (b"WILD*", b"10.0.0.*", b"104", b"un")
    assert run(handler, "get_amaps:%s ") == b"CONQUESTSRV1 PEER "  # wildcard entries left out
    assert run(handler, "put_amap:1,PEER,10.9.9.9") is None
    assert dgate.amap.lookup("PEER").host == "10.9.9.9" and dgate.amap.lookup("PEER").compression == "j2"
    assert run(handler, "get_sop:0") is None  # no dgatesop.lst
    assert run(handler, "status_string:") is None


def test_sql_values():
    assert sql_values("'a','it''s', 12 ,'x,y'") == ["a", "it's", "12", "x,y"]
    assert sql_values("1") == ["1"]
    with pytest.raises(ValueError):
        sql_values("'open")
    with pytest.raises(ValueError):
        sql_values("'a' b")


def test_split_patient_at_the_last_colon():
    assert split_patient("1.2.3") == (None, "1.2.3")
    assert split_patient("PAT:1.2.3") == ("PAT", "1.2.3")
    assert split_patient("A:B:1.2") == ("A:B", "1.2")
    assert split_patient(":1.2") == (None, "1.2")


@pytest.mark.parametrize("command, args, model, level, keys", [
    ("movepatient", "S,D,P1", "PATIENT_ROOT", "PATIENT", {"PatientID": "P1"}),
    ("movestudy", "S,D,P1:1.2", "STUDY_ROOT", "STUDY", {"StudyInstanceUID": "1.2", "PatientID": "P1"}),
    ("moveaccession", "S,D,A7", "STUDY_ROOT", "STUDY", {"AccessionNumber": "A7"}),
    ("movestudies", "S,D,20200101-20201231", "STUDY_ROOT", "SERIES", {"StudyDate": "20200101-20201231"}),
    ("moveseries", "S,D,1.3,1.2", "STUDY_ROOT", "SERIES", {"SeriesInstanceUID": "1.3", "StudyInstanceUID": "1.2"}),
    ("move", "S,D,P1,1.2,,", "STUDY_ROOT", "STUDY", {"PatientID": "P1", "StudyInstanceUID": "1.2"}),
    ("move", "S,D,,,,1.4", "STUDY_ROOT", "IMAGE", {"SOPInstanceUID": "1.4"}),
    ("move", "S,D,P1", "PATIENT_ROOT", "PATIENT", {"PatientID": "P1"}),
])
def test_move_requests(command, args, model, level, keys):
    source, dest, got_model, ident = move_request(command, args)
    assert (source, dest, got_model) == ("S", "D", InformationModel[model])
    assert ident.QueryRetrieveLevel == level
    assert {e.keyword: e.value for e in ident if e.keyword != "QueryRetrieveLevel"} == keys


@pytest.mark.parametrize("command, args", [("movepatient", "S,D,"), ("movestudy", "S"), ("move", "S,D,,,,")])
def test_move_requests_missing_arguments(command, args):
    with pytest.raises(ValueError):
        move_request(command, args)


def test_peers_from_acrnema_map(served):
    _, dgate, server = served
    assert find_peer(dgate, server, "(local)") == find_peer(dgate, server, "CONQUESTSRV1")
    assert find_peer(dgate, server, "(local)").port == 5678
    assert (find_peer(dgate, server, "WILD7").host, find_peer(dgate, server, "WILD7").port) == ("10.0.0.7", 104)
    assert run(served[0], "movepatient:UNKNOWN,PEER,P") == b"1 Move failed from UNKNOWN to PEER"


def test_dump_header_lines():
    ds = Dataset()
    ds.PatientID = "ID\n1"
    ds.Rows = 512
    ds.add_new(0x00091010, "OB", b"\x01\x02\x03")
    ds.add_new(0x00280009, "AT", [0x00181063])
    item = Dataset()
    item.CodeValue = "X"
    ds.add_new(0x00081110, "SQ", [item, item])
    ds.add_new(0x00100030, "DA", "")
    assert dump_header(ds).splitlines() == [
        '0008,1110      0 SQ ReferencedStudySeque   Sequence Item',
        '>0008,0100      2 SH CodeValue              "X" ',
        '-',
        '>0008,0100      2 SH CodeValue              "X" ',
        '0009,1010      4 OB ' + ' ' * 23 + '01 02 03 00 ',
        '0010,0020      4 LO PatientID              "ID\\n1" ',
        '0010,0030      0 DA PatientBirthDate       (empty)',
        '0028,0009      4 AT FrameIncrementPointe   (0018, 1063) ',
        '0028,0010      2 US Rows                   512 ',
    ]


def test_extract_frames_keeps_the_chosen_frames():
    ds = pydicom.dcmread(RGB_2FRAME)
    out = extract_frames(ds, 1, 5)
    assert out.NumberOfFrames == 1 and np.array_equal(out.pixel_array, ds.pixel_array[1])
    with pytest.raises(ValueError):
        extract_frames(ds, 2, 3)


def test_render_and_bmp():
    ds = pydicom.dcmread(CT)
    pixels = render_8bit(ds, size=64)
    assert pixels.shape == (64, 64) and pixels.dtype == np.uint8 and pixels.max() > pixels.min()
    full = render_8bit(ds, level=0, window=2)
    assert set(np.unique(full)) <= {0, 127, 255}
    bmp = bmp_bytes(np.array([[0, 255, 7]], dtype=np.uint8))
    assert bmp[:2] == b"BM" and struct.unpack_from("<IiiHH", bmp, 14) == (40, 3, 1, 1, 8)
    assert bmp[-4:] == b"\x00\xff\x07\x00"  # one row padded to 4 bytes
    rgb = bmp_bytes(np.array([[[1, 2, 3]]], dtype=np.uint8))
    assert struct.unpack_from("<H", rgb, 28)[0] == 24 and rgb[-4:] == b"\x03\x02\x01\x00"  # BGR


def test_anonymized_default():
    ds = pydicom.dcmread(CT)
    out = anonymized(ds)
    assert str(out.PatientName) == "anonymous" and out.PatientBirthDate == "19010101"
    assert out.ReferringPhysicianName == "" and ds.PatientName != "anonymous"


def test_addimagefile_with_payload_and_count_frames(served):
    handler = served[0]
    with open(CT, "rb") as f:
        data = f.read()
    assert run(handler, "addimagefile:upload.dcm,NEWPAT", payload=data) == b"0"
    assert run(handler, "patientfinder:local|NEWPAT") == b"CompressedSamples^CT1 NEWPAT"
    assert run(handler, "addimagefile:worklist.hl7") == b"1"
    assert run(handler, f"count_frames:{RGB_2FRAME}") == b"2"
    assert run(handler, "modifystudy:P,1.2,x").endswith(b"nothing was changed")


# -- who may change or delete data (server.CommandAccess) -----------------------------------------

@pytest.mark.parametrize("ini_lines, address, ae, allowed", [
    ("", "127.0.0.1", "ANY", True),
    ("", "127.9.9.9", "ANY", True),
    ("", "::1", "ANY", True),
    ("", "10.1.2.3", "ANY", False),
    ("", "not an address", "ANY", False),
    ("RemoteCommandHosts = 10.1.2.3\n", "10.1.2.3", "ANY", True),
    ("RemoteCommandHosts = 10.9.0.0/16, 192.168.1.7\n", "10.9.200.1", "ANY", True),
    ("RemoteCommandHosts = 10.9.0.0/16, 192.168.1.7\n", "::ffff:192.168.1.7", "ANY", True),
    ("RemoteCommandHosts = 10.9.0.0/16\n", "10.10.0.1", "ANY", False),
    ("RemoteCommandHosts = bogus\n", "10.1.2.3", "ANY", False),
    ("RemoteCommandAETitles = ADMIN\n", "127.0.0.1", "ADMIN", True),
    ("RemoteCommandAETitles = ADMIN\n", "127.0.0.1", "OTHER", False),
    ("RemoteCommandHosts = 10.1.2.3\nRemoteCommandAETitles = ADMIN, OPS\n", "10.1.2.3", "OPS", True),
    ("RemoteCommandHosts = 10.1.2.3\nRemoteCommandAETitles = ADMIN, OPS\n", "10.1.2.4", "OPS", False),
])
def test_command_access_rule(tmp_path, ini_lines, address, ae, allowed):
    from pydcmkit.conquest.server import CommandAccess
    from pydcmkit.conquest.service import Dgate
    (tmp_path / "dicom.ini").write_text(f"[sscscp]\nMyACRNema = TEST\nSQLServer = {tmp_path}/db.sqlite\nSqLite = 1\n"
                                        f"MAGDevices = 1\nMAGDevice0 = {tmp_path}/\n{ini_lines}")
    rule = CommandAccess(Dgate(str(tmp_path / "dicom.ini"), open_database=False))
    assert rule(address, ae) is allowed
