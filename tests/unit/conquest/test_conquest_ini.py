"""pydcmkit.conquest.ini: dgate's dicom.ini (dgate.md §1.3, §1.5, §2, §7.2, §13).

The look-up rules are those of ConQuest's MyGetPrivateProfileString (gpps.cpp) and the rewrite
rules those of the put_param/delete_param server commands (dgate.cpp).
"""

from __future__ import annotations

import os
import time

import pytest

from pydcmkit.conquest.errors import CONSOLE, STDOUT, ConquestConfigError
from pydcmkit.conquest.ini import (CODE_DEFAULTS, ConfigLocation, DicomIni, load_dicom_ini,
                                   parse_dicom_ini, resolve_config_location)
from pydcmkit.status import ExitCode

# dgate.md §2.2, "Minimal working file (SQLite)", verbatim
SPEC_MINIMAL = """\
[sscscp]
MicroPACS                = sscscp
MyACRNema                = CONQUESTSRV1
TCPPort                  = 5678
SQLHost                  = localhost
SQLServer                = ./data/dbase/conquest.db3
Username                 = dontcare
Password                 = dontcare
SQLite                   = 1
FileNameSyntax           = 4
IncomingCompression      = un
DroppedFileCompression   = un
ArchiveCompression       = as
MAGDevices               = 1
MAGDevice0               = ./data/
"""

# the shape of the shipped template: settings, then the [lua] section last
TEMPLATE_TAIL = SPEC_MINIMAL + """
[lua]
association = print('association')
"""

NOW = time.mktime((2024, 9, 25, 10, 11, 12, 0, 0, -1))
STAMP = time.asctime(time.localtime(NOW))


def ini(text: str) -> DicomIni:
    return parse_dicom_ini(text)


# ------------------------------------------------------------------------------------------------
# the spec example and the code defaults
# ------------------------------------------------------------------------------------------------


def test_spec_minimal_file():
    config = ini(SPEC_MINIMAL)
    assert config.section == "sscscp"
    assert config.ae_title == "CONQUESTSRV1"
    assert config.port == 5678
    db = config.database
    assert (db.kind, db.server, db.host, db.username, db.password) == (
        "sqlite", "./data/dbase/conquest.db3", "localhost", "dontcare", "dontcare")
    assert config.file_name_syntax == "4"
    assert config.incoming_compression == "un"
    assert config.dropped_file_compression == "un"
    assert config.archive_compression == "as"
    assert config.mag_devices == 1
    assert config.mag_device(0) == "./data/"
    assert config.mag_device_roots == ("./data/",)


