"""The C-GET service provider (PS3.4 C.4.3) over the query database.

The selected instances are sent back over the same association with C-STORE sub-operations, on
presentation contexts for which the requestor took the SCP role (SCP/SCU role selection, PS3.7
D.3.3.4).  An instance whose SOP class has no such context, or whose transfer syntax cannot be
produced, counts as a failed sub-operation.  Pending responses carry the counts; a C-CANCEL-RQ
(which may arrive between a C-STORE-RQ and its response) ends the sub-operations with status
Cancel.  Final status: Success, 0xB000 with failures or warnings, 0xA702 when none succeeded.
An optional ``prepare`` hook turns each stored file into the file to send (dgate decompresses).
"""

from __future__ import annotations

import logging
import os
from typing import Callable

from ..net import dimse
from ..net.association import AcceptedContext, Association, ProtocolError
from .qr import read_cancel, retrieve_responder, select_for_retrieve

log = logging.getLogger("pydcmkit.get")


class GetSCP:
    """C-GET handler: ``handle(assoc, context, command)``; ``keys``/``strict`` as for C-MOVE;
    ``prepare``: (stored path, C-GET association) -> the file to send (a copy other than the
    stored path is removed after its sub-operation)."""

    def __init__(self, db, keys=None, strict: bool = False,
                 prepare: Callable[[str, Association], str] | None = None):
        self.db = db
        self.keys = keys
        self.strict = strict
        self.prepare = prepare

    def handle(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        from ..net.sender import can_produce, load_dataset
        from ..storage.inputs import InputError, ReadMode, read_instance
        from .. import uids

        msg_id = command.get("MessageID", 0)
        log.info("Received Get SCP Request (MsgID %d)", msg_id)
        data = assoc.receive_dataset_bytes(ctx.context_id) if command.has_dataset else b""
        respond = retrieve_responder(assoc, ctx, command, dimse.C_GET_RSP)
        files = select_for_retrieve(self.db, ctx, data, self.keys, self.strict, respond, log, "Get")
        if files is None:
            return
        total = len(files)
        completed = failed = warning = 0
        cancelled = False
        for index, f in enumerate(files):
            if cancelled:
                break
            if assoc.message_waiting():
                cancelled = read_cancel(assoc, msg_id, "C-GET")
                if cancelled:
                    break
            status = None
            path = f.path
            try:
                if self.prepare is not None:
                    path = self.prepare(f.path, assoc)
                inst = read_instance(path, ReadMode.AUTO)
            except InputError as exc:
                log.error("Get SCP: cannot read %s: %s", path, exc.reason)
                inst = None
            except Exception as exc:  # noqa: BLE001 - a file the prepare hook cannot convert
                log.error("Get SCP: cannot prepare %s: %s", f.path, exc)
                inst = None
            store_ctx = None
            if inst is not None:
                for cx in assoc.contexts.values():
                    if (cx.abstract_syntax == inst.sop_class_uid and cx.scp_role
                            and can_produce(inst.transfer_syntax_uid, cx.transfer_syntax)):
                        store_ctx = cx
                        if cx.transfer_syntax == inst.transfer_syntax_uid:
                            break
                if store_ctx is None:
                    log.error("Get SCP: no presentation context with SCP role for %s / %s",
                              uids.sop_class_name(inst.sop_class_uid) or inst.sop_class_uid,
                              uids.ts_long_name(inst.transfer_syntax_uid))
            try:
                if store_ctx is not None:
                    status, cancelled = self._store(assoc, store_ctx, inst, msg_id, load_dataset)
            finally:
                if path != f.path:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
            if status == dimse.SUCCESS:
                completed += 1
            elif status is not None and dimse.status_class(status) == "WARNING":
                warning += 1
            else:
                failed += 1
            remaining = total - index - 1
            if remaining and not cancelled:
                respond(dimse.PENDING, remaining, completed, failed, warning)
        not_attempted = total - completed - failed - warning
        if cancelled:
            respond(dimse.CANCEL, not_attempted, completed, failed, warning)
        elif total and completed == 0 and warning == 0:
            respond(dimse.REFUSED_OUT_OF_RESOURCES_SUBOPS, None, completed, failed, warning)
        else:
            status = dimse.SUCCESS if failed == 0 and warning == 0 else dimse.SUBOPS_COMPLETE_WITH_FAILURES
            respond(status, None, completed, failed, warning)
        log.info("Get SCP: %d completed, %d failed, %d warning", completed, failed, warning)

    def _store(self, assoc: Association, cx: AcceptedContext, inst, get_msg_id: int, load_dataset):
        """One C-STORE sub-operation on this association; returns (status, cancel seen)."""
        payload, file_part = load_dataset(inst, cx.transfer_syntax)
        store_id = assoc.next_message_id()
        assoc.send_command(cx.context_id, dimse.encode_command(
            CommandField=dimse.C_STORE_RQ, MessageID=store_id, AffectedSOPClassUID=inst.sop_class_uid,
            Priority=dimse.PRIORITY_MEDIUM, CommandDataSetType=dimse.HAS_DATASET,
            AffectedSOPInstanceUID=inst.sop_instance_uid))
        if file_part is not None:
            f, length = file_part
            with f:
                assoc.send_dataset_file(cx.context_id, f, length)
        else:
            assoc.send_dataset_bytes(cx.context_id, payload)
        cancelled = False
        while True:
            rsp_ctx, rsp = assoc.receive_command()
            if rsp.command_field == dimse.C_CANCEL_RQ:
                cancelled = cancelled or rsp.get("MessageIDBeingRespondedTo") == get_msg_id
                continue
            if rsp.command_field != dimse.C_STORE_RSP:
                assoc.abort()
                raise ProtocolError(f"unexpected command 0x{rsp.command_field:04x} during C-GET")
            if rsp.has_dataset:
                assoc.receive_dataset(rsp_ctx, None)
            return int(rsp.get("Status", 0xFFFF)), cancelled
