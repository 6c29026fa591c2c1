"""The SQL of selective queries starts from an index (SQLite's EXPLAIN QUERY PLAN): no scan of the
instances or series tables, whatever the archive size (the plans do not depend on statistics)."""

from __future__ import annotations

import sqlite3

import pytest

from dbhelpers import SR, ident, synthetic_records
from pydcmkit.db import KeySet, matching, open_database
from pydcmkit.db.schema import SQLITE

STUDY = "2.25.1.2.7"
SERIES = "2.25.1.3.21"

SELECTIVE = {
    "study PatientName prefix*": ident("STUDY", PatientName="SMITH*", StudyInstanceUID=None, StudyDate=None),
    "study StudyDate range": ident("STUDY", StudyDate="20100101-20100105", StudyInstanceUID=None),
    "study AccessionNumber": ident("STUDY", AccessionNumber="ACC00000007", StudyInstanceUID=None),
    "study StudyInstanceUID": ident("STUDY", StudyInstanceUID=STUDY),
    "series of one study": ident("SERIES", StudyInstanceUID=STUDY, SeriesInstanceUID=None, Modality=None),
    "series Modality in one study": ident("SERIES", StudyInstanceUID=STUDY, SeriesInstanceUID=None, Modality="CT"),
    "images of one series": ident("IMAGE", StudyInstanceUID=STUDY, SeriesInstanceUID=SERIES, SOPInstanceUID=None),
    "one image": ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None, SOPInstanceUID="2.25.1.4.9"),
}


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    path = tmp_path_factory.mktemp("plans") / "index.sqlite"
    with open_database(str(path)) as db:
        db.add_instances(synthetic_records(600))
    c = sqlite3.connect(str(path))
    yield c
    c.close()


def scans(conn, sql: str, params) -> list[str]:
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    return [step for step in plan if step.startswith("SCAN ") and step.split()[1] in ("i", "se", "x", "y")]


@pytest.mark.parametrize("name", sorted(SELECTIVE))
def test_find_starts_from_an_index(conn, name):
    ident_ = matching.parse_identifier(SR, SELECTIVE[name], KeySet.DCMTK)
    plan = matching.plan_find(ident_, SQLITE, KeySet.DCMTK)
    assert scans(conn, plan.sql, plan.params) == []


@pytest.mark.parametrize("name", sorted(SELECTIVE))
def test_retrieve_starts_from_an_index(conn, name):
    ident_ = matching.parse_identifier(SR, SELECTIVE[name], KeySet.DCMTK)
    sql, params = matching.plan_retrieve(ident_, SQLITE, KeySet.DCMTK)
    assert scans(conn, sql, params) == []
