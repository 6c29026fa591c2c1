"""The C-STORE service provider (PS3.4 Annex B) behind dcmrecv, dcmqrscp and dgate.

A received dataset is streamed from the network into a temporary file that already starts with
the File Meta Information, so no instance is ever held in memory whole.  Then, depending on the
storage mode: the element structure is checked (normal mode), the name is chosen, the file is
synced and renamed, :meth:`StorageSCP.instance_stored` is told (the index hook), and only then is
the response sent.  Any failure to store answers ``0xA700`` (Refused: Out of Resources) and the
server goes on; an unparseable dataset answers ``0xC000`` (Error: Cannot Understand).
"""

from __future__ import annotations

import enum
import errno
import logging
import mmap
import os
from dataclasses import dataclass, field

from ..net import dimse
from ..net.association import AcceptedContext, Association, AssociationError
from ..storage.encoding import EncodingError, WriteEncoding, reencode
from ..storage.naming import FileNamer, StorageLayout, ensure_inside
from ..storage.scan import DatasetStructureError, scan_dataset
from ..storage.writer import AtomicFile, describe_os_error, file_meta_bytes

log = logging.getLogger("pydcmkit.store")

TAG_SERIES_DATE = 0x00080021
TAG_SOP_CLASS = 0x00080016
TAG_SOP_INSTANCE = 0x00080018
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED = ("1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.95")


class StorageMode(enum.Enum):
    NORMAL = "normal"                    # -B: check the dataset, write with a fresh meta header
    BIT_PRESERVING = "bit-preserving"    # +B: bytes exactly as received, name from the command
    IGNORE = "ignore"                    # --ignore: receive, answer success, store nothing


@dataclass(frozen=True)
class StoreSettings:
    layout: StorageLayout = field(default_factory=StorageLayout)
    mode: StorageMode = StorageMode.NORMAL
    durable: bool = True
    encoding: WriteEncoding = WriteEncoding()  # normal mode only; the default writes the bytes received


@dataclass(frozen=True)
class StoredInstance:
    """What :meth:`StorageSCP.instance_stored` learns about a stored instance."""

    path: str
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    size: int
    calling_ae: str
    called_ae: str
    dataset_offset: int


