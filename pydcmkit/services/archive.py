"""A Query/Retrieve archive over storage areas: the library side of dcmqrscp (``dcmqrscp.md``).

Each AE title of the AETable owns a storage area (a directory, possibly shared with other AEs)
with its own index database.  :class:`ArchiveNegotiator` applies the association acceptance
checks of §4.1 in DCMTK's order (``--refuse``, application context, ``--reject``, peer access,
then the server's concurrency bound) and the context rules of §4.2; :class:`Archive` routes each
DIMSE request to the storage area of the called AE: C-ECHO, C-STORE (indexed, with the quotas of
§5), C-FIND, C-MOVE (destinations from the configuration, ``-ZA -ZH -ZV``) and C-GET.

The index of an area is the SQLite file ``pydcmkit-index.sqlite`` in it, or, when a PostgreSQL
URL is configured, a schema of that database named after the area (:func:`area_schema`), so that
several servers on several hosts can share one archive.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass, field, replace

from .. import uids
from ..db import DEFAULT_INDEX_NAME, DatabaseError, InformationModel, KeySet, open_database
from ..db.records import InvalidFileError, record_from_file
from ..net import dimse, pdu as P
from ..net.association import AcceptedContext, Association
from ..net.server import Acceptance, DicomServer, PeerInfo, Rejection, ServerSettings
from ..status import ExitCode, ToolError
from ..storage.naming import NamingScheme, StorageLayout
from .find import FindSCP, FindSettings
from .get import GetSCP
from .move import MoveSCP, MoveSettings
from .store import StorageSCP, StoredInstance, StoreFailure, StoreSettings, handle_echo

log = logging.getLogger("pydcmkit.qr")

#: DCMTK's private "shut down" SOP class (termscu), dcmqrscp.md §7.
SHUTDOWN_SOP_CLASS = "1.2.276.0.7230010.3.4.1915765545.18030.917282194.0"
LOCK_SUFFIX = ".lock"

UNCOMPRESSED = (uids.LOCAL_ENDIAN_EXPLICIT, uids.OPPOSITE_ENDIAN_EXPLICIT, uids.IMPLICIT_VR_LITTLE_ENDIAN)


class MoveRestriction:
    """The ``-ZA -ZH -ZV`` restrictions of C-MOVE destinations (dcmqrscp.md §6.6)."""

    AE_TITLE = "aetitle"
    HOST = "host"
    VENDOR = "vendor"


@dataclass(frozen=True)
class ArchiveSettings:
    """Everything dcmqrscp's command line and configuration file decide.

    ``accept_ts``: the ``+x...`` preference for incoming contexts; ``propose_ts``: the ``-x...``
    list proposed on C-MOVE sub-associations; ``in_profile``/``out_profile``: the ``-xf``
    profiles replacing them for storage contexts; ``models``: the enabled information models
    (``-QP -QS -QO``); ``charsets``: the response character sets to try, given the request's
    (see :meth:`pydcmkit.db.QueryDatabase.find`); ``database``: a PostgreSQL URL (default: an
    SQLite file in each storage area).
    """

    qr: object
    network: ServerSettings
    store: StoreSettings = field(default_factory=StoreSettings)
    accept_ts: tuple[str, ...] = UNCOMPRESSED
    propose_ts: tuple[str, ...] = UNCOMPRESSED
    in_profile: object = None
    out_profile: object = None
    models: frozenset = frozenset(InformationModel)
    require_find: bool = False
    no_parallel_store: bool = False
    disable_get: bool = False
    allow_shutdown: bool = False
    check_find: bool = False
    check_move: bool = False
    move_restrictions: frozenset = frozenset()
    refuse: bool = False
    reject: bool = False
    keys: KeySet = KeySet.DCMTK
    charsets: object = None
    unencodable: str = "utf8"
    database: str | None = None
    sender: object = None  # SenderSettings of C-MOVE sub-associations (timeouts, PDU, TLS)
    host_access: object = None  # a pydcmkit.net.hostaccess.HostAccess (+ac)


def area_schema(area: str) -> str:
    """The PostgreSQL schema holding the index of storage area ``area`` (as configured): its last
    path component, made an identifier, and a hash of the whole path, e.g. ``area_store_1a2b3c4d``."""
    norm = os.path.normpath(area)
    base = re.sub(r"[^a-z0-9]+", "_", os.path.basename(norm).lower()).strip("_")[:40] or "root"
    return f"area_{base}_{hashlib.sha1(norm.encode()).hexdigest()[:8]}"


class AreaUnavailable(Exception):
    """The storage area of an AE cannot be used (missing directory, index cannot be opened)."""


# ---------------------------------------------------------------------------------------------
# Association negotiation (§4)

def _find_move_get(model: InformationModel) -> tuple[str, str, str]:
    return model.find_uid, model.move_uid, model.get_uid


class ArchiveNegotiator:
    """The acceptance checks of dcmqrscp.md §4.1 and the context rules of §4.2."""

    def __init__(self, settings: ArchiveSettings):
        self.settings = settings
        s = settings
        self._non_storage = {uids.VERIFICATION_SOP_CLASS}
        self._model_of: dict[str, tuple[InformationModel, str]] = {}
        for model in InformationModel:
            for kind, uid in zip(("find", "move", "get"), _find_move_get(model)):
                self._model_of[uid] = (model, kind)
                if model in s.models and not (kind == "get" and s.disable_get):
                    self._non_storage.add(uid)
        if s.allow_shutdown:
            self._non_storage.add(SHUTDOWN_SOP_CLASS)
        self._store_locks: dict[int, int] = {}
        self._locks_guard = threading.Lock()

    # -- checks before the concurrency bound ------------------------------------------------
    def screen(self, rq: P.AssociateRequest, peer: PeerInfo) -> Rejection | None:
        s = self.settings
        if s.host_access is not None:
            name = peer.host_name if peer.host_name != peer.address else None
            if not s.host_access.permitted(peer.address, name):
                log.info("Refusing Association (TCP wrapper): %s", peer.address)
                return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_NO_REASON,
                                 "Refusing Association (NoReason)")
        if s.refuse:
            log.info("Refusing Association (forced via command line)")
            return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_NO_REASON, "Refusing Association (NoReason)")
        if rq.application_context != P.APPLICATION_CONTEXT:
            return Rejection(P.RJ_TRANSIENT, P.RJ_SOURCE_USER, P.RJ_APPLICATION_CONTEXT_NOT_SUPPORTED,
                             "Refusing Association (BadAppContext)")
        if s.reject and not rq.implementation_class_uid:
            return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_NO_REASON,
                             "Refusing Association (NoReason)")
        if not s.qr.peer_permitted(rq.called_ae, rq.calling_ae, peer.host_name):
            return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_CALLED_AE_NOT_RECOGNIZED,
                             "Refusing Association (BadAEService)")
        return None

    # -- contexts ------------------------------------------------------------------------------
    def _choose(self, proposed) -> tuple[int, str | None]:
        offered = set(proposed)
        ts = next((t for t in self.settings.accept_ts if t in offered), None)
        return (P.PC_ACCEPTANCE, ts) if ts else (P.PC_TRANSFER_SYNTAXES_NOT_SUPPORTED, None)

    def negotiate(self, rq: P.AssociateRequest, peer: PeerInfo) -> Acceptance | Rejection:
        from ..config.asconfig import RoleSpec
        s = self.settings
        entry = s.qr.ae(rq.called_ae)
        results: dict[int, list] = {}
        roles: dict[str, tuple[bool, bool]] = {}
        storage_ids: list[int] = []
        for pc in rq.contexts:
            ab = pc.abstract_syntax
            asked = rq.roles.get(ab)
            if ab in self._non_storage:
                result, ts = self._choose(pc.transfer_syntaxes)
            elif s.in_profile is not None and ab not in self._model_of and ab != uids.VERIFICATION_SOP_CLASS:
                role = RoleSpec(*asked) if asked is not None else None
                result, ts = s.in_profile.accept(ab, list(pc.transfer_syntaxes), proposed_role=role)
                if result == P.PC_ACCEPTANCE:
                    storage_ids.append(pc.context_id)
                    reply = s.in_profile.role_reply(ab, role)
                    if reply is not None:
                        roles[ab] = (reply.scu, reply.scp)
            elif uids.is_storage_sop_class(ab):
                result, ts = self._choose(pc.transfer_syntaxes)
                if result == P.PC_ACCEPTANCE:
                    storage_ids.append(pc.context_id)
                    if asked is not None and not s.disable_get:
                        roles[ab] = asked
            else:
                result, ts = P.PC_ABSTRACT_SYNTAX_NOT_SUPPORTED, None
            results[pc.context_id] = [result, ts, ab]

        def refuse(context_id: int) -> None:
            results[context_id][0], results[context_id][1] = P.PC_USER_REJECTION, None

        if storage_ids and (entry is None or not entry.writable):
            for cid in storage_ids:
                refuse(cid)
            storage_ids = []
        if storage_ids and s.no_parallel_store and not self._lock_store(rq, entry.ae_title):
            log.info("refusing storage contexts: another association of %s holds storage contexts",
                     entry.ae_title)
            for cid in storage_ids:
                refuse(cid)
        accepted = {r[2] for r in results.values() if r[0] == P.PC_ACCEPTANCE}
        for cid, (result, _ts, ab) in results.items():
            model_kind = self._model_of.get(ab)
            if result != P.PC_ACCEPTANCE or model_kind is None or model_kind[1] != "move":
                continue  # DCMTK checks MOVE only; a GET context without FIND is accepted
            if model_kind[0].find_uid not in accepted:
                if s.require_find:
                    refuse(cid)
                else:
                    log.error("Move Presentation Context but no Find (accepting for now)")
        if any(r[0] == P.PC_ACCEPTANCE and r[2] == SHUTDOWN_SOP_CLASS for r in results.values()):
            log.info('Shutting down server ... (negotiated private "shut down" SOP class)')
            self._unlock_store(rq)
            return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_NO_REASON,
                             "Refusing Association (NoReason)", stop_server=True)
        contexts = tuple(P.ContextResult(cid, r[0], r[1], r[2]) for cid, r in results.items())
        roles = {ab: role for ab, role in roles.items() if ab in accepted}
        if not accepted:
            log.info("Association Acknowledged (but no valid presentation contexts)")
        return Acceptance(contexts, roles, {})

    # -- --no-parallel-store ----------------------------------------------------------------------
    def _lock_store(self, rq: P.AssociateRequest, ae_title: str) -> bool:
        """Take the per-AE storage lock for this association (an flock, so that it holds across
        worker processes); False if another association holds it."""
        area = self.settings.qr.ae(ae_title).storage_area
        name = f"{DEFAULT_INDEX_NAME}.store-{re.sub(r'[^0-9A-Za-z._-]', '_', ae_title)}{LOCK_SUFFIX}"
        try:
            fd = os.open(os.path.join(area, name), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            return True  # the area is missing: the first request will fail anyway
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        with self._locks_guard:
            self._store_locks[id(rq)] = fd
        return True

    def _unlock_store(self, rq) -> None:
        with self._locks_guard:
            fd = self._store_locks.pop(id(rq), None)
        if fd is not None:
            os.close(fd)

    def ended(self, assoc: Association) -> None:
        self._unlock_store(assoc.request)


# ---------------------------------------------------------------------------------------------
# Storage areas (§5)

class Area:
    """One storage area: its directory, index database and the DIMSE handlers working on it."""

    def __init__(self, path: str, db, archive: "Archive"):
        self.path = path
        self.db = db
        self.lock_path = os.path.join(path, DEFAULT_INDEX_NAME + LOCK_SUFFIX)
        s = archive.settings
        layout = StorageLayout(output_dir=path, scheme=NamingScheme.SHORT_UNIQUE, extension=".dcm",
                               unknown_prefix="XX")
        self.storage = AreaStorage(replace(s.store, layout=layout), self, archive)
        self.find = FindSCP(db, FindSettings(keys=s.keys, strict=s.check_find, charsets=s.charsets,
                                             unencodable=s.unencodable))
        self.move = MoveSCP(db, MoveSettings(destinations=archive.move_destination, keys=s.keys,
                                             strict=s.check_move, sender=archive.sender_settings()))
        self.get = GetSCP(db, keys=s.keys, strict=s.check_move)

    @contextlib.contextmanager
    def locked(self):
        """Exclusive use of the area's quota bookkeeping, across threads and processes."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def delete_file(self, path: str, why: str) -> None:
        log.info("Store SCP: Deleting Image File (%s): %s", why, path)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("cannot delete %s: %s", path, exc.strerror or exc)

    def make_room(self, record, quota) -> None:
        """Apply the quota of dcmqrscp.md §5 before ``record`` is registered: an image larger than
        a study may be is refused (0xA700); the oldest images of its study are deleted until it
        fits; a new study beyond the number of studies deletes the least recently updated study."""
        size = record.file_size
        if size > quota.max_bytes_per_study:
            raise StoreFailure(dimse.REFUSED_OUT_OF_RESOURCES,
                               f"image size {size} exceeds the quota of {quota.max_bytes_per_study} bytes per study")
        study = record.attributes.get("StudyInstanceUID", "")
        usage = self.db.usage_of_study(study)
        if usage is None:
            while self.db.count_studies() >= quota.max_studies:
                victim = self.db.study_usage()[0]
                log.info("quota: %d studies in %s, deleting the least recently updated study %s",
                         quota.max_studies, self.path, victim.study_instance_uid)
                for path in self.db.remove_study(victim.study_instance_uid):
                    self.delete_file(path, "study quota")
            return
        excess = usage.bytes + size - quota.max_bytes_per_study
        if excess <= 0:
            return
        for old in self.db.study_instances(study):
            if excess <= 0:
                break
            if old.sop_instance_uid == record.sop_instance_uid:
                continue
            self.db.remove_instance(old.sop_instance_uid)
            self.delete_file(old.path, "size quota")
            excess -= old.file_size


