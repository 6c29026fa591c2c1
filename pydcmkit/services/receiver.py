"""A storage SCP assembled from a frozen configuration (the library side of dcmrecv).

:meth:`Receiver.start` performs DCMTK's start-up checks in DCMTK's order (dcmrecv.md §2.1):
association profile (exit 66), output directory (45), TLS (71), listening socket (64).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from ..net import dimse
from ..net.negotiation import ProfileNegotiator
from ..net.server import DicomServer, ServerSettings
from ..net.tls import TLSOptions, TLSSetupError, make_context
from ..status import AssociationConfigError, ExitCode, ToolError
from .store import StorageSCP, StoreSettings, handle_echo

log = logging.getLogger("pydcmkit.recv")


@dataclass(frozen=True)
class ReceiverConfig:
    network: ServerSettings
    store: StoreSettings
    config_file: str | None = None
    profile: str | None = None
    tls: TLSOptions | None = None
    own_ae_title: str = "DCMRECV"
    use_called_ae_title: bool = False


class Receiver:
    """dcmrecv as an object: ``start()`` (may raise :class:`ToolError`), ``serve_forever()``, ``stop()``."""

    def __init__(self, config: ReceiverConfig, storage: StorageSCP | None = None):
        self.config = config
        self.storage = storage or StorageSCP(config.store)
        self.server: DicomServer | None = None

    def start(self) -> DicomServer:
        from ..config import asconfig
        cfg = self.config
        log.info("configuring service class provider ...")
        if cfg.config_file is not None:
            try:
                profile = asconfig.load_profile(cfg.config_file, cfg.profile or "", role="scp")
            except AssociationConfigError as exc:
                raise AssociationConfigError(f"cannot load association configuration: {exc.message}",
                                             details=exc.details) from None
        else:
            log.warning("no configuration file specified, SCP will only support the Verification SOP Class")
            profile = asconfig.VERIFICATION_ONLY_PROFILE
        out = cfg.store.layout.output_dir or "."
        if not os.path.isdir(out):
            raise ToolError("cannot specify output directory: Directory does not exist",
                            ExitCode.INVALID_OUTPUT_DIRECTORY)
        if not os.access(out, os.W_OK | os.X_OK):
            raise ToolError("cannot specify output directory: Directory is not writable",
                            ExitCode.INVALID_OUTPUT_DIRECTORY)
        log.info("starting service class provider and listening ...")
        network = cfg.network
        if cfg.tls is not None:
            try:
                ssl_context = make_context(cfg.tls, server_side=True)
            except TLSSetupError as exc:
                raise ToolError(f"cannot create TLS transport layer: {exc}", ExitCode.CANNOT_CREATE_TRANSPORT_LAYER)
            from dataclasses import replace
            network = replace(network, ssl_context=ssl_context)
        server = DicomServer(network, ProfileNegotiator(profile),
                             {dimse.C_STORE_RQ: self.storage.handle, dimse.C_ECHO_RQ: handle_echo},
                             unknown_command=lambda cf: (f"cannot handle this kind of DIMSE command (0x{cf:04x}), "
                                                         "we are a Storage SCP only"))
        try:
            server.bind()
        except OSError as exc:
            raise ToolError(f"cannot start SCP and listen on port {network.port}: TCP Initialization Error: "
                            f"{exc.strerror or exc}", ExitCode.CANNOT_START_SCP_AND_LISTEN)
        self.server = server
        return server

    def serve_forever(self) -> None:
        if self.server is None:
            self.start()
        self.server.serve_forever()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
