"""pydcmkit.config.qrconfig: dcmqrscp's configuration file (dcmqrscp.md §2, §3).

"observed" below means: checked against DCMTK 3.6.7's /usr/bin/dcmqrscp, either with
``dcmqrscp -c <file> <busy port>`` (CONFIG errors and exit 10, or for a good file
``F: cannot initialize network: ... Address already in use``), or by starting it and calling it
with echoscu / storescu / findscu (peer access, writability).
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from pydcmkit.config.qrconfig import (
    MAX_BYTES_PER_STUDY, AEEntry, Peer, QRConfig, QRConfigError, Quota, load_qr_config,
    parse_qr_config)
from pydcmkit.status import ExitCode, ToolError

DCMQRSCP = "/usr/bin/dcmqrscp"
DEBIAN_SAMPLE = Path("/etc/dcmtk/dcmqrscp.cfg")
GIB = 1024**3
MIB = 1024**2
FINAL = 'CONFIG Error: Reading configuration file "t.cfg" with errors!'

SPEC_EXAMPLE = """\
NetworkTCPPort  = 11130
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
dest_scp   = (DESTAE, localhost, 11131)
find_scu   = (FINDSCU, localhost, 0)
store_scu  = (STORESCU, localhost, 0)
move_scu   = (MOVESCU, localhost, 0)
get_scu    = (GETSCU, localhost, 0)
all_scus   = find_scu, store_scu, move_scu, get_scu, dest_scp
HostTable END

VendorTable BEGIN
"Test Vendor" = all_scus
VendorTable END

