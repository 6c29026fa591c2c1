"""pydcmkit.conquest.sop: dgate's dgatesop.lst (dgate.md §11, §7.2 get_sop/put_sop/delete_sop)."""

from __future__ import annotations

import time

import pytest

from pydcmkit.conquest.errors import ConquestConfigError
from pydcmkit.conquest.sop import (DEFAULT_TRANSFER_SYNTAXES, KINDS, SopEntry, SopList,
                                   load_sop_list, parse_sop_list)

# the layout of the stock Linux file: '#' header, commented-out entries, tabs, JPEG extra word
STOCK_STYLE = """\
#
# DICOM Application / sop / transfer UID list.
#
#None\t\t\t\tnone\t\t\t\tRemoteAE
#DICOM\t\t\t\t1.2.840.10008.3.1.1.1\t\tapplication
Verification\t\t\t1.2.840.10008.1.1\t\tsop
CTImageStorage                                       1.2.840.10008.5.1.4.1.1.2\t\tsop
MRImageStorage                                       1.2.840.10008.5.1.4.1.1.4\t\tsop
#GEMRStorage                                         1.2.840.113619.4.2\t\tsop
StudyRootQuery                                       1.2.840.10008.5.1.4.1.2.2.1\tsop
LittleEndianImplicit                                 1.2.840.10008.1.2\ttransfer
LittleEndianExplicit                                 1.2.840.10008.1.2.1\ttransfer
JPEGLosslessNH14                                     1.2.840.10008.1.2.4.57\ttransfer\tLittleEndianExplicit
#JPEGLosslessNH15                                    1.2.840.10008.1.2.4.58\ttransfer\tLittleEndianExplicit
"""

NOW = time.mktime((2024, 9, 25, 10, 11, 12, 0, 0, -1))


def test_stock_style_file():
    sops = parse_sop_list(STOCK_STYLE)
    assert sops.sop_classes == ("1.2.840.10008.1.1", "1.2.840.10008.5.1.4.1.1.2",
                                "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.2.2.1")
    assert sops.transfer_syntaxes == ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                                      "1.2.840.10008.1.2.4.57")
    assert sops.of_kind("transfer")[2].extra == ("LittleEndianExplicit",)
    assert sops.application_contexts == () and sops.remote_aes == () and sops.local_aes == ()
    assert sops.warnings == ()
    assert sops.entries[0] == SopEntry("Verification", "1.2.840.10008.1.1", "sop")
    assert sops.entries[0].line == 6


def test_only_listed_classes_and_syntaxes_are_accepted():
    sops = parse_sop_list(STOCK_STYLE)
    assert sops.accepts_sop_class("1.2.840.10008.5.1.4.1.1.2")
    assert not sops.accepts_sop_class("1.2.840.113619.4.2")          # commented out
    assert sops.accepts_transfer_syntax("1.2.840.10008.1.2.4.57")
    assert not sops.accepts_transfer_syntax("1.2.840.10008.1.2.4.58")


def test_ae_restrictions_apply_once_listed():
    sops = parse_sop_list(STOCK_STYLE)
    assert sops.accepts_calling_ae("ANYONE") and sops.accepts_called_ae("ANYTHING")
    restricted = parse_sop_list(STOCK_STYLE + "Modality CT01 RemoteAE\nServer CONQUESTSRV1 localae\n")
    assert restricted.remote_aes == ("CT01",) and restricted.local_aes == ("CONQUESTSRV1",)
    assert restricted.accepts_calling_ae("CT01            ")
    assert not restricted.accepts_calling_ae("CT02")
    assert restricted.accepts_called_ae("CONQUESTSRV1")
    assert not restricted.accepts_called_ae("OTHER")


def test_types_are_case_insensitive():
    sops = parse_sop_list("A 1.2 SOP\nB 1.3 Transfer\nC X RemoteAe\nD Y LOCALAE\nE 1.4 Application\n")
    assert [e.kind for e in sops.entries] == ["sop", "transfer", "RemoteAE", "LocalAE", "application"]