def test_code_defaults_of_an_empty_section():
    config = ini("[sscscp]\n")
    assert config.section == "sscscp"
    assert config.ae_title == "none"
    assert config.port == 104
    assert config.pacs_name == "MicroPACS"
    assert config.operator_console == "/tmp/MicroPACSStatus"
    db = config.database
    assert (db.kind, db.server, db.host, db.username, db.password) == (
        "null", "", "localhost", "Administrator", "password")
    assert db.sqlite_startup == "PRAGMA synchronous = OFF"
    assert not db.double_backslash and not db.escape_string_constants
    assert config.kfactor_file == "dicom.sql"
    assert config.acrnema_map == "acrnema.map"
    assert config.sop_class_list == "dgatesop.lst"
    assert config.dictionary == "dgate.dic"
    assert config.truncate_field_names == 10
    assert config.max_field_length == 0
    assert not config.fix_philips and not config.fix_kodak and not config.allow_empty_patient_id
    assert config.uid_prefix == "1.2.826.0.1.3680043.2.135.1066"
    assert not config.enable_computed_fields
    assert config.file_name_syntax == "4"
    assert config.max_file_name_length == 255
    assert not config.rename_on_rewrite and not config.ignore_rewrite and not config.allow_nki_as_dicom
    assert config.incoming_compression == ""
    assert config.dropped_file_compression == ""
    assert config.archive_compression == ""
    assert config.file_compress_mode == 0
    assert config.lossy_quality == 95
    assert config.mag_devices == 1
    assert config.mag_device(0) == "NULL"
    assert config.mag_device_full_threshold == 30
    assert config.mag_device_threshold == 0
    assert not config.ignore_mag_device_threshold
    assert config.mirror_devices == 0 and config.mirror_device(0) is None
    assert config.nightly_clean_threshold == 0 and config.nightly_move_threshold == 0
    assert config.nightly_move_target == "" and config.lru_sort == ""
    assert config.watch_folder == "" and config.delay_incoming_file_open == 0
    assert config.import_export_drag_and_drop
    assert config.work_list_mode == 0
    assert config.work_list_returns_iso_ir == 100
    assert config.queries_return_iso_ir == 0
    assert config.query_sort_order("Study") == ""
    assert config.tcpip_timeout == 300
    assert config.enable_read_ahead_thread
    assert config.storage_failed_error_code == 0x0110
    assert not config.send_upper_case_ae
    assert config.export_converters == 0
    assert config.forward_association_level == "STUDY"
    assert (config.queue_size, config.fail_hold_off, config.retry_delay,
            config.forward_collect_delay) == (128, 60, 100, 600)
    assert config.virtual_server_for(0) == ""
    assert config.cache_virtual_data
    assert config.zip_time == ""
    assert config.debug_level == 0
    assert config.user_log == "PacsUser.log" and config.trouble_log == "PacsTrouble.log"
    assert config.temp_dir == ""
    assert [config.table_name(level) for level in ("Patient", "Study", "Series", "Image",
                                                    "WorkList", "DMark")] == [
        "DICOMPatients", "DICOMStudies", "DICOMSeries", "DICOMImages", "DICOMWorkList",
        "DICOMAccessUpdates"]


def test_every_code_default_is_reachable_by_name():
    config = ini("[sscscp]\n")
    assert config.code_default("tcpport") == "104"
    assert config.code_default("MAGDevice7") == "NULL"
    assert config.code_default("VirtualServerFor3") == ""
    assert config.code_default("NoSuchKey") is None
    for key, value in CODE_DEFAULTS.items():
        assert config.code_default(key) == value


def test_pitfall_compression_defaults_are_as_is_in_code_but_un_in_the_template():
    """§13.5: an absent IncomingCompression keeps objects as they come."""
    assert ini("[sscscp]\n").incoming_compression == ""
    assert ini(SPEC_MINIMAL).incoming_compression == "un"


def test_obsolete_file_compress_mode_sets_both_compression_defaults():
    config = ini("[sscscp]\nFileCompressMode = 4\n")
    assert config.incoming_compression == "n4"
    assert config.dropped_file_compression == "n4"
    config = ini("[sscscp]\nFileCompressMode = 2\nIncomingCompression = j2\n")
    assert config.incoming_compression == "j2"
    assert config.dropped_file_compression == "n2"


def test_an_empty_value_is_not_the_default():
    config = ini("[sscscp]\nIncomingCompression =\nFileCompressMode = 3\nMyACRNema =\n")
    assert config.incoming_compression == ""
    assert config.ae_title == ""


@pytest.mark.parametrize("text, kind", [
    ("", "null"),
    ("SQLServer = /srv/conquest.db3\nSqLite = 1\n", "sqlite"),
    ("SQLServer = /srv/dbase/\nSqLite = 1\n", "sqlite"),        # SqLite checked before dBase
    ("SQLServer = /srv/dbase/\n", "dbase"),
    ("SQLServer = conquest\nPostGres = 1\n", "postgres"),
    ("SQLServer = conquest\nPostgres = 1\n", "postgres"),
    ("SQLServer = conquest\nMysql = 1\n", "mysql"),
    ("SQLServer = ConQuestPacs\n", "odbc"),
    ("SqLite = 1\n", "null"),                                    # no SQLServer: NULL driver
])
def test_database_kind(text, kind):
    assert ini("[sscscp]\n" + text).database.kind == kind


