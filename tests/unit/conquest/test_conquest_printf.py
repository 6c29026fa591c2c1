"""pydcmkit.conquest.printf: C formats as dgate applies them to command fields (dgate.md §6.5)."""

from __future__ import annotations

import pytest

from pydcmkit.conquest.printf import atoi, c_format


@pytest.mark.parametrize("text, value", [
    ("5678", 5678), ("  42x", 42), ("-7", -7), ("+3", 3), ("x1", 0), ("", 0), ("\t\n 9", 9),
])
def test_atoi(text, value):
    assert atoi(text) == value


def test_spec_examples():
    assert c_format("port=%s!", ["5678"]) == "port=5678!"                    # §7.3 get_param
    assert c_format("%-17s|", ["AE"]) == "AE" + " " * 15 + "|"
    assert c_format("0x%4.4x, 0x%4.4x %20s %4d", [8, 0x18, "SOPInstanc", 64]) == \
        "0x0008, 0x0018           SOPInstanc   64"


def test_fields_can_be_skipped_and_reused():
    fields = ("AE", "host", "104", "un") * 3
    assert c_format("%0.0s%s", fields) == "host"
    assert c_format("%s %s %s %s %s", fields) == "AE host 104 un AE"


def test_integer_conversions_of_strings_and_missing_arguments():
    assert c_format("%d/%x/%X/%o/%u", ["12abc", "255", 255, 8, -1]) == "12/ff/FF/10/-1"
    assert c_format("[%s][%d]", []) == "[][0]"
    assert c_format("%5.1f|%c|%%|%ld", ["2.25", "xyz", 7]) == "  2.2|x|%|7"
    assert c_format("%-5d|%05d|%+d", [1, 2, 3]) == "1    |00002|+3"
    assert c_format("no conversions", [1]) == "no conversions"
    assert c_format("%x", [-1]) == "ffffffff"
