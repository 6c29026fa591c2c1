"""DICOM Upper Layer PDUs (PS3.8 §9.3).

Every PDU is encoded and decoded here, into small frozen records.  pynetdicom has PDU classes
too, but importing it pulls in pydicom (about 0.2 s at every tool start), and a server facing
hostile peers wants one strict decoder in which every length is checked against its container
before use; the tests check this codec against pynetdicom's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

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


# ---------------------------------------------------------------------------------------------
# A-ASSOCIATE-RQ/AC items (PS3.8 §9.3.2-9.3.3, PS3.7 Annex D.3.3)

ITEM_APPLICATION_CONTEXT = 0x10
ITEM_PC_RQ, ITEM_PC_AC = 0x20, 0x21
ITEM_ABSTRACT_SYNTAX, ITEM_TRANSFER_SYNTAX = 0x30, 0x40
ITEM_USER_INFO = 0x50
SUB_MAX_LENGTH, SUB_IMPL_CLASS, SUB_ASYNC_OPS, SUB_ROLE, SUB_IMPL_VERSION, SUB_EXT_NEG = 0x51, 0x52, 0x53, 0x54, 0x55, 0x56


def _item(item_type: int, value: bytes) -> bytes:
    return struct.pack(">BBH", item_type, 0, len(value)) + value


def _uid_bytes(uid: str) -> bytes:
    return uid.encode("ascii", "replace")


def _ae(title: str) -> bytes:
    return (title or " ").encode("ascii", "replace")[:16].ljust(16, b" ")


def _user_information(max_pdu, impl_uid, impl_version, roles, ext_neg) -> bytes:
    sub = [_item(SUB_MAX_LENGTH, struct.pack(">I", max_pdu)), _item(SUB_IMPL_CLASS, _uid_bytes(impl_uid))]
    for uid, (scu, scp) in roles.items():
        u = _uid_bytes(uid)
        sub.append(_item(SUB_ROLE, struct.pack(">H", len(u)) + u + bytes((int(scu), int(scp)))))
    if impl_version:
        sub.append(_item(SUB_IMPL_VERSION, impl_version.encode("ascii", "replace")[:16]))
    for uid, info in ext_neg.items():
        u = _uid_bytes(uid)
        sub.append(_item(SUB_EXT_NEG, struct.pack(">H", len(u)) + u + bytes(info)))
    return _item(ITEM_USER_INFO, b"".join(sub))


def _associate_pdu(pdu_type: int, called: str, calling: str, app_ctx: str, contexts: bytes, user: bytes) -> bytes:
    body = (struct.pack(">HH", 1, 0) + _ae(called) + _ae(calling) + b"\x00" * 32
            + _item(ITEM_APPLICATION_CONTEXT, _uid_bytes(app_ctx)) + contexts + user)
    return struct.pack(">BBI", pdu_type, 0, len(body)) + body


def encode_associate_rq(rq: AssociateRequest) -> bytes:
    """Encode an A-ASSOCIATE-RQ PDU (PS3.8 §9.3.2)."""
    contexts = b"".join(
        _item(ITEM_PC_RQ, bytes((pc.context_id, 0, 0, 0)) + _item(ITEM_ABSTRACT_SYNTAX, _uid_bytes(pc.abstract_syntax))
              + b"".join(_item(ITEM_TRANSFER_SYNTAX, _uid_bytes(ts)) for ts in pc.transfer_syntaxes))
        for pc in rq.contexts)
    user = _user_information(rq.max_pdu, rq.implementation_class_uid, rq.implementation_version_name,
                             rq.roles, rq.extended_negotiation)
    return _associate_pdu(A_ASSOCIATE_RQ, rq.called_ae, rq.calling_ae, rq.application_context, contexts, user)


def encode_associate_ac(ac: AssociateAccept) -> bytes:
    """Encode an A-ASSOCIATE-AC PDU (PS3.8 §9.3.3); a rejected context still carries one
    transfer syntax sub-item, whose value is not significant."""
    contexts = b"".join(
        _item(ITEM_PC_AC, bytes((cr.context_id, 0, cr.result, 0))
              + _item(ITEM_TRANSFER_SYNTAX, _uid_bytes(cr.transfer_syntax or "1.2.840.10008.1.2")))
        for cr in ac.contexts)
    user = _user_information(ac.max_pdu, ac.implementation_class_uid, ac.implementation_version_name,
                             ac.roles, ac.extended_negotiation)
    return _associate_pdu(A_ASSOCIATE_AC, ac.called_ae, ac.calling_ae, ac.application_context, contexts, user)


def _items(data: bytes, start: int, end: int, what: str):
    """Yield (type, value) of the items in data[start:end]; every length is checked."""
    pos = start
    while pos < end:
        if pos + 4 > end:
            raise PDUError(f"truncated item header in {what}")
        item_type, _reserved, length = struct.unpack_from(">BBH", data, pos)
        pos += 4
        if pos + length > end:
            raise PDUError(f"item 0x{item_type:02x} of length {length} runs past the end of {what}")
        yield item_type, data[pos:pos + length]
        pos += length


def _text(raw: bytes) -> str:
    return raw.decode("ascii", "replace").strip("\x00 ")


def _role_or_ext(value: bytes, what: str) -> tuple[str, bytes]:
    if len(value) < 2:
        raise PDUError(f"truncated {what} sub-item")
    n = struct.unpack_from(">H", value)[0]
    if 2 + n > len(value):
        raise PDUError(f"{what} sub-item UID length {n} runs past the sub-item")
    return _text(value[2:2 + n]), value[2 + n:]


def _decode_user_information(value: bytes):
    max_pdu, impl_uid, impl_ver, roles, ext = 0, "", None, {}, {}
    for sub_type, sub in _items(value, 0, len(value), "user information"):
        if sub_type == SUB_MAX_LENGTH:
            if len(sub) != 4:
                raise PDUError("maximum length sub-item must hold 4 bytes")
            max_pdu = struct.unpack(">I", sub)[0]
        elif sub_type == SUB_IMPL_CLASS:
            impl_uid = _text(sub)
        elif sub_type == SUB_IMPL_VERSION:
            impl_ver = _text(sub)
        elif sub_type == SUB_ROLE:
            uid, rest = _role_or_ext(sub, "role selection")
            if len(rest) != 2:
                raise PDUError("role selection sub-item must end with the SCU and SCP role bytes")
            roles[uid] = (bool(rest[0]), bool(rest[1]))
        elif sub_type == SUB_EXT_NEG:
            uid, rest = _role_or_ext(sub, "extended negotiation")
            ext[uid] = bytes(rest)
        # other sub-items (asynchronous operations window, user identity, ...) are not negotiated
    return max_pdu, impl_uid, impl_ver, roles, ext


def _decode_associate(data: bytes, expected: int):
    name = PDU_NAMES[expected]
    if len(data) < 74 or data[0] != expected:
        raise PDUError(f"malformed {name}: {len(data)} bytes")
    length = struct.unpack_from(">I", data, 2)[0]
    if length + 6 != len(data):
        raise PDUError(f"malformed {name}: length field {length} does not match {len(data) - 6} bytes")
    version = struct.unpack_from(">H", data, 6)[0]
    called = _text(data[10:26])
    calling = _text(data[26:42])
    app_ctx, contexts, user = "", [], None
    for item_type, value in _items(data, 74, len(data), name):
        if item_type == ITEM_APPLICATION_CONTEXT:
            app_ctx = _text(value)
        elif item_type in (ITEM_PC_RQ, ITEM_PC_AC):
            if item_type != (ITEM_PC_RQ if expected == A_ASSOCIATE_RQ else ITEM_PC_AC):
                raise PDUError(f"presentation context item 0x{item_type:02x} in {name}")
            if len(value) < 4:
                raise PDUError(f"truncated presentation context item in {name}")
            ctx_id, result = value[0], value[2]
            abstract, syntaxes = None, []
            for sub_type, sub in _items(value, 4, len(value), "presentation context"):
                if sub_type == ITEM_ABSTRACT_SYNTAX:
                    abstract = _text(sub)
                elif sub_type == ITEM_TRANSFER_SYNTAX:
                    syntaxes.append(_text(sub))
                else:
                    raise PDUError(f"unknown sub-item 0x{sub_type:02x} in presentation context {ctx_id}")
            contexts.append((ctx_id, result, abstract, syntaxes))
        elif item_type == ITEM_USER_INFO:
            user = _decode_user_information(value)
        else:
            raise PDUError(f"unknown item type 0x{item_type:02x} in {name}")
    if user is None:
        raise PDUError(f"{name} without user information item")
    return version, called, calling, app_ctx, contexts, user


def decode_associate_rq(data: bytes) -> AssociateRequest:
    """Decode a whole A-ASSOCIATE-RQ PDU (header included); raise :class:`PDUError` if malformed."""
    version, called, calling, app_ctx, contexts, user = _decode_associate(data, A_ASSOCIATE_RQ)
    proposed = []
    for ctx_id, _result, abstract, syntaxes in contexts:
        if abstract is None or not syntaxes:
            raise PDUError(f"presentation context {ctx_id} without abstract or transfer syntax")
        proposed.append(ProposedContext(ctx_id, abstract, tuple(syntaxes)))
    max_pdu, impl_uid, impl_ver, roles, ext = user
    return AssociateRequest(calling_ae=calling, called_ae=called, contexts=tuple(proposed), max_pdu=max_pdu,
                            application_context=app_ctx, implementation_class_uid=impl_uid,
                            implementation_version_name=impl_ver, roles=roles, extended_negotiation=ext,
                            protocol_version=version)


def decode_associate_ac(data: bytes) -> AssociateAccept:
    """Decode a whole A-ASSOCIATE-AC PDU (header included)."""
    _version, called, calling, app_ctx, contexts, user = _decode_associate(data, A_ASSOCIATE_AC)
    results = tuple(ContextResult(ctx_id, result, syntaxes[0] if result == PC_ACCEPTANCE and syntaxes else None)
                    for ctx_id, result, _abstract, syntaxes in contexts)
    max_pdu, impl_uid, impl_ver, roles, ext = user
    return AssociateAccept(calling_ae=calling, called_ae=called, contexts=results, max_pdu=max_pdu,
                           application_context=app_ctx, implementation_class_uid=impl_uid,
                           implementation_version_name=impl_ver, roles=roles, extended_negotiation=ext)


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
