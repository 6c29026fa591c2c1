import datetime as dt
import os
import re

import pytest

from pydcmkit.storage.naming import (FileNamer, NamingScheme, StorageLayout, ensure_inside, parse_da,
                                     safe_component)

CT = "1.2.840.10008.5.1.4.1.1.2"
PRIV = "1.3.6.1.4.1.99999.1.1"
UID = "1.2.826.0.1.3680043.10.999.4.111"


def namer(scheme=NamingScheme.DEFAULT, **kw):
    return FileNamer(StorageLayout("out", scheme, **kw))


def test_default_names():
    assert namer().filename(CT, UID) == f"CT.{UID}"
    assert namer().filename(PRIV, UID) == f"UNKNOWN.{UID}"
    assert namer(extension=".dcm").filename(CT, UID) == f"CT.{UID}.dcm"


def test_unique_names():
    n = namer(NamingScheme.UNIQUE)
    a, b = n.filename(CT, UID), n.filename(CT, UID)
    assert a != b and a.startswith("CT.X.1.2.826.0.1.3680043.10.1394.2.")
    assert namer(NamingScheme.UNIQUE).filename(PRIV, UID).startswith("UNKNOWN.X.")


def test_short_unique_names():
    n = namer(NamingScheme.SHORT_UNIQUE)
    assert re.fullmatch(r"CT_[0-9a-f]{16}", n.filename(CT, UID))
    assert re.fullmatch(r"XX_[0-9a-f]{16}\.dcm", namer(NamingScheme.SHORT_UNIQUE, extension=".dcm").filename(PRIV, UID))


def test_system_time_names():
    assert re.fullmatch(r"\d{14}\.\d{6}\.CT", namer(NamingScheme.SYSTEM_TIME).filename(CT, UID))
    assert namer(NamingScheme.SYSTEM_TIME).filename(PRIV, UID).endswith(".UNKNOWN")


def test_overwrite_policy():
    assert NamingScheme.DEFAULT.overwrites and NamingScheme.SYSTEM_TIME.overwrites
    assert not NamingScheme.UNIQUE.overwrites and not NamingScheme.SHORT_UNIQUE.overwrites


@pytest.mark.parametrize("value,expected", [("20230115", "data/2023/01/15"), ("2024010", None), ("", None),
                                            (None, None), ("20231301", None), ("2023011a", None)])
def test_series_date_subdirectories(value, expected):
    n = namer(series_date_subdir=True)
    got = n.subdirectory(value, today=dt.date(2026, 11, 23))
    assert got == (expected or "undef/20261123")


def test_no_subdirectory_without_option():
    assert namer().subdirectory("20230115") == ""


@pytest.mark.parametrize("uid", ["../../etc/passwd", "/abs/path", "a\x00b", "..", ".", "x/../../y", "é"])
def test_hostile_uids_stay_one_component(uid):
    name = namer().filename(CT, uid)
    assert "/" not in name and "\x00" not in name and name not in (".", "..")
    assert ensure_inside("out", name).parent == ensure_inside("out", "x").parent


def test_ensure_inside_refuses_escape(tmp_path):
    with pytest.raises(ValueError):
        ensure_inside(tmp_path, "../x")
    assert ensure_inside(tmp_path, "data/2023/01/01/CT.1") == tmp_path / "data/2023/01/01/CT.1"


def test_safe_component():
    assert safe_component("..") == "_" and safe_component("") == "_"
    assert safe_component("CT.1.2") == "CT.1.2"


def test_parse_da():
    assert parse_da(b"20240229") == dt.date(2024, 2, 29)
    assert parse_da("20230229") is None