def test_numbers_go_through_atoi():
    config = ini("[sscscp]\nTCPPort = 5678 ; was 104\nDebugLevel = x\nMAGDevices = 2devices\n")
    assert config.get("TCPPort") == "5678 ; was 104"          # no inline comments
    assert config.port == 5678
    assert config.debug_level == 0
    assert config.mag_devices == 2
    assert config.mag_device_roots == ("NULL", "NULL")


def test_threshold_spelling_variants():
    assert ini("[sscscp]\nMAGDeviceFullThreshHold = 50\n").mag_device_full_threshold == 50
    assert ini("[sscscp]\nMAGDeviceThreshHold = 7\n").mag_device_threshold == 7
    both = "[sscscp]\nMAGDeviceFullThreshHold = 50\nMAGDeviceFullThreshold = 40\n"
    assert ini(both).mag_device_full_threshold == 40


def test_relative_file_names_come_from_the_base_directory():
    config = parse_dicom_ini("[sscscp]\nACRNemaMap = my.map\nkFactorFile = /etc/cq/dicom.sql\n"
                             "UserLog = logs/user.log\n", "/opt/cq/dicom.ini", base_dir="/opt/cq/")
    assert config.acrnema_map == "/opt/cq/my.map"
    assert config.kfactor_file == "/etc/cq/dicom.sql"
    assert config.user_log == "logs/user.log"             # has a separator: as written
    assert config.sop_class_list == "/opt/cq/dgatesop.lst"
    assert config.dictionary == "/opt/cq/dgate.dic"
    assert config.trouble_log == "/opt/cq/PacsTrouble.log"


# ------------------------------------------------------------------------------------------------
# §2.1 line rules
# ------------------------------------------------------------------------------------------------


def test_keys_and_sections_are_case_insensitive():
    config = ini("[SSCSCP]\nmyacrnema = LOWER\n")
    assert config.ae_title == "LOWER"
    assert config.get("MYACRNEMA") == "LOWER"
    assert config.get("myacrnema", section="SsCsCp") == "LOWER"


def test_whitespace_and_quotes():
    config = ini('[sscscp]\nA\t=\t"quoted value"  \nB = \'single\'\nC = "half\nD = "a" "b"\n'
                 'E="x"\nF =  spaced  out \t\nG = ""\n')
    assert config.get("A") == "quoted value"
    assert config.get("B") == "single"
    assert config.get("C") == '"half'
    assert config.get("D") == 'a" "b'                     # one pair around the whole value
    assert config.get("E") == "x"
    assert config.get("F") == "spaced  out"
    assert config.get("G") == ""


def test_comment_lines():
    config = ini("[sscscp]\n; MyACRNema = SEMI\n MyACRNema = SPACE\n#MyACRNema = HASH\n"
                 "# TCPPort = 1\n")
    assert config.get("MyACRNema") is None
    assert config.ae_title == "none"
    assert config.port == 104
    assert config.get("#MyACRNema") == "HASH"             # '#' lines are only keys nobody asks for


def test_a_line_starting_with_a_tab_keeps_the_tab_in_its_key():
    config = ini("[sscscp]\n\tMyACRNema = TAB\n")
    assert config.get("MyACRNema") is None
    assert config.get("\tMyACRNema") == "TAB"


def test_a_line_without_equals_sign_is_a_key_with_an_empty_value():
    config = ini("[sscscp]\nMyACRNema\nTCPPort = 5678\n")
    assert config.get("MyACRNema") == ""
    assert config.ae_title == ""


def test_first_occurrence_wins():
    config = ini("[sscscp]\nTCPPort = 1111\nTCPPort = 2222\n[sscscp]\nTCPPort = 3333\n")
    assert config.port == 1111


def test_sections_scope_the_keys():
    config = ini("TCPPort = 1\n[other]\nTCPPort = 2\n[sscscp]\nMyACRNema = ME\n[lua]\nTCPPort = 3\n")
    assert config.port == 104
    assert config.get("TCPPort", section="other") == "2"
    assert config.get("TCPPort", section="lua") == "3"
    assert config.get("TCPPort", section="nosuch") is None


