"""What the Query/Retrieve providers share (PS3.4 C.4): identifier encoding, reading a
C-CANCEL-RQ between responses, and the retrieve (C-MOVE/C-GET) selection and responses."""

from __future__ import annotations

import logging

from ..net import dimse
from ..net.association import AcceptedContext, Association, ProtocolError

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"


def decode_identifier(data: bytes, transfer_syntax: str):
    """A dataset received in ``transfer_syntax`` (uncompressed or deflated) as a pydicom Dataset."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filereader import read_dataset
    if transfer_syntax == "1.2.840.10008.1.2.1.99":
        import zlib
        data = zlib.decompress(data, -zlib.MAX_WBITS)
    fp = DicomBytesIO(data)
    return read_dataset(fp, is_implicit_VR=transfer_syntax == IMPLICIT_LE,
                        is_little_endian=transfer_syntax != EXPLICIT_BE)


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
    if transfer_syntax == "1.2.840.10008.1.2.1.99":
        import zlib
        c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        data = c.compress(data) + c.flush()
        data += b"\x00" * (len(data) % 2)
    return data


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
