"""dcmqrscp with pynetdicom as C-FIND and C-GET SCU, and with bad queries (invalid levels, malformed
ranges, injection attempts, values of the wrong form): each gets the right failure status or no
match, and the server goes on serving.  Once with the SQLite index, once with PostgreSQL."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, build_role, evt
from pynetdicom.sop_class import (CTImageStorage, MRImageStorage, PatientRootQueryRetrieveInformationModelFind,
                                  StudyRootQueryRetrieveInformationModelFind, StudyRootQueryRetrieveInformationModelGet,
                                  Verification)

import tests.interop.peers  # noqa: F401  (quiet pynetdicom logging)
from pydcmkit.db import open_database
from pydcmkit.services.archive import area_schema
from tests.interop.dcmqrscp_support import (ROOT, SPEC_FILES, STUDY_CT, STUDY_MR, QRServer, copy_corpus,
                                            drop_area_schemas, echoscu, findscu, keys,
                                            qr_postgres_url, storescu)  # noqa: F401  (fixture)
from tests.unit.db.conftest import pg_server_url  # noqa: F401  (fixture of qr_postgres_url)

CT1, CT2, CT3, MR1 = f"{ROOT}.4.111", f"{ROOT}.4.112", f"{ROOT}.4.121", f"{ROOT}.4.211"
SUCCESS, PENDING = 0x0000, 0xFF00
UNABLE_TO_PROCESS, DOES_NOT_MATCH = 0xC000, 0xA900


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory, data_dir):
    database = request.getfixturevalue("qr_postgres_url") if request.param == "postgresql" else None
    root = tmp_path_factory.mktemp(f"dcmqrscp-queries-{request.param}")
    copy_corpus(data_dir, root)
    qr = QRServer(root, database=database)
    try:
        proc = storescu(qr.port, *(f"data/{name}" for name in SPEC_FILES), cwd=root)
        assert proc.returncode == 0, proc.stderr + qr.log
        qr.database = database
        yield qr
    finally:
        qr.stop()
        if database:
            drop_area_schemas(database, *(root / area for area in ("STORE", "READ", "QUOTA")))


def scu_ae(ae_title: str, *contexts) -> AE:
    ae = AE(ae_title=ae_title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10
    for abstract in contexts:
        ae.add_requested_context(abstract)
    return ae


def c_find(server, identifier: Dataset, model=StudyRootQueryRetrieveInformationModelFind):
    """(final status, [identifiers of the pending responses]) of one C-FIND through pynetdicom."""
    ae = scu_ae("FINDSCU", model)
    assoc = ae.associate("127.0.0.1", server.port, ae_title="QRSCP")
    assert assoc.is_established
    try:
        pending, final = [], None
        for status, ident in assoc.send_c_find(identifier, model):
            assert status is not None and "Status" in status, "no response (association aborted?)"
            if status.Status in (PENDING, 0xFF01):
                pending.append(ident)
            else:
                final = status.Status
        return final, pending
    finally:
        if assoc.is_established:
            assoc.release()


def study_query(**values) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = ""
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def still_serving(server) -> None:
    assert echoscu(server.port, cwd=server.root).returncode == 0
    final, rsps = c_find(server, study_query())
    assert (final, sorted(r.StudyInstanceUID for r in rsps)) == (SUCCESS, [STUDY_CT, STUDY_MR])


# ---------------------------------------------------------------------------------------------
# pynetdicom as SCU

def test_pynetdicom_find_study_root(server):
    final, rsps = c_find(server, study_query(PatientName="", StudyDate="20230101-20231231"))
    assert final == SUCCESS
    assert [(r.PatientName, r.StudyInstanceUID, r.RetrieveAETitle, r.QueryRetrieveLevel) for r in rsps] == [
        ("DOE^JOHN", STUDY_CT, "QRSCP", "STUDY"), ("SMITH^JANE", STUDY_MR, "QRSCP", "STUDY")]


def test_pynetdicom_find_patient_root_image_level(server):
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.PatientID = "PAT001"
    ds.StudyInstanceUID = STUDY_CT
    ds.SeriesInstanceUID = ""
    ds.SOPInstanceUID = ""
    ds.InstanceNumber = ""
    final, rsps = c_find(server, ds, PatientRootQueryRetrieveInformationModelFind)
    assert final == SUCCESS
    assert sorted((r.SOPInstanceUID, int(r.InstanceNumber)) for r in rsps) == [(CT1, 1), (CT2, 2), (CT3, 1)]


def test_pynetdicom_get(server):
    received = []

    def on_store(event):
        received.append((event.request.AffectedSOPClassUID, event.dataset.SOPInstanceUID))
        return 0x0000

    ae = scu_ae("GETSCU", StudyRootQueryRetrieveInformationModelGet, CTImageStorage, MRImageStorage)
    roles = [build_role(CTImageStorage, scp_role=True), build_role(MRImageStorage, scp_role=True)]
    assoc = ae.associate("127.0.0.1", server.port, ae_title="QRSCP", ext_neg=roles,
                         evt_handlers=[(evt.EVT_C_STORE, on_store)])
    assert assoc.is_established
    try:
        ds = Dataset()
        ds.QueryRetrieveLevel = "STUDY"
        ds.StudyInstanceUID = STUDY_CT
        statuses = [(s.Status, s.get("NumberOfCompletedSuboperations")) for s, _ in
                    assoc.send_c_get(ds, StudyRootQueryRetrieveInformationModelGet)]
        assert statuses[-1] == (SUCCESS, 3)
        assert all(s == PENDING for s, _ in statuses[:-1])
        ds.QueryRetrieveLevel = "IMAGE"
        ds.SeriesInstanceUID = f"{ROOT}.3.21"
        ds.StudyInstanceUID = STUDY_MR
        ds.SOPInstanceUID = MR1
        assert [s.Status for s, _ in assoc.send_c_get(ds, StudyRootQueryRetrieveInformationModelGet)][-1] == SUCCESS
    finally:
        assoc.release()
    assert sorted(received) == [(CTImageStorage, CT1), (CTImageStorage, CT2), (CTImageStorage, CT3),
                                (MRImageStorage, MR1)]


# ---------------------------------------------------------------------------------------------
# bad queries

@pytest.mark.parametrize("level, status", [("FRAME", UNABLE_TO_PROCESS), ("PATIENT", UNABLE_TO_PROCESS),
                                           ("", DOES_NOT_MATCH), (None, DOES_NOT_MATCH)])
def test_invalid_levels(server, level, status):
    ds = study_query()
    if level is None:
        del ds.QueryRetrieveLevel
    else:
        ds.QueryRetrieveLevel = level
    final, rsps = c_find(server, ds)
    assert (final, rsps) == (status, [])
    still_serving(server)


@pytest.mark.parametrize("date", ["2023-01-01", "20230101-20230331-20240101", "abc-", "20231301", "2023011",
                                  "20230101--20230331", "**"])
def test_malformed_dates_never_match(server, date):
    final, rsps = c_find(server, study_query(StudyDate=date))
    assert final in (SUCCESS, UNABLE_TO_PROCESS)
    assert rsps == []
    still_serving(server)


def test_malformed_dates_with_findscu(server):
    r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=STUDY", "StudyDate=2023011-", "StudyInstanceUID"),
                cwd=server.root)
    assert r.responses == [] and r.final in ("Success", "Failed: UnableToProcess"), r.proc.stderr


@pytest.mark.parametrize("keyword, value", [
    ("PatientName", "' OR 1=1 --"),
    ("PatientID", '"; DROP TABLE instances; --'),
    ("PatientID", "PAT001' OR '1'='1"),
    ("StudyDescription", "x'); DELETE FROM instances; --"),
    ("PatientName", "DOE%"),  # SQL LIKE wildcards are ordinary characters in DICOM
    ("PatientName", "D_E^JOHN"),
    ("PatientName", "\\"),
    ("AccessionNumber", "ACC001\\' OR ''='"),
    ("StudyInstanceUID", "1' OR '1'='1"),
    ("StudyDate", "20230115' OR '1'='1"),
])
def test_injection_attempts_match_literally(server, keyword, value):
    final, rsps = c_find(server, study_query(**{keyword: value}))
    assert rsps == [] and final in (SUCCESS, UNABLE_TO_PROCESS)
    still_serving(server)


def test_injection_with_findscu_leaves_the_index_intact(server):
    for value in ("' OR 1=1 --", '"; DROP TABLE instances; --'):
        r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=STUDY", f"PatientName={value}", "StudyInstanceUID"),
                    cwd=server.root)
        assert (r.responses, r.final) == ([], "Success"), r.proc.stderr
    if server.database:
        db = open_database(server.database, schema=area_schema(str(server.root / "STORE")))
    else:
        db = open_database(str(server.root / "STORE"))
    try:
        assert sorted(r.sop_instance_uid for r in db.records()) == [CT1, CT2, CT3, MR1]
    finally:
        db.close()


def test_wrong_value_forms(server):
    image = ("QueryRetrieveLevel=IMAGE", f"StudyInstanceUID={STUDY_CT}", "SeriesInstanceUID", "SOPInstanceUID")
    for value in ("abc", "1.5", "+1", "01"):  # IS matches as an exact string (trimmed): only "1" matches
        r = findscu(server.port, "-S", *keys(*image, f"InstanceNumber={value}"), cwd=server.root)
        assert (r.responses, r.final) == ([], "Success"), (value, r.proc.stderr)
    for value in ("1", " 1 "):
        r = findscu(server.port, "-S", *keys(*image, f"InstanceNumber={value}"), cwd=server.root)
        assert sorted(r.stripped("SOPInstanceUID")) == [CT1, CT3], value
    r = findscu(server.port, "-S", *keys("QueryRetrieveLevel=STUDY", "StudyInstanceUID", "StudyTime=25:99-xx"),
                cwd=server.root)
    assert r.responses == [] and r.final in ("Success", "Failed: UnableToProcess"), r.proc.stderr
    still_serving(server)


@pytest.mark.parametrize("element", [
    (0x00100010, "PN", b"\xff\xfe\x00\x01"),  # PatientName: bytes of no character set
    (0x00080020, "DA", b"\x00\x01\x02\x03"),       # StudyDate: binary
    (0x0020000D, "UI", "1.2.3.abc"),               # StudyInstanceUID that is no UID
    (0x00100020, "LO", "x" * 400),                 # PatientID longer than LO allows
])
def test_values_of_the_wrong_vr_or_form(server, element):
    tag, vr, value = element
    ds = study_query()
    ds.add_new(tag, vr, value)
    final, rsps = c_find(server, ds)
    assert final in (SUCCESS, UNABLE_TO_PROCESS, DOES_NOT_MATCH), hex(final or 0)
    assert rsps == []
    still_serving(server)


def test_sequence_in_place_of_a_name_is_no_constraint(server):
    """A key whose value is a sequence has no value to match: like an empty key (pydcmkit's choice)."""
    ds = study_query()
    ds.add_new(0x00100010, "SQ", [Dataset()])
    final, rsps = c_find(server, ds)
    assert final == SUCCESS and len(rsps) == 2
    still_serving(server)


def test_long_uid_list(server):
    """A UID list longer than an SQL statement's parameter limit (SQLite: 999 in old builds)."""
    uids = [f"{ROOT}.5.{i}" for i in range(2500)] + [MR1, CT2]
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.StudyInstanceUID = ""
    ds.SeriesInstanceUID = ""
    ds.SOPInstanceUID = uids
    final, rsps = c_find(server, ds)
    assert final == SUCCESS
    assert sorted(r.SOPInstanceUID for r in rsps) == [CT2, MR1]


def test_find_without_verification_context_still_answers(server):
    ae = scu_ae("FINDSCU", Verification)
    assoc = ae.associate("127.0.0.1", server.port, ae_title="QRSCP")
    try:
        assert assoc.send_c_echo().Status == SUCCESS
    finally:
        assoc.release()
