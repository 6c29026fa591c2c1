"""pydcmkit.conquest.amap: dgate's acrnema.map (dgate.md §3, §7.2, §13.8).

``conquest_quirks=True`` is a port of amap.cpp (InitACRNemaAddressArray); the examples of the
comment pitfall are those of dgate.md §3, verified there against dgate 1.5.0e.
"""

from __future__ import annotations

import time

import pytest

from pydcmkit.conquest.amap import AMAP_FORMAT, AcrNemaMap, AmapEntry, load_amap, parse_amap
from pydcmkit.conquest.errors import CONSOLE, ConquestConfigError

# dgate.md §3, "Shipped example", verbatim
SPEC_EXAMPLE = """\
CONQUESTSRV1    127.0.0.1   5678   un
V*              *           1234   un
W*              *           666    un
S*              *           5678   un
"""

SHIPPED_HEADER = """\
/* **********************************************************
 *                                                          *
 * DICOM AE (Application entity) -> IP address / Port map   *
 * (This is file ACRNEMA.MAP)                               *
 *                                                          *
 * The syntax for each entry is :                           *
 *   AE   <IP adress|Host name>   port number   compression *
 * For compression see manual. Values are un=uncompressed;  *
 * j1,j2=lossless jpeg;j3..j6=lossy jpeg;n1..n4=nki private *
 ********************************************************** */

"""

NOW = time.mktime((2024, 9, 25, 10, 11, 12, 0, 0, -1))


def fields(entries) -> list[tuple[str, str, str, str]]:
    return [(e.ae_title, e.host, e.port, e.compression) for e in entries]


def test_spec_example():
    amap = parse_amap(SPEC_EXAMPLE)
    assert fields(amap.entries) == [("CONQUESTSRV1", "127.0.0.1", "5678", "un"),
                                    ("V*", "*", "1234", "un"), ("W*", "*", "666", "un"),
                                    ("S*", "*", "5678", "un")]
    assert [e.line for e in amap.entries] == [1, 2, 3, 4]
    assert amap.warnings == ()
    assert fields(parse_amap(SPEC_EXAMPLE, conquest_quirks=True).entries) == fields(amap.entries)


def test_shipped_header_comment_and_tabs():
    amap = parse_amap(SHIPPED_HEADER + "CONQUESTSRV1\t127.0.0.1\t5678\tj2!\n\n\n  PACS  pacs.local  104\n")
    assert fields(amap.entries) == [("CONQUESTSRV1", "127.0.0.1", "5678", "j2!"),
                                    ("PACS", "pacs.local", "104", "un")]
    assert [e.line for e in amap.entries] == [12, 15]
    assert amap.warnings == ()


def test_missing_columns_and_extra_columns():
    amap = parse_amap("ONLYAE\nTWO host\nTHREE host 104\nFIVE host 104 j1 lua-data more\n")
    assert fields(amap.entries) == [("ONLYAE", "", "", "un"), ("TWO", "host", "", "un"),
                                    ("THREE", "host", "104", "un"), ("FIVE", "host", "104", "j1")]
    assert amap.entries[3].extra == ("lua-data", "more")
    quirky = parse_amap("FIVE host 104 j1 lua-data more\n", conquest_quirks=True)
    assert quirky.entries[0].extra == ()


def test_crlf_and_cr_line_ends():
    text = "A h1 1 un\r\nB h2 2 j2\rC h3 3\n"
    assert fields(parse_amap(text).entries) == [("A", "h1", "1", "un"), ("B", "h2", "2", "j2"),
                                                ("C", "h3", "3", "un")]
    assert fields(parse_amap(text, conquest_quirks=True).entries) == fields(parse_amap(text).entries)


def test_whole_line_comments_are_harmless():
    text = "# all PACS\nA h 1 un\n// old one:\n#B h 2 un\nC h 3 un\n"
    for quirks in (False, True):
        amap = parse_amap(text, conquest_quirks=quirks)
        assert fields(amap.entries) == [("A", "h", "1", "un"), ("C", "h", "3", "un")]
    assert parse_amap(text).warnings == ()


# ------------------------------------------------------------------------------------------------
# the comment pitfall
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("comment", ["# note", "// note"])
def test_pitfall_trailing_comment_eats_the_next_line(comment):
    text = f"AE1 host1 104 un {comment}\nAE2 host2 105 un\nAE3 host3 106 un\n"
    quirky = parse_amap(text, conquest_quirks=True)
    assert fields(quirky.entries) == [("AE1", "host1", "104", "un"), ("AE3", "host3", "106", "un")]
    sane = parse_amap(text)
    assert fields(sane.entries) == [("AE1", "host1", "104", "un"), ("AE2", "host2", "105", "un"),
                                    ("AE3", "host3", "106", "un")]
    assert sane.warnings[0] == ("acrnema.map, line 1: comment after the entry AE1: dgate joins the "
                                "next line to this one and loses the entry there")
    assert sane.warnings[-1] == ("acrnema.map: dgate 1.5.0e reads 2 entries from this file, not 3: "
                                 "AE1 host1 104 un, AE3 host3 106 un")