class StoreFailure(Exception):
    """Raised by hooks to answer a failure status instead of success."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class StorageSCP:
    """C-STORE handler: ``handle(assoc, context, command)``; subclass hooks for other tools."""

    def __init__(self, settings: StoreSettings):
        self.settings = settings
        self.namer = FileNamer(settings.layout)
        self.base = self.namer.base

    # -- hooks ------------------------------------------------------------------------------
    def instance_stored(self, stored: StoredInstance) -> None:
        """Called after the file is durable and before success is answered (index it here).

        Raise :class:`StoreFailure` to answer a failure status instead (the file is removed).
        """

    # -- the handler --------------------------------------------------------------------------
    def handle(self, assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
        msg_id = command.get("MessageID", 0)
        sop_class = command.get("AffectedSOPClassUID", "") or ""
        sop_inst = command.get("AffectedSOPInstanceUID", "") or ""
        log.info("Received C-STORE Request (MsgID %d)", msg_id)
        if self.settings.mode is StorageMode.IGNORE:
            assoc.receive_dataset(ctx.context_id, None)
            log.debug("received dataset is not stored since the storage mode is set to 'ignore'")
            status = dimse.SUCCESS
        else:
            status = self._receive_and_store(assoc, ctx, command, sop_class, sop_inst)
        log.info("Sending C-STORE Response (%s)", dimse.status_text(status))
        rsp = dimse.encode_command(CommandField=dimse.C_STORE_RSP, MessageIDBeingRespondedTo=msg_id,
                                   AffectedSOPClassUID=sop_class or None,
                                   AffectedSOPInstanceUID=sop_inst or None,
                                   CommandDataSetType=dimse.NO_DATASET, Status=status)
        assoc.send_command(ctx.context_id, rsp)

    def _open_temp(self) -> AtomicFile:
        try:
            return AtomicFile(self.base, durable=self.settings.durable)
        except FileNotFoundError:
            os.makedirs(self.base, exist_ok=True)  # output directory deleted after start-up
            return AtomicFile(self.base, durable=self.settings.durable)

    def _receive_and_store(self, assoc, ctx, command, sop_class, sop_inst) -> int:
        ts = ctx.transfer_syntax
        bit_preserving = self.settings.mode is StorageMode.BIT_PRESERVING
        try:
            out = self._open_temp()
        except OSError as exc:
            log.error("cannot store received object: %s: %s", self.base, describe_os_error(exc))
            assoc.receive_dataset(ctx.context_id, None)
            return dimse.REFUSED_OUT_OF_RESOURCES
        try:
            meta = file_meta_bytes(sop_class, sop_inst, ts, source_ae=assoc.calling_ae if bit_preserving else None)
            write_failed: list[OSError] = []
            try:
                out.write(meta)
            except OSError as exc:  # e.g. disk full: still read the dataset, then answer failure
                write_failed.append(exc)

            chunks: list[bytes] = []  # the first chunk, kept to check a one-chunk dataset in memory

            def sink(mv, _write=out.write):
                if not chunks and not bit_preserving:
                    chunks.append(bytes(mv))
                else:
                    chunks.append(b"")
                if not write_failed:
                    try:
                        _write(mv)
                    except OSError as exc:  # keep reading the dataset, answer failure after
                        write_failed.append(exc)

            nbytes = assoc.receive_dataset(ctx.context_id, sink)
        except AssociationError:
            out.discard()
            raise
        except BaseException:
            out.discard()
            raise
        try:
            if write_failed:
                raise write_failed[0]
            if nbytes == 0:
                log.error("cannot store received object: empty dataset")
                out.discard()
                return dimse.CANNOT_UNDERSTAND
            series_date = None
            if bit_preserving or self.settings.encoding.is_default:
                out.start_flush()  # these bytes are the file: the disk works while they are checked
            if not bit_preserving:
                try:
                    values = self._check_dataset(out, len(meta), ts, chunks[0] if len(chunks) == 1 else None)
                except DatasetStructureError as exc:
                    log.error("cannot store received object: invalid dataset: %s", exc)
                    out.discard()
                    return dimse.CANNOT_UNDERSTAND
                series_date = values.get(TAG_SERIES_DATE)
                if not sop_class:
                    sop_class = _ui(values.get(TAG_SOP_CLASS))
                if not sop_inst:
                    sop_inst = _ui(values.get(TAG_SOP_INSTANCE))
            meta_len = len(meta)
            if not bit_preserving and not self.settings.encoding.is_default:
                try:
                    out, ts, meta_len = self._reencode(out, meta_len, ts, sop_class, sop_inst)
                except DatasetStructureError as exc:
                    log.error("cannot store received object: invalid dataset: %s", exc)
                    return dimse.CANNOT_UNDERSTAND
                except EncodingError as exc:
                    log.error("cannot store received object: %s", exc)
                    return dimse.REFUSED_OUT_OF_RESOURCES
            status = self._publish(assoc, out, sop_class, sop_inst, ts, series_date, meta_len)
            return status
        except OSError as exc:
            log.error("cannot store received object: %s: %s", out.temp_path, describe_os_error(exc))
            out.discard()
            return dimse.REFUSED_OUT_OF_RESOURCES

    def _check_dataset(self, out: AtomicFile, offset: int, ts: str, received: bytes | None) -> dict[int, bytes]:
        """Walk the dataset's element structure; from ``received`` if the whole dataset is there
        (one chunk), else from the file just written."""
        wanted = {TAG_SERIES_DATE, TAG_SOP_CLASS, TAG_SOP_INSTANCE}
        if ts in DEFLATED:
            return {}
        if received is not None:
            return scan_dataset(received, 0, implicit=(ts == IMPLICIT_LE), little_endian=(ts != EXPLICIT_BE),
                                wanted=wanted)
        with open(out.temp_path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size - offset <= 0:
                raise DatasetStructureError("empty dataset")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return scan_dataset(mm, offset, implicit=(ts == IMPLICIT_LE),
                                    little_endian=(ts != EXPLICIT_BE), wanted=wanted)

    def _reencode(self, received: AtomicFile, offset: int, ts: str, sop_class: str,
                  sop_inst: str) -> tuple[AtomicFile, str, int]:
        """Write the received data set again, as ``settings.encoding`` says, into a new file;
        the received one is discarded either way."""
        try:
            written = self._open_temp()
            try:
                result = reencode(received.temp_path, offset, ts, self.settings.encoding, written,
                                  sop_class_uid=sop_class, sop_instance_uid=sop_inst)
            except BaseException:
                written.discard()
                raise
        finally:
            received.discard()
        return written, result.transfer_syntax_uid, result.dataset_offset

    def _publish(self, assoc, out: AtomicFile, sop_class, sop_inst, ts, series_date, meta_len) -> int:
        layout = self.settings.layout
        rel_dir = self.namer.subdirectory(series_date.decode("ascii", "replace") if series_date else None)
        if rel_dir:
            target_dir = ensure_inside(self.base, rel_dir)
            try:
                os.makedirs(target_dir, exist_ok=True)
            except OSError as exc:
                # DCMTK creates one level at a time, so a file in the way fails mkdir with EEXIST
                reason = "File exists" if exc.errno == errno.ENOTDIR else describe_os_error(exc)
                log.error("cannot create directory for received object: %s/%s: Cannot create directory: %s",
                          self.base, rel_dir, reason)
                out.discard()
                return dimse.REFUSED_OUT_OF_RESOURCES
        overwrite = layout.scheme.overwrites
        for _attempt in range(1024):
            name = self.namer.filename(sop_class, sop_inst)
            rel = f"{rel_dir}/{name}" if rel_dir else name
            final = ensure_inside(self.base, rel)
            display = self.namer.display_path(rel)
            log.debug("generated filename for received object: %s", display)
            if overwrite and os.path.exists(final):
                log.warning("file already exists, overwriting: %s", display)
            try:
                out.commit(final, overwrite=overwrite)
                break
            except FileExistsError:
                continue
        else:
            log.error("cannot store received object: no unique file name found in %s", self.base)
            out.discard()
            return dimse.REFUSED_OUT_OF_RESOURCES
        log.info("Stored received object to file: %s", display)
        stored = StoredInstance(str(final), sop_class, sop_inst, ts, out.size, assoc.calling_ae,
                                assoc.called_ae, meta_len)
        try:
            self.instance_stored(stored)
        except StoreFailure as exc:
            log.error("cannot store received object: %s", exc)
            try:
                os.unlink(final)
            except OSError:
                pass
            return exc.status
        return dimse.SUCCESS


def _ui(raw: bytes | None) -> str:
    if not raw:
        return ""
    return raw.decode("ascii", "replace").rstrip("\x00 ")


def handle_echo(assoc: Association, ctx: AcceptedContext, command: dimse.Command) -> None:
    """C-ECHO SCP (PS3.4 Annex A): always Success."""
    msg_id = command.get("MessageID", 0)
    log.info("Received C-ECHO Request (MsgID %d)", msg_id)
    if command.has_dataset:
        assoc.receive_dataset(ctx.context_id, None)
    log.info("Sending C-ECHO Response (Success)")
    assoc.send_command(ctx.context_id, dimse.encode_command(
        CommandField=dimse.C_ECHO_RSP, MessageIDBeingRespondedTo=msg_id,
        AffectedSOPClassUID=command.get("AffectedSOPClassUID") or "1.2.840.10008.1.1",
        CommandDataSetType=dimse.NO_DATASET, Status=dimse.SUCCESS))
