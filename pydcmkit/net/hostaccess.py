"""Host access control by TCP wrapper rules (``hosts_access(5)``), as DCMTK's ``+ac`` applies them.

Access is granted when a ``daemon: client`` rule of ``/etc/hosts.allow`` matches, denied when one
of ``/etc/hosts.deny`` matches, granted otherwise; the first matching rule of each file decides.
Supported patterns: ``ALL``, ``LOCAL`` (a host name without a dot), ``KNOWN``/``UNKNOWN`` (the
address could/could not be resolved to a name), ``.domain`` (name suffix), ``192.168.`` (address
prefix), ``net/mask`` and ``net/prefixlen``, ``[ipv6]``, exact names and addresses
(case-insensitive), the wildcards ``*`` and ``?``, and ``EXCEPT``.  Netgroups (``@group``) and
pattern files (``/path``) never match; shell commands and options after a second ``:`` are ignored.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    daemons: tuple[str, ...]
    clients: tuple[str, ...]


def parse_rules(text: str) -> list[Rule]:
    """The rules of one hosts file (``\\``-continued lines joined, comments dropped)."""
    rules: list[Rule] = []
    logical = text.replace("\\\n", " ")
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) < 2:
            continue
        daemons = tuple(w for w in parts[0].replace(",", " ").split() if w)
        clients = tuple(w for w in parts[1].replace(",", " ").split() if w)
        if daemons and clients:
            rules.append(Rule(daemons, clients))
    return rules


def _match_list(words: tuple[str, ...], match) -> bool:
    """``a b EXCEPT c d``: one of the words before EXCEPT matches and the rest does not."""
    if "EXCEPT" in words:
        i = words.index("EXCEPT")
        return _match_list(words[:i], match) and not _match_list(words[i + 1:], match)
    return any(match(w) for w in words)


def _client_matches(pattern: str, address: str, name: str | None) -> bool:
    upper = pattern.upper()
    if upper == "ALL":
        return True
    if upper == "LOCAL":
        return name is not None and "." not in name
    if upper == "KNOWN":
        return name is not None
    if upper == "UNKNOWN":
        return name is None
    if pattern.startswith(("@", "/")):
        return False
    if pattern.startswith("[") and pattern.endswith("]"):
        pattern = pattern[1:-1]
    if "/" in pattern:
        try:
            net, mask = pattern.split("/", 1)
            network = ipaddress.ip_network(f"{net}/{mask}", strict=False)
            return ipaddress.ip_address(address) in network
        except ValueError:
            return False
    if pattern.startswith("."):
        return name is not None and name.lower().endswith(pattern.lower())
    if pattern.endswith("."):
        return address.startswith(pattern)
    if any(c in pattern for c in "*?"):
        return fnmatch.fnmatchcase(address, pattern) or (
            name is not None and fnmatch.fnmatchcase(name.lower(), pattern.lower()))
    return pattern.lower() in (address.lower(), (name or "").lower())


class HostAccess:
    """The rules of a hosts.allow / hosts.deny pair for one daemon name."""

    def __init__(self, daemon: str, allow: list[Rule], deny: list[Rule]):
        self.daemon = daemon
        self.allow = allow
        self.deny = deny

    @classmethod
    def from_files(cls, daemon: str, allow_path: str, deny_path: str) -> "HostAccess":
        def read(path: str) -> list[Rule]:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    return parse_rules(f.read())
            except OSError:
                return []
        return cls(daemon, read(allow_path), read(deny_path))

    @classmethod
    def system(cls, daemon: str) -> "HostAccess":
        """The rules of ``/etc/hosts.allow`` and ``/etc/hosts.deny`` (``PYDCMKIT_HOSTS_ALLOW`` and
        ``PYDCMKIT_HOSTS_DENY`` name other files)."""
        return cls.from_files(daemon, os.environ.get("PYDCMKIT_HOSTS_ALLOW", "/etc/hosts.allow"),
                              os.environ.get("PYDCMKIT_HOSTS_DENY", "/etc/hosts.deny"))

    def _matches(self, rules: list[Rule], address: str, name: str | None) -> bool:
        for rule in rules:
            if (_match_list(rule.daemons, lambda d: d.upper() == "ALL" or d == self.daemon)
                    and _match_list(rule.clients, lambda c: _client_matches(c, address, name))):
                return True
        return False

    def permitted(self, address: str, name: str | None = None) -> bool:
        """Whether a client at ``address`` (resolved to ``name``, or None) may connect."""
        if self._matches(self.allow, address, name):
            return True
        return not self._matches(self.deny, address, name)