def test_pitfall_semicolon_starts_one_character_early():
    text = "AE1 host1 104 un;x\nHHH host2 105 un\n"
    quirky = parse_amap(text, conquest_quirks=True)
    assert fields(quirky.entries) == [("AE1", "host1", "104", "uHHH")]
    sane = parse_amap(text)
    assert fields(sane.entries) == [("AE1", "host1", "104", "un"), ("HHH", "host2", "105", "un")]
    assert "';' after the entry AE1" in sane.warnings[0]


def test_pitfall_semicolon_comment_line_joins_the_previous_line():
    text = "AE1 host1 104 un\n; a comment\nAE2 host2 105 un\n"
    assert fields(parse_amap(text, conquest_quirks=True).entries) == [("AE1", "host1", "104", "unAE2")]
    sane = parse_amap(text)
    assert fields(sane.entries) == [("AE1", "host1", "104", "un"), ("AE2", "host2", "105", "un")]
    assert sane.warnings[0].startswith("acrnema.map, line 2: ';' comment line")


def test_pitfall_trailing_comment_on_the_last_line_without_newline():
    text = "AE1 host1 104 un\nAE2 host2 105 un # last"
    assert fields(parse_amap(text, conquest_quirks=True).entries) == [("AE1", "host1", "104", "un")]
    assert len(parse_amap(text).entries) == 2


def test_block_comments():
    text = "A h 1 un /* inline */\n/* multi\nline */ B h 2 un\n/* unterminated\nC h 3 un\n"
    sane = parse_amap(text)
    assert fields(sane.entries) == [("A", "h", "1", "un"), ("B", "h", "2", "un")]
    assert sane.entries[1].line == 3
    assert fields(parse_amap(text, conquest_quirks=True).entries) == fields(sane.entries)


def test_a_comment_hash_inside_an_entry():
    amap = parse_amap("AE#1 host 104 un\n")
    assert fields(amap.entries) == [("AE", "", "", "un")]
    assert fields(parse_amap("AE#1 host 104 un\n", conquest_quirks=True).entries) == [("AE", "", "", "un")]


def test_empty_and_comment_only_files():
    assert parse_amap("").entries == ()
    assert parse_amap(SHIPPED_HEADER).entries == ()
    assert parse_amap("\n\n   \n\t\n").entries == ()
    assert parse_amap(SHIPPED_HEADER, conquest_quirks=True).entries == ()


# ------------------------------------------------------------------------------------------------
# look-up
# ------------------------------------------------------------------------------------------------


def test_lookup_exact_and_case():
    amap = parse_amap(SPEC_EXAMPLE)
    assert amap.lookup("CONQUESTSRV1") == amap.entries[0]
    assert amap.lookup("CONQUESTSRV1   ") == amap.entries[0]    # padded AE from the wire
    assert amap.lookup("conquestsrv1") == amap.entries[0]       # second pass
    assert amap.lookup("UNKNOWN") is None
    assert amap.lookup("") is None
    assert amap.lookup("   ") is None


def test_lookup_wildcard_substitution_of_the_host():
    amap = parse_amap(SPEC_EXAMPLE)
    hit = amap.lookup("V10.0.0.5")
    assert (hit.ae_title, hit.host, hit.port, hit.compression) == ("V*", "10.0.0.5", "1234", "un")
    assert amap.lookup("w192.168.1.2").host == "192.168.1.2"   # prefix case-insensitive
    assert amap.lookup("W192.168.1.2").port_number == 666


def test_lookup_wildcard_substitution_of_host_and_port():
    amap = parse_amap("NG*  101.11.11.*  56*\n")
    hit = amap.lookup("NG12")
    assert (hit.host, hit.port, hit.port_number) == ("101.11.11.12", "5612", 5612)
    assert amap.lookup("NG") is not None and amap.lookup("NG").host == "101.11.11."
    assert amap.lookup("N") is None


def test_pitfall_first_pass_is_case_sensitive_and_wildcards_first_win():
    """§13.8: exact matches are case-sensitive in the first pass; the first hit wins."""
    amap = parse_amap("pacs lower 1 un\nPACS upper 2 un\n")
    assert amap.lookup("PACS").host == "upper"
    assert amap.lookup("pacs").host == "lower"
    assert amap.lookup("Pacs").host == "lower"                 # second pass, first entry
    shadowed = parse_amap("S*  * 5678 un\nSTORESCP host 104 un\n")
    assert shadowed.lookup("STORESCP").ae_title == "S*"
    assert shadowed.lookup("STORESCP").host == "TORESCP"
    assert shadowed.warnings == ("acrnema.map, line 2: entry STORESCP is never used: S* on line 1 "
                                 "matches it first",)
    ordered = parse_amap("STORESCP host 104 un\nS*  * 5678 un\n")
    assert ordered.lookup("STORESCP").host == "host"
    assert ordered.warnings == ()