AETable BEGIN
QRSCP   $T/STORE   RW  (10, 1024mb)   all_scus
QRREAD  $T/READ    R   (10, 1024mb)   ANY
AETable END
"""

ALL_SCUS = (
    Peer("FINDSCU", "localhost", 0), Peer("STORESCU", "localhost", 0), Peer("MOVESCU", "localhost", 0),
    Peer("GETSCU", "localhost", 0), Peer("DESTAE", "localhost", 11131),
)


def parse(text: str | bytes) -> QRConfig:
    return parse_qr_config(text, "t.cfg")


def config_errors(text: str | bytes) -> list[str]:
    with pytest.raises(QRConfigError) as info:
        parse(text)
    assert info.value.message == "bad config file: t.cfg"
    assert info.value.exit_code == ExitCode.LEGACY_STARTUP_FAILURE == 10
    assert info.value.details == ()
    assert info.value.config_errors[-1] == FINAL
    return list(info.value.config_errors[:-1])


def ae_line(peers: str, quota: str = "(1, 1mb)", access: str = "RW", title: str = "X") -> str:
    return f"AETable BEGIN\n{title} /tmp/x {access} {quota} {peers}\nAETable END\n"


HOSTS = "HostTable BEGIN\na = (A, localhost, 1)\nHostTable END\n"


@pytest.fixture
def spec_config(tmp_path) -> QRConfig:
    path = tmp_path / "dcmqrscp.cfg"
    path.write_text(SPEC_EXAMPLE.replace("$T", str(tmp_path)))
    return load_qr_config(path)


# -- whole files ---------------------------------------------------------------------------------


def test_spec_example(spec_config, tmp_path):
    cfg = spec_config
    assert (cfg.port, cfg.max_pdu, cfg.max_associations) == (11130, 16384, 16)
    assert cfg.character_set is None and cfg.user_name is None and cfg.group_name is None
    assert list(cfg.hosts) == ["dest_scp", "find_scu", "store_scu", "move_scu", "get_scu", "all_scus"]
    assert cfg.hosts["dest_scp"] == (Peer("DESTAE", "localhost", 11131),)
    assert cfg.hosts["all_scus"] == ALL_SCUS  # symbols expanded in the order listed
    assert cfg.vendors == {"Test Vendor": ALL_SCUS}
    assert list(cfg.ae_table) == ["QRSCP", "QRREAD"]
    store = cfg.ae("QRSCP")
    assert store == AEEntry("QRSCP", f"{tmp_path}/STORE", readable=True, writable=True,
                            quota=Quota(10, GIB), peers=ALL_SCUS, access="RW", line=19)
    read = cfg.ae("QRREAD")
    assert (read.storage_area, read.access, read.readable, read.writable) == (f"{tmp_path}/READ", "R", True, False)
    assert read.peers is None  # ANY
    assert cfg.ae("qrscp") is None  # AE titles are case-sensitive
    assert cfg.warnings == ()
    assert cfg.path == str(tmp_path / "dcmqrscp.cfg")


@pytest.mark.skipif(not DEBIAN_SAMPLE.exists(), reason="Debian's DCMTK sample config not installed")
def test_debian_sample_loads_and_its_commented_examples_too(tmp_path):
    cfg = load_qr_config(DEBIAN_SAMPLE)
    assert (cfg.port, cfg.max_pdu, cfg.max_associations) == (104, 16384, 16)
    assert (cfg.user_name, cfg.group_name) == ("dcmtk", "dcmtk")
    assert cfg.hosts == {} and cfg.vendors == {} and cfg.ae_table == {}
    # uncomment the examples of the tables (the HostTable note about IP addresses stays a comment)
    lines = []
    for line in DEBIAN_SAMPLE.read_text().splitlines():
        if line[:2] in ("#a", "#u", '#"', "#A", "#U", "#R"):
            line = line[1:]
        lines.append(line)
    cfg = parse("\n".join(lines) + "\n")
    assert cfg.vendors["Acme CT Company"] == (Peer("ACME1", "acmehost1", 5678), Peer("ACME2", "acmehost2", 5678))
    assert list(cfg.ae_table) == ["ACME_STORE", "UNITED_STORE", "READWRITE", "READ"]
    assert cfg.ae("READ").quota == Quota(200, GIB) and cfg.ae("READ").peers is None
    assert cfg.ae("UNITED_STORE").peers == (Peer("UNITED1", "unitedhost1", 104), Peer("UNITED2", "unitedhost2", 104))


def test_missing_file_exit_10():
    with pytest.raises(ToolError) as info:
        load_qr_config("/nonexistent/dcmqrscp.cfg")
    assert not isinstance(info.value, QRConfigError)
    assert info.value.message == "cannot access /nonexistent/dcmqrscp.cfg: No such file or directory"
    assert info.value.exit_code == 10


def test_directory_reads_as_empty_config(tmp_path):
    # observed: dcmqrscp -c /tmp starts (fopen() of a directory succeeds, fgets() reads nothing)
    cfg = load_qr_config(tmp_path)
    assert cfg.ae_table == {} and cfg.port == 104


def test_file_name_in_messages_is_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("rel.cfg").write_text("Bogus 1\n")
    with pytest.raises(QRConfigError) as info:
        load_qr_config("rel.cfg")
    assert info.value.message == "bad config file: rel.cfg"
    assert info.value.config_errors == (
        'CONFIG Error: Unknown mnemonic "Bogus" in configuration file, line 1!',
        'CONFIG Error: Reading configuration file "rel.cfg" with errors!')


# -- CONFIG errors (each observed with dcmqrscp 3.6.7, see also the oracle test at the end) -------

ERROR_CASES = {
    "unknown_mnemonic": ("NetworkTCPPort = 104\nBogusKeyword 1\n",
                         ['Unknown mnemonic "BogusKeyword" in configuration file, line 2']),
    "keyword_case_sensitive": ("networktcpport 104\n",
                               ['Unknown mnemonic "networktcpport" in configuration file, line 1']),
    "keyword_glued_to_equals": ("NetworkTCPPort=104\n",
                                ['Unknown mnemonic "NetworkTCPPort=104" in configuration file, line 1']),
    "hash_not_in_column_1": ("MaxAssociations 2\n # comment\n", ['Unknown mnemonic "#" in configuration file, line 2']),
    "missing_host_table_end": ("HostTable BEGIN\na = (A, h, 1)\n\n",
                               ['No "HostTable END" in configuration file, line 3']),
    "missing_ae_table_end": ("AETable BEGIN\nX /tmp R (1, 1mb) ANY\n",
                             ['No "AETable END" in configuration file, line 2']),
    "missing_vendor_table_end": (HOSTS + "VendorTable BEGIN\n\"V\" = a\n",
                                 ['No "VendorTable END" in configuration file, line 5']),
    "illegal_status": ("HostTable BEGIN\na = (A, h, 1)\nHostTable ENDX\n",
                       ['Illegal HostTable status "ENDX" in configuration file, line 3',
                        'No "HostTable END" in configuration file, line 3']),
    "end_without_begin": ("\nAETable END\n", ['No "AETable BEGIN" before END in configuration file, line 2']),
    "unknown_status": ("VendorTable FOO\n", ['Unknown VendorTable status "FOO" in configuration file, line 1']),
    "undefined_symbol": (HOSTS + ae_line("b"), ['Symbolic name "b" not defined']),
    "undefined_symbol_in_host_table": ("HostTable BEGIN\na = b\nHostTable END\n", ['Symbolic name "b" not defined']),
    "symbol_defined_later": ("HostTable BEGIN\na = b\nb = (B, h, 1)\nHostTable END\n",
                             ['Symbolic name "b" not defined']),
    "no_symbolic_names": (ae_line("a"), ["No symbolic names defined"]),
    "no_symbolic_names_empty_host_table": ("HostTable BEGIN\nHostTable END\n" + ae_line("a"),
                                           ["No symbolic names defined"]),
    "no_symbolic_names_vendor": ('VendorTable BEGIN\n"V" = a\nVendorTable END\n', ["No symbolic names defined"]),
    "any_is_upper_case": (ae_line("any"), ["No symbolic names defined"]),
    "failed_symbol_has_no_peers": ("HostTable BEGIN\na = b\nc = (C, h, 1), a, zz\nHostTable END\n",
                                   ['Symbolic name "b" not defined', 'No peers for symbolic name "a" defined']),
    "self_reference": ("HostTable BEGIN\nx = x\nHostTable END\n", ['No peers for symbolic name "x" defined']),
    "empty_peer_list": (ae_line(""), []),
    "empty_host_entry": ("HostTable BEGIN\na =\nHostTable END\n", []),
    "whitespace_row_in_table": ("HostTable BEGIN\na = (A, h, 1)\n  \t\nHostTable END\n", []),
    "zero_studies": (ae_line("ANY", "(0, 1mb)"), []),
    "zero_size": (ae_line("ANY", "(1, 0kb)"), []),
    "size_without_number": (ae_line("ANY", "(1, kb)"), []),
    "zero_quota_peers_still_read": (ae_line("undefined", "(0, 1mb)"), ["No symbolic names defined"]),
    "missing_quota_and_peers": ("AETable BEGIN\nX /tmp R\nAETable END\n", []),
    "indented_table_row": ("HostTable BEGIN\n  a = (A, h, 1)\nHostTable END\n", ['Symbolic name "a" not defined']),
    "indented_comment_in_table": (HOSTS.replace("HostTable END", " #x\nHostTable END"),
                                  ['Symbolic name "#x" not defined']),
    "quoted_symbol_without_comma": (HOSTS + ae_line('"A localhost 1"'), ['Symbolic name "A localhost 1" not defined']),
    # "HostTable" alone: sscanf("%s %s") keeps the previous row's second word ("=")
    "status_word_kept_from_previous_row": ("HostTable BEGIN\na = (A, h, 1)\nHostTable\nHostTable END\n",
                                           ['Illegal HostTable status "=" in configuration file, line 3',
                                            'No "HostTable END" in configuration file, line 3',
                                            'No "HostTable BEGIN" before END in configuration file, line 4']),
    # ... and the three table readers share those two words (their locals share one stack slot)
    "status_word_kept_across_tables": ("AETable BEGIN\nAETable BEGIN\nVendorTable BEGIN\nVendorTable\n",
                                       ['Illegal AETable status "BEGIN" in configuration file, line 2',
                                        'No "AETable END" in configuration file, line 2',
                                        'Illegal VendorTable status "BEGIN" in configuration file, line 4',
                                        'No "VendorTable END" in configuration file, line 4']),
    "errors_do_not_stop_parsing": ("A 1\nHostTable BEGIN\na = b\nHostTable END\nB 2\n",
                                   ['Unknown mnemonic "A" in configuration file, line 1',
                                    'Symbolic name "b" not defined',
                                    'Unknown mnemonic "B" in configuration file, line 5']),
    # DCMTK 3.6.7 crashes here (observed: SIGSEGV, exit 139); pydcmkit reports it instead
    "user_name_without_value": ("UserName\n", ['No value for "UserName" in configuration file, line 1']),
    "group_name_at_eof_without_newline": ("GroupName dcmtk",
                                          ['No value for "GroupName" in configuration file, line 1']),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_config_errors(case):
    text, expected = ERROR_CASES[case]
    assert config_errors(text) == [f"CONFIG Error: {line}!" for line in expected]


def test_table_end_word_kept_from_previous_table():
    # observed: a lone "VendorTable" row ends the table with the "END" of the HostTable's last row
    cfg = parse(HOSTS + "VendorTable BEGIN\nVendorTable\n")
    assert cfg.vendors == {} and cfg.hosts["a"] == (Peer("A", "localhost", 1),)


def test_511_byte_line_counts_as_two():
    # fgets() with a 512-byte buffer: 510 bytes + LF is one line, 511 bytes + LF two (observed)
    assert config_errors("NetworkTCPPort 104".ljust(510) + "\nBogus\n") == [
        'CONFIG Error: Unknown mnemonic "Bogus" in configuration file, line 2!']
    assert config_errors("NetworkTCPPort 104".ljust(511) + "\nBogus\n") == [
        'CONFIG Error: Unknown mnemonic "Bogus" in configuration file, line 3!']
    # the 512th byte starts a new line of its own (observed)
    assert config_errors("NetworkTCPPort 104".ljust(511) + "Zed\nBogus\n") == [
        'CONFIG Error: Unknown mnemonic "Zed" in configuration file, line 2!',
        'CONFIG Error: Unknown mnemonic "Bogus" in configuration file, line 3!']


def test_long_table_row_is_cut():
    peers = ", ".join(f"(AE{i}, host{i}, {i})" for i in range(40))
    # observed: the row is cut after 511 bytes, inside "(AE27, ...", the rest is a row of its own
    assert config_errors(f"HostTable BEGIN\na = {peers}\nHostTable END\n") == [
        'CONFIG Error: Symbolic name "AE27" not defined!']
    fitting = ", ".join(f"(AE{i}, host{i}, {i})" for i in range(20))  # 405 bytes
    assert len(parse(f"HostTable BEGIN\na = {fitting}\nHostTable END\n").hosts["a"]) == 20


# -- lexical rules ---------------------------------------------------------------------------------


def test_comments_blank_lines_and_crlf():
    cfg = parse("# comment\n\n   \t\n\r\nMaxAssociations 3\r\n" + HOSTS.replace("\n", "\r\n")
                + ae_line("a").replace("\n", "\r\n"))
    assert cfg.max_associations == 3
    assert cfg.ae("X").peers == (Peer("A", "localhost", 1),)


def test_separators_are_interchangeable():
    spaced = parse(HOSTS + ae_line("a, (B, h, 2)"))
    packed = parse("HostTable BEGIN\na=(A,localhost,1)\nHostTable END\n"
                   "AETable BEGIN\nX=/tmp/x,RW,(1,1mb),a=(B,h,2)\nAETable END\n")
    assert packed.ae("X") == spaced.ae("X") and packed.hosts == spaced.hosts
    assert parse("MaxAssociations , = 7\n").max_associations == 7


def test_quoted_values_with_spaces():
    cfg = parse(HOSTS + 'VendorTable BEGIN\n"Acme CT Company" = a\n\'United MR\' = (U, uhost, 104)\nVendorTable END\n'
                'AETable BEGIN\n"MY AE" "/data/my store" WR (2, 5mb) ANY\nAETable END\n'
                'UserName = "some user"\n')
    assert list(cfg.vendors) == ["Acme CT Company", "United MR"]
    assert cfg.vendors["United MR"] == (Peer("U", "uhost", 104),)
    assert cfg.ae("MY AE").storage_area == "/data/my store"
    assert cfg.user_name == "some user"


def test_inline_peers_are_ae_host_port():
    # observed with -dhl: (ECHOSCU, 127.0.0.1, 0) admits calling AE ECHOSCU from 127.0.0.1
    cfg = parse(ae_line("(ECHOSCU, 127.0.0.1, 0), (B, h), (C,h,12 junk)"))
    assert cfg.ae("X").peers == (Peer("ECHOSCU", "127.0.0.1", 0), Peer("B", "", 0), Peer("C", "h", 12))


def test_symbols_reference_earlier_symbols():
    cfg = parse("HostTable BEGIN\na = (A, ha, 1)\nb = (B, hb, 2), a\nc = b, (C, hc, 3), a\nHostTable END\n"
                "HostTable BEGIN\nd = c\nHostTable END\n"   # a second HostTable block adds up
                "AETable BEGIN\nX /tmp/x RW (1, 1mb) d, a\nAETable END\n")
    a, b, c = Peer("A", "ha", 1), Peer("B", "hb", 2), Peer("C", "hc", 3)
    assert cfg.hosts["c"] == (b, a, c, a)
    assert cfg.hosts["d"] == cfg.hosts["c"]
    assert cfg.ae("X").peers == (b, a, c, a, a)


def test_first_of_two_equal_symbols_wins():
    cfg = parse("HostTable BEGIN\na = (A, h, 1)\na = (B, h, 2)\nb = a\nHostTable END\n")
    assert cfg.hosts["a"] == cfg.hosts["b"] == (Peer("A", "h", 1),)
    assert [name for name, _ in cfg.host_entries] == ["a", "a", "b"]


@pytest.mark.parametrize("access, readable, writable", [
    ("RW", True, True), ("WR", True, True), ("W", False, True), ("R", True, False),
    ("rw", False, False),  # observed: storescu to an "rw" AE: No Acceptable Presentation Contexts
])
def test_access(access, readable, writable):
    entry = parse(ae_line("ANY", access=access)).ae("X")
    assert (entry.access, entry.readable, entry.writable) == (access, readable, writable)


def test_last_value_without_newline_is_lost():
    # parsevalues() needs a separator after an unquoted value: "fallback" at EOF is dropped
    assert parse("SpecificCharacterSet fallback").character_set == ()
    assert parse('SpecificCharacterSet "ISO_IR 192"').character_set == ("ISO_IR 192",)
    assert parse(ae_line("ANY").rstrip("\n")).ae("X") is not None


# -- global parameters -------------------------------------------------------------------------------


def test_defaults():
    cfg = parse("")
    assert (cfg.port, cfg.max_pdu, cfg.max_associations, cfg.character_set) == (104, 16384, 16, None)
    assert (cfg.user_name, cfg.group_name, cfg.warnings) == (None, None, ())


@pytest.mark.parametrize("text, port", [("NetworkTCPPort 0\n", 104), ("NetworkTCPPort = 11112 # x\n", 11112),
                                        ("NetworkTCPPort abc\n", 104), ("NetworkTCPPort 5\nNetworkTCPPort\n", 5)])
def test_network_tcp_port(text, port):
    assert parse(text).port == port


@pytest.mark.parametrize("value, max_pdu", [
    ("0", 16384), ("abc", 16384), ("4096", 4096), ("131072", 131072), ("0x1000", 16384),
    ("4294971392", 4096),  # stored as Uint32 (observed: accepted)
])
def test_max_pdu_size(value, max_pdu):
    assert parse(f"MaxPDUSize = {value}\n").max_pdu == max_pdu


@pytest.mark.parametrize("value", ["100", "4095", "131073", "200000", "-1"])
def test_max_pdu_size_out_of_range(value):
    # observed: F: invalid MaxPDUSize in config file, exit 10, even with -pdu 16384
    with pytest.raises(ToolError) as info:
        parse(f"MaxPDUSize = {value}\n")
    assert not isinstance(info.value, QRConfigError)
    assert (info.value.message, info.value.exit_code) == ("invalid MaxPDUSize in config file", 10)


def test_specific_character_set_and_legacy_keywords():
    cfg = parse("SpecificCharacterSet = fallback\n"
                'SpecificCharacterSet = "ISO_IR 192", override, discard, transliterate\n'
                "ApplicationTitle X\nApplicationContext y\nImplementationClass 1\nImplementationVersion v\n"
                "NetworkType tcp\nDisplay d\nDisplayPort 1\n")
    assert cfg.character_set == ("ISO_IR 192", "override", "discard", "transliterate")  # the last line wins
    assert parse("SpecificCharacterSet\n").character_set == ()


def test_user_and_group_names():
    cfg = parse("UserName = dcmtk\nGroupName = ''\n")
    assert (cfg.user_name, cfg.group_name) == ("dcmtk", None)


# -- quotas ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quota, studies, size, warnings", [
    ("(10, 1024mb)", 10, GIB, ()),
    ("(2, 3kb)", 2, 3072, ()),
    ("(3, 10b)", 3, 10, ()),
    ("(2,1GB)", 2, GIB, ()),
    ("(500, 1gb)", 500, GIB, ()),
    ("(5, 2000)", 5, GIB, ()),          # no "b": no limit
    ("(5, 1 mb)", 5, GIB, ()),          # sscanf %s reads "1": no limit
    ("(-1, 3kb)", 500, 3072, ()),       # negative: no limit, silently
    ("(5, -1mb)", 5, GIB, ()),
    ("(501, 1mb)", 500, MIB, ("maxStudiesPerStorageArea too large", "        setting to 500")),
    ("(5, 1025MB)", 5, GIB, ("maxBytesPerStudy too large", "        setting to 1073741824")),
    ("(600, 2gb)", 500, GIB, ("maxStudiesPerStorageArea too large", "        setting to 500",
                              "maxBytesPerStudy too large", "        setting to 1073741824")),
])
def test_quota(quota, studies, size, warnings):
    # the warnings as observed (W: lines) when an association to the AE opens the storage area
    cfg = parse(ae_line("ANY", quota))
    assert cfg.ae("X").quota == Quota(studies, size)
    assert cfg.ae("X").quota.warnings == warnings
    assert cfg.warnings == warnings
    assert MAX_BYTES_PER_STUDY == GIB


def test_quota_warnings_of_all_rows():
    cfg = parse("AETable BEGIN\nA /a RW (501, 1mb) ANY\nB /b RW (1, 1mb) ANY\nC /c RW (1, 3gb) ANY\nAETable END\n")
    assert cfg.warnings == ("maxStudiesPerStorageArea too large", "        setting to 500",
                            "maxBytesPerStudy too large", "        setting to 1073741824")


# -- the AETable and the rules of §2.5 / §6.6 --------------------------------------------------------


def test_second_ae_table_replaces_the_first():
    # observed: with two AETable blocks, echoscu to an AE of the first block is refused
    cfg = parse(ae_line("ANY") + ae_line("ANY", title="Q"))
    assert list(cfg.ae_table) == ["Q"]
    assert parse(ae_line("ANY") + "AETable BEGIN\nAETable END\n").ae_table == {}


@pytest.mark.parametrize("called, calling, host, permitted", [
    ("QRSCP", "FINDSCU", "localhost", True),
    ("QRSCP", "FINDSCU", "LocalHost", True),    # host: case-insensitive string compare
    ("QRSCP", "findscu", "localhost", False),   # AE title: case-sensitive
    ("QRSCP", "FINDSCU", "127.0.0.1", False),   # configured names are not resolved (-dhl)
    ("QRSCP", "DESTAE", "localhost", True),     # port 11131 irrelevant
    ("QRSCP", "STRANGER", "localhost", False),
    ("QRREAD", "STRANGER", "elsewhere", True),  # ANY
    ("qrread", "STRANGER", "elsewhere", False),
    ("NOSUCH", "FINDSCU", "localhost", False),
])
def test_peer_permitted_spec_example(spec_config, called, calling, host, permitted):
    assert spec_config.peer_permitted(called, calling, host) is permitted


def test_peer_permitted_observed_with_echoscu():
    # observed (dcmqrscp -v, echoscu from 127.0.0.1, reverse-resolved to "localhost"):
    # X admitted (LOCALHOST matches localhost, port 9999 ignored); Y refused for ECHOSCU but admits
    # echoscu; Z refused, admitted under -dhl; W admitted by its second row.
    cfg = parse("HostTable BEGIN\np1 = (ECHOSCU, LOCALHOST, 9999)\nHostTable END\nAETable BEGIN\n"
                "X /a RW (1, 1mb) p1\nY /a RW (1, 1mb) (echoscu, localhost, 1)\n"
                "Z /a RW (1, 1mb) (ECHOSCU, 127.0.0.1, 0)\n"
                "W /a R (1, 1mb) (OTHER, localhost, 0)\nW /a RW (1, 1mb) (ECHOSCU, localhost, 0)\nAETable END\n")
    assert cfg.peer_permitted("X", "ECHOSCU", "localhost")
    assert not cfg.peer_permitted("X", "ECHOSCU", "127.0.0.1")
    assert not cfg.peer_permitted("Y", "ECHOSCU", "localhost")
    assert cfg.peer_permitted("Y", "echoscu", "localhost")
    assert not cfg.peer_permitted("Z", "ECHOSCU", "localhost")
    assert cfg.peer_permitted("Z", "ECHOSCU", "127.0.0.1")
    assert cfg.peer_permitted("W", "ECHOSCU", "localhost")
    assert not cfg.ae("W").writable  # the first row decides storage area and access


def test_move_destination(spec_config):
    assert spec_config.move_destination("DESTAE") == Peer("DESTAE", "localhost", 11131)
    assert spec_config.move_destination("MOVESCU") == Peer("MOVESCU", "localhost", 0)
    assert spec_config.move_destination("NOSUCHAE") is None
    assert spec_config.move_destination("destae") is None


def test_move_destination_searches_ae_table_peers_first():
    cfg = parse("HostTable BEGIN\nd = (DEST, host-table, 1)\nd2 = (DEST, later, 3)\nHostTable END\n"
                "AETable BEGIN\nA /a RW (1, 1mb) ANY\n"
                "B /b RW (1, 1mb) (OTHER, h, 5), (DEST, ae-table, 2)\nAETable END\n")
    assert cfg.move_destination("DEST") == Peer("DEST", "ae-table", 2)
    assert cfg.move_destination("OTHER") == Peer("OTHER", "h", 5)
    only_hosts = parse("HostTable BEGIN\nd = (DEST, host-table, 1)\nd2 = (DEST, later, 3)\nHostTable END\n")
    assert only_hosts.move_destination("DEST") == Peer("DEST", "host-table", 1)


def test_same_vendor(spec_config):
    assert spec_config.same_vendor("FINDSCU", "DESTAE")
    assert spec_config.same_vendor("DESTAE", "DESTAE")
    assert not spec_config.same_vendor("FINDSCU", "STRANGER")
    assert not spec_config.same_vendor("findscu", "DESTAE")
    assert spec_config.vendor_of("GETSCU") == "Test Vendor"
    cfg = parse("HostTable BEGIN\na = (A, h, 1)\nb = (B, h, 2)\nc = (C, h, 3)\nHostTable END\n"
                'VendorTable BEGIN\n"V1" = a, b\n"V2" = c\nVendorTable END\n')
    assert cfg.same_vendor("A", "B") and not cfg.same_vendor("A", "C")
    assert not parse(HOSTS).same_vendor("A", "A")  # in no vendor group


def test_config_built_from_mappings():
    entry = AEEntry("X", "/x", True, True, Quota(1, 1), None)
    cfg = QRConfig(hosts={"a": (Peer("A", "h", 1),)}, ae_table={"X": entry})
    assert cfg.ae_entries == (entry,) and cfg.host_entries == (("a", (Peer("A", "h", 1),)),)
    assert cfg.peer_permitted("X", "ANYONE", "anywhere")
    assert cfg.move_destination("A") == Peer("A", "h", 1)


# -- the real DCMTK as oracle ----------------------------------------------------------------------

ORACLE_CASES = {
    "spec_example": SPEC_EXAMPLE.replace("$T", "/tmp"),
    "unknown_mnemonic": ERROR_CASES["unknown_mnemonic"][0],
    "missing_ends": "HostTable BEGIN\na = (A, h, 1)\nHostTable ENDX\nAETable BEGIN\nX /tmp R (1, 1mb) ANY\n",
    "symbols": ERROR_CASES["failed_symbol_has_no_peers"][0] + ae_line("zz"),
    "silent_errors": ae_line("ANY", "(0, 1mb)") + "HostTable BEGIN\na =\nHostTable END\n",
    "indented": ERROR_CASES["indented_table_row"][0],
    "kept_status": ERROR_CASES["status_word_kept_from_previous_row"][0],
    "separators_and_quotes": "HostTable BEGIN\na=(A,localhost,1)\nHostTable END\n"
                             'AETable BEGIN\n"MY AE" "/a b" WR (600, 2gb) a, (B, h, 2)\nAETable END\n',
    "line_511": "NetworkTCPPort 104".ljust(511) + "Zed\nBogus\n",
    "kept_across_tables": ERROR_CASES["status_word_kept_across_tables"][0],
    "kept_end": HOSTS + "VendorTable BEGIN\nVendorTable\n",
    "max_pdu": "MaxPDUSize = 131073\n",
    "max_pdu_wrapped": "MaxPDUSize = 4294971392\n",
    "crlf_no_final_newline": (HOSTS + ae_line("a")).replace("\n", "\r\n").rstrip("\r\n"),
}


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.mark.interop
@pytest.mark.skipif(not os.access(DCMQRSCP, os.X_OK), reason="DCMTK dcmqrscp not installed")
@pytest.mark.parametrize("case", sorted(ORACLE_CASES))
def test_same_outcome_as_dcmtk_dcmqrscp(tmp_path, monkeypatch, busy_port, case):
    """dcmqrscp -c t.cfg <busy port>: a good file fails at bind, a bad one with its CONFIG lines."""
    monkeypatch.chdir(tmp_path)
    Path("t.cfg").write_bytes(ORACLE_CASES[case].encode())
    run = subprocess.run([DCMQRSCP, "-c", "t.cfg", str(busy_port)], capture_output=True, text=True, timeout=10)
    assert run.returncode == 10
    try:
        load_qr_config("t.cfg")
    except QRConfigError as e:
        assert run.stderr.splitlines() == [*e.config_errors, f"F: {e.message}"]
    except ToolError as e:
        assert run.stderr.splitlines() == [f"F: {e.message}"]
    else:
        assert "Address already in use" in run.stderr, run.stderr