def test_section_header_rules():
    config = ini("[sscscp] trailing text\nA = 1\n[broken\nB = 2\n[ sscscp ]\nC = 3\n")
    assert config.get("A") == "1"
    assert config.get("B") == "2"                         # '[' without ']' changes nothing
    assert config.get("C") is None                        # ' sscscp ' is another section


def test_crlf_lines():
    config = ini("[sscscp]\r\nMyACRNema = CRLF\r\nTCPPort = 11112\r\n")
    assert (config.ae_title, config.port) == ("CRLF", 11112)


def test_micropacs_names_the_section_with_the_settings():
    config = ini("[sscscp]\nMicroPACS = site\nMyACRNema = ROOT\n[site]\nMyACRNema = SITE\n")
    assert config.section == "site"
    assert config.ae_title == "SITE"
    assert config.get("MyACRNema", section="sscscp") == "ROOT"


def test_long_lines_are_read_in_2047_character_pieces():
    config = ini("[sscscp]\nComment = " + "x" * (2047 - len("Comment = ")) + "Hidden = yes\n")
    assert config.get("Hidden") == "yes"


def test_malformed_lines_are_harmless():
    config = ini("garbage before any section\n=\n[sscscp]\n=value without key\n\n   \n"
                 "\x00binary\nMyACRNema = OK\n")
    assert config.ae_title == "OK"
    assert config.get("") == "value without key"


# ------------------------------------------------------------------------------------------------
# put_param / delete_param, round trip
# ------------------------------------------------------------------------------------------------


def test_put_replaces_an_existing_key_in_place():
    config = ini(TEMPLATE_TAIL).put("TCPPort", "11112", now=NOW)
    lines = config.text().splitlines()
    assert lines[0] == f"# Written by put_param on {STAMP}"
    assert lines[1:4] == ["[sscscp]", "MicroPACS                = sscscp",
                          "MyACRNema                = CONQUESTSRV1"]
    assert lines[4] == "TCPPort                  = 11112"
    assert config.port == 11112
    assert len(lines) == len(TEMPLATE_TAIL.splitlines()) + 1
    assert "Parameter added" not in config.text()


def test_put_keeps_the_key_as_given_and_matches_case_insensitively():
    config = ini("[sscscp]\ntcpport  = 104\n").put("TCPPORT", "5678", now=NOW)
    assert config.text().splitlines()[2] == "TCPPORT                  = 5678"
    assert config.port == 5678


def test_put_replaces_the_previous_put_param_header():
    once = ini(SPEC_MINIMAL).put("TCPPort", "1", now=NOW)
    twice = once.put("TCPPort", "2", now=NOW + 60)
    headers = [line for line in twice.lines if line.startswith("# Written by put_param")]
    assert headers == [f"# Written by put_param on {time.asctime(time.localtime(NOW + 60))}\n"]
    assert twice.lines[0] == headers[0]


def test_pitfall_put_of_a_new_key_goes_to_the_end_of_the_file():
    """§2.1 / §13.10: the new key lands in the last section, [lua] in the template."""
    config = ini(TEMPLATE_TAIL).put("WatchFolder", "/srv/in", now=NOW)
    assert config.text().endswith(
        f"association = print('association')\n\n# Parameter added by put_param on {STAMP}\n"
        "WatchFolder              = /srv/in\n")
    assert config.watch_folder == ""                      # not in [sscscp]
    assert config.get("WatchFolder", section="lua") == "/srv/in"
    assert ini(SPEC_MINIMAL).put("WatchFolder", "/srv/in", now=NOW).watch_folder == "/srv/in"


def test_put_needs_white_space_after_the_key():
    config = ini("[sscscp]\nTCPPort=104\n[lua]\n").put("TCPPort", "5678", now=NOW)
    assert config.text().count("TCPPort") == 2           # TCPPort=104 kept, new line appended
    assert config.port == 104


