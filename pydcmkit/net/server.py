"""Association acceptor: a listening server that serves several associations at once.

Each association runs in its own thread, up to ``max_associations``; further requests are
rejected (transient, service provider presentation related, local limit exceeded).  With
``processes`` > 1 the server pre-forks that many worker processes which accept on the shared
listening socket, so that associations are served on several cores (one Python process is bound
to one core by the GIL); the bound is then shared out between the workers.  A graceful
:meth:`DicomServer.shutdown` stops accepting, lets every message in flight finish and be
answered, then closes the remaining (idle) associations.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from . import dimse, pdu as P
from .association import (AcceptedContext, Association, AssociationAborted, AssociationError,
                          AssociationReleased, DimseTimeout, ProtocolError, read_pdu, set_nodelay)

log = logging.getLogger("pydcmkit.net")

#: connections beyond the association bound that a server still reads (see DicomServer._serve_loop)
CONNECTION_ALLOWANCE = 64


@dataclass(frozen=True)
class ServerSettings:
    """Network settings of an acceptor (the DCMTK network option group)."""

    port: int
    bind_address: str = ""
    ae_title: str = "ANY-SCP"
    max_pdu: int = 16384
    acse_timeout: float | None = 30
    dimse_timeout: float | None = None
    max_associations: int = 16
    host_lookup: bool = True
    ssl_context: ssl.SSLContext | None = None
    verbose_pc: bool = False
    processes: int = 1
    sequential: bool = False  # serve one association at a time in the accepting thread (dcmqrscp -s)
    max_command_length: int | None = None  # bound on a command set (None: the library's 64 KiB)


@dataclass(frozen=True)
class Rejection:
    result: int
    source: int
    reason: int
    log_text: str = ""
    stop_server: bool = False  # stop serving after sending this rejection (dcmqrscp's shutdown SOP class)


@dataclass(frozen=True)
class Acceptance:
    contexts: tuple[P.ContextResult, ...]
    roles: dict
    extended_negotiation: dict


class Negotiator(Protocol):
    """Decides A-ASSOCIATE-RQs.  Optional methods: ``screen(rq, peer) -> Rejection | None``, checks
    made before the concurrency bound (access rules); ``ended(assoc)``, told when an accepted
    association is over."""

    def negotiate(self, rq: P.AssociateRequest, peer: "PeerInfo") -> Acceptance | Rejection: ...


@dataclass(frozen=True)
class PeerInfo:
    address: str
    port: int
    host_name: str


Handler = Callable[[Association, AcceptedContext, dimse.Command], None]


class DicomServer:
    """A DICOM acceptor serving DIMSE requests with per-command-field handlers.

    Parameters
    ----------
    settings : ServerSettings
    negotiator : Negotiator
        Decides each A-ASSOCIATE-RQ.
    handlers : dict[int, Handler]
        Command Field (``dimse.C_STORE_RQ`` ...) -> handler.  A handler reads the dataset (if
        any) from the association and sends the response(s).
    unknown_command : callable(int) -> str
        Error text logged before aborting on a command without handler.
    """

    def __init__(self, settings: ServerSettings, negotiator: Negotiator, handlers: dict[int, Handler],
                 unknown_command: Callable[[int], str] | None = None):
        self.settings = settings
        self.negotiator = negotiator
        self.handlers = handlers
        self.unknown_command = unknown_command or (
            lambda cf: f"cannot handle this kind of DIMSE command (0x{cf:04x})")
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._active: dict[int, tuple[threading.Thread, dict]] = {}
        per_process = -(-max(1, settings.max_associations) // max(1, settings.processes))
        self._slots = threading.BoundedSemaphore(per_process)
        #: connections served at once, associated or not: the association bound plus room for the
        #: peers that are still negotiating or are to be rejected with "local limit exceeded"
        self._connection_cap = per_process + CONNECTION_ALLOWANCE
        self._workers: list[int] = []
        self._parent: int | None = None
        self.associations_served = 0

    # -- lifecycle ------------------------------------------------------------------------
    def bind(self) -> None:
        """Create the listening socket (raises ``OSError`` if the port cannot be bound)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.settings.bind_address, self.settings.port))
            sock.listen(64)
        except OSError:
            sock.close()
            raise
        sock.settimeout(0.2)
        self._listener = sock

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1] if self._listener else self.settings.port

    def serve_forever(self) -> None:
        if self._listener is None:
            self.bind()
        if self.settings.processes > 1:
            self._serve_with_workers()
            return
        self._serve_loop()

    def _serve_with_workers(self) -> None:
        """Fork the workers, then wait for them; :meth:`shutdown` is passed on as SIGTERM."""
        import os
        import signal
        import time
        for _ in range(self.settings.processes):
            pid = os.fork()
            if pid == 0:  # worker: serve on the inherited socket, never return into the caller
                self._parent = os.getppid()
                code = 0
                try:
                    self._serve_loop()
                except BaseException:  # noqa: BLE001
                    log.exception("worker %d failed", os.getpid())
                    code = 1
                finally:
                    for handler in logging.getLogger("pydcmkit").handlers:
                        handler.flush()
                    os._exit(code)
            self._workers.append(pid)
        self._listener.close()
        signalled = False
        while self._workers:
            if self._stopping.is_set() and not signalled:
                for pid in self._workers:
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                signalled = True
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self._workers.remove(pid)
            else:
                time.sleep(0.1)

    def _serve_loop(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    conn, addr = self._listener.accept()
                except socket.timeout:
                    continue
                except OSError:
                    if self._stopping.is_set():
                        break
                    raise
                with self._lock:
                    open_connections = len(self._active)
                if open_connections >= self._connection_cap:
                    # a flood of connections that do not associate: each would hold a thread until
                    # the ACSE timeout; beyond the bound they are closed at once
                    log.warning("closing a connection from %s: %d connections are open", addr[0],
                                open_connections)
                    conn.close()
                    continue
                conn.settimeout(None)
                set_nodelay(conn)
                state = {"assoc": None}
                if self.settings.sequential:
                    with self._lock:
                        self._active[id(threading.current_thread())] = (threading.current_thread(), state)
                    self._serve_connection(conn, addr, state)
                    continue
                t = threading.Thread(target=self._serve_connection, args=(conn, addr, state),
                                     name=f"assoc-{addr[0]}:{addr[1]}", daemon=True)
                with self._lock:
                    self._active[id(t)] = (t, state)
                t.start()
        finally:
            try:
                self._listener.close()
            except OSError:
                pass
            self._finish_active()

    def shutdown(self) -> None:
        """Stop accepting; in-flight messages finish, idle associations are closed."""
        self._stopping.set()
        self._close_idle()

    def _close_idle(self) -> None:
        with self._lock:
            states = [s for _t, s in self._active.values()]
        for state in states:
            assoc = state.get("assoc")
            if assoc is not None and getattr(assoc, "idle", False):
                assoc.abort()

    def _finish_active(self, grace: float = 60.0) -> None:
        import time
        deadline = time.monotonic() + grace
        while True:
            self._close_idle()
            with self._lock:
                threads = [t for t, _s in self._active.values()]
            if not threads:
                return
            if time.monotonic() > deadline:
                with self._lock:
                    for _t, s in self._active.values():
                        if s.get("assoc") is not None:
                            s["assoc"].abort()
                return
            threads[0].join(0.1)

    # -- one connection -------------------------------------------------------------------
    def _peer_info(self, addr) -> PeerInfo:
        host = addr[0]
        if self.settings.host_lookup:
            try:
                host = socket.gethostbyaddr(addr[0])[0]
            except OSError:
                host = addr[0]
        return PeerInfo(addr[0], addr[1], host)

    def _tls_handshake(self, conn: socket.socket) -> ssl.SSLSocket:
        """The server side of the TLS handshake, all of it within the ACSE timeout (one deadline,
        as for the association request: a peer trickling its ClientHello cannot hold the
        connection).  Raises ``socket.timeout`` (an OSError) when the time is up."""
        timeout = self.settings.acse_timeout
        tls = self.settings.ssl_context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        deadline = None if timeout is None else time.monotonic() + timeout
        tls.setblocking(False)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                wait = select.select
                readable, writable = [tls], []
            except ssl.SSLWantWriteError:
                wait = select.select
                readable, writable = [], [tls]
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                tls.close()
                raise socket.timeout("TLS handshake not complete within the ACSE timeout")
            wait(readable, writable, [], remaining)
        tls.setblocking(True)
        tls.settimeout(timeout)
        return tls

    def _serve_connection(self, conn: socket.socket, addr, state: dict) -> None:
        slot = self._slots.acquire(blocking=False)
        try:
            if self.settings.ssl_context is not None:
                try:
                    conn = self._tls_handshake(conn)
                except (ssl.SSLError, OSError) as exc:
                    log.error("TLS handshake with %s failed: %s", addr[0], exc)
                    conn.close()
                    return
            assoc = self._establish(conn, addr, over_limit=not slot)
            if assoc is None:
                return
            state["assoc"] = assoc
            self.associations_served += 1
            try:
                self._serve_association(assoc)
            finally:
                try:
                    ended = getattr(self.negotiator, "ended", None)
                    if ended is not None:
                        ended(assoc)
                finally:
                    # a peer that closed its side leaves our socket open; the accept loop still
                    # references it until the next connection, so close it here (no-op if closed)
                    assoc.abort()
        except Exception:  # never let one connection take the server down
            log.exception("unexpected error while serving %s", addr[0])
            if state.get("assoc") is not None:
                state["assoc"].abort()  # the buffered reader keeps the socket open: close() alone would not
            try:
                conn.close()
            except OSError:
                pass
        finally:
            if slot:
                self._slots.release()
            with self._lock:
                self._active.pop(id(threading.current_thread()), None)

    def _establish(self, conn: socket.socket, addr, over_limit: bool) -> Association | None:
        rfile = conn.makefile("rb", buffering=256 * 1024)
        conn.settimeout(self.settings.acse_timeout)
        try:
            pdu_type, data = read_pdu(rfile, sock=conn, timeout=self.settings.acse_timeout)
        except socket.timeout:
            log.info("ACSE timeout: no A-ASSOCIATE-RQ from %s, closing connection", addr[0])
            conn.close()
            return None
        except (AssociationError, OSError) as exc:
            log.info("connection from %s closed during association negotiation: %s", addr[0], exc)
            try:
                conn.sendall(P.encode_abort(2, 0))
            except OSError:
                pass
            conn.close()
            return None
        if pdu_type != P.A_ASSOCIATE_RQ:
            log.warning("expected A-ASSOCIATE-RQ from %s, got PDU type 0x%02x: aborting", addr[0], pdu_type)
            self._send_close(conn, P.encode_abort(2, 0))
            return None
        try:
            rq = P.decode_associate_rq(data)
        except P.PDUError as exc:
            log.warning("invalid A-ASSOCIATE-RQ from %s: %s", addr[0], exc)
            self._send_close(conn, P.encode_abort(2, 0))
            return None
        peer = self._peer_info(addr)
        log.info("Association Received %s: %s -> %s", peer.host_name, rq.calling_ae, rq.called_ae)
        if self.settings.verbose_pc:
            log.info("%s", dump_request(rq))
        else:
            log.debug("%s", dump_request(rq))
        screen = getattr(self.negotiator, "screen", None)
        decision = screen(rq, peer) if screen is not None else None
        if decision is not None:
            self._reject(conn, decision)
            return None
        if over_limit or self._stopping.is_set():
            log.info("Refusing Association (too many associations)")
            self._send_close(conn, P.encode_associate_rj(P.RJ_TRANSIENT, P.RJ_SOURCE_PRESENTATION,
                                                         P.RJ_LOCAL_LIMIT_EXCEEDED))
            return None
        if rq.application_context != P.APPLICATION_CONTEXT:
            log.info("Refusing Association (bad application context)")
            self._send_close(conn, P.encode_associate_rj(P.RJ_TRANSIENT, P.RJ_SOURCE_USER,
                                                         P.RJ_APPLICATION_CONTEXT_NOT_SUPPORTED))
            return None
        decision = self.negotiator.negotiate(rq, peer)
        if isinstance(decision, Rejection):
            self._reject(conn, decision)
            return None
        ac = P.AssociateAccept(calling_ae=rq.calling_ae, called_ae=rq.called_ae, contexts=decision.contexts,
                               max_pdu=self.settings.max_pdu, roles=decision.roles,
                               extended_negotiation=decision.extended_negotiation)
        try:
            conn.sendall(P.encode_associate_ac(ac))
        except OSError as exc:
            log.info("connection lost while accepting association: %s", exc)
            conn.close()
            return None
        proposed = {pc.context_id: pc for pc in rq.contexts}
        contexts = {}
        for cr in decision.contexts:
            if cr.result == P.PC_ACCEPTANCE:
                ab = proposed[cr.context_id].abstract_syntax
                role = rq.roles.get(ab)
                granted = decision.roles.get(ab)
                scu, scp = True, False
                if role is not None and granted is not None:
                    scu, scp = role[0] and granted[0], role[1] and granted[1]
                contexts[cr.context_id] = AcceptedContext(cr.context_id, ab, cr.transfer_syntax, scu, scp)
        assoc = Association(conn, contexts=contexts, peer_max_pdu=rq.max_pdu, calling_ae=rq.calling_ae,
                            called_ae=rq.called_ae, peer_address=(addr[0], addr[1]),
                            dimse_timeout=self.settings.dimse_timeout, rfile=rfile, request=rq, accept=ac)
        assoc.peer = peer
        if self.settings.max_command_length:
            assoc.max_command_length = self.settings.max_command_length
        log.info("Association Acknowledged (Max Send PDV: %d)", assoc.max_pdv)
        if self.settings.verbose_pc:
            log.info("%s", dump_accept(ac, proposed))
        else:
            log.debug("%s", dump_accept(ac, proposed))
        return assoc

    def _reject(self, conn: socket.socket, decision: Rejection) -> None:
        if decision.log_text:
            log.info("%s", decision.log_text)
        self._send_close(conn, P.encode_associate_rj(decision.result, decision.source, decision.reason))
        if decision.stop_server:
            self._stopping.set()
            if self._parent is not None:  # a worker: the main process stops the other workers
                import os
                import signal
                os.kill(self._parent, signal.SIGTERM)

    @staticmethod
    def _send_close(conn: socket.socket, data: bytes) -> None:
        try:
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(1)
            conn.recv(64)
        except OSError:
            pass
        conn.close()

    def _serve_association(self, assoc: Association) -> None:
        while True:
            if self._stopping.is_set():
                assoc.abort()
                return
            try:
                assoc.idle = True
                ctx_id, command = assoc.receive_command()
                assoc.idle = False
            except AssociationReleased:
                log.info("Received Association Release Request")
                return
            except DimseTimeout:
                log.info("DIMSE timeout: aborting association")
                return
            except ProtocolError as exc:
                log.error("protocol error: %s, aborting association", exc)
                return
            except AssociationAborted as exc:
                if not self._stopping.is_set():
                    log.info("Received Association Abort Request" if "aborted" in str(exc) else
                             f"Association terminated: {exc}")
                return
            handler = self.handlers.get(command.command_field)
            if handler is None and command.command_field == dimse.C_CANCEL_RQ:
                # a C-CANCEL for an operation that has already ended is ignored (PS3.7 §9.3.2.3)
                log.debug("ignoring C-CANCEL-RQ for MsgID %s", command.get("MessageIDBeingRespondedTo"))
                continue
            if handler is None:
                log.error("%s", self.unknown_command(command.command_field))
                assoc.abort()
                return
            try:
                handler(assoc, assoc.contexts[ctx_id], command)
            except AssociationReleased:
                log.info("Received Association Release Request")
                return
            except AssociationError as exc:
                log.info("Association terminated: %s", exc)
                assoc.abort()
                return


def dump_request(rq: P.AssociateRequest, ours: bool = False) -> str:
    """A-ASSOCIATE-RQ parameters in the shape of DCMTK's ``ASC_dumpParameters``.

    ``ours``: the request is our own (requestor side), else the peer's.
    """
    from .. import uids
    who = "Our" if ours else "Their"
    lines = ["Request Parameters:",
             "====================== BEGIN A-ASSOCIATE-RQ =====================",
             f"{who} Implementation Class UID:    {rq.implementation_class_uid}",
             f"{who} Implementation Version Name: {rq.implementation_version_name or ''}",
             f"Application Context Name:    {rq.application_context}",
             f"Calling Application Name:    {rq.calling_ae}",
             f"Called Application Name:     {rq.called_ae}",
             f"Requested Max PDU:           {rq.max_pdu}",
             "Presentation Contexts:"]
    for pc in rq.contexts:
        lines.append(f"  Context ID:        {pc.context_id} (Proposed)")
        lines.append(f"    Abstract Syntax: ={_name(uids.sop_class_name, pc.abstract_syntax)}")
        role = rq.roles.get(pc.abstract_syntax)
        lines.append("    Proposed SCP/SCU Role: " + ("Default" if role is None else
                     {(True, False): "SCU", (False, True): "SCP", (True, True): "SCP/SCU"}.get(role, "Default")))
        lines.append("    Proposed Transfer Syntax(es):")
        for ts in pc.transfer_syntaxes:
            lines.append(f"      ={_name(uids.ts_long_name, ts)}")
    lines.append("======================= END A-ASSOCIATE-RQ ======================")
    return "\n".join(lines)


def dump_accept(ac: P.AssociateAccept, proposed: dict) -> str:
    from .. import uids
    lines = ["Association Parameters Negotiated:",
             "====================== BEGIN A-ASSOCIATE-AC =====================",
             f"Responding Application Name: {ac.called_ae}",
             f"Our Max PDU Receive Size:    {ac.max_pdu}",
             "Presentation Contexts:"]
    for cr in ac.contexts:
        pc = proposed.get(cr.context_id)
        lines.append(f"  Context ID:        {cr.context_id} ({P.PC_RESULT_TEXT.get(cr.result, cr.result)})")
        if pc is not None:
            lines.append(f"    Abstract Syntax: ={_name(uids.sop_class_name, pc.abstract_syntax)}")
        if cr.result == P.PC_ACCEPTANCE:
            lines.append("    Accepted Transfer Syntax:")
            lines.append(f"      ={_name(uids.ts_long_name, cr.transfer_syntax)}")
    lines.append("======================= END A-ASSOCIATE-AC ======================")
    return "\n".join(lines)


def _name(fn, uid):
    try:
        name = fn(uid)
    except Exception:
        name = None
    return name or uid
