"""Presentation context negotiation for acceptors driven by a DCMTK association profile.

The rule is DCMTK's (dcmrecv.md §3.5): a proposed context whose abstract syntax is not in the
profile is rejected with result 3; otherwise the profile's transfer syntaxes are walked in the
profile's order and the first one the requestor also proposed is accepted (the acceptor's
preference wins); no common syntax gives result 4.  SCP/SCU role selection follows DCMTK: a context is rejected
(result 2) only when the profile makes the SOP class SCP-only and the requestor asked for the
default role; a role is granted only if proposed.  Extended negotiation items of the profile are
returned for accepted SOP classes.
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
        from ..config.asconfig import RoleSpec
        results = []
        roles = {}
        for pc in rq.contexts:
            asked = rq.roles.get(pc.abstract_syntax)
            proposed_role = RoleSpec(*asked) if asked is not None else None
            result, ts = self.profile.accept(pc.abstract_syntax, list(pc.transfer_syntaxes),
                                             proposed_role=proposed_role)
            if result == P.PC_ACCEPTANCE:
                reply = self.profile.role_reply(pc.abstract_syntax, proposed_role)
                if reply is not None:
                    roles[pc.abstract_syntax] = (reply.scu, reply.scp)
            results.append(P.ContextResult(pc.context_id, result, ts, pc.abstract_syntax))
        accepted = [r.abstract_syntax for r in results if r.result == P.PC_ACCEPTANCE]
        if self.reject_if_none and not accepted:
            return Rejection(P.RJ_PERMANENT, P.RJ_SOURCE_USER, P.RJ_NO_REASON,
                             "No Acceptable Presentation Contexts\n"
                             "Refusing Association (no acceptable presentation contexts)")
        return Acceptance(tuple(results), roles, self.profile.extended_negotiation_reply(accepted))
