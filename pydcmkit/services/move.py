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
import os
from dataclasses import dataclass
from typing import Callable

from ..net import dimse
from ..net.association import AcceptedContext, Association
from .qr import read_cancel, retrieve_responder, select_for_retrieve

log = logging.getLogger("pydcmkit.move")

Destination = tuple[str, int]  # host, port


@dataclass(frozen=True)
class MoveSettings:
    """``destinations``: (AE title, the C-MOVE association) -> (host, port) or None (unknown or not
    allowed: 0xA801); ``keys``/``strict`` as for C-FIND (``-XM``); ``sender``: base settings of
    the sub-associations (timeouts, PDU size, proposed transfer syntaxes)."""

    destinations: Callable[[str, Association], Destination | None]
    keys: object = None
    strict: bool = False
    sender: object = None
    # the status for an unknown destination (ConQuest answers 0xC003) and a hook that turns a
    # stored file into the file to send, (path, C-MOVE association, destination AE) -> path
    # (a prepared copy other than ``path`` is removed after the move)
    unknown_destination_status: int = dimse.REFUSED_MOVE_DESTINATION_UNKNOWN
    prepare: Callable[[str, Association, str], str] | None = None
    calling_ae: str | None = None  # of the sub-associations (default: the called AE of the C-MOVE)


class MoveSCP:
    """C-MOVE handler: ``handle(assoc, context, command)``."""

    def __init__(self, db, settings: MoveSettings):
        self.db = db
        self.settings = settings

    def handle(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        from ..storage.inputs import InputError, ReadMode, read_instance

        msg_id = command.get("MessageID", 0)
        dest_ae = (command.get("MoveDestination") or "").strip()
        log.info("Received Move SCP Request (MsgID %d, destination %s)", msg_id, dest_ae)
        data = assoc.receive_dataset_bytes(ctx.context_id) if command.has_dataset else b""
        respond = retrieve_responder(assoc, ctx, command, dimse.C_MOVE_RSP)
        files = select_for_retrieve(self.db, ctx, data, self.settings.keys, self.settings.strict, respond, log, "Move")
        if files is None:
            return
        destination = self.settings.destinations(dest_ae, assoc) if dest_ae else None
        if destination is None:
            log.error("Move SCP: unknown move destination %r", dest_ae)
            respond(self.settings.unknown_destination_status)
            return
        if not files:
            respond(dimse.SUCCESS, completed=0)
            return
        instances, failed, prepared = [], 0, []
        try:
            for f in files:
                path = f.path
                try:
                    if self.settings.prepare is not None:
                        path = self.settings.prepare(f.path, assoc, dest_ae)
                        if path != f.path:
                            prepared.append(path)
                    instances.append(read_instance(path, ReadMode.AUTO))
                except InputError as exc:
                    log.error("Move SCP: cannot read %s: %s", path, exc.reason)
                    failed += 1
                except Exception as exc:  # noqa: BLE001 - a file the prepare hook cannot convert
                    log.error("Move SCP: cannot prepare %s: %s", f.path, exc)
                    failed += 1
            self._send(assoc, ctx, msg_id, dest_ae, destination, instances, failed, len(files), respond)
        finally:
            for path in prepared:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def _send(self, assoc, ctx, msg_id, dest_ae, destination, instances, failed, total, respond) -> None:
        from dataclasses import replace

        from ..net.requestor import RequestorSettings
        from ..net.sender import Outcome, SenderSettings, StorageSender
        counts = {"completed": 0, "failed": failed, "warning": 0}
        cancelled = []

        base = self.settings.sender or SenderSettings("", 0, RequestorSettings(), halt_on_error=False)
        requestor = replace(base.requestor, calling_ae=self.settings.calling_ae or assoc.called_ae, called_ae=dest_ae)
        sender = StorageSender(replace(base, host=destination[0], port=destination[1], requestor=requestor,
                                       halt_on_error=False))

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
