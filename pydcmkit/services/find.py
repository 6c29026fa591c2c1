"""The C-FIND service provider (PS3.4 C.4.1) over the query database.

The identifier is decoded in the presentation context's transfer syntax, handed to
:meth:`pydcmkit.db.QueryDatabase.find` (which validates it and raises a ``QueryError`` carrying the
status to answer), and every matching response identifier is sent with status Pending (0xFF00) as
it is read from the database.  Between two responses a C-CANCEL-RQ for this message ends the
search with status Cancel (0xFE00), PS3.4 C.4.1.2.3; the final response is Success.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..net import dimse
from ..net.association import AcceptedContext, Association

log = logging.getLogger("pydcmkit.find")

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


@dataclass(frozen=True)
class FindSettings:
    """``keys``: :class:`pydcmkit.db.KeySet`; ``strict``: dcmqrscp ``-XF``; ``retrieve_ae_title``
    fills (0008,0054) Retrieve AE Title of the responses."""

    keys: object = None
    strict: bool = False
    retrieve_ae_title: str | None = None


class FindSCP:
    """C-FIND handler: ``handle(assoc, context, command)``."""

    def __init__(self, db, settings: FindSettings | None = None):
        self.db = db
        self.settings = settings or FindSettings()

    def handle(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        from ..db import InformationModel, KeySet, QueryError
        msg_id = command.get("MessageID", 0)
        sop_class = command.get("AffectedSOPClassUID") or ctx.abstract_syntax
        log.info("Received Find SCP Request (MsgID %d)", msg_id)
        data = assoc.receive_dataset_bytes(ctx.context_id) if command.has_dataset else b""

        def respond(status: int, identifier: bytes | None = None, comment: str | None = None) -> None:
            assoc.send_command(ctx.context_id, dimse.encode_command(
                CommandField=dimse.C_FIND_RSP, MessageIDBeingRespondedTo=msg_id, AffectedSOPClassUID=sop_class,
                CommandDataSetType=dimse.HAS_DATASET if identifier is not None else dimse.NO_DATASET,
                Status=status, ErrorComment=comment))
            if identifier is not None:
                assoc.send_dataset_bytes(ctx.context_id, identifier)

        try:
            identifier = decode_identifier(data, ctx.transfer_syntax)
            model = InformationModel.from_sop_class(ctx.abstract_syntax)
            rows = self.db.find(model, identifier, keys=self.settings.keys or KeySet.DCMTK,
                                strict=self.settings.strict, retrieve_ae_title=self.settings.retrieve_ae_title)
        except QueryError as exc:
            log.error("Find SCP: %s", exc.message)
            respond(exc.status, comment=exc.message[:64])
            return
        except Exception as exc:  # an identifier that cannot even be decoded
            log.error("Find SCP: cannot decode the identifier: %s", exc)
            respond(dimse.UNABLE_TO_PROCESS, comment="cannot decode identifier")
            return
        count = 0
        try:
            for row in rows:
                if assoc.message_waiting() and self._cancelled(assoc, msg_id):
                    log.info("Find SCP: cancelled after %d responses", count)
                    respond(dimse.CANCEL)
                    return
                respond(dimse.PENDING, encode_identifier(row, ctx.transfer_syntax))
                count += 1
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
        log.info("Find SCP: %d matches, Sending Final Find Response (Success)", count)
        respond(dimse.SUCCESS)

    @staticmethod
    def _cancelled(assoc: Association, msg_id: int) -> bool:
        """Read the waiting message: a C-CANCEL-RQ for ``msg_id`` (anything else is a protocol error)."""
        from ..net.association import ProtocolError
        _ctx, cmd = assoc.receive_command()
        if cmd.command_field != dimse.C_CANCEL_RQ:
            assoc.abort()
            raise ProtocolError(f"unexpected command 0x{cmd.command_field:04x} during C-FIND")
        return cmd.get("MessageIDBeingRespondedTo") == msg_id
