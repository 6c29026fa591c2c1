"""The remote commands through which a dgate server acts as a DICOM client (dgate.md §7.2):
``movepatient:`` ... ``move:`` (C-MOVE SCU), ``grabimagesfromserver:`` (C-FIND then C-MOVE),
``forward:`` (C-STORE of one object) and the C-FIND behind the finders with an AE as server.

Peers are found in the server's acrnema.map; the source ``(local)`` or the server's own AE title
is the server itself, reached at 127.0.0.1 on the port it listens on.  Calling AE = the server's
``MyACRNema``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydicom.dataset import Dataset

from ..db.model import InformationModel
from ..net import dimse
from ..net import pdu as P
from ..net.association import AssociationError
from ..net.requestor import (
    AssociationRejected,
    ConnectionFailed,
    RequestorSettings,
    request_association,
)
from ..services.qr import decode_identifier, encode_identifier
from . import compression as comp
from .naming import encode_dcm

log = logging.getLogger("pydcmkit.dgate")

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
LOCAL = "(local)"


class PeerError(Exception):
    """A peer could not be found, reached or did not do what was asked (one line of text)."""


@dataclass(frozen=True)
class Peer:
    ae_title: str
    host: str
    port: int


def find_peer(dgate, server, ae_title: str) -> Peer:
    """``(local)`` or the own AE title -> this server; any other AE -> its acrnema.map entry."""
    own = dgate.ae_title
    if ae_title in (LOCAL, "") or ae_title.strip() == own.strip():
        bound = getattr(getattr(server, "server", None), "port", None)
        return Peer(own, "127.0.0.1", int(bound or dgate.port))
    entry = dgate.amap.lookup(ae_title)
    if entry is None:
        raise PeerError(f"{ae_title} not in acrnema.map")
    return Peer(ae_title, entry.host, entry.port_number)


def _settings(dgate, peer: Peer, timeout: float | None) -> RequestorSettings:
    return RequestorSettings(calling_ae=dgate.ae_title, called_ae=peer.ae_title, connect_timeout=timeout,
                             acse_timeout=timeout, dimse_timeout=timeout, ssl_context=dgate.tls_context())


def _associate(dgate, peer: Peer, abstract_syntax: str, timeout: float | None):
    contexts = [P.ProposedContext(1, abstract_syntax, (EXPLICIT_LE, IMPLICIT_LE))]
    try:
        assoc, _ac = request_association(peer.host, peer.port, contexts, _settings(dgate, peer, timeout))
    except (ConnectionFailed, AssociationRejected, AssociationError, P.PDUError) as exc:
        raise PeerError(f"{peer.ae_title} at {peer.host}:{peer.port}: {exc}") from None
    ctx = assoc.contexts.get(1)
    if ctx is None:
        assoc.abort()
        raise PeerError(f"{peer.ae_title} did not accept {abstract_syntax}")
    return assoc, ctx


# -- C-MOVE SCU -----------------------------------------------------------------------------------

def c_move(dgate, source: Peer, destination: str, model: InformationModel, identifiers: Iterable[Dataset], *,
           timeout: float | None = 600.0) -> tuple[int, int]:
    """Ask ``source`` to move each identifier to ``destination`` over one association.

    Returns (completed, failed) summed over the final responses.  Raises :class:`PeerError`
    when the association fails or a C-MOVE ends with a failure status (0xA...., 0xC....).
    """
    assoc, ctx = _associate(dgate, source, model.move_uid, timeout)
    completed = failed = 0
    try:
        for identifier in identifiers:
            msg_id = assoc.next_message_id()
            assoc.send_message(ctx.context_id, dimse.encode_command(
                AffectedSOPClassUID=model.move_uid, CommandField=dimse.C_MOVE_RQ, MessageID=msg_id,
                Priority=dimse.PRIORITY_MEDIUM, CommandDataSetType=dimse.HAS_DATASET, MoveDestination=destination),
                encode_identifier(identifier, ctx.transfer_syntax))
            while True:
                ctx_id, rsp = assoc.receive_command()
                if rsp.has_dataset:
                    assoc.receive_dataset(ctx_id, None)
                status = int(rsp.get("Status", 0xC000))
                if status in (dimse.PENDING, dimse.PENDING_WARNING):
                    continue
                completed += int(rsp.get("NumberOfCompletedSuboperations") or 0)
                failed += int(rsp.get("NumberOfFailedSuboperations") or 0)
                if dimse.status_class(status) == "FAILURE" or status == dimse.CANCEL:
                    assoc.release(timeout)
                    raise PeerError(f"C-MOVE from {source.ae_title} to {destination}: status 0x{status:04X}")
                break
    except AssociationError as exc:
        assoc.abort()
        raise PeerError(f"C-MOVE from {source.ae_title}: {exc}") from None
    assoc.release(timeout)
    return completed, failed


# -- C-FIND SCU -----------------------------------------------------------------------------------

def c_find(dgate, peer: Peer, model: InformationModel, identifier: Dataset, *,
           timeout: float | None = 120.0) -> Iterator[Dataset]:
    """The answers of ``peer`` to one C-FIND (all read before the association is released)."""
    assoc, ctx = _associate(dgate, peer, model.find_uid, timeout)
    answers = []
    try:
        assoc.send_message(ctx.context_id, dimse.encode_command(
            AffectedSOPClassUID=model.find_uid, CommandField=dimse.C_FIND_RQ, MessageID=assoc.next_message_id(),
            Priority=dimse.PRIORITY_MEDIUM, CommandDataSetType=dimse.HAS_DATASET),
            encode_identifier(identifier, ctx.transfer_syntax))
        while True:
            ctx_id, rsp = assoc.receive_command()
            data = assoc.receive_dataset_bytes(ctx_id) if rsp.has_dataset else None
            status = int(rsp.get("Status", 0xC000))
            if status in (dimse.PENDING, dimse.PENDING_WARNING):
                if data is not None:
                    answers.append(decode_identifier(data, ctx.transfer_syntax))
                continue
            if status != dimse.SUCCESS:
                assoc.release(timeout)
                raise PeerError(f"C-FIND at {peer.ae_title}: status 0x{status:04X}")
            break
    except AssociationError as exc:
        assoc.abort()
        raise PeerError(f"C-FIND at {peer.ae_title}: {exc}") from None
    assoc.release(timeout)
    return iter(answers)


def identifier(level: str, **keys: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


# -- forward: (C-STORE of one object) -----------------------------------------------------------

def forward(dgate, path: str, mode: str, ae_title: str, *, timeout: float | None = 120.0) -> None:
    """``forward:file,mode,AE``: send one stored object to ``ae_title`` (acrnema.map) in
    compression ``mode`` (proposals of dgate.md §9).  Raises PeerError / CompressionError."""
    from ..net.sender import SenderSettings, StorageSender
    from ..storage.inputs import ReadMode, read_instance

    code = comp.parse_code(mode or "as")
    peer = find_peer(dgate, None, ae_title)
    ds = dgate.read_file(path)
    out = dgate.recompress(ds, code) if not code.is_as_is else ds
    if isinstance(out, comp.Virtual):
        out = ds
    fd, temp = tempfile.mkstemp(prefix="forward-", suffix=".dcm")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(encode_dcm(out))
        instance = read_instance(temp, ReadMode.FILE_ONLY)

        def propose(sop_class: str, instance_ts: str) -> list[str]:
            # the object is already in the requested form: offer it as it is, then Implicit LE
            fallback = [IMPLICIT_LE] if code.implicit_fallback and instance_ts != IMPLICIT_LE else []
            return [instance_ts] + fallback

        requestor = RequestorSettings(calling_ae=dgate.ae_title, called_ae=ae_title, connect_timeout=timeout,
                                      acse_timeout=timeout, dimse_timeout=timeout, ssl_context=dgate.tls_context())
        sender = StorageSender(SenderSettings(peer.host, peer.port, requestor, halt_on_error=False, proposal=propose))
        result = sender.send([instance])
    finally:
        os.unlink(temp)
    if result.error is not None:
        raise PeerError(f"forward to {ae_title}: {result.error}")
    if not result.all_successful:
        entry = result.entries[0]
        status = f"status 0x{entry.status:04X}" if entry.status is not None else entry.outcome.name.lower()
        raise PeerError(f"forward to {ae_title}: {status}")


# -- the commands -----------------------------------------------------------------------------------

def _split_patient(text: str) -> tuple[str | None, str]:
    patient, sep, uid = text.rpartition(":")
    return (patient or None) if sep else None, uid


def move_request(command: str, args: str) -> tuple[str, str, InformationModel, Dataset]:
    """(source, destination, model, identifier) of a ``move...:`` command (dgate.md §7.2).

    Raises ValueError for missing arguments."""
    parts = args.split(",")
    if len(parts) < 3 or not parts[1]:
        raise ValueError(f"{command}: expected source,destination,...")
    source, dest, rest = parts[0], parts[1], parts[2:]
    if command == "movepatient":
        if not rest[0]:
            raise ValueError("movepatient: no patient ID")
        return source, dest, InformationModel.PATIENT_ROOT, identifier("PATIENT", PatientID=rest[0])
    if command in ("movestudy", "moveaccession"):
        patient, uid = _split_patient(rest[0])
        if not uid:
            raise ValueError(f"{command}: no {'study UID' if command == 'movestudy' else 'accession number'}")
        keys = {"StudyInstanceUID": uid} if command == "movestudy" else {"AccessionNumber": uid}
        if patient:
            keys["PatientID"] = patient
        return source, dest, InformationModel.STUDY_ROOT, identifier("STUDY", **keys)
    if command == "movestudies":
        if not rest[0]:
            raise ValueError("movestudies: no date")
        return source, dest, InformationModel.STUDY_ROOT, identifier("SERIES", StudyDate=rest[0])
    if command == "moveseries":
        patient, uid = _split_patient(rest[0])
        if not uid:
            raise ValueError("moveseries: no series UID")
        keys = {"SeriesInstanceUID": uid}
        if len(rest) > 1 and rest[1]:
            keys["StudyInstanceUID"] = rest[1]
        if patient:
            keys["PatientID"] = patient
        return source, dest, InformationModel.STUDY_ROOT, identifier("SERIES", **keys)
    # move:source,dest,PATID,STUDY,SERIES,SOP -- the most specific level given
    values = (rest + [""] * 4)[:4]
    names = ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
    keys = {k: v for k, v in zip(names, values) if v}
    if not keys:
        raise ValueError("move: no patient ID or UID")
    level = ("PATIENT", "STUDY", "SERIES", "IMAGE")[max(i for i, v in enumerate(values) if v)]
    model = InformationModel.PATIENT_ROOT if level == "PATIENT" else InformationModel.STUDY_ROOT
    return source, dest, model, identifier(level, **keys)


def images_not_here(dgate, peer, date: str) -> tuple[int, list[Dataset]]:
    """(images found, IMAGE identifiers of those not in the local database) of the studies of
    ``date`` (``*`` or empty: all) at ``peer``: ``grabimagesfromserver:`` and ``-g``.  The
    queries go down the hierarchy (STUDY, SERIES, IMAGE), which every Q/R SCP answers (dgate asks
    one IMAGE-level query with StudyDate, which strict SCPs refuse)."""
    model = InformationModel.STUDY_ROOT
    date = date.strip()
    found, missing = 0, []
    for study in c_find(dgate, peer, model, identifier("STUDY", StudyDate="" if date in ("", "*") else date,
                                                       StudyInstanceUID="")):
        study_uid = str(study.get("StudyInstanceUID", "") or "")
        if not study_uid:
            continue
        for series in c_find(dgate, peer, model, identifier("SERIES", StudyInstanceUID=study_uid,
                                                            SeriesInstanceUID="")):
            series_uid = str(series.get("SeriesInstanceUID", "") or "")
            if not series_uid:
                continue
            for image in c_find(dgate, peer, model, identifier("IMAGE", StudyInstanceUID=study_uid,
                                                               SeriesInstanceUID=series_uid, SOPInstanceUID="")):
                sop = str(image.get("SOPInstanceUID", "") or "")
                if not sop:
                    continue
                found += 1
                if dgate.database.lookup_object(sop) is None:
                    missing.append(identifier("IMAGE", StudyInstanceUID=study_uid, SeriesInstanceUID=series_uid,
                                              SOPInstanceUID=sop))
    return found, missing


MOVE_COMMANDS = ("movepatient", "movestudy", "moveaccession", "movestudies", "moveseries", "move")


def register(handler, server, state) -> None:
    dgate = server.dgate

    def mover(command: str):
        def run(args: str, ctx):
            try:
                source, dest, model, ident = move_request(command, args)
            except ValueError as exc:
                return f"1 {exc}"
            try:
                completed, failed = c_move(dgate, find_peer(dgate, server, source), dest, model, [ident])
            except PeerError as exc:
                log.error("***%s: %s", command, exc)
                return f"1 Move failed from {source} to {dest}"
            if failed:
                log.error("***%s: %d of %d sub-operations failed", command, failed, completed + failed)
                return f"1 Move failed from {source} to {dest}"
            state.set_status(f"{command}: {completed} images moved from {source} to {dest}")
            return "0"
        return run

    for command in MOVE_COMMANDS:
        handler.register(f"{command}:", mover(command), modifies=True)

    def grab(args: str, ctx):
        """grabimagesfromserver:AE,date -- C-FIND the images of that study date at AE, C-MOVE the
        ones not in the local database to this server (one association)."""
        ae, _sep, date = args.partition(",")
        peer = find_peer(dgate, server, ae)
        _found, missing = images_not_here(dgate, peer, date)
        if missing:
            completed, failed = c_move(dgate, peer, dgate.ae_title, InformationModel.STUDY_ROOT, missing)
            state.set_status(f"grabimagesfromserver {ae}: {completed} images grabbed, {failed} failed")
        return None

    handler.register("grabimagesfromserver:", grab, modifies=True)
