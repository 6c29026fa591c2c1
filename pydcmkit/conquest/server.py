"""dgate's DICOM server on the pydcmkit core (dgate.md §1.1, §8.3, §9, §10).

:class:`DgateServer` is a :class:`~pydcmkit.net.server.DicomServer` (several associations at
once, in threads) with:

* :class:`DgateNegotiator` -- Verification, the storage SOP classes and transfer syntaxes of
  dgatesop.lst (every storage class and syntax the toolkit knows when there is no list), the
  three Q/R models for FIND/MOVE/GET and Modality Worklist FIND; ``RemoteAE``/``LocalAE``
  lines of dgatesop.lst restrict the calling/called AE titles.  Incoming associations are not
  checked against acrnema.map (as dgate);
* C-ECHO: :class:`~pydcmkit.conquest.remote.RemoteCommandHandler` (Verification and the remote
  commands of §6);
* C-STORE: :meth:`Dgate.store_received` with the ``~XX`` suffix of the called AE, else
  ``IncomingCompression``; the response is sent after the file is durable and the database
  rows are committed; a failure answers ``StorageFailedErrorCode`` (0x0110);
* C-FIND: the ConQuest database at PATIENT/STUDY/SERIES/IMAGE level, and the worklist;
* C-MOVE: destinations from acrnema.map (unknown: 0xC003, ConQuest's status), compression from
  the ``~XX`` suffix of the C-MOVE association's called AE, else the map's column (§9);
  ``~pN`` adds N to the destination port;
* C-GET: the selected objects decompressed (``un``) on the requester's SCP-role contexts.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import replace

from .. import uids
from ..db import DatabaseError, InformationModel, QueryError
from ..net import dimse
from ..net import pdu as P
from ..net.association import LARGE_COMMAND_LENGTH, AcceptedContext, Association
from ..net.server import Acceptance, DicomServer, PeerInfo, Rejection, ServerSettings
from ..services.find import FindSCP
from ..services.get import GetSCP
from ..services.move import MoveSCP, MoveSettings
from ..services.qr import encode_identifier
from . import compression as comp
from .naming import encode_dcm
from .remote import RemoteCommandHandler
from .service import Dgate, StoreError

log = logging.getLogger("pydcmkit.dgate")

WORKLIST_FIND = "1.2.840.10008.5.1.4.31"
QR_CLASSES = {m.find_uid: (m, "find") for m in InformationModel}
QR_CLASSES.update({m.move_uid: (m, "move") for m in InformationModel})
QR_CLASSES.update({m.get_uid: (m, "get") for m in InformationModel})
#: transfer syntaxes accepted without dgatesop.lst, in the order dgate prefers
DEFAULT_TRANSFER_SYNTAXES = (
    "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.55",
    "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.1.99")
NATIVE = ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2")
STATUS_DESTINATION_UNKNOWN = 0xC003


class DgateNegotiator:
    """Accepts what dgate accepts (module docstring)."""

    def __init__(self, dgate: Dgate):
        self.dgate = dgate

    def _syntaxes(self) -> tuple[str, ...]:
        sop = self.dgate.sop_list
        if sop is None or not sop.transfer_syntaxes:
            return DEFAULT_TRANSFER_SYNTAXES
        listed = set(sop.transfer_syntaxes)
        ordered = [ts for ts in DEFAULT_TRANSFER_SYNTAXES if ts in listed]
        return tuple(ordered + [ts for ts in sop.transfer_syntaxes if ts not in ordered])

    def screen(self, rq: P.AssociateRequest, peer: PeerInfo) -> Rejection | None:
        sop = self.dgate.sop_list
        if sop is not None:
            if not sop.accepts_calling_ae(rq.calling_ae.strip()):
                return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_CALLING_AE_NOT_RECOGNIZED,
                                 f"Refusing Association: calling AE {rq.calling_ae.strip()} not in dgatesop.lst")
            if not sop.accepts_called_ae(rq.called_ae.strip()):
                return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_CALLED_AE_NOT_RECOGNIZED,
                                 f"Refusing Association: called AE {rq.called_ae.strip()} not in dgatesop.lst")
        return None

    def negotiate(self, rq: P.AssociateRequest, peer: PeerInfo) -> Acceptance | Rejection:
        rejected = self.screen(rq, peer)
        if rejected is not None:
            return rejected
        sop = self.dgate.sop_list
        syntaxes = self._syntaxes()
        results, roles = [], {}
        for pc in rq.contexts:
            ab = pc.abstract_syntax
            offered = set(pc.transfer_syntaxes)
            if ab == uids.VERIFICATION_SOP_CLASS or ab in QR_CLASSES or ab == WORKLIST_FIND:
                ts = next((t for t in NATIVE if t in offered), None)
            elif (sop.accepts_sop_class(ab) if sop is not None and sop.sop_classes else uids.is_storage_sop_class(ab)):
                ts = next((t for t in syntaxes if t in offered), None)
                asked = rq.roles.get(ab)
                if ts is not None and asked is not None:
                    roles[ab] = asked  # C-GET: the requester stores (SCP role)
            else:
                results.append(P.ContextResult(pc.context_id, P.PC_ABSTRACT_SYNTAX_NOT_SUPPORTED, None, ab))
                continue
            result = P.PC_ACCEPTANCE if ts else P.PC_TRANSFER_SYNTAXES_NOT_SUPPORTED
            results.append(P.ContextResult(pc.context_id, result, ts, ab))
        return Acceptance(tuple(results), roles, {})


class DgateStorage:
    """C-STORE handler: :meth:`Dgate.store_received` (module docstring)."""

    def __init__(self, dgate: Dgate):
        self.dgate = dgate

    def __call__(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        msg_id = command.get("MessageID", 0)
        sop_class = command.get("AffectedSOPClassUID", "") or ""
        sop_inst = command.get("AffectedSOPInstanceUID", "") or ""
        try:
            code = comp.split_called_ae(assoc.called_ae)[1]
        except comp.CompressionCodeError as exc:  # dgate accepts any called AE: store as configured
            log.warning("called AE %s: %s", assoc.called_ae, exc)
            code = None
        received = []

        def receive(sink) -> None:
            received.append(True)
            assoc.receive_dataset(ctx.context_id, sink)

        try:
            result = self.dgate.store_stream(receive, ctx.transfer_syntax, sop_class, sop_inst,
                                             calling_ae=assoc.calling_ae, called_ae=assoc.called_ae, code=code)
            status = dimse.SUCCESS
            if result.path:
                log.info("Written file: %s", result.path)
        except StoreError as exc:
            log.error("%s", exc)
            status = exc.status
        except DatabaseError as exc:  # the database went away: a failure status, never an abort
            log.error("***C-STORE of %s: %s", sop_inst or "(no UID)", str(exc).splitlines()[0])
            status = self.dgate.ini.storage_failed_error_code
        if not received:  # failed before reading the data set: read it now, then answer
            assoc.receive_dataset(ctx.context_id, None)
        assoc.send_command(ctx.context_id, dimse.encode_command(
            CommandField=dimse.C_STORE_RSP, MessageIDBeingRespondedTo=msg_id,
            AffectedSOPClassUID=sop_class or None, AffectedSOPInstanceUID=sop_inst or None,
            CommandDataSetType=dimse.NO_DATASET, Status=status))


class DgateFind(FindSCP):
    """C-FIND for the Q/R models and the Modality Worklist on the ConQuest database."""

    def __init__(self, dgate: Dgate):
        super().__init__(None)
        self.dgate = dgate

    def search(self, assoc: Association, ctx: AcceptedContext, identifier):
        self.dgate.activity["find"] += 1
        db = self.dgate.database
        if ctx.abstract_syntax == WORKLIST_FIND:
            return db.find_worklist(identifier)
        model = InformationModel.from_sop_class(ctx.abstract_syntax)
        return db.find(None, identifier, model, retrieve_ae_title=self.dgate.ae_title)

    def encode(self, row, transfer_syntax: str) -> bytes:
        return encode_identifier(row, transfer_syntax)

    def __call__(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        self.handle(assoc, ctx, command)


class _RetrieveIndex:
    """The ConQuest database seen through the ``instances_for_retrieve`` interface of the
    C-MOVE / C-GET providers of :mod:`pydcmkit.services`."""

    def __init__(self, dgate: Dgate):
        self.dgate = dgate

    def instances_for_retrieve(self, model, identifier, *, keys=None, strict=False):
        from ..db.model import Level
        level = identifier.get("QueryRetrieveLevel", "")
        if str(level).strip().upper() not in {lv.name for lv in Level} or (
                model is not None and Level[str(level).strip().upper()] not in model.levels):
            raise QueryError(dimse.UNABLE_TO_PROCESS, f"invalid QueryRetrieveLevel {str(level)!r}")
        return [obj for obj in self.dgate.database.select_for_retrieve(identifier, model) if obj.path]


def prepared_copy(dgate: Dgate, path: str, code: comp.CompressionCode) -> str:
    """The file to send for the stored object ``path`` under ``code``: the stored file itself
    when the code leaves it alone (and it is a Part 10 file), else a converted copy in
    ``MAG0/printer_files`` that the caller removes.  Raises CompressionError / OSError."""
    v2 = path.lower().endswith(".v2")
    if code.is_as_is and not v2:
        return path
    ds = dgate.read_file(path)
    out = dgate.recompress(ds, code)
    if isinstance(out, comp.Virtual) or (out is ds and not v2):
        return path
    folder = os.path.join(dgate.ini.mag_device(0), "printer_files")
    os.makedirs(folder, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix="send-", suffix=".dcm", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(encode_dcm(out))
    except BaseException:
        os.unlink(temp)
        raise
    return temp


class DgateMove:
    """C-MOVE with acrnema.map destinations and ConQuest's outgoing compression (§9): the
    objects are brought into the code (``~XX`` of the C-MOVE association's called AE, else the
    destination's acrnema.map column), and one context per SOP class proposes the code's
    transfer syntaxes (:func:`~pydcmkit.conquest.compression.proposed_syntaxes`); the sender
    decodes an object when the peer accepted only an uncompressed syntax."""

    def __init__(self, dgate: Dgate, sender=None):
        self.dgate = dgate
        self.sender = sender
        self._index = _RetrieveIndex(dgate)

    def destination(self, ae_title: str, assoc: Association):
        entry = self.dgate.amap.lookup(ae_title)
        if entry is None:
            log.error("***Move destination %s not in acrnema.map", ae_title)
            return None
        try:
            port_offset = comp.split_called_ae(assoc.called_ae)[2]
        except comp.CompressionCodeError:
            port_offset = 0
        return entry.host, entry.port_number + port_offset

    def code_for(self, assoc: Association, dest_ae: str) -> comp.CompressionCode:
        try:
            code = comp.split_called_ae(assoc.called_ae)[1]
        except comp.CompressionCodeError:
            code = None
        if code is not None:
            return code
        entry = self.dgate.amap.lookup(dest_ae)
        try:
            return comp.parse_code(entry.compression if entry is not None else "un")
        except comp.CompressionCodeError as exc:
            log.warning("acrnema.map entry %s: %s; sending uncompressed", dest_ae, exc)
            return comp.parse_code("un")

    def encode_for(self, path: str, code: comp.CompressionCode, accepted: str) -> bytes:
        """The object in ``path`` for a context that accepted ``accepted``: for a ``j`` request
        the accepted syntax decides the code (``.4.70`` -> ``j1``, §9), then the result is encoded
        in that syntax (a baseline JPEG is valid ``.4.51`` data)."""
        from ..codec.conversion import convert, dataset_transfer_syntax, encode_dataset
        from ..codec.syntaxes import JPEG_BASELINE, JPEG_EXTENDED
        out = self.dgate.recompress(self.dgate.read_file(path), comp.code_for_accepted(code, accepted))
        current = dataset_transfer_syntax(out)
        if (current, accepted) == (JPEG_BASELINE, JPEG_EXTENDED):
            out.file_meta.TransferSyntaxUID = accepted
        elif current != accepted:
            out = convert(out, accepted)
        return encode_dataset(out, accepted)

    def handler(self):
        from ..net.requestor import RequestorSettings
        from ..net.sender import Decompression, SenderSettings
        base = self.sender or SenderSettings("", 0, RequestorSettings(max_pdu=16384,
                                                                      ssl_context=self.dgate.tls_context()),
                                             halt_on_error=False)
        base = replace(base, decompression=Decompression.LOSSY)

        def handle(assoc, ctx, command):
            self.dgate.activity["move"] += 1
            dest_ae = (command.get("MoveDestination") or "").strip()
            code = self.code_for(assoc, dest_ae)
            syntaxes = comp.proposed_syntaxes(code)
            sender = replace(base, proposal=lambda _sop, _ts: list(syntaxes),
                             encoder=lambda inst, accepted: self.encode_for(inst.path, code, accepted))
            settings = MoveSettings(
                destinations=self.destination, sender=sender,
                unknown_destination_status=STATUS_DESTINATION_UNKNOWN,
                prepare=lambda path, _assoc, _dest: prepared_copy(self.dgate, path, code),
                calling_ae=self.dgate.ae_title)
            MoveSCP(self._index, settings).handle(assoc, ctx, command)
        return handle


class CommandAccess:
    """Who may run remote commands that change or delete data (dgate(1), "Access").

    A peer on a loopback address, or on an address or network listed in the pydcmkit key
    ``RemoteCommandHosts`` of dicom.ini (``10.1.2.3, 10.9.0.0/16``); when ``RemoteCommandAETitles``
    lists AE titles, the peer's calling AE title must also be one of them.  ConQuest has neither
    key and lets every peer run every command.  Read from dicom.ini at each command, so a change
    applies without a restart.
    """

    def __init__(self, dgate: Dgate):
        self.dgate = dgate

    @staticmethod
    def _words(text: str | None) -> list[str]:
        return [w for w in (text or "").replace(";", ",").replace(" ", ",").split(",") if w]

    def __call__(self, address: str, calling_ae: str) -> bool:
        import ipaddress

        from .remote import peer_ip
        ini = self.dgate.ini
        ip = peer_ip(address)
        if ip is None:
            return False
        allowed = ip.is_loopback
        if not allowed:
            for entry in self._words(ini.get("RemoteCommandHosts")):
                try:
                    if ip in ipaddress.ip_network(entry, strict=False):
                        allowed = True
                        break
                except ValueError:
                    log.warning("dicom.ini RemoteCommandHosts: %r is not an address or network", entry)
        titles = self._words(ini.get("RemoteCommandAETitles"))
        if allowed and titles:
            allowed = calling_ae.strip() in titles
        return allowed


class DgateServer:
    """dgate's server: ``start()`` binds (ToolError on failure), ``serve_forever()``, ``stop()``."""

    def __init__(self, dgate: Dgate, *, max_associations: int | None = None, sequential: bool = False,
                 acse_timeout: float | None = None, dimse_timeout: float | None = None, bind_address: str = "",
                 register_commands=None):
        self.dgate = dgate
        timeout = dgate.ini.tcpip_timeout
        if max_associations is None:  # pydcmkit's MaxAssociations key (ConQuest has no bound)
            max_associations = max(1, dgate.ini.get_int("MaxAssociations", 32))
        if acse_timeout is None:  # TCPIPTimeOut when dicom.ini sets it, else 30 s for the request
            acse_timeout = timeout if dgate.ini.has("TCPIPTimeOut") else 30
        self.settings = ServerSettings(port=dgate.port, bind_address=bind_address, ae_title=dgate.ae_title,
                                       max_pdu=16384, acse_timeout=acse_timeout,
                                       dimse_timeout=dimse_timeout if dimse_timeout is not None else timeout,
                                       max_associations=max_associations, host_lookup=False, sequential=sequential,
                                       max_command_length=LARGE_COMMAND_LENGTH,
                                       ssl_context=dgate.tls_context(server_side=True))
        self.commands = RemoteCommandHandler(may_modify=CommandAccess(dgate))
        self.server: DicomServer | None = None
        self._register = register_commands

    def handlers(self) -> dict:
        move = DgateMove(self.dgate).handler()
        uncompressed = comp.parse_code("un")
        get = GetSCP(_RetrieveIndex(self.dgate),
                     prepare=lambda path, _assoc: prepared_copy(self.dgate, path, uncompressed))
        find = DgateFind(self.dgate)

        def echo(assoc, ctx, command):
            self.dgate.activity["echo"] += 1
            self.commands(assoc, ctx, command)

        def get_handler(assoc, ctx, command):
            self.dgate.activity["get"] += 1
            get.handle(assoc, ctx, command)

        return {dimse.C_ECHO_RQ: echo, dimse.C_STORE_RQ: DgateStorage(self.dgate), dimse.C_FIND_RQ: find,
                dimse.C_MOVE_RQ: move, dimse.C_GET_RQ: get_handler}

    def start(self) -> DicomServer:
        from ..status import ExitCode, ToolError
        server = DicomServer(self.settings, DgateNegotiator(self.dgate), self.handlers())
        self.server = server
        if self._register is not None:
            self._register(self.commands, self)
        try:
            server.bind()
        except OSError as exc:
            raise ToolError(f"***Failed to Listen () - bind error: {exc.strerror or exc}",
                            ExitCode.COMMANDLINE_SYNTAX_ERROR) from None
        return server

    def serve_forever(self) -> None:
        if self.server is None:
            self.start()
        try:
            self.server.serve_forever()
        finally:
            self.dgate.close()

    def stop(self) -> None:
        """Stop accepting associations; the messages in flight finish, idle associations are
        closed, and :meth:`serve_forever` returns."""
        if self.server is not None:
            log.info("DGATE stopping: %d association(s) open", self.active_associations)
            self.server.shutdown()

    @property
    def active_associations(self) -> int:
        return len(getattr(self.server, "_active", {})) if self.server is not None else 0
