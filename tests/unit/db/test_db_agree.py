"""SQLite and PostgreSQL give identical answers to the same query suite on the same records."""

from __future__ import annotations

import pytest

from dbhelpers import PR, PSO, SR, find, ident, synthetic_records
from pydcmkit.db import KeySet, QueryError, open_database

N = 2400
R = "2.25.1"

SUITE = [
    (PR, ident("PATIENT", PatientName="S*", PatientID=None, PatientBirthDate=None)),
    (PR, ident("PATIENT", PatientName="*JOS?^*", PatientID=None, NumberOfPatientRelatedStudies=None,
               NumberOfPatientRelatedInstances=None), KeySet.EXTENDED),
    (PR, ident("PATIENT", PatientID="PID000000?", PatientSex="F", PatientName=None)),
    (PR, ident("PATIENT", PatientBirthDate="19500101-19700101", PatientID=None)),
    (PR, ident("STUDY", PatientID="PID0000003", StudyInstanceUID=None, StudyDate=None, StudyTime=None)),
    (SR, ident("STUDY", StudyDate="20100101-20151231", StudyInstanceUID=None, PatientName=None,
               ModalitiesInStudy=None, NumberOfStudyRelatedSeries=None), KeySet.EXTENDED),
    (SR, ident("STUDY", StudyDescription="100% DOSE", StudyInstanceUID=None, AccessionNumber=None)),
    (SR, ident("STUDY", StudyDescription="A_B", StudyInstanceUID=None)),
    (SR, ident("STUDY", StudyDescription="*%*", StudyInstanceUID=None)),
    (SR, ident("STUDY", ModalitiesInStudy="MR\\US", StudyInstanceUID=None, SOPClassesInStudy=None),
     KeySet.EXTENDED),
    (SR, ident("STUDY", StudyTime="-0600", StudyInstanceUID=None)),
    (SR, ident("STUDY", AccessionNumber="ACC0000001*", ReferringPhysicianName="REF^?", StudyInstanceUID=None)),
    (SR, ident("SERIES", StudyInstanceUID=f"{R}.2.3\\{R}.2.4", SeriesInstanceUID=None, Modality=None,
               SeriesNumber=None, NumberOfSeriesRelatedInstances=None, SeriesDate=None), KeySet.EXTENDED),
    (SR, ident("SERIES", StudyInstanceUID=None, Modality="CT", SeriesInstanceUID=None)),
    (SR, ident("IMAGE", StudyInstanceUID=f"{R}.2.5", SeriesInstanceUID=None, SOPInstanceUID=None,
               InstanceNumber=None, SOPClassUID="1.2.840.10008.5.1.4.1.1.7", PatientName=None), KeySet.EXTENDED),
    (SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None,
               SOPInstanceUID="\\".join(f"{R}.4.{k}" for k in range(0, N, 97)))),
    (PSO, ident("STUDY", PatientID="PID000001?", StudyInstanceUID=None, StudyID=None)),
    (PR, ident("PATIENT", PatientName="müller*", PatientID=None)),
]


@pytest.fixture(scope="module")
def records():
    return synthetic_records(N)


def run(db, model, identifier, keys=KeySet.DCMTK):
    try:
        return find(db, model, identifier, keys=keys)
    except QueryError as exc:
        return exc.status


def test_backends_agree(pg_url, tmp_path, records):
    lite = open_database(tmp_path / "index.sqlite")
    pg = open_database(pg_url)
    try:
        lite.add_instances(records)
        pg.add_instances(records)
        total = 0
        for entry in SUITE:
            a, b = run(lite, *entry), run(pg, *entry)
            assert a == b, entry[1]
            total += len(a)
        assert total > 100  # the suite is not vacuous
        for model, identifier in ((SR, ident("STUDY", StudyDate="2010*")),
                                  (SR, ident("STUDY", StudyDate="20100101-20121231")),
                                  (PR, ident("PATIENT", PatientName="S*"))):
            assert lite.instances_for_retrieve(model, identifier) == pg.instances_for_retrieve(model, identifier)
        assert list(lite.records()) == list(pg.records())
        assert lite.study_usage() == pg.study_usage()
    finally:
        lite.close()
        pg.close()
