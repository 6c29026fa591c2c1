import struct

import pytest
from pynetdicom import pdu as pn_pdu

from pydcmkit.net import pdu as P

RQ = P.AssociateRequest(
    calling_ae="DCMSEND", called_ae="ANY-SCP", max_pdu=16384,
    contexts=(P.ProposedContext(1, "1.2.840.10008.5.1.4.1.1.2", ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")),
              P.ProposedContext(3, "1.2.840.10008.1.1", ("1.2.840.10008.1.2",))),
    roles={"1.2.840.10008.5.1.4.1.1.2": (False, True)},
    extended_negotiation={"1.2.840.10008.5.1.4.1.2.2.1": b"\x01\x01\x00"})


def test_request_round_trip_and_pynetdicom_agrees():
    raw = P.encode_associate_rq(RQ)
    assert P.decode_associate_rq(raw) == RQ
    theirs = pn_pdu.A_ASSOCIATE_RQ()
    theirs.decode(raw)
    assert theirs.calling_ae_title == "DCMSEND" and theirs.called_ae_title == "ANY-SCP"
    assert [c.abstract_syntax for c in theirs.presentation_context] == [c.abstract_syntax for c in RQ.contexts]
    assert theirs.user_information.maximum_length == 16384
    assert theirs.encode() == raw


def test_accept_round_trip_and_pynetdicom_agrees():
    ac = P.AssociateAccept(calling_ae="DCMSEND", called_ae="ANY-SCP", max_pdu=32768,
                           contexts=(P.ContextResult(1, 0, "1.2.840.10008.1.2.1"), P.ContextResult(3, 3, None)),
                           roles={"1.2.840.10008.5.1.4.1.1.2": (False, True)})
    raw = P.encode_associate_ac(ac)
    back = P.decode_associate_ac(raw)
    assert back.contexts == ac.contexts and back.max_pdu == 32768 and back.roles == ac.roles
    theirs = pn_pdu.A_ASSOCIATE_AC()
    theirs.decode(raw)
    assert [(c.context_id, c.result) for c in theirs.presentation_context] == [(1, 0), (3, 3)]
    assert theirs.encode() == raw


def test_pynetdicom_request_decodes():
    from pynetdicom import AE
    from pynetdicom import pdu_primitives as prim
    from pynetdicom.presentation import build_context
    a = prim.A_ASSOCIATE()
    a.application_context_name = "1.2.840.10008.3.1.1.1"
    a.calling_ae_title, a.called_ae_title = "PYNETDICOM", "ANY"
    ml = prim.MaximumLengthNotification()
    ml.maximum_length_received = 0
    ic = prim.ImplementationClassUIDNotification()
    ic.implementation_class_uid = "1.2.3"
    a.user_information = [ml, ic]
    cx = build_context("1.2.840.10008.1.1")
    cx.context_id = 1
    a.presentation_context_definition_list = [cx]
    rq = P.decode_associate_rq(pn_pdu.A_ASSOCIATE_RQ(a).encode())
    assert rq.calling_ae == "PYNETDICOM" and rq.max_pdu == 0 and rq.contexts[0].abstract_syntax == "1.2.840.10008.1.1"


def test_every_truncation_and_corruption_is_a_pdu_error():
    raw = P.encode_associate_rq(RQ)
    for cut in range(0, len(raw)):
        with pytest.raises(P.PDUError):
            P.decode_associate_rq(raw[:cut])
    for pos in range(74, len(raw)):
        bad = bytearray(raw)
        bad[pos] ^= 0xFF
        try:
            P.decode_associate_rq(bytes(bad))
        except P.PDUError:
            pass  # a clean refusal; anything else (IndexError, ...) fails the test


def test_length_claiming_more_than_the_pdu():
    raw = bytearray(P.encode_associate_rq(RQ))
    struct.pack_into(">H", raw, 76, 0xFFFF)  # application context item length
    with pytest.raises(P.PDUError, match="runs past"):
        P.decode_associate_rq(bytes(raw))


def test_reject_and_release():
    assert P.encode_associate_rj(1, 1, 1) == bytes.fromhex("03000000000400010101")
    assert P.encode_release_rq() == bytes.fromhex("05000000000400000000")
    assert P.reject_reason_text(2, 3, 2) == "Rejected Transient, Service Provider (Presentation Related), Local Limit Exceeded"