def test_duplicate_entries_are_reported():
    amap = parse_amap("A h1 1 un\nA h2 2 un\n")
    assert amap.lookup("A").host == "h1"
    assert amap.warnings == ("acrnema.map, line 2: entry A is never used: A on line 1 matches it first",)


def test_star_alone_matches_everything():
    amap = parse_amap("*  *  104 un\n")
    assert amap.lookup("host.example").host == "host.example"


# ------------------------------------------------------------------------------------------------
# get_amap, get_amaps, put_amap, delete_amap, write_amap
# ------------------------------------------------------------------------------------------------


def test_get_amap_format():
    amap = parse_amap(SPEC_EXAMPLE)
    assert amap.get(0).format() == f"{'CONQUESTSRV1':<17} {'127.0.0.1':<30} {'5678':<10} {'un':<16}"
    assert amap.get(1).format("%s=%s:%s") == "V*=*:1234"
    assert amap.get(0).format("%s %s %s %s %s") == "CONQUESTSRV1 127.0.0.1 5678 un CONQUESTSRV1"
    assert amap.get(4) is None and amap.get(-1) is None


def test_get_amaps_lists_entries_without_wildcards():
    amap = parse_amap(SPEC_EXAMPLE + "X*Y h 1 un\nPACS pacs 104 j2\n")
    assert amap.listing() == (AMAP_FORMAT % ("CONQUESTSRV1", "127.0.0.1", "5678", "un") + "\n"
                              + AMAP_FORMAT % ("PACS", "pacs", "104", "j2") + "\n")
    assert amap.listing("%s,") == "CONQUESTSRV1,PACS,"


def test_put_amap_replaces_or_appends():
    amap = parse_amap(SPEC_EXAMPLE)
    changed = amap.put(0, "MYSRV", "10.0.0.1", "11112", "j2")
    assert fields(changed.entries)[0] == ("MYSRV", "10.0.0.1", "11112", "j2")
    partial = amap.put(0, "RENAMED")
    assert fields(partial.entries)[0] == ("RENAMED", "127.0.0.1", "5678", "un")
    appended = amap.put(99, "NEW", "h")
    assert fields(appended.entries)[-1] == ("NEW", "h", "", "un")
    assert len(appended) == 5
    assert len(amap) == 4                                      # immutable


def test_delete_amap():
    amap = parse_amap(SPEC_EXAMPLE)
    assert [e.ae_title for e in amap.delete(1).entries] == ["CONQUESTSRV1", "W*", "S*"]
    assert amap.delete(4) is amap
    assert amap.delete(-1) is amap


def test_write_amap_round_trip(tmp_path):
    path = tmp_path / "acrnema.map"
    amap = parse_amap(SHIPPED_HEADER + SPEC_EXAMPLE + "LUA host 104 un scriptdata\n", str(path))
    amap.put(5, "ADDED", "10.1.1.1", "104", "n4").write(now=NOW)
    text = path.read_text()
    stamp = time.asctime(time.localtime(NOW))
    assert text.splitlines()[4] == f" * Written by write_amap on {stamp:<32}*"
    assert text.splitlines()[21] == ""
    assert text.splitlines()[22] == AMAP_FORMAT % ("CONQUESTSRV1", "127.0.0.1", "5678", "un")
    assert text.splitlines()[26] == AMAP_FORMAT % ("LUA", "host", "104", "un") + " scriptdata"
    reread = load_amap(path)
    assert fields(reread.entries) == fields(amap.entries) + [("ADDED", "10.1.1.1", "104", "n4")]
    assert reread.entries[4].extra == ("scriptdata",)
    assert reread.warnings == ()
    assert fields(load_amap(path, conquest_quirks=True).entries) == fields(reread.entries)
    assert not (tmp_path / "acrnema.map.new").exists()


def test_missing_or_unreadable_file(tmp_path):
    missing = str(tmp_path / "acrnema.map")
    with pytest.raises(ConquestConfigError) as info:
        load_amap(missing)
    error = info.value
    assert error.exit_code == 1
    assert error.output == ((CONSOLE, f"***Error loading acr-nema map file:{missing}\n"),)
    assert str(error) == f"cannot read acr-nema map file {missing}: No such file or directory"
    (tmp_path / "dir.map").mkdir()
    with pytest.raises(ConquestConfigError):
        load_amap(tmp_path / "dir.map")


def test_entries_are_values():
    assert AmapEntry("A", "h", "1") == AmapEntry("A", "h", "1", "un", (), line=7)
    assert AcrNemaMap((AmapEntry("A"),)).lookup("a") == AmapEntry("A")
    assert not AmapEntry("A").is_wildcard and AmapEntry("A*").is_wildcard
