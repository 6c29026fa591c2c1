"""The storage SCU behind dcmsend: context planning, associations, sending, report.

Rules (dcmsend.md §3-§7, DCMTK 3.6.7 ``DcmStorageSCU``):

* instances are taken in list order; an instance reuses a presentation context of the same
  association with the same SOP class and a compatible transfer syntax (all uncompressed
  syntaxes are compatible with each other, a compressed one only with itself), otherwise it gets
  a new context (IDs 1, 3, 5, ...);
* at most 128 contexts per association; instances that do not fit go to the next association
  (``+ma``) or stay unsent (``-ma``);
* an instance is sent as stored when its context was accepted with its own transfer syntax and
  converted otherwise; files are streamed from disk without decoding when no conversion is needed.

Beyond DCMTK: ``parallel`` > 1 splits the list into that many parts sent over concurrent
associations.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .. import uids
from ..codec import syntaxes
from ..status import ExitCode, ToolError
from ..storage.inputs import InputInstance, _read_meta
from . import dimse, pdu as P
from .association import Association, AssociationError
from .requestor import AssociationRejected, ConnectionFailed, RequestorSettings, request_association

log = logging.getLogger("pydcmkit.send")

MAX_CONTEXTS = 128


class _TS:
    """The transfer syntax facts the planning rules need (from :mod:`pydcmkit.codec`)."""

    EXPLICIT_LE = syntaxes.EXPLICIT_VR_LITTLE_ENDIAN
    EXPLICIT_BE = syntaxes.EXPLICIT_VR_BIG_ENDIAN
    IMPLICIT_LE = syntaxes.IMPLICIT_VR_LITTLE_ENDIAN
    is_uncompressed = staticmethod(syntaxes.is_uncompressed)
    is_known = staticmethod(syntaxes.is_known)

    @staticmethod
    def is_deflated(uid: str) -> bool:
        return syntaxes.transfer_syntax(uid).is_deflated

    @staticmethod
    def can_inflate(uid: str) -> bool:
        return syntaxes.transfer_syntax(uid).is_deflated  # zlib is always there

    @staticmethod
    def is_lossless(uid: str) -> bool:
        return syntaxes.transfer_syntax(uid).lossless is True

    @staticmethod
    def can_decompress(uid: str) -> bool:
        from ..codec.pixels import can_decode
        return can_decode(uid)


tsinfo = _TS


class Decompression(enum.Enum):
    NEVER = "never"        # -dn
    LOSSLESS = "lossless"  # +dls (default)
    LOSSY = "lossy"        # +dly


class Outcome(enum.Enum):
    NOT_SENT = "not sent"
    NO_CONTEXT = "no acceptable presentation context"
    INVALID_DATASET = "invalid dataset pointer"
    SENT = "sent"


@dataclass
class TransferEntry:
    number: int
    instance: InputInstance
    association: int = 0
    context_id: int = 0
    network_ts: str | None = None
    status: int | None = None
    outcome: Outcome = Outcome.NOT_SENT
    no_context_planned: bool = False
    sent_bytes: int = 0


@dataclass(frozen=True)
class SenderSettings:
    host: str
    port: int
    requestor: RequestorSettings = field(default_factory=RequestorSettings)
    decompression: Decompression = Decompression.LOSSLESS
    deflate_level: int = 6
    halt_on_error: bool = True
    illegal_proposal: bool = True      # False with -nip
    multi_associations: bool = True
    parallel: int = 1
    verbose_pc: bool = False
    # (SOP class, instance transfer syntax) -> transfer syntaxes to propose, or None for no context;
    # replaces dcmsend's rule (dcmqrscp's -x... options and out-profile for C-MOVE sub-associations)
    proposal: Callable[[str, str], list[str] | None] | None = None
    # (instance, accepted transfer syntax) -> its data set encoded in that syntax, for accepted
    # syntaxes the sender cannot produce itself (it only decodes); raises when it cannot either.
    # dgate codes JPEG after negotiation: the accepted syntax decides the code (dgate.md §9)
    encoder: Callable[[InputInstance, str], bytes] | None = None


class SendError(ToolError):
    """A fatal sending failure (exit 61/62/65) after which no further association is made."""


@dataclass
class SendResult:
    entries: list[TransferEntry]
    associations: int = 0
    contexts: int = 0
    seconds: float = 0.0
    error: ToolError | None = None

    @property
    def sent(self) -> list[TransferEntry]:
        return [e for e in self.entries if e.outcome is Outcome.SENT]

    @property
    def bytes_sent(self) -> int:
        return sum(e.sent_bytes for e in self.entries)

    @property
    def all_successful(self) -> bool:
        return all(e.outcome is Outcome.SENT and e.status == 0 for e in self.entries)


# ---------------------------------------------------------------------------------------------
# Presentation context planning (dcmsend.md §3.1)

def proposal_for(ts: str, decompression: Decompression, illegal_proposal: bool) -> tuple[list[str] | None, list[tuple[str, str]]]:
    """Transfer syntaxes to propose for an instance in ``ts``, and (level, text) messages.

    Returns ``(None, messages)`` when no context can be made for it.
    """
    unc = [tsinfo.EXPLICIT_LE, tsinfo.EXPLICIT_BE, tsinfo.IMPLICIT_LE]
    msgs: list[tuple[str, str]] = []
    if tsinfo.is_uncompressed(ts):
        return unc, msgs
    if not tsinfo.is_known(ts):
        msgs.append(("warning", f"transfer syntax is unknown, trying to propose only this one: {ts}"))
        return [ts], msgs
    if tsinfo.is_deflated(ts) and not tsinfo.can_inflate(ts):
        msgs.append(("error", "transfer syntax uses an unsupported stream compression, so we cannot add "
                              "a presentation context for this SOP instance"))
        return None, msgs
    lossless = tsinfo.is_lossless(ts)
    decodable = tsinfo.can_decompress(ts)
    if lossless:
        if decompression is Decompression.NEVER or not decodable:
            why = "we are not allowed to decompress it" if decodable or tsinfo.is_deflated(ts) else "we cannot decompress it"
            if decompression is Decompression.NEVER:
                why = "we are not allowed to decompress it"
            if not illegal_proposal:
                msgs.append(("error", f"transfer syntax uses a lossless compression but {why}, so we cannot "
                                      "add a presentation context for this SOP instance"))
                return None, msgs
            msgs.append(("warning", f"transfer syntax uses a lossless compression but {why}, so we are not "
                                    "proposing any uncompressed transfer syntax\n"
                                    "  (including the Default Transfer Syntax, which might result in a "
                                    "violation of the DICOM standard if it is not proposed in another "
                                    "presentation context)"))
            return [ts], msgs
        return [ts] + unc, msgs
    # lossy
    if decompression is Decompression.LOSSY:
        if decodable:
            return [ts] + unc, msgs
        msgs.append(("warning", "transfer syntax uses a lossy compression but we cannot decompress it, "
                                "so we are not proposing any uncompressed transfer syntax"))
        return [ts], msgs
    if decodable and decompression is Decompression.LOSSLESS:
        msgs.append(("debug", "transfer syntax uses a lossy compression, we are not allowed to decompress it"))
    return [ts], msgs


def _compatible(a: str, b: str) -> bool:
    return a == b or (tsinfo.is_uncompressed(a) and tsinfo.is_uncompressed(b))


@dataclass
class _PlannedContext:
    context_id: int
    abstract_syntax: str
    instance_ts: str
    proposal: list[str]


def plan_association(entries: list[TransferEntry], settings: SenderSettings,
                     stop_on_error: bool) -> tuple[list[_PlannedContext], list[TransferEntry], list[TransferEntry]]:
    """Assign entries to contexts of one association.

    Returns ``(contexts, assigned entries, deferred entries)``; entries for which no context can
    be made are marked ``no_context_planned``.  Raises :class:`SendError` (exit 65) in halt mode
    when such an entry is found.
    """
    contexts: list[_PlannedContext] = []
    assigned, deferred = [], []
    for entry in entries:
        inst = entry.instance
        reuse = None
        for pc in contexts:
            if pc.abstract_syntax == inst.sop_class_uid and _compatible(pc.instance_ts, inst.transfer_syntax_uid):
                reuse = pc
                break
        log.debug("preparing presentation context for SOP Class / Transfer Syntax: %s / %s",
                  uids.sop_class_name(inst.sop_class_uid) or inst.sop_class_uid,
                  uids.ts_long_name(inst.transfer_syntax_uid))
        if reuse is not None:
            log.debug("same SOP Class UID and compatible Transfer Syntax UID as for another SOP instance, "
                      "reusing the presentation context with ID %d", reuse.context_id)
            entry.context_id = reuse.context_id
            assigned.append(entry)
            continue
        if settings.proposal is not None:
            proposal, msgs = settings.proposal(inst.sop_class_uid, inst.transfer_syntax_uid), []
        else:
            proposal, msgs = proposal_for(inst.transfer_syntax_uid, settings.decompression, settings.illegal_proposal)
        for level, text in msgs:
            getattr(log, level)(text)
        if proposal is None:
            entry.no_context_planned = True
            entry.outcome = Outcome.NO_CONTEXT
            if stop_on_error:
                raise SendError("", ExitCode.CANNOT_ADD_PRESENTATION_CONTEXT,
                                details=("cannot add presentation contexts: Unsupported compression or encryption",))
            continue
        if len(contexts) >= MAX_CONTEXTS:
            deferred.append(entry)
            continue
        pc = _PlannedContext(2 * len(contexts) + 1, inst.sop_class_uid, inst.transfer_syntax_uid, proposal)
        contexts.append(pc)
        log.debug("added new presentation context with ID %d", pc.context_id)
        entry.context_id = pc.context_id
        assigned.append(entry)
    return contexts, assigned, deferred


# ---------------------------------------------------------------------------------------------

class StorageSender:
    """Sends a transfer list to one peer (the library side of dcmsend).

    Parameters
    ----------
    settings : SenderSettings
    on_progress : callable(TransferEntry), optional
        Called after each C-STORE response (from any thread).
    """

    def __init__(self, settings: SenderSettings, on_progress: Callable[[TransferEntry], None] | None = None):
        self.settings = settings
        self.on_progress = on_progress
        self._assoc_counter = 0
        self._contexts_total = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Send nothing more after the instance in flight (e.g. on C-CANCEL of a C-MOVE)."""
        self._stop.set()

    def send(self, instances: list[InputInstance]) -> SendResult:
        entries = [TransferEntry(i + 1, inst) for i, inst in enumerate(instances)]
        result = SendResult(entries)
        start = time.monotonic()
        n = max(1, min(self.settings.parallel, len(entries) or 1))
        if n == 1:
            try:
                self._send_part(entries)
            except ToolError as exc:
                result.error = exc
        else:
            parts = [entries[i::n] for i in range(n)]
            errors: list[ToolError] = []

            def run(part):
                try:
                    self._send_part(part)
                except ToolError as exc:
                    errors.append(exc)
                    self._stop.set()

            threads = [threading.Thread(target=run, args=(p,), name=f"send-{i}") for i, p in enumerate(parts)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                result.error = errors[0]
        result.seconds = time.monotonic() - start
        result.associations = self._assoc_counter
        result.contexts = self._contexts_total
        return result

    def _next_association_number(self) -> int:
        with self._lock:
            self._assoc_counter += 1
            return self._assoc_counter

    def _send_part(self, entries: list[TransferEntry]) -> None:
        s = self.settings
        pending = list(entries)
        first = True
        while pending and not self._stop.is_set():
            if not first and not s.multi_associations:
                break
            contexts, assigned, deferred = plan_association(pending, s, stop_on_error=s.halt_on_error)
            pending = deferred
            if not contexts:
                break
            number = self._next_association_number()
            with self._lock:
                self._contexts_total += len(contexts)
            if s.multi_associations:
                log.info("starting association #%d", number)
                log.debug("-" * 65 + "\nstarting association #%d", number)
            first = False
            self._run_association(number, contexts, assigned, remaining=len(pending))

    def _run_association(self, number: int, contexts: list[_PlannedContext], assigned: list[TransferEntry],
                         remaining: int) -> None:
        s = self.settings
        log.info("initializing network ...")
        log.info("negotiating network association ...")
        log.info("Requesting Association")
        proposed = [P.ProposedContext(pc.context_id, pc.abstract_syntax, tuple(pc.proposal)) for pc in contexts]
        try:
            assoc, ac = request_association(s.host, s.port, proposed, s.requestor)
        except ConnectionFailed as exc:
            raise SendError(f"cannot negotiate network association: {exc}", ExitCode.CANNOT_NEGOTIATE_ASSOCIATION)
        except AssociationRejected as exc:
            log.debug("association rejected: %s", exc)
            raise SendError("cannot negotiate network association: DUL Association Rejected",
                            ExitCode.CANNOT_NEGOTIATE_ASSOCIATION)
        except AssociationError as exc:
            raise SendError(f"cannot negotiate network association: {exc}", ExitCode.CANNOT_NEGOTIATE_ASSOCIATION)
        if not assoc.contexts:
            log.error("No Acceptable Presentation Contexts")
            log.error("cannot negotiate network association: No acceptable Presentation Contexts")
            for e in assigned:
                e.outcome = Outcome.NO_CONTEXT
            if remaining:
                log.warning("trying to continue with a new association in order to send the remaining %d SOP instances",
                            remaining)
            assoc.abort()
            return
        from .server import dump_accept, dump_request
        dump = log.info if s.verbose_pc else log.debug
        dump("%s", dump_request(assoc.request, ours=True))
        log.info("Association Accepted (Max Send PDV: %d)", assoc.max_pdv)
        dump("%s", dump_accept(ac, {pc.context_id: pc for pc in proposed}))
        log.info("sending SOP instances ...")
        try:
            for entry in assigned:
                if self._stop.is_set():
                    break
                self._send_one(assoc, entry, number)
        except SendError:
            log.info("Aborting Association")
            assoc.abort()
            raise
        log.info("Releasing Association")
        assoc.release()

    def _send_one(self, assoc: Association, entry: TransferEntry, number: int) -> None:
        s = self.settings
        inst = entry.instance
        entry.association = number  # an attempt on this association (report: 0 if never attempted)
        msg_id = assoc.next_message_id()
        ctx = assoc.contexts.get(entry.context_id)
        target_ts = ctx.transfer_syntax if ctx is not None else None
        if ctx is None or not self._can_produce(inst.transfer_syntax_uid, target_ts):
            entry.outcome = Outcome.NO_CONTEXT
            text = (f"No presentation context found for sending C-STORE with SOP Class / Transfer Syntax: "
                    f"{uids.sop_class_name(inst.sop_class_uid) or inst.sop_class_uid} / "
                    f"{uids.ts_long_name(inst.transfer_syntax_uid)}")
            log.error("%s", text)
            if s.halt_on_error:
                raise SendError("cannot send SOP instance: DIMSE No valid Presentation Context ID",
                                ExitCode.CANNOT_SEND_REQUEST)
            self._progress(entry)
            return
        entry.network_ts = target_ts
        try:
            payload, file_part = self._load(entry, target_ts)
        except OSError as exc:
            entry.association, entry.network_ts = 0, None  # never loaded: the report shows no attempt
            reason = exc.strerror or str(exc)
            log.error("cannot send SOP instance from file: %s: %s", inst.path, reason)
            if s.halt_on_error:
                raise SendError(f"cannot send SOP instance: {reason}", ExitCode.CANNOT_SEND_REQUEST)
            self._progress(entry)
            return
        except Exception as exc:  # conversion failure
            log.error("cannot send SOP instance from file: %s: %s", inst.path, exc)
            entry.outcome = Outcome.INVALID_DATASET
            if s.halt_on_error:
                raise SendError(f"cannot send SOP instance: {exc}", ExitCode.CANNOT_SEND_REQUEST)
            self._progress(entry)
            return
        prefix = uids.modality_prefix(inst.sop_class_uid, "UNKNOWN")
        log.info("Sending C-STORE Request (MsgID %d, %s)", msg_id, prefix)
        command = dimse.encode_command(CommandField=dimse.C_STORE_RQ, MessageID=msg_id,
                                       AffectedSOPClassUID=inst.sop_class_uid, Priority=dimse.PRIORITY_MEDIUM,
                                       CommandDataSetType=dimse.HAS_DATASET,
                                       AffectedSOPInstanceUID=inst.sop_instance_uid)
        try:
            assoc.send_command(ctx.context_id, command)
            if file_part is not None:
                f, length = file_part
                with f:
                    assoc.send_dataset_file(ctx.context_id, f, length)
                entry.sent_bytes = length
            else:
                assoc.send_dataset_bytes(ctx.context_id, payload)
                entry.sent_bytes = len(payload)
            rsp_ctx, rsp = assoc.receive_command()
        except AssociationError as exc:
            raise SendError(f"cannot send SOP instance: {exc}", ExitCode.CANNOT_SEND_REQUEST)
        except OSError as exc:
            assoc.abort()
            raise SendError(f"cannot send SOP instance: {exc.strerror or exc}", ExitCode.CANNOT_SEND_REQUEST)
        if rsp.has_dataset:
            assoc.receive_dataset(rsp_ctx, None)
        status = int(rsp.get("Status", 0xFFFF))
        entry.status = status
        entry.outcome = Outcome.SENT
        log.info("Received C-STORE Response (%s)", dimse.status_text(status))
        self._progress(entry)

    def _progress(self, entry: TransferEntry) -> None:
        if self.on_progress is not None:
            self.on_progress(entry)

    def _can_produce(self, source_ts: str, target_ts: str) -> bool:
        return self.settings.encoder is not None or can_produce(source_ts, target_ts, self.settings.decompression)

    def _load(self, entry: TransferEntry, target_ts: str):
        inst = entry.instance
        if self.settings.encoder is not None and not can_produce(inst.transfer_syntax_uid, target_ts,
                                                                 self.settings.decompression):
            return self.settings.encoder(inst, target_ts), None
        return load_dataset(inst, target_ts, self.settings.deflate_level)


def can_produce(source_ts: str, target_ts: str, decompression: Decompression = Decompression.LOSSLESS) -> bool:
    """Whether an instance stored in ``source_ts`` can be sent in ``target_ts`` (dcmsend.md §3.1):
    unchanged, between uncompressed syntaxes, inflated, or decompressed as ``decompression`` allows."""
    if source_ts == target_ts:
        return True
    if tsinfo.is_uncompressed(target_ts):
        if tsinfo.is_uncompressed(source_ts):
            return True
        if tsinfo.is_deflated(source_ts):
            return tsinfo.can_inflate(source_ts)
        if decompression is Decompression.NEVER or not tsinfo.can_decompress(source_ts):
            return False
        return tsinfo.is_lossless(source_ts) or decompression is Decompression.LOSSY
    return False


PREMATURE_END = "I/O suspension or premature end of stream"  # DCMTK's reason (EC_StreamNotifyClient)


def _check_file_dataset(f, inst: InputInstance) -> None:
    """Walk the element structure of a file that is about to be streamed unchanged: a truncated or
    broken dataset is not sent (DCMTK fails to load it and exits 62 with ``cannot send SOP
    instance: I/O suspension or premature end of stream``).  Raises OSError with that reason."""
    import mmap

    from ..storage.scan import DatasetStructureError, scan_dataset
    ts = inst.transfer_syntax_uid
    if tsinfo.is_deflated(ts):
        return  # checked when inflated by the receiver
    size = os.fstat(f.fileno()).st_size
    if size <= inst.dataset_offset:
        return  # an empty dataset is the receiver's to refuse
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        try:
            scan_dataset(mm, inst.dataset_offset, implicit=(ts == tsinfo.IMPLICIT_LE),
                         little_endian=(ts != tsinfo.EXPLICIT_BE))
        except DatasetStructureError as exc:
            log.error("%s: %s", inst.path, exc)
            raise OSError(0, PREMATURE_END) from None


def load_dataset(inst: InputInstance, target_ts: str, deflate_level: int = 6):
    """The dataset of ``inst`` for sending in ``target_ts``: ``(None, (file, length))`` to stream it
    from disk unchanged, or ``(bytes, None)`` after conversion."""
    if inst.from_dicomdir and not inst.dataset_size:
        with open(inst.path, "rb") as f:
            meta = _read_meta(f)
        if meta is not None:
            inst.dataset_offset = meta[1]
        inst.dataset_size = os.path.getsize(inst.path) - inst.dataset_offset
    if target_ts == inst.transfer_syntax_uid:
        f = open(inst.path, "rb")
        try:
            _check_file_dataset(f, inst)
        except BaseException:
            f.close()
            raise
        f.seek(inst.dataset_offset)
        return None, (f, os.fstat(f.fileno()).st_size - inst.dataset_offset)
    from ..codec.conversion import encode_dataset, convert
    from pydicom import dcmread
    ds = dcmread(inst.path, force=True)
    if not getattr(ds, "file_meta", None) or "TransferSyntaxUID" not in ds.file_meta:
        from pydicom.dataset import FileMetaDataset
        ds.file_meta = getattr(ds, "file_meta", None) or FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = inst.transfer_syntax_uid
    log.info("Converting transfer syntax: %s -> %s", uids.ts_long_name(inst.transfer_syntax_uid),
             uids.ts_long_name(target_ts))
    source_ts = inst.transfer_syntax_uid
    if ((not tsinfo.is_uncompressed(source_ts) and not tsinfo.is_deflated(source_ts))
            or tsinfo.EXPLICIT_BE in (source_ts, target_ts)):  # byte order changes need a conversion
        ds = convert(ds, target_ts)
    return encode_dataset(ds, target_ts, deflate_level=deflate_level), None


# ---------------------------------------------------------------------------------------------
# Report (+crf) and summary (dcmsend.md §6, §7)

def summary_lines(result: SendResult) -> list[str]:
    entries = result.entries
    sent = [e for e in entries if e.outcome is Outcome.SENT]
    classes = {"SUCCESS": 0, "WARNING": 0, "ERROR": 0, "REFUSED": 0, "UNKNOWN": 0}
    for e in sent:
        classes[dimse.status_class(e.status if e.status is not None else 0xFFFF)] += 1
    not_sent = len(entries) - len(sent)
    no_ctx = sum(1 for e in entries if e.outcome is Outcome.NO_CONTEXT)
    invalid = sum(1 for e in entries if e.outcome is Outcome.INVALID_DATASET)
    lines = ["Status Summary", "--------------",
             f"Number of associations   : {result.associations}",
             f"Number of pres. contexts : {result.contexts}",
             f"Number of SOP instances  : {len(entries)}"]
    if sent:
        lines.append(f"- sent to the peer       : {len(sent)}")
        for key, label in (("SUCCESS", "  * with status SUCCESS  : "), ("WARNING", "  * with status WARNING  : "),
                           ("ERROR", "  * with status ERROR    : "), ("REFUSED", "  * with status REFUSED  : "),
                           ("UNKNOWN", "  * with unknown status  : ")):
            if classes[key]:
                lines.append(f"{label}{classes[key]}")
    if not_sent:
        lines.append(f"- NOT sent to the peer   : {not_sent}")
        if no_ctx:
            lines.append(f"  * no acceptable pres.  : {no_ctx}")
        if invalid:
            lines.append(f"  * invalid dataset ptr. : {invalid}")
    return lines


def report_text(result: SendResult, peer: str, port: int, calling: str, called: str, now=None) -> str:
    import datetime as _dt
    now = now or _dt.datetime.now()
    out = ["Detailed Report on the Transfer of Instances",
           "============================================", "",
           f"Communication Peer : {peer}:{port}",
           f"AE Titles used     : {calling} -> {called}",
           f"Current Date/Time  : {now.strftime('%Y-%m-%d %H:%M:%S')}", "", ""]
    for e in result.entries:
        inst = e.instance
        name = uids.sop_class_name(inst.sop_class_uid) or "unknown"
        if e.outcome is Outcome.SENT:
            status = f"0x{e.status:04x} ({dimse.status_text(e.status)})"
        elif e.outcome is Outcome.NO_CONTEXT:
            status = "<no acceptable presentation context>"
        elif e.outcome is Outcome.INVALID_DATASET:
            status = "<invalid dataset pointer>"
        else:
            status = "<not sent>"
        network = f"{e.network_ts} = {uids.ts_long_name(e.network_ts)}" if e.network_ts else ""
        if e.outcome is Outcome.NO_CONTEXT and not e.network_ts and e.association and not e.no_context_planned:
            network = f"{inst.transfer_syntax_uid} = {uids.ts_long_name(inst.transfer_syntax_uid)}"
        out += [f"Number        : {e.number}",
                f"Filename      : {inst.path}",
                f"SOP Instance  : {inst.sop_instance_uid}",
                f"SOP Class     : {inst.sop_class_uid} = {name}",
                f"Original Xfer : {inst.transfer_syntax_uid} = {uids.ts_long_name(inst.transfer_syntax_uid)}",
                f"Dataset Size  : {inst.dataset_size if e.association else 0} bytes",
                f"Association   : {e.association}",
                f"Pres. Context : {e.context_id}",
                f"Network Xfer  : {network}",
                f"DIMSE Status  : {status}", ""]
    out.append("")
    return "\n".join(out) + "\n" + "\n".join(summary_lines(result))
