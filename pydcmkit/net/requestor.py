"""Association requestor: connect, propose presentation contexts, interpret the answer."""

from __future__ import annotations

import logging
import socket
import ssl
from dataclasses import dataclass, field

from . import pdu as P
from .association import (AcceptedContext, Association, AssociationAborted, ProtocolError, read_pdu,
                          set_nodelay)

log = logging.getLogger("pydcmkit.net")


class ConnectionFailed(Exception):
    """TCP (or TLS) connection could not be established."""


class AssociationRejected(Exception):
    """The peer answered A-ASSOCIATE-RJ."""

    def __init__(self, result: int, source: int, reason: int):
        super().__init__(P.reject_reason_text(result, source, reason))
        self.result, self.source, self.reason = result, source, reason


@dataclass(frozen=True)
class RequestorSettings:
    """Parameters of an A-ASSOCIATE-RQ we send.

    ``implementation_class_uid`` / ``implementation_version_name``: ``None`` announces
    pydcmkit's own (a ConQuest ``dgate`` client announces ConQuest's, dgate.md §6.1).
    """

    calling_ae: str = "DCMSEND"
    called_ae: str = "ANY-SCP"
    max_pdu: int = 16384
    max_send_pdu: int | None = None
    connect_timeout: float | None = None
    acse_timeout: float | None = 30
    dimse_timeout: float | None = None
    ssl_context: ssl.SSLContext | None = None
    server_hostname: str | None = None
    roles: dict = field(default_factory=dict)
    extended_negotiation: dict = field(default_factory=dict)
    implementation_class_uid: str | None = None
    implementation_version_name: str | None = None


def open_connection(host: str, port: int, settings: RequestorSettings) -> socket.socket:
    try:
        sock = socket.create_connection((host, port), timeout=settings.connect_timeout)
    except socket.timeout:
        raise ConnectionFailed("TCP Initialization Error: Operation timed out") from None
    except socket.gaierror as exc:
        raise ConnectionFailed(f"TCP Initialization Error: Name or service not known ({host})") from exc
    except OSError as exc:
        raise ConnectionFailed(f"TCP Initialization Error: {exc.strerror or exc}") from None
    set_nodelay(sock)
    if settings.ssl_context is not None:
        try:
            sock.settimeout(settings.acse_timeout)
            sock = settings.ssl_context.wrap_socket(sock, server_hostname=settings.server_hostname)
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise ConnectionFailed(f"TLS Error: {exc}") from None
    return sock


def request_association(host: str, port: int, contexts: list[P.ProposedContext],
                        settings: RequestorSettings) -> tuple[Association, P.AssociateAccept]:
    """Open a connection and negotiate an association (PS3.8 §7.1).

    Raises :class:`ConnectionFailed`, :class:`AssociationRejected`, or
    :class:`~pydcmkit.net.association.AssociationAborted` / ``ProtocolError``.
    The returned association's ``contexts`` holds the accepted contexts only; the
    A-ASSOCIATE-AC (with all results) is returned too.
    """
    sock = open_connection(host, port, settings)
    implementation = {}
    if settings.implementation_class_uid is not None:
        implementation["implementation_class_uid"] = settings.implementation_class_uid
    if settings.implementation_version_name is not None:
        implementation["implementation_version_name"] = settings.implementation_version_name
    rq = P.AssociateRequest(calling_ae=settings.calling_ae, called_ae=settings.called_ae,
                            contexts=tuple(contexts), max_pdu=settings.max_pdu,
                            roles=settings.roles, extended_negotiation=settings.extended_negotiation,
                            **implementation)
    rfile = sock.makefile("rb", buffering=256 * 1024)
    try:
        sock.settimeout(settings.acse_timeout)
        sock.sendall(P.encode_associate_rq(rq))
        pdu_type, data = read_pdu(rfile)
    except socket.timeout:
        sock.close()
        raise AssociationAborted("ACSE timeout while waiting for A-ASSOCIATE response") from None
    except OSError as exc:
        sock.close()
        raise AssociationAborted(f"connection lost: {exc}") from None
    except (AssociationAborted, ProtocolError):
        sock.close()
        raise
    if pdu_type == P.A_ASSOCIATE_RJ:
        sock.close()
        raise AssociationRejected(data[7], data[8], data[9])
    if pdu_type != P.A_ASSOCIATE_AC:
        sock.close()
        if pdu_type == P.A_ABORT:
            raise AssociationAborted("peer aborted during association negotiation")
        raise ProtocolError(f"unexpected PDU type 0x{pdu_type:02x} in answer to A-ASSOCIATE-RQ")
    ac = P.decode_associate_ac(data)
    by_id = {pc.context_id: pc for pc in contexts}
    accepted: dict[int, AcceptedContext] = {}
    results = []
    for cr in ac.contexts:
        proposed = by_id.get(cr.context_id)
        if proposed is None:
            continue
        results.append(P.ContextResult(cr.context_id, cr.result, cr.transfer_syntax, proposed.abstract_syntax))
        if cr.result == P.PC_ACCEPTANCE and cr.transfer_syntax:
            scu, scp = True, False
            asked = settings.roles.get(proposed.abstract_syntax)
            if asked is not None:
                got = ac.roles.get(proposed.abstract_syntax)
                scu, scp = (asked[0] and got[0], asked[1] and got[1]) if got else (True, False)
            accepted[cr.context_id] = AcceptedContext(cr.context_id, proposed.abstract_syntax,
                                                      cr.transfer_syntax, scu, scp)
    ac = P.AssociateAccept(ac.calling_ae, ac.called_ae, tuple(results), ac.max_pdu, ac.application_context,
                           ac.implementation_class_uid, ac.implementation_version_name, ac.roles,
                           ac.extended_negotiation)
    assoc = Association(sock, contexts=accepted, peer_max_pdu=ac.max_pdu, calling_ae=settings.calling_ae,
                        called_ae=settings.called_ae, peer_address=(host, port),
                        dimse_timeout=settings.dimse_timeout, max_send_pdu=settings.max_send_pdu,
                        rfile=rfile, request=rq, accept=ac)
    return assoc, ac
