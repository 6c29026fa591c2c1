"""Presentation context negotiation for acceptors driven by a DCMTK association profile.

The rule is DCMTK's (dcmrecv.md §3.5): a proposed context whose abstract syntax is not in the
profile is rejected with result 3; otherwise the profile's transfer syntaxes are walked in the
profile's order and the first one the requestor also proposed is accepted (the acceptor's
preference wins); no common syntax gives result 4.  SCP/SCU role selection items are answered
from the profile's role list; extended negotiation items are returned for accepted SOP classes.
"""

from __future__ import annotations

from . import pdu as P
from .server import Acceptance, PeerInfo, Rejection


class ProfileNegotiator:
    """Negotiates with an :class:`~pydcmkit.config.asconfig.AssociationProfile`.

    If no context is acceptable the association is rejected (permanent, service user, no
    reason), as DCMTK's ``DcmSCP`` does, after logging ``No Acceptable Presentation Contexts``.
    """

    def __init__(self, profile, reject_if_none: bool = True):
        self.profile = profile
        self.reject_if_none = reject_if_none

    def negotiate(self, rq: P.AssociateRequest, peer: PeerInfo) -> Acceptance | Rejection:
        results = []
        roles = {}
        ext = {}
        profile_roles = getattr(self.profile, "roles", {}) or {}
        profile_ext = getattr(self.profile, "extended_negotiation", {}) or {}
        for pc in rq.contexts:
            result, ts = self.profile.accept(pc.abstract_syntax, list(pc.transfer_syntaxes))
            requested_role = rq.roles.get(pc.abstract_syntax)
            if result == P.PC_ACCEPTANCE and requested_role is not None:
                spec = profile_roles.get(pc.abstract_syntax)
                if spec is not None:
                    scu = requested_role[0] and spec.scu
                    scp = requested_role[1] and spec.scp
                    if not (scu or scp):
                        result, ts = P.PC_NO_REASON, None
                    else:
                        roles[pc.abstract_syntax] = (scu, scp)
            if result == P.PC_ACCEPTANCE and pc.abstract_syntax in profile_ext:
                ext[pc.abstract_syntax] = profile_ext[pc.abstract_syntax]
            results.append(P.ContextResult(pc.context_id, result, ts, pc.abstract_syntax))
        if self.reject_if_none and not any(r.result == P.PC_ACCEPTANCE for r in results):
            return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_NO_REASON,
                             "No Acceptable Presentation Contexts\n"
                             "Refusing Association (no acceptable presentation contexts)")
        return Acceptance(tuple(results), roles, ext)