def test_malformed_lines_are_skipped_with_a_warning():
    sops = parse_sop_list("Verification 1.2.840.10008.1.1 sop\nonly two\nX 1.2 unknown\n   # indented\n\n",
                          "t.lst")
    assert len(sops.entries) == 1
    assert sops.warnings == ("t.lst, line 2: expected 'name UID type', ignored: only two",
                             "t.lst, line 3: unknown type 'unknown', ignored")


def test_get_format():
    sops = parse_sop_list(STOCK_STYLE)
    assert sops.get("sop", 0).format() == "1.2.840.10008.1.1 Verification"
    assert sops.get("transfer", 1).format("%s=%s;") == "1.2.840.10008.1.2.1=LittleEndianExplicit;"
    assert sops.get("sop", 4) is None
    assert sops.get("localae", 0) is None
    with pytest.raises(ValueError):
        sops.get("nonsense", 0)


def test_put_and_delete():
    sops = parse_sop_list(STOCK_STYLE)
    replaced = sops.put("sop", 1, "1.2.840.10008.5.1.4.1.1.2.1", "EnhancedCTImageStorage")
    assert replaced.sop_classes[1] == "1.2.840.10008.5.1.4.1.1.2.1"
    appended = sops.put("transfer", 99, "1.2.840.10008.1.2.4.90", "JPEG2000Lossless")
    assert appended.transfer_syntaxes[-1] == "1.2.840.10008.1.2.4.90"
    assert len(appended.transfer_syntaxes) == 4
    deleted = sops.delete("sop", 0)
    assert deleted.sop_classes[0] == "1.2.840.10008.5.1.4.1.1.2"
    assert sops.delete("sop", 9) is sops
    assert len(sops.sop_classes) == 4                                # immutable


def test_write_format_and_round_trip(tmp_path):
    path = tmp_path / "dgatesop.lst"
    sops = parse_sop_list(STOCK_STYLE + "Modality CT01 RemoteAE\n", str(path))
    sops.put("sop", 9, "1.2.840.10008.5.1.4.1.1.7", "SecondaryCaptureImageStorage").write(
        command="put_sop:9", now=NOW)
    lines = path.read_text().splitlines()
    stamp = time.asctime(time.localtime(NOW))
    assert lines[:7] == ["#", "# DICOM Application / sop / transfer UID list.", "#",
                         "# This list is used by the server (CheckedPDU_Service class).",
                         "# All incoming associations are verified against this file.",
                         f"# File written by put_sop:9 on: {stamp}", "#"]
    assert lines[7] == f"{'Modality':<42} {'CT01':<44} RemoteAe"
    assert lines[8] == f"{'Verification':<42} {'1.2.840.10008.1.1':<44} sop"
    assert lines[-1] == f"{'JPEGLosslessNH14':<42} {'1.2.840.10008.1.2.4.57':<44} transfer LittleEndianExplicit"
    reread = load_sop_list(path)
    assert reread.sop_classes[-1] == "1.2.840.10008.5.1.4.1.1.7"
    assert reread.remote_aes == ("CT01",)
    assert [(e.name, e.uid, e.kind, e.extra) for e in sorted(reread.entries, key=kind_order)] == \
        [(e.name, e.uid, e.kind, e.extra) for e in sorted(
            sops.put("sop", 9, "1.2.840.10008.5.1.4.1.1.7", "SecondaryCaptureImageStorage").entries,
            key=kind_order)]
    assert not (tmp_path / "dgatesop.lst.new").exists()


def kind_order(entry: SopEntry) -> int:
    return KINDS.index(entry.kind)


def test_missing_file(tmp_path):
    with pytest.raises(ConquestConfigError) as info:
        load_sop_list(tmp_path / "dgatesop.lst")
    assert info.value.exit_code == 1
    assert "No such file or directory" in str(info.value)


def test_default_transfer_syntaxes_of_the_spec():
    assert DEFAULT_TRANSFER_SYNTAXES[0] == "1.2.840.10008.1.2"
    assert len(DEFAULT_TRANSFER_SYNTAXES) == 13
    assert SopList().transfer_syntaxes == ()
