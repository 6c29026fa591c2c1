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
from ..net.association import AcceptedContext, Association, AssociationError
from .qr import decode_identifier, encode_response, read_cancel

log = logging.getLogger("pydcmkit.find")


@dataclass(frozen=True)
class FindSettings:
    """``keys``: :class:`pydcmkit.db.KeySet`; ``strict``: dcmqrscp ``-XF``; ``retrieve_ae_title``
    fills (0008,0054) Retrieve AE Title of the responses (None: the called AE title);
    ``charsets``/``unencodable``: the response character set rule of
    :meth:`pydcmkit.db.QueryDatabase.find`."""

    keys: object = None
    strict: bool = False
    retrieve_ae_title: str | None = None
    charsets: object = None
    unencodable: str = "utf8"


class FindSCP:
    """C-FIND handler: ``handle(assoc, context, command)``."""

    def __init__(self, db, settings: FindSettings | None = None):
        self.db = db
        self.settings = settings or FindSettings()

    def search(self, assoc: Association, ctx: AcceptedContext, identifier):
        """The response identifiers (an iterator of elements or datasets) for a decoded request;
        raises ``QueryError`` to answer its status.  Subclasses serve other databases."""
        from ..db import InformationModel, KeySet
        model = InformationModel.from_sop_class(ctx.abstract_syntax)
        s = self.settings
        return self.db.find(model, identifier, keys=s.keys or KeySet.DCMTK, strict=s.strict,
                            retrieve_ae_title=s.retrieve_ae_title or assoc.called_ae,
                            charsets=s.charsets, unencodable=s.unencodable, as_elements=True)

    def encode(self, row, transfer_syntax: str) -> bytes:
        return encode_response(row, transfer_syntax)

    def handle(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        from ..db import QueryError
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
        except Exception as exc:  # an identifier that cannot even be decoded
            log.error("Find SCP: cannot decode the identifier: %s", exc)
            respond(dimse.UNABLE_TO_PROCESS, comment="cannot decode identifier")
            return
        try:
            rows = self.search(assoc, ctx, identifier)
        except QueryError as exc:
            log.error("Find SCP: %s", exc.message)
            respond(exc.status, comment=exc.message[:64])
            return
        except Exception as exc:  # the database failed
            log.error("Find SCP: %s", exc)
            respond(dimse.UNABLE_TO_PROCESS, comment=str(exc)[:64])
            return
        count = 0
        try:
            for row in rows:
                if assoc.message_waiting() and read_cancel(assoc, msg_id, "C-FIND"):
                    log.info("Find SCP: cancelled after %d responses", count)
                    respond(dimse.CANCEL)
                    return
                respond(dimse.PENDING, self.encode(row, ctx.transfer_syntax))
                count += 1
        except AssociationError:
            raise
        except Exception as exc:  # the database failed while streaming
            log.error("Find SCP: %s", exc)
            respond(dimse.UNABLE_TO_PROCESS, comment=str(exc)[:64])
            return
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
        log.info("Find SCP: %d matches, Sending Final Find Response (Success)", count)
        respond(dimse.SUCCESS)