def test_put_replaces_the_key_in_every_section_and_not_longer_keys():
    text = "[sscscp]\nMAGDevice0 = /a/\nMAGDevice = x\n[other]\nMAGDevice\t= y\n"
    config = ini(text).put("MAGDevice", "z", now=NOW)
    assert config.text().splitlines()[1:] == ["[sscscp]", "MAGDevice0 = /a/",
                                              "MAGDevice                = z", "[other]",
                                              "MAGDevice                = z"]


def test_put_after_a_last_line_without_newline():
    config = ini("[sscscp]\nTCPPort = 1").put("DebugLevel", "2", now=NOW)
    assert config.text().endswith(f"TCPPort = 1\n# Parameter added by put_param on {STAMP}\n"
                                  "DebugLevel               = 2\n")


def test_delete_removes_every_line_of_the_key():
    config = ini(TEMPLATE_TAIL + "[x]\nTCPPort 7\n").delete("tcpport", now=NOW)
    assert "TCPPort" not in config.text()
    assert config.lines[0] == f"# Written by put_param on {STAMP}\n"
    assert config.port == 104
    assert config.ae_title == "CONQUESTSRV1"


def test_unknown_keys_comments_and_order_survive_a_rewrite(tmp_path):
    text = ("; site configuration\n[sscscp]\nMyACRNema = SITE\nSiteSpecificKey = keep me\n"
            "  indented comment\n\n[scripts]\nanon = lua:print(1)\n[lua]\nstartup = x=1\n")
    path = tmp_path / "dicom.ini"
    path.write_text(text)
    config = load_dicom_ini(str(path))
    config.put("MyACRNema", "NEW", now=NOW).write()
    assert path.read_text() == (f"# Written by put_param on {STAMP}\n"
                                + text.replace("MyACRNema = SITE", "MyACRNema                = NEW"))
    reread = load_dicom_ini(str(path))
    assert reread.ae_title == "NEW"
    assert reread.get("SiteSpecificKey") == "keep me"
    assert reread.get("anon", section="scripts") == "lua:print(1)"
    assert not (tmp_path / "dicom.ini.new").exists()


def test_changed_on_disk(tmp_path):
    path = tmp_path / "dicom.ini"
    path.write_text(SPEC_MINIMAL)
    config = load_dicom_ini(str(path))
    assert not config.changed_on_disk()
    config.put("TCPPort", "1", now=NOW).write()
    os.utime(path, (NOW, NOW))
    assert config.changed_on_disk()
    assert load_dicom_ini(str(path)).port == 1
    assert not ini(SPEC_MINIMAL).changed_on_disk()


def test_round_trip_of_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "dicom.ini"
    path.write_bytes(b"[sscscp]\nPACSName = caf\xe9\n")
    load_dicom_ini(str(path)).write()
    assert path.read_bytes() == b"[sscscp]\nPACSName = caf\xe9\n"


# ------------------------------------------------------------------------------------------------
# §1.3 location, §1.5 errors
# ------------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    missing = str(tmp_path / "dicom.ini")
    with pytest.raises(ConquestConfigError) as info:
        load_dicom_ini(missing)
    error = info.value
    assert error.exit_code == ExitCode(1)
    assert str(error) == f"Configuration file {missing} not found, but required."
    assert error.output == ((STDOUT, f"Configuration file {missing} not found, but required.\n"),)
    assert error.file == missing


def test_empty_micropacs(tmp_path):
    path = tmp_path / "dicom.ini"
    path.write_text("[sscscp]\nMicroPACS =\nMyACRNema = X\n")
    with pytest.raises(ConquestConfigError) as info:
        load_dicom_ini(str(path))
    assert info.value.output == ((STDOUT, f"MicroPACS entry in {path} not found, but required.\n"),)
    assert info.value.exit_code == 1
    with pytest.raises(ConquestConfigError):
        parse_dicom_ini('[sscscp]\nMicroPACS = ""\n')
    assert parse_dicom_ini("[other]\nMicroPACS =\n").section == "sscscp"