class AreaStorage(StorageSCP):
    """C-STORE into a storage area: standard storage SOP classes only (else 0x0122), the dataset
    must carry the command's SOP Class and Instance UID (else 0xA900), then quota and index; a
    duplicate SOP Instance UID replaces the old record and deletes the old file."""

    def __init__(self, settings: StoreSettings, area: Area, archive: "Archive"):
        super().__init__(settings)
        self.area = area
        self.archive = archive

    def handle(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        sop_class = command.get("AffectedSOPClassUID", "") or ""
        if not uids.is_storage_sop_class(sop_class):
            msg_id = command.get("MessageID", 0)
            log.error("Store SCP: SOP class not supported: %s", sop_class)
            assoc.receive_dataset(ctx.context_id, None)
            assoc.send_command(ctx.context_id, dimse.encode_command(
                CommandField=dimse.C_STORE_RSP, MessageIDBeingRespondedTo=msg_id,
                AffectedSOPClassUID=sop_class or None,
                AffectedSOPInstanceUID=command.get("AffectedSOPInstanceUID") or None,
                CommandDataSetType=dimse.NO_DATASET, Status=dimse.SOP_CLASS_NOT_SUPPORTED))
            return
        super().handle(assoc, ctx, command)

    def instance_stored(self, stored: StoredInstance) -> None:
        try:
            record = record_from_file(stored.path)
        except InvalidFileError as exc:
            raise StoreFailure(dimse.CANNOT_UNDERSTAND, f"cannot index the received object: {exc}") from None
        if (record.sop_class_uid, record.sop_instance_uid) != (stored.sop_class_uid, stored.sop_instance_uid):
            raise StoreFailure(dimse.DATASET_DOES_NOT_MATCH_SOP_CLASS,
                               "SOP Class or Instance UID of the dataset differs from the C-STORE request")
        quota = self.archive.settings.qr.ae(stored.called_ae).quota
        try:
            with self.area.locked():
                self.area.make_room(record, quota)
                result = self.area.db.add_instance(record)
        except DatabaseError as exc:
            raise StoreFailure(dimse.REFUSED_OUT_OF_RESOURCES, f"index database: {exc.message}") from None
        if result.replaced_path and result.replaced_path != stored.path:
            self.area.delete_file(result.replaced_path, "duplicate SOP Instance UID")


# ---------------------------------------------------------------------------------------------

class Archive:
    """The DIMSE side of dcmqrscp: ``handlers`` for a :class:`DicomServer`."""

    def __init__(self, settings: ArchiveSettings):
        self.settings = settings
        self._areas: dict[str, Area] = {}
        self._guard = threading.Lock()

    # -- areas ------------------------------------------------------------------------------
    def open_index(self, area: str):
        """The index database of ``area`` (raises :class:`DatabaseError`)."""
        if self.settings.database:
            return open_database(self.settings.database, schema=area_schema(area))
        return open_database(os.path.join(area, DEFAULT_INDEX_NAME))

    def area(self, ae_title: str) -> Area:
        entry = self.settings.qr.ae(ae_title)
        if entry is None:
            raise AreaUnavailable(f"no storage area for AE title {ae_title}")
        path = entry.storage_area
        with self._guard:
            area = self._areas.get(path)
            if area is not None:
                return area
            if not os.path.isdir(path):
                raise AreaUnavailable(f"{path}/{DEFAULT_INDEX_NAME}: No such file or directory")
            try:
                db = self.open_index(path)
            except DatabaseError as exc:
                raise AreaUnavailable(exc.message) from None
            area = self._areas[path] = Area(path, db, self)
        for warning in entry.quota.warnings:
            log.warning("%s", warning)
        return area

    def close(self) -> None:
        with self._guard:
            for area in self._areas.values():
                area.db.close()
            self._areas.clear()

    # -- C-MOVE destinations (§6.6) ------------------------------------------------------------
    def move_destination(self, ae_title: str, assoc: Association):
        qr = self.settings.qr
        restrictions = self.settings.move_restrictions
        peer = qr.move_destination(ae_title)
        if peer is None:
            log.info("mapMoveDestination: unknown AE: '%s'", ae_title)
            return None
        if MoveRestriction.AE_TITLE in restrictions and ae_title != assoc.calling_ae:
            log.info("mapMoveDestination: strictMove Reqs: '%s' != '%s'", assoc.calling_ae, ae_title)
            return None
        requester_host = getattr(getattr(assoc, "peer", None), "host_name", "")
        if MoveRestriction.HOST in restrictions and peer.host.lower() != requester_host.lower():
            log.info("mapMoveDestination: strictMove Reqs: '%s' != '%s'", requester_host, peer.host)
            return None
        if MoveRestriction.VENDOR in restrictions and not qr.same_vendor(assoc.calling_ae, ae_title):
            log.info("mapMoveDestination: strictMove Reqs: '%s' and '%s' are not of the same vendor",
                     assoc.calling_ae, ae_title)
            return None
        return peer.host, peer.port

    def proposal(self, sop_class: str, instance_ts: str) -> list[str] | None:
        """Transfer syntaxes proposed for one instance on a C-MOVE sub-association: the
        out-profile's for its SOP class, else the ``-x...`` list, plus the instance's own syntax
        when it is compressed and not in that list (so it need not be decompressed)."""
        s = self.settings
        if s.out_profile is not None:
            ctx = s.out_profile.context_for(sop_class)
            return list(ctx.transfer_syntaxes) if ctx is not None else None
        proposal = list(s.propose_ts)
        if instance_ts not in proposal and instance_ts not in UNCOMPRESSED:
            proposal.append(instance_ts)
        return proposal

    def sender_settings(self):
        from ..net.requestor import RequestorSettings
        from ..net.sender import SenderSettings
        base = self.settings.sender or SenderSettings("", 0, RequestorSettings())
        return replace(base, proposal=self.proposal, halt_on_error=False)

    # -- DIMSE ------------------------------------------------------------------------------------
    def handlers(self) -> dict:
        def routed(pick):
            def handler(assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
                try:
                    area = self.area(assoc.called_ae)
                except AreaUnavailable as exc:
                    log.error("%s", exc)
                    log.error("dispatch: cannot create DB Handle")
                    log.error("DIMSE Failure (aborting association): Index database error")
                    assoc.abort()
                    return
                pick(area)(assoc, ctx, command)
            return handler

        return {
            dimse.C_ECHO_RQ: routed(lambda area: handle_echo),
            dimse.C_STORE_RQ: routed(lambda area: area.storage.handle),
            dimse.C_FIND_RQ: routed(lambda area: area.find.handle),
            dimse.C_MOVE_RQ: routed(lambda area: area.move.handle),
            dimse.C_GET_RQ: routed(lambda area: area.get.handle),
        }


class ArchiveServer:
    """dcmqrscp as an object: ``start()`` binds (raises :class:`ToolError`, exit 10),
    ``serve_forever()`` until :meth:`stop` or a shutdown request, then the archive is closed."""

    def __init__(self, settings: ArchiveSettings):
        self.settings = settings
        self.archive = Archive(settings)
        self.negotiator = ArchiveNegotiator(settings)
        self.server: DicomServer | None = None

    def start(self) -> DicomServer:
        net = self.settings.network
        if net.port < 1024 and os.geteuid() != 0 and net.port != 0:
            raise ToolError(f"cannot listen on port {net.port}, insufficient privileges", ExitCode.LEGACY_STARTUP_FAILURE)
        server = DicomServer(net, self.negotiator, self.archive.handlers(),
                             unknown_command=lambda cf: f"Cannot handle command: 0x{cf:x}")
        try:
            server.bind()
        except OSError as exc:
            raise ToolError(f"cannot initialize network: 0006:031c TCP Initialization Error: "
                            f"{exc.strerror or exc}", ExitCode.LEGACY_STARTUP_FAILURE) from None
        self.server = server
        return server

    def serve_forever(self) -> None:
        if self.server is None:
            self.start()
        try:
            self.server.serve_forever()
        finally:
            self.archive.close()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
