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
from .qr import decode_identifier, encode_identifier, read_cancel

log = logging.getLogger("pydcmkit.find")


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
                if assoc.message_waiting() and read_cancel(assoc, msg_id, "C-FIND"):
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
