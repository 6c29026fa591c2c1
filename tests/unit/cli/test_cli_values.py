"""C sscanf emulation and DCMTK's value/parameter messages (dcmtk-cli.md 1.2, 6)."""

import pytest

from pydcmkit.cli.values import (ULONG_MAX, convert_option_value, convert_param_value,
                                 scan_signed, scan_unsigned)
from pydcmkit.status import CommandLineError


@pytest.mark.parametrize("text, value", [
    ("11160abc", 11160), ("5x", 5), ("0x2b68", 0), (" 12", 12), ("\t7", 7), ("+5", 5),
    ("010", 10), ("-0", 0), ("-5", ULONG_MAX - 4),
    ("-18446744073709551615", 1),  # wraps to 1 (observed: dcmrecv listens on port 1)
    ("18446744073709551616", ULONG_MAX), ("-18446744073709551616", ULONG_MAX),
    ("abc", None), ("", None), ("+-5", None), ("--5", None), ("-", None), (" ", None),
])
def test_scan_unsigned_is_strtoul_like(text, value):
    assert scan_unsigned(text) == value


@pytest.mark.parametrize("text, value", [
    ("42", 42), ("-42", -42), ("0x10", 16), ("010", 8), ("0x", 0), ("08", 0), ("  +7z", 7),
    ("99999999999999999999", 2**63 - 1), ("-99999999999999999999", -(2**63)), ("x", None),
])
def test_scan_signed_is_strtol_base0_like(text, value):
    assert scan_signed(text) == value


@pytest.mark.parametrize("text, vmin, vmax, message", [
    ("abc", 1, None, "Invalid value for option --acse-timeout (abc)"),
    ("-5", 1, None, "Invalid value for option --acse-timeout (-5)"),
    (" -5", 1, None, "Invalid value for option --acse-timeout ( -5)"),
    ("-0", 1, None, "Invalid value for option --acse-timeout (-0)"),
    ("0x10", 1, None, "Invalid value for option --acse-timeout (underflow: 0x10)"),
    ("0", 1, None, "Invalid value for option --acse-timeout (underflow: 0)"),
    ("10", 0, 9, "Invalid value for option --acse-timeout (overflow: 10)"),
    ("", 1, None, "Invalid value for option --acse-timeout"),
])
def test_unsigned_option_value_messages(text, vmin, vmax, message):
    with pytest.raises(CommandLineError) as err:
        convert_option_value("--acse-timeout", text, int, vmin, vmax)
    assert err.value.message == message
    assert err.value.exit_code == 1


def test_unsigned_option_value_accepts_junk_and_huge_values():
    assert convert_option_value("--acse-timeout", "5x", int, 1) == 5
    assert convert_option_value("--acse-timeout", "99999999999999999999999", int, 1) == ULONG_MAX
    assert convert_option_value("--acse-timeout", "+5", int, 1) == 5
    # a TAB is not skipped by DCMTK's minus check: the value wraps
    assert convert_option_value("--acse-timeout", "\t-5", int, 1) == ULONG_MAX - 4


def test_string_values_are_verbatim_even_empty():
    assert convert_option_value("--aetitle", "", None) == ""
    assert convert_option_value("--aetitle", " -v ", str) == " -v "


def test_signed_option_range():
    assert convert_option_value("--signed", "-3", "signed", -10, 10) == -3
    with pytest.raises(CommandLineError, match=r"\(underflow: -11\)$"):
        convert_option_value("--signed", "-11", "signed", -10, 10)


@pytest.mark.parametrize("text, message", [
    ("0", "Invalid parameter value 0 (underflow)"),
    ("70000", "Invalid parameter value 70000 (overflow)"),
    ("abc", "Invalid parameter value abc"),
    ("-5", "Invalid parameter value -5 (overflow)"),
    (" -5", "Invalid parameter value  -5 (overflow)"),
    ("0x2b68", "Invalid parameter value 0x2b68 (underflow)"),
    ("", "Invalid parameter value "),
])
def test_param_messages(text, message):
    with pytest.raises(CommandLineError) as err:
        convert_param_value(text, int, 1, 65535)
    assert err.value.message == message


def test_param_values_accepted():
    assert convert_param_value("11160abc", int, 1, 65535) == 11160
    assert convert_param_value("-18446744073709551615", int, 1, 65535) == 1
    assert convert_param_value("", None) == ""