def test_unreadable_file_gives_the_defaults(tmp_path):
    (tmp_path / "dicom.ini").mkdir()
    config = load_dicom_ini(str(tmp_path / "dicom.ini"))
    assert config.lines == ()
    assert config.ae_title == "none"
    assert config.warnings and "cannot read" in config.warnings[0]


def test_load_takes_the_base_directory_from_the_path(tmp_path):
    (tmp_path / "dicom.ini").write_text(SPEC_MINIMAL)
    config = load_dicom_ini(tmp_path / "dicom.ini")
    assert config.base_dir == f"{tmp_path}/"
    assert config.acrnema_map == f"{tmp_path}/acrnema.map"
    config = load_dicom_ini(ConfigLocation(str(tmp_path / "dicom.ini"), "/base/"))
    assert config.acrnema_map == "/base/acrnema.map"


def test_location_without_w():
    assert resolve_config_location(["dgate", "-v"]) == ConfigLocation("dicom.ini", "")
    assert resolve_config_location(["/opt/cq/dgate"]) == ConfigLocation("/opt/cq/dicom.ini", "/opt/cq/")
    assert resolve_config_location(["./dgate"]) == ConfigLocation("./dicom.ini", "./")


def test_location_w_directory(tmp_path):
    d = str(tmp_path)
    expected = ConfigLocation(f"{d}/dicom.ini", f"{d}/")
    assert resolve_config_location(["/opt/cq/dgate", f"-w{d}"]) == expected
    assert resolve_config_location(["dgate", "-v", f"-W{d}/", "--echo:X"]) == expected


def test_location_w_ini_file():
    assert resolve_config_location(["dgate", "-w/etc/cq/site.INI"]) == ConfigLocation(
        "/etc/cq/site.INI", "/etc/cq/")
    assert resolve_config_location(["dgate", "-wsite.ini"]) == ConfigLocation("site.ini", "")
    # dgate.cpp resets its length after '-wname.ini', so an executable path takes over
    assert resolve_config_location(["/opt/cq/dgate", "-wsite.ini"]) == ConfigLocation(
        "/opt/cq/dicom.ini", "/opt/cq/")


def test_location_last_w_wins_and_slash_counts_as_dash(tmp_path):
    d = str(tmp_path)
    assert resolve_config_location(["dgate", "-wa.ini", f"-w{d}"]).base_dir == f"{d}/"
    assert resolve_config_location(["dgate", f"-w{d}", "-wb.ini"]) == ConfigLocation("b.ini", "")
    assert resolve_config_location(["dgate", "/wsite.ini"]) == ConfigLocation("site.ini", "")


def test_location_errors(tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(ConquestConfigError) as info:
        resolve_config_location(["dgate", f"-w{missing}/"])
    assert info.value.output == ((STDOUT, f"Directory {missing} does not exist.\n"),)
    assert info.value.exit_code == 1
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(ConquestConfigError) as info:
        resolve_config_location(["dgate", f"-w{a_file}"])
    assert str(info.value) == f"{a_file} is not a directory."
    with pytest.raises(ConquestConfigError) as info:
        resolve_config_location(["dgate", "-w"])
    assert str(info.value) == "Directory  does not exist."


def test_pitfall_the_client_needs_dicom_ini_too(tmp_path, monkeypatch):
    """§13.2: 'dgate -p5678 -q127.0.0.1 --echo:X' in a folder without dicom.ini ends at once."""
    monkeypatch.chdir(tmp_path)
    location = resolve_config_location(["dgate", "-p5678", "-q127.0.0.1", "--echo:X"])
    with pytest.raises(ConquestConfigError) as info:
        load_dicom_ini(location)
    assert str(info.value) == "Configuration file dicom.ini not found, but required."
    assert CONSOLE not in {stream for stream, _ in info.value.output}
    assert os.getcwd() == str(tmp_path)
