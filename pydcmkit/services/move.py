"""The C-MOVE service provider (PS3.4 C.4.2) over the query database and the storage SCU.

The identifier selects instances with :meth:`pydcmkit.db.QueryDatabase.instances_for_retrieve`;
the Move Destination AE title is looked up by a callable (an unknown one answers 0xA801); the
instances are sent over a sub-association with :class:`~pydcmkit.net.sender.StorageSender`, and
after each C-STORE sub-operation a Pending response carries the counts of remaining, completed,
failed and warning sub-operations.  A C-CANCEL between sub-operations stops them (final status
0xFE00).  The final status is Success when every sub-operation succeeded, 0xB000 when some
failed or gave warnings (PS3.4 C.4.2.1.5), and 0xA702 when none could be made because the
destination refused or could not be reached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from ..net import dimse
from ..net.association import AcceptedContext, Association
from .qr import read_cancel, retrieve_responder, select_for_retrieve

log = logging.getLogger("pydcmkit.move")

Destination = tuple[str, int]  # host, port


@dataclass(frozen=True)
class MoveSettings:
    """``destinations``: AE title -> (host, port) or None; ``keys``/``strict`` as for C-FIND
    (``-XM``); ``requestor``: base settings of the sub-associations (timeouts, PDU size)."""

    destinations: Callable[[str], Destination | None]
    keys: object = None
    strict: bool = False
    requestor: object = None


class MoveSCP:
    """C-MOVE handler: ``handle(assoc, context, command)``."""

    def __init__(self, db, settings: MoveSettings):
        self.db = db
        self.settings = settings

    def handle(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        from dataclasses import replace

        from ..net.requestor import RequestorSettings
        from ..net.sender import Outcome, SenderSettings, StorageSender
        from ..storage.inputs import InputError, read_instance

        msg_id = command.get("MessageID", 0)
        dest_ae = (command.get("MoveDestination") or "").strip()
        log.info("Received Move SCP Request (MsgID %d, destination %s)", msg_id, dest_ae)
        data = assoc.receive_dataset_bytes(ctx.context_id) if command.has_dataset else b""
        respond = retrieve_responder(assoc, ctx, command, dimse.C_MOVE_RSP)
        files = select_for_retrieve(self.db, ctx, data, self.settings.keys, self.settings.strict, respond, log, "Move")
        if files is None:
            return
        destination = self.settings.destinations(dest_ae) if dest_ae else None
        if destination is None:
            log.error("Move SCP: unknown move destination %r", dest_ae)
            respond(dimse.REFUSED_MOVE_DESTINATION_UNKNOWN)
            return
        if not files:
            respond(dimse.SUCCESS, completed=0)
            return
        instances, failed = [], 0
        for f in files:
            try:
                instances.append(read_instance(f.path))
            except InputError as exc:
                log.error("Move SCP: cannot read %s: %s", f.path, exc.reason)
                failed += 1
        total = len(files)
        counts = {"completed": 0, "failed": failed, "warning": 0}
        cancelled = []

        base = self.settings.requestor or RequestorSettings()
        requestor = replace(base, calling_ae=assoc.called_ae, called_ae=dest_ae)
        sender = StorageSender(SenderSettings(destination[0], destination[1], requestor, halt_on_error=False))

        def progress(entry):
            if entry.outcome is Outcome.SENT and entry.status == 0:
                counts["completed"] += 1
            elif entry.outcome is Outcome.SENT and dimse.status_class(entry.status) == "WARNING":
                counts["warning"] += 1
            else:
                counts["failed"] += 1
            done = counts["completed"] + counts["failed"] + counts["warning"]
            if assoc.message_waiting() and read_cancel(assoc, msg_id, "C-MOVE"):
                cancelled.append(True)
                sender.stop()
                return
            if done < total:
                respond(dimse.PENDING, total - done, **counts)

        sender.on_progress = progress
        result = sender.send(instances)
        not_attempted = total - (counts["completed"] + counts["failed"] + counts["warning"])
        if cancelled:
            log.info("Move SCP: cancelled")
            respond(dimse.CANCEL, not_attempted, **counts)
            return
        if result.error is not None:
            log.error("Move SCP: sub-association to %s failed: %s", dest_ae, result.error.message)
            if counts["completed"] == 0 and counts["warning"] == 0:
                respond(dimse.REFUSED_OUT_OF_RESOURCES_SUBOPS, None, counts["completed"],
                        counts["failed"] + not_attempted, counts["warning"])
                return
            counts["failed"] += not_attempted
        status = dimse.SUCCESS if counts["failed"] == 0 and counts["warning"] == 0 else dimse.SUBOPS_COMPLETE_WITH_FAILURES
        log.info("Move SCP: %d completed, %d failed, %d warning", counts["completed"], counts["failed"], counts["warning"])
        respond(status, None, **counts)
