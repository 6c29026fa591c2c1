"""What the Query/Retrieve providers share (PS3.4 C.4): identifier encoding, reading a
C-CANCEL-RQ between responses, and the retrieve (C-MOVE/C-GET) selection and responses."""

from __future__ import annotations

import logging
import struct
import zlib

from ..net import dimse
from ..net.association import AcceptedContext, Association, ProtocolError

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"


def decode_identifier(data: bytes, transfer_syntax: str, *, stop_when=None):
    """A dataset received in ``transfer_syntax`` (uncompressed, or one of the deflated syntaxes) as
    a pydicom Dataset; ``stop_when(tag, vr, length)`` ends the reading early (pydicom's rule)."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filereader import read_dataset

    from .store import DEFLATED
    if transfer_syntax in DEFLATED:
        data = zlib.decompress(data, -zlib.MAX_WBITS)
    fp = DicomBytesIO(data)
    return read_dataset(fp, is_implicit_VR=transfer_syntax == IMPLICIT_LE,
                        is_little_endian=transfer_syntax != EXPLICIT_BE, stop_when=stop_when)


def encode_identifier(ds, transfer_syntax: str) -> bytes:
    """``ds`` encoded in ``transfer_syntax`` (identifiers travel only in the uncompressed syntaxes
    and deflated Explicit VR Little Endian, PS3.5 §A.5)."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset
    fp = DicomBytesIO()
    fp.is_implicit_VR = transfer_syntax == IMPLICIT_LE
    fp.is_little_endian = transfer_syntax != EXPLICIT_BE
    write_dataset(fp, ds)
    data = fp.getvalue()
    return _deflate(data) if transfer_syntax == DEFLATED_LE else data


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = c.compress(data) + c.flush()
    return data + b"\x00" * (len(data) % 2)


#: VRs whose ASCII text is written unchanged (then padded to even length), and their padding.
_PADDING = {vr: b" " for vr in ("AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM")}
_PADDING["UI"] = b"\x00"
_NUMBER_CHARS = frozenset("0123456789+-.eE\\")
_UID_CHARS = frozenset("0123456789.\\")


def _plain_text(vr: str, value: str) -> bool:
    """Whether pydicom would write ``value`` as it is: ASCII, no escape sequences, no components it
    would strip (UI, IS, DS) and no empty trailing name groups it would drop (PN)."""
    if not value.isascii() or "\x1b" in value:
        return False
    if vr == "PN":
        return "=" not in value
    if vr == "UI":
        return _UID_CHARS.issuperset(value)
    if vr in ("IS", "DS"):
        return _NUMBER_CHARS.issuperset(value)
    return True


def _encode_plain(elements, implicit: bool, little: bool) -> bytes | None:
    """``elements`` ``(tag, VR, text)`` encoded as pydicom writes them, or None when one of them
    is not plain text (then pydicom must encode the dataset)."""
    order = "<" if little else ">"
    out = []
    for tag, vr, value in sorted(elements):
        pad = _PADDING.get(vr)
        if pad is None or not _plain_text(vr, value):
            return None
        data = value.encode("ascii")
        if len(data) & 1:
            data += pad
        if implicit:
            out.append(struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(data)))
        elif len(data) > 0xFFFF:
            return None
        else:
            out.append(struct.pack(order + "HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(data)))
        out.append(data)
    return b"".join(out)


def encode_response(elements, transfer_syntax: str) -> bytes:
    """A C-FIND response identifier given as ``(tag, VR, text)`` triples
    (:func:`pydcmkit.db.matching.response_elements`) encoded in ``transfer_syntax``.

    Plain ASCII values are written directly, byte for byte as pydicom would write the dataset;
    anything else goes through the dataset and :func:`encode_identifier`.
    """
    data = _encode_plain(elements, transfer_syntax == IMPLICIT_LE, transfer_syntax != EXPLICIT_BE)
    if data is None:
        from ..db.matching import response_dataset
        return encode_identifier(response_dataset(elements), transfer_syntax)
    return _deflate(data) if transfer_syntax == DEFLATED_LE else data


def read_cancel(assoc: Association, msg_id: int, operation: str) -> bool:
    """Read the message waiting during ``operation``: True for a C-CANCEL-RQ of ``msg_id``.

    Any other command is a protocol error (PS3.7 §9.3.2.3): the association is aborted.
    """
    _ctx, cmd = assoc.receive_command()
    if cmd.command_field != dimse.C_CANCEL_RQ:
        assoc.abort()
        raise ProtocolError(f"unexpected command 0x{cmd.command_field:04x} during {operation}")
    return cmd.get("MessageIDBeingRespondedTo") == msg_id


def retrieve_responder(assoc: Association, ctx: AcceptedContext, command: dimse.Command, response_field: int):
    """``respond(status, remaining=None, completed=0, failed=0, warning=0, comment=None)`` sending a
    C-MOVE-RSP or C-GET-RSP with the sub-operation counts (PS3.7 §9.3.4.2, §9.3.3.2)."""
    msg_id = command.get("MessageID", 0)
    sop_class = command.get("AffectedSOPClassUID") or ctx.abstract_syntax

    def respond(status: int, remaining=None, completed=0, failed=0, warning=0, comment=None) -> None:
        assoc.send_command(ctx.context_id, dimse.encode_command(
            CommandField=response_field, MessageIDBeingRespondedTo=msg_id, AffectedSOPClassUID=sop_class,
            CommandDataSetType=dimse.NO_DATASET, Status=status, ErrorComment=comment,
            NumberOfRemainingSuboperations=remaining, NumberOfCompletedSuboperations=completed,
            NumberOfFailedSuboperations=failed, NumberOfWarningSuboperations=warning))

    return respond


def select_for_retrieve(db, ctx: AcceptedContext, data: bytes, keys, strict: bool, respond,
                        log: logging.Logger, name: str):
    """The instances a C-MOVE/C-GET identifier selects, or None after answering the refusal
    (the database's status for a refused identifier, 0xC001 for one that cannot be decoded)."""
    from ..db import InformationModel, KeySet, QueryError
    try:
        identifier = decode_identifier(data, ctx.transfer_syntax)
        model = InformationModel.from_sop_class(ctx.abstract_syntax)
        return db.instances_for_retrieve(model, identifier, keys=keys or KeySet.DCMTK, strict=strict)
    except QueryError as exc:
        log.error("%s SCP: %s", name, exc.message)
        respond(exc.status, comment=exc.message[:64])
    except Exception as exc:  # an identifier that cannot even be decoded
        log.error("%s SCP: cannot decode the identifier: %s", name, exc)
        respond(dimse.UNABLE_TO_PROCESS, comment="cannot decode identifier")
    return None
