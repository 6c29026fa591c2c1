"""DICOM Upper Layer PDUs (PS3.8 §9.3).

Association PDUs (A-ASSOCIATE-RQ/AC) are encoded and decoded with pynetdicom's PDU classes; this
module turns them into small frozen records.  The short PDUs (A-ASSOCIATE-RJ, A-RELEASE, A-ABORT)
and the P-DATA-TF framing that carries every byte of every dataset are handled here directly,
because that is the hot path.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pynetdicom import pdu as _pn_pdu
from pynetdicom import pdu_primitives as _pn_prim
from pynetdicom.presentation import PresentationContext as _PnContext

from .. import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

A_ASSOCIATE_RQ = 0x01
A_ASSOCIATE_AC = 0x02
A_ASSOCIATE_RJ = 0x03
P_DATA_TF = 0x04
A_RELEASE_RQ = 0x05
A_RELEASE_RP = 0x06
A_ABORT = 0x07

PDU_NAMES = {1: "A-ASSOCIATE-RQ", 2: "A-ASSOCIATE-AC", 3: "A-ASSOCIATE-RJ", 4: "P-DATA-TF",
             5: "A-RELEASE-RQ", 6: "A-RELEASE-RP", 7: "A-ABORT"}

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"

#: Largest association-negotiation PDU we accept (an A-ASSOCIATE-RQ with 128 contexts of 40
#: transfer syntaxes each stays far below this); longer claims are protocol errors.
MAX_ASSOCIATION_PDU = 1 << 20

# Presentation context results (PS3.8 §9.3.3.2)
PC_ACCEPTANCE = 0
PC_USER_REJECTION = 1
PC_NO_REASON = 2
PC_ABSTRACT_SYNTAX_NOT_SUPPORTED = 3
PC_TRANSFER_SYNTAXES_NOT_SUPPORTED = 4

PC_RESULT_TEXT = {0: "Accepted", 1: "User Rejection", 2: "Provider Rejection (no reason)",
                  3: "Abstract Syntax Not Supported", 4: "Transfer Syntaxes Not Supported"}

# A-ASSOCIATE-RJ (PS3.8 §9.3.4)
RJ_PERMANENT, RJ_TRANSIENT = 1, 2
RJ_SOURCE_USER, RJ_SOURCE_ACSE, RJ_SOURCE_PRESENTATION = 1, 2, 3
RJ_NO_REASON = 1
RJ_APPLICATION_CONTEXT_NOT_SUPPORTED = 2
RJ_CALLING_AE_NOT_RECOGNIZED = 3
RJ_CALLED_AE_NOT_RECOGNIZED = 7
RJ_PROTOCOL_VERSION_NOT_SUPPORTED = 2  # source ACSE
RJ_TEMPORARY_CONGESTION = 1  # source presentation
RJ_LOCAL_LIMIT_EXCEEDED = 2  # source presentation


@dataclass(frozen=True)
class ProposedContext:
    """One presentation context of an A-ASSOCIATE-RQ."""

    context_id: int
    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...]


@dataclass(frozen=True)
class ContextResult:
    """One presentation context of an A-ASSOCIATE-AC (``transfer_syntax`` only if accepted)."""

    context_id: int
    result: int
    transfer_syntax: str | None = None
    abstract_syntax: str | None = None  # not on the wire: filled in from the request


@dataclass(frozen=True)
class AssociateRequest:
    """The parameters of an A-ASSOCIATE-RQ (PS3.8 §9.3.2, PS3.7 Annex D user information)."""

    calling_ae: str
    called_ae: str
    contexts: tuple[ProposedContext, ...]
    max_pdu: int = 16384
    application_context: str = APPLICATION_CONTEXT
    implementation_class_uid: str = IMPLEMENTATION_CLASS_UID
    implementation_version_name: str | None = IMPLEMENTATION_VERSION_NAME
    roles: dict = field(default_factory=dict)  # uid -> (scu: bool, scp: bool)
    extended_negotiation: dict = field(default_factory=dict)  # uid -> bytes
    protocol_version: int = 1


@dataclass(frozen=True)
class AssociateAccept:
    """The parameters of an A-ASSOCIATE-AC."""

    calling_ae: str
    called_ae: str
    contexts: tuple[ContextResult, ...]
    max_pdu: int = 16384
    application_context: str = APPLICATION_CONTEXT
    implementation_class_uid: str = IMPLEMENTATION_CLASS_UID
    implementation_version_name: str | None = IMPLEMENTATION_VERSION_NAME
    roles: dict = field(default_factory=dict)
    extended_negotiation: dict = field(default_factory=dict)


class PDUError(ValueError):
    """A PDU that violates PS3.8 (the association is aborted)."""


def _user_items(max_pdu, impl_uid, impl_version, roles, ext_neg):
    items = []
    ml = _pn_prim.MaximumLengthNotification()
    ml.maximum_length_received = max_pdu
    items.append(ml)
    ic = _pn_prim.ImplementationClassUIDNotification()
    ic.implementation_class_uid = impl_uid
    items.append(ic)
    if impl_version:
        iv = _pn_prim.ImplementationVersionNameNotification()
        iv.implementation_version_name = impl_version
        items.append(iv)
    for uid, (scu, scp) in roles.items():
        rs = _pn_prim.SCP_SCU_RoleSelectionNegotiation()
        rs.sop_class_uid = uid
        rs.scu_role = scu
        rs.scp_role = scp
        items.append(rs)
    for uid, info in ext_neg.items():
        en = _pn_prim.SOPClassExtendedNegotiation()
        en.sop_class_uid = uid
        en.service_class_application_information = info
        items.append(en)
    return items


def _primitive(calling_ae, called_ae, app_ctx, user_items):
    prim = _pn_prim.A_ASSOCIATE()
    prim.application_context_name = app_ctx
    prim.calling_ae_title = calling_ae or " "
    prim.called_ae_title = called_ae or " "
    prim.user_information = user_items
    return prim


def encode_associate_rq(rq: AssociateRequest) -> bytes:
    prim = _primitive(rq.calling_ae, rq.called_ae, rq.application_context,
                      _user_items(rq.max_pdu, rq.implementation_class_uid,
                                  rq.implementation_version_name, rq.roles,
                                  rq.extended_negotiation))
    contexts = []
    for pc in rq.contexts:
        cx = _PnContext()
        cx.context_id = pc.context_id
        cx.abstract_syntax = pc.abstract_syntax
        cx.transfer_syntax = list(pc.transfer_syntaxes)
        contexts.append(cx)
    prim.presentation_context_definition_list = contexts
    return _pn_pdu.A_ASSOCIATE_RQ(prim).encode()


def encode_associate_ac(ac: AssociateAccept) -> bytes:
    prim = _primitive(ac.calling_ae, ac.called_ae, ac.application_context,
                      _user_items(ac.max_pdu, ac.implementation_class_uid,
                                  ac.implementation_version_name, ac.roles,
                                  ac.extended_negotiation))
    prim.result = 0
    prim.result_source = None
    results = []
    for cr in ac.contexts:
        cx = _PnContext()
        cx.context_id = cr.context_id
        cx.result = cr.result
        # A rejected context still carries one transfer syntax sub-item (value ignored)
        cx.transfer_syntax = [cr.transfer_syntax or "1.2.840.10008.1.2"]
        results.append(cx)
    prim.presentation_context_definition_results_list = results
    return _pn_pdu.A_ASSOCIATE_AC(prim).encode()


def _user_info(user_information):
    max_pdu, impl_uid, impl_ver, roles, ext = 0, "", None, {}, {}
    for item in user_information or []:
        if isinstance(item, _pn_prim.MaximumLengthNotification):
            max_pdu = int(item.maximum_length_received or 0)
        elif isinstance(item, _pn_prim.ImplementationClassUIDNotification):
            impl_uid = str(item.implementation_class_uid or "")
        elif isinstance(item, _pn_prim.ImplementationVersionNameNotification):
            impl_ver = item.implementation_version_name
            if isinstance(impl_ver, bytes):
                impl_ver = impl_ver.decode("ascii", "replace")
        elif isinstance(item, _pn_prim.SCP_SCU_RoleSelectionNegotiation):
            roles[str(item.sop_class_uid)] = (bool(item.scu_role), bool(item.scp_role))
        elif isinstance(item, _pn_prim.SOPClassExtendedNegotiation):
            ext[str(item.sop_class_uid)] = bytes(item.service_class_application_information or b"")
    return max_pdu, impl_uid, impl_ver, roles, ext


def decode_associate_rq(data: bytes) -> AssociateRequest:
    """Decode a whole A-ASSOCIATE-RQ PDU (header included); raise :class:`PDUError` if malformed."""
    try:
        pdu = _pn_pdu.A_ASSOCIATE_RQ()
        pdu.decode(data)
        prim = pdu.to_primitive()
        contexts = tuple(
            ProposedContext(int(cx.context_id), str(cx.abstract_syntax or ""),
                            tuple(str(t) for t in cx.transfer_syntax))
            for cx in prim.presentation_context_definition_list)
        max_pdu, impl_uid, impl_ver, roles, ext = _user_info(prim.user_information)
        return AssociateRequest(
            calling_ae=str(prim.calling_ae_title).strip(), called_ae=str(prim.called_ae_title).strip(),
            contexts=contexts, max_pdu=max_pdu, application_context=str(prim.application_context_name or ""),
            implementation_class_uid=impl_uid, implementation_version_name=impl_ver, roles=roles,
            extended_negotiation=ext, protocol_version=int(pdu.protocol_version))
    except PDUError:
        raise
    except Exception as exc:  # pynetdicom raises assorted errors on malformed items
        raise PDUError(f"malformed A-ASSOCIATE-RQ: {exc}") from exc


def decode_associate_ac(data: bytes) -> AssociateAccept:
    """Decode a whole A-ASSOCIATE-AC PDU (header included)."""
    try:
        pdu = _pn_pdu.A_ASSOCIATE_AC()
        pdu.decode(data)
        prim = pdu.to_primitive()
        contexts = tuple(
            ContextResult(int(cx.context_id), int(cx.result),
                          str(cx.transfer_syntax[0]) if cx.transfer_syntax and cx.result == 0 else None)
            for cx in prim.presentation_context_definition_results_list)
        max_pdu, impl_uid, impl_ver, roles, ext = _user_info(prim.user_information)
        return AssociateAccept(
            calling_ae=str(prim.calling_ae_title).strip(), called_ae=str(prim.called_ae_title).strip(),
            contexts=contexts, max_pdu=max_pdu, application_context=str(prim.application_context_name or ""),
            implementation_class_uid=impl_uid, implementation_version_name=impl_ver, roles=roles,
            extended_negotiation=ext)
    except Exception as exc:
        raise PDUError(f"malformed A-ASSOCIATE-AC: {exc}") from exc


def encode_associate_rj(result: int, source: int, reason: int) -> bytes:
    return struct.pack(">BBIBBBB", A_ASSOCIATE_RJ, 0, 4, 0, result, source, reason)


def encode_release_rq() -> bytes:
    return struct.pack(">BBII", A_RELEASE_RQ, 0, 4, 0)


def encode_release_rp() -> bytes:
    return struct.pack(">BBII", A_RELEASE_RP, 0, 4, 0)


def encode_abort(source: int = 0, reason: int = 0) -> bytes:
    return struct.pack(">BBIBBBB", A_ABORT, 0, 4, 0, 0, source, reason)


def pdv_header(context_id: int, control: int, data_length: int) -> bytes:
    """P-DATA-TF PDU header plus one PDV item header for ``data_length`` bytes of data.

    ``control`` is the message control header (PS3.8 Annex E.2): bit 0 set for a command,
    bit 1 set for the last fragment.
    """
    return struct.pack(">BBIIBB", P_DATA_TF, 0, data_length + 6, data_length + 2, context_id, control)


REJECT_SOURCE_TEXT = {1: "Service User", 2: "Service Provider (ACSE Related)",
                      3: "Service Provider (Presentation Related)"}


def reject_reason_text(result: int, source: int, reason: int) -> str:
    """DCMTK's wording for an A-ASSOCIATE-RJ (``Rejected Transient, ..., Local Limit Exceeded``)."""
    res = "Rejected Permanent" if result == 1 else "Rejected Transient"
    if source == 1:
        why = {1: "No Reason", 2: "Application Context Name Not Supported",
               3: "Calling AE Title Not Recognized", 7: "Called AE Title Not Recognized"}.get(reason, "No Reason")
    elif source == 2:
        why = {1: "No Reason", 2: "Protocol Version Not Supported"}.get(reason, "No Reason")
    else:
        why = {1: "Temporary Congestion", 2: "Local Limit Exceeded"}.get(reason, "No Reason")
    return f"{res}, {REJECT_SOURCE_TEXT.get(source, 'Unknown')}, {why}"
