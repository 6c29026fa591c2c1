"""DCMTK association negotiation profile files (``-xf file profile``), read exactly as DCMTK 3.6.7.

The format is DCMTK's ``asconfig.txt`` (dcmrecv.md §3), shared by storescp, storescu, dcmrecv and
dcmqrscp; Debian ships ``/etc/dcmtk/storescp.cfg`` and ``/etc/dcmtk/storescu.cfg``.  This module
follows DCMTK's code path by path:

* the lexer is ``OFConfigFile`` (ofstd/libsrc/ofconfig.cc), ported character by character: ``#``
  comments in column 1, ``[[Supersection]]`` / ``[Section]`` / ``Key = Value``, section names and keys
  upper-cased with every character but ``A-Z 0-9 - _`` dropped, values running to the end of the line
  and continued by lines that start with a blank, trailing blanks kept, entries outside a section
  dropped, the first of two equal supersections or keys winning;
* the reader is ``DcmAssociationConfigurationFile`` (dcmnet/libsrc/dcasccff.cc) and the maps behind
  ``DcmAssociationConfiguration`` (dcasccfg.cc, dccf*.cc): numbered keys read until the first
  missing number, symbolic UIDs resolved like ``DcmUIDHandler``, references mangled by upper-casing
  and removing whitespace only, at most 128 presentation contexts per list, role and extended
  negotiation lists checked against the profile's presentation contexts -- and every error text is
  DCMTK's (verified against DCMTK 3.6.7's dcmrecv);
* profile selection is ``DcmSCPConfig::setAndCheckAssociationProfile`` (dcmnet/libsrc/scpcfg.cc).

Errors raise :class:`AssociationConfigError` subclasses (exit 66): ``message`` is the reason of the
``F: cannot load association configuration: <reason>`` line, ``details`` the ``E:`` lines before it,
with the line number of the offending entry appended where there is one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from .. import uids
from ..status import AssociationConfigError

__all__ = [
    "AssociationConfig",
    "AssociationConfigError",
    "AssociationProfile",
    "ContextSpec",
    "ProfileFileError",
    "ProfileSelectionError",
    "RoleSpec",
    "VERIFICATION_ONLY_PROFILE",
    "load_config",
    "load_profile",
    "mangle_profile_name",
    "parse_config",
]

#: Presentation context results (PS3.8 9.3.3.2) as DCMTK's acceptor answers them.
PC_ACCEPTANCE = 0
PC_NO_REASON = 2
PC_ABSTRACT_SYNTAX_NOT_SUPPORTED = 3
PC_TRANSFER_SYNTAXES_NOT_SUPPORTED = 4

MAX_CONTEXTS_PER_LIST = 128
_MAX_EXT_NEG_HEX = 2048  # DCMTK rejects len(value) - separator > 2048, i.e. more than 1023 bytes

INVALID_SCP_PROFILE = "Invalid or non-existing SCP Association Profile"
_ILLEGAL_CALL = "Illegal call, perhaps wrong parameters"  # DCMTK's EC_IllegalCall
_C_ISSPACE = " \t\n\v\f\r"


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


class ProfileFileError(AssociationConfigError):
    """The profile file cannot be read or is invalid (``DcmAssociationConfigurationFile``).

    ``reason`` is DCMTK's text, ``line`` the 1-based line of the offending entry or section (None
    when the problem has no place, e.g. a missing supersection or an unreadable file).
    """

    def __init__(self, file: str, reason: str, line: int | None = None):
        where = f" (line {line})" if line is not None else ""
        super().__init__(reason, details=(f"Unable to parse association configuration file: {file}: {reason}{where}",))
        self.file = file
        self.reason = reason
        self.line = line


class ProfileSelectionError(AssociationConfigError):
    """The profile named on the command line is unknown, or not usable by an SCP.

    ``problem`` is ``"unknown"`` or ``"not_scp"``; ``profile`` the name as given, ``profile_key``
    its mangled form (upper case, whitespace removed), which other tools (storescu, dcmqrscp) print.
    """

    def __init__(self, profile: str, profile_key: str, problem: Literal["unknown", "not_scp"],
                 line: int | None = None):
        if problem == "unknown":
            detail = (f'No association profile named "{profile}" in association configuration, '
                      "did you forget to add presentation contexts?")
        else:
            detail = f'The association profile named "{profile}" is not a valid SCP association profile'
            if line is not None:
                detail += f" (line {line})"
        super().__init__(INVALID_SCP_PROFILE, details=(detail,))
        self.profile = profile
        self.profile_key = profile_key
        self.problem = problem
        self.line = line


class _ConfigError(Exception):
    """Internal: a DCMTK condition text plus the line it belongs to."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line


# ------------------------------------------------------------------------------------------------
# Lexer: OFConfigFile with maxLevel 2, comment character '#', unordered mode
# ------------------------------------------------------------------------------------------------


@dataclass
class _Node:
    keyword: str
    line: int
    value: str = ""
    children: list[_Node] = field(default_factory=list)


class _OFConfigFile:
    """A character-by-character port of ``OFConfigFile``'s reader (``read_char``,
    ``read_keywordchar``, ``read_entry``, ``OFConfigFileCursor::insert``)."""

    _KEYWORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    _MAX_LEVEL = 2

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.eof = False
        self.isnewline = True
        self.crfound = False
        self.line = 1
        self.roots: list[_Node] = []
        # cursor: array_[level], the last node inserted on each level
        self.cursor: list[_Node | None] = [None, None, None]
        while not self.eof:
            self._read_entry()

    def _getc(self) -> str | None:
        if self.pos >= len(self.text):
            self.eof = True
            return None
        c = self.text[self.pos]
        self.pos += 1
        return c

    def _ungetc(self) -> None:
        # the char pushed back is always the last (regular) character read
        self.pos -= 1

    def _read_char(self) -> str | None:
        commentmode = False
        while True:
            c = self._getc()
            if c is None:
                return None
            if c == "\n" and self.crfound and self.isnewline:
                self.crfound = False
                continue
            if c in "\n\r":
                self.isnewline = True
                self.crfound = c == "\r"
                self.line += 1
                if commentmode:
                    commentmode = False
                    continue
                return "\n"
            if c == "#" and self.isnewline:
                commentmode = True
                self.isnewline = False
                continue
            if not commentmode:
                self.isnewline = False
                return " " if c == "\0" else c

    def _read_keywordchar(self) -> str | None:
        c: str | None = None
        while not self.eof:
            c = self._read_char()
            if c is not None and c not in " \t\n":
                break
        if c is not None and "a" <= c <= "z":
            c = c.upper()
        return c

    def _read_entry(self) -> None:
        c = self._read_keywordchar()
        if self.eof:
            return
        line = self.line
        keyword: list[str] = []
        level = 0
        if c == "[":
            level = 1
            while True:
                c = self._read_keywordchar()
                valid = not self.eof
                if valid and c == "[":
                    level += 1
                else:
                    break
            if valid:
                self._ungetc()
                while True:
                    c = self._read_keywordchar()
                    valid = not self.eof
                    if not valid:
                        break
                    if c in self._KEYWORD_CHARS:
                        keyword.append(c)
                    elif c == "]":
                        break
            if valid:
                declevel = level - 1
                while declevel != 0:
                    c = self._read_keywordchar()
                    if self.eof:
                        break
                    if c == "]":
                        declevel -= 1
            level = min(level, self._MAX_LEVEL)
        else:
            self._ungetc()
            while True:
                c = self._read_keywordchar()
                if self.eof:
                    break
                if c in self._KEYWORD_CHARS:
                    keyword.append(c)
                elif c == "=":
                    break
        node = _Node("".join(keyword), line)
        stored = self._insert(level, node)
        if level == 0:
            value = self._read_value()
            if stored:
                node.value = value

    def _read_value(self) -> str:
        skipwhite = True
        justnewline = False
        buf: list[str] = []
        while True:
            c = self._read_char()
            if c is None:
                break
            if c == "\n":
                if not skipwhite:
                    buf.append(c)
                skipwhite = True
                justnewline = True
            elif c in " \t":
                justnewline = False
                if not skipwhite:
                    buf.append(c)
            elif justnewline:
                self._ungetc()
                break
            else:
                buf.append(c)
                skipwhite = False
        return "".join(buf).rstrip("\n")

    def _insert(self, level: int, node: _Node) -> bool:
        stored = True
        if level == self._MAX_LEVEL:
            self.roots.append(node)
            self.cursor[level] = node
        elif (parent := self.cursor[level + 1]) is not None:
            parent.children.append(node)
            self.cursor[level] = node
        else:
            stored = False  # an entry outside a section, a section outside a supersection: dropped
        for lower in range(level - 1, -1, -1):
            self.cursor[lower] = None
        return stored

    def supersection(self, key: str) -> _Node | None:
        """``set_section(2, key)``: the first supersection of that (mangled) name."""
        return next((n for n in self.roots if n.keyword == key), None)


def _get_entry(section: _Node, key: str) -> _Node | None:
    """``OFConfigFile::get_entry``: the first entry of that (mangled) name in the section."""
    return next((n for n in section.children if n.keyword == key), None)


def _numbered_entries(section: _Node, prefix: str) -> Iterable[tuple[str, _Node]]:
    """``Prefix1``, ``Prefix2``, ... up to the first missing number."""
    counter = 1
    while (entry := _get_entry(section, f"{prefix}{counter}")) is not None:
        yield f"{prefix}{counter}", entry
        counter += 1


def _mangle_reference(value: str) -> str:
    """DCMTK's mangling of references and of the command-line profile name: whitespace removed,
    ASCII letters upper-cased, every other character kept."""
    return "".join(c.upper() if "a" <= c <= "z" else c for c in value if c not in _C_ISSPACE)


def mangle_profile_name(name: str) -> str:
    """The key under which ``-xf file <name>`` looks up a profile (dcmrecv.md §3.4).

    ``"my profile"``, ``MYPROFILE`` and ``myprofile`` all give ``MYPROFILE`` (the key of
    ``[My Profile]``); ``my_profile`` gives ``MY_PROFILE``, which that section does not match.
    """
    return _mangle_reference(name)


def _is_dcmtk_uid(value: str) -> bool:
    """``DcmUIDHandler::isValidUID``: non-empty, digits and dots only."""
    return bool(value) and all(c == "." or "0" <= c <= "9" for c in value)


# ------------------------------------------------------------------------------------------------
# The configuration model
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextSpec:
    """One presentation context of a profile: an abstract syntax and its transfer syntaxes in the
    profile's (preference) order; ``transfer_syntax_list`` names the ``[[TransferSyntaxes]]`` section."""

    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...]
    transfer_syntax_list: str = ""


@dataclass(frozen=True)
class RoleSpec:
    """SCP/SCU role selection flags (PS3.7 D.3.3.4): ``SCU`` = (True, False), ``SCP`` = (False,
    True), ``BOTH`` = (True, True)."""

    scu: bool
    scp: bool


_ROLE_KEYWORDS = {"SCU": RoleSpec(True, False), "SCP": RoleSpec(False, True), "BOTH": RoleSpec(True, True)}


@dataclass(frozen=True)
class AssociationProfile:
    """One ``[[Profiles]]`` entry, resolved: its presentation contexts, roles and extended negotiation.

    ``name`` is DCMTK's key of the profile (mangled section name, e.g. ``MYPROFILE``).
    """

    name: str
    contexts: tuple[ContextSpec, ...]
    roles: Mapping[str, RoleSpec] = field(default_factory=lambda: MappingProxyType({}))
    extended_negotiation: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    context_list: str = ""
    role_list: str | None = None
    extended_negotiation_list: str | None = None
    context_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)

    @property
    def abstract_syntaxes(self) -> tuple[str, ...]:
        return tuple(c.abstract_syntax for c in self.contexts)

    def context_for(self, abstract_syntax: str) -> ContextSpec | None:
        """The first context of the profile with this abstract syntax (exact string match)."""
        return next((c for c in self.contexts if c.abstract_syntax == abstract_syntax), None)

    def accept(self, abstract_syntax: str, proposed: Sequence[str], *,
               proposed_role: RoleSpec | None = None,
               always_accept_default_role: bool = False) -> tuple[int, str | None]:
        """Evaluate one proposed presentation context as DCMTK's acceptor does (dcmrecv.md §3.5).

        Returns ``(result, transfer syntax)``: ``(0, ts)`` accepted; ``(3, None)`` abstract syntax not
        in the profile; ``(4, None)`` no common transfer syntax.  The profile's transfer syntaxes are
        walked in the profile's order and the first one the requestor proposed wins
        (``DcmAssociationConfiguration::evaluateAssociationParameters``).

        ``proposed_role`` is the requestor's SCP/SCU role selection item for this SOP class (None:
        none sent, i.e. default role).  The only role case DCMTK rejects (result 2, no reason) is a
        requestor with the default role for a SOP class the profile configures as ``SCP`` only,
        unless ``always_accept_default_role`` (``ASC_acceptPresentationContext``).
        """
        context = self.context_for(abstract_syntax)
        if context is None:
            return PC_ABSTRACT_SYNTAX_NOT_SUPPORTED, None
        offered = set(proposed)
        chosen = next((ts for ts in context.transfer_syntaxes if ts in offered), None)
        if chosen is None:
            return PC_TRANSFER_SYNTAXES_NOT_SUPPORTED, None
        configured = self.roles.get(abstract_syntax)
        if (proposed_role is None and configured == RoleSpec(False, True)
                and not always_accept_default_role):
            return PC_NO_REASON, None
        return PC_ACCEPTANCE, chosen

    def role_reply(self, abstract_syntax: str, proposed_role: RoleSpec | None) -> RoleSpec | None:
        """The SCP/SCU role selection item to return in the A-ASSOCIATE-AC, or None for none.

        DCMTK (dulconst.cc ``constructSCUSCPRoles``) answers only when the requestor sent an item and
        the profile configures a role for the SOP class; a role is granted only if it was proposed
        (PS3.7 D.3.3.4): configured SCU -> (proposed SCU, False); SCP -> (False, proposed SCP);
        BOTH -> (proposed SCU, proposed SCP).  A proposal of neither role counts as proposing both.
        """
        configured = self.roles.get(abstract_syntax)
        if proposed_role is None or configured is None:
            return None
        proposed_scu = proposed_role.scu or not proposed_role.scp   # "!= DUL_SC_ROLE_SCP"
        proposed_scp = proposed_role.scp or not proposed_role.scu   # "!= DUL_SC_ROLE_SCU"
        return RoleSpec(configured.scu and proposed_scu, configured.scp and proposed_scp)

    def extended_negotiation_reply(self, accepted_abstract_syntaxes: Iterable[str]) -> dict[str, bytes]:
        """The profile's extended negotiation items for SOP classes with an accepted context."""
        accepted = set(accepted_abstract_syntaxes)
        return {uid: data for uid, data in self.extended_negotiation.items() if uid in accepted}

    def duplicate_abstract_syntax(self) -> tuple[str, int | None] | None:
        """The first abstract syntax listed twice (and the line of its second entry), else None."""
        seen: set[str] = set()
        for index, context in enumerate(self.contexts):
            if context.abstract_syntax in seen:
                line = self.context_lines[index] if index < len(self.context_lines) else None
                return context.abstract_syntax, line
            seen.add(context.abstract_syntax)
        return None

    def is_valid_for_scp(self) -> bool:
        """``DcmAssociationConfiguration::isValidSCPProfile``: no abstract syntax occurs twice."""
        return self.duplicate_abstract_syntax() is None

    def validate_for_scp(self, profile: str | None = None) -> None:
        """Raise :class:`ProfileSelectionError` (``not_scp``) unless the profile is valid for an SCP.

        ``profile`` is the name as given on the command line (default: the profile's key).
        """
        duplicate = self.duplicate_abstract_syntax()
        if duplicate is not None:
            raise ProfileSelectionError(profile if profile is not None else self.name, self.name,
                                        "not_scp", duplicate[1])

    def scu_problem(self) -> str | None:
        """What ``setAssociationParameters`` would refuse when a requestor uses the profile (DCMTK
        checks this only when building the A-ASSOCIATE-RQ): a transfer syntax list of more than 128
        entries.  None if the profile can be proposed."""
        for context in self.contexts:
            if len(context.transfer_syntaxes) > MAX_CONTEXTS_PER_LIST:
                return ("transfer syntax list too long, cannot handle more than 128 entries: "
                        f"{context.transfer_syntax_list}")
        return None


#: The profile dcmrecv uses without ``-xf`` (dcmrecv.md §2.3): Verification with Implicit VR LE only.
VERIFICATION_ONLY_PROFILE = AssociationProfile(
    name="DEFAULT",
    contexts=(ContextSpec(uids.VERIFICATION_SOP_CLASS, (uids.IMPLICIT_VR_LITTLE_ENDIAN,)),),
)


@dataclass(frozen=True)
class AssociationConfig:
    """Everything a profile file defines, keyed by DCMTK's mangled section names."""

    file: str
    transfer_syntax_lists: Mapping[str, tuple[str, ...]]
    context_lists: Mapping[str, tuple[tuple[str, str], ...]]
    role_lists: Mapping[str, Mapping[str, RoleSpec]]
    extended_negotiation_lists: Mapping[str, Mapping[str, bytes]]
    profiles: Mapping[str, AssociationProfile]

    def profile(self, name: str, *, role: Literal["scp", "scu"] = "scp") -> AssociationProfile:
        """Select a profile by its command-line name (mangled as in §3.4), checked for ``role``.

        Raises :class:`ProfileSelectionError`: ``unknown`` if there is no such profile, ``not_scp``
        if ``role`` is ``"scp"`` and an abstract syntax occurs twice in its context list.
        """
        key = mangle_profile_name(name)
        found = self.profiles.get(key)
        if found is None:
            raise ProfileSelectionError(name, key, "unknown")
        if role == "scp":
            found.validate_for_scp(name)
        return found


# ------------------------------------------------------------------------------------------------
# Reader: DcmAssociationConfigurationFile + DcmAssociationConfiguration
# ------------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self) -> None:
        self.ts_lists: dict[str, list[str]] = {}
        self.pc_lists: dict[str, list[tuple[str, str, int]]] = {}
        self.role_lists: dict[str, dict[str, tuple[RoleSpec, int]]] = {}
        self.ext_lists: dict[str, dict[str, tuple[bytes, int]]] = {}
        self.profiles: dict[str, AssociationProfile] = {}

    # -- [[TransferSyntaxes]] --------------------------------------------------------------------
    def transfer_syntaxes(self, config: _OFConfigFile) -> None:
        section = config.supersection("TRANSFERSYNTAXES")
        if section is None:
            raise _ConfigError("cannot find section [[TRANSFERSYNTAXES]] in config file")
        for ts_section in section.children:
            for _, entry in _numbered_entries(ts_section, "TRANSFERSYNTAX"):
                uid = uids.resolve_symbolic_uid(entry.value)
                if not _is_dcmtk_uid(uid):
                    raise _ConfigError(f"not a valid transfer syntax UID: {entry.value}", entry.line)
                self.ts_lists.setdefault(ts_section.keyword, []).append(uid)

    # -- [[PresentationContexts]] ----------------------------------------------------------------
    def presentation_contexts(self, config: _OFConfigFile) -> None:
        section = config.supersection("PRESENTATIONCONTEXTS")
        if section is None:
            raise _ConfigError("cannot find section [[PRESENTATIONCONTEXTS]] in config file")
        for pc_section in section.children:
            key = pc_section.keyword
            for entry_key, entry in _numbered_entries(pc_section, "PRESENTATIONCONTEXT"):
                abstract, separator, rest = entry.value.partition("\\")
                if not separator:
                    raise _ConfigError(f"syntax error: missing '\\' in entry {entry_key} in config file",
                                       entry.line)
                ts_key = _mangle_reference(rest)
                if ts_key not in self.ts_lists:
                    raise _ConfigError(f"transfer syntax key undefined: {ts_key}", entry.line)
                if not key or not abstract or not ts_key:
                    raise _ConfigError(_ILLEGAL_CALL, entry.line)
                uid = uids.resolve_symbolic_uid(abstract)
                if not _is_dcmtk_uid(uid):
                    raise _ConfigError(f"not a valid abstract syntax UID: {abstract}", entry.line)
                contexts = self.pc_lists.setdefault(key, [])
                if len(contexts) >= MAX_CONTEXTS_PER_LIST:
                    raise _ConfigError(f"presentation context list too long (> 128 entries): {key}",
                                       entry.line)
                contexts.append((uid, ts_key, entry.line))

    # -- [[SCPSCURoleSelection]] -----------------------------------------------------------------
    def role_selection(self, config: _OFConfigFile) -> None:
        section = config.supersection("SCPSCUROLESELECTION")
        if section is None:
            return
        for role_section in section.children:
            for entry_key, entry in _numbered_entries(role_section, "ROLE"):
                abstract, separator, rest = entry.value.partition("\\")
                if not separator:
                    raise _ConfigError(f"syntax error: missing '\\' in entry {entry_key} in config file",
                                       entry.line)
                role = _ROLE_KEYWORDS.get("".join(c.upper() if "a" <= c <= "z" else c for c in rest))
                if role is None:
                    raise _ConfigError(f"syntax error: unknown role key in entry {entry_key} in config file",
                                       entry.line)
                uid = uids.resolve_symbolic_uid(abstract)
                if not _is_dcmtk_uid(uid):
                    raise _ConfigError(f"not a valid abstract syntax UID: {abstract}", entry.line)
                roles = self.role_lists.setdefault(role_section.keyword, {})
                if uid in roles:
                    raise _ConfigError(f"role selection defined twice for abstract syntax UID: {abstract}",
                                       entry.line)
                roles[uid] = (role, entry.line)

    # -- [[ExtendedNegotiation]] -----------------------------------------------------------------
    def extended_negotiation(self, config: _OFConfigFile) -> None:
        section = config.supersection("EXTENDEDNEGOTIATION")
        if section is None:
            return
        for ext_section in section.children:
            for entry_key, entry in _numbered_entries(ext_section, "EXTENDEDNEGOTIATION"):
                abstract, separator, hex_data = entry.value.partition("\\")
                if not separator:
                    raise _ConfigError(f"syntax error: missing '\\' in entry {entry_key} in config file",
                                       entry.line)
                if len(hex_data) + 1 > _MAX_EXT_NEG_HEX:
                    raise _ConfigError("extended negotiation data too long, cannot handle > 1024 bytes "
                                       f"in entry {entry_key} in config file", entry.line)
                data = _parse_hex(hex_data)
                if data is None:
                    raise _ConfigError(f"parse error in extended negotiation data in entry {entry_key} "
                                       "in config file", entry.line)
                if not data:
                    raise _ConfigError(_ILLEGAL_CALL, entry.line)
                uid = uids.resolve_symbolic_uid(abstract)
                if not _is_dcmtk_uid(uid):
                    raise _ConfigError(f"not a valid abstract syntax UID: {abstract}", entry.line)
                items = self.ext_lists.setdefault(ext_section.keyword, {})
                if uid in items:
                    raise _ConfigError("extended negotiation defined twice for abstract syntax UID: "
                                       f"{abstract}", entry.line)
                items[uid] = (data, entry.line)

    # -- [[Profiles]] ----------------------------------------------------------------------------
    def profiles_(self, config: _OFConfigFile) -> None:
        section = config.supersection("PROFILES")
        if section is None:
            raise _ConfigError("cannot find section [[PROFILES]] in config file")
        for profile_section in section.children:
            key = profile_section.keyword
            context_entry = _get_entry(profile_section, "PRESENTATIONCONTEXTS")
            if context_entry is None:
                raise _ConfigError(f"no PRESENTATIONCONTEXTS  entry in section {key} in config file",
                                   profile_section.line)
            role_entry = _get_entry(profile_section, "SCPSCUROLESELECTION")
            ext_entry = _get_entry(profile_section, "EXTENDEDNEGOTIATION")
            pc_key = _mangle_reference(context_entry.value)
            if pc_key not in self.pc_lists:
                raise _ConfigError(f"presentation context key undefined: {pc_key}", context_entry.line)
            contexts = self.pc_lists[pc_key]
            known = {uid for uid, _, _ in contexts}
            roles: dict[str, RoleSpec] = {}
            role_key = None
            if role_entry is not None:
                role_key = _mangle_reference(role_entry.value)
                if role_key not in self.role_lists:
                    raise _ConfigError(f"role selection key undefined: {role_key}", role_entry.line)
                for uid, (role, line) in self.role_lists[role_key].items():
                    if uid not in known:
                        raise _ConfigError(f"abstract syntax defined in role selection list '{role_key}' "
                                           f"but not in presentation context list '{pc_key}': {uid}", line)
                    roles[uid] = role
            ext: dict[str, bytes] = {}
            ext_key = None
            if ext_entry is not None:
                ext_key = _mangle_reference(ext_entry.value)
                if ext_key not in self.ext_lists:
                    raise _ConfigError(f"extended negotiation key undefined: {ext_key}", ext_entry.line)
                for uid, (data, line) in self.ext_lists[ext_key].items():
                    if uid not in known:
                        # sic: DCMTK reuses the role selection wording here
                        raise _ConfigError(f"abstract syntax defined in role selection list '{ext_key}' "
                                           f"but not in presentation context list '{pc_key}': {uid}", line)
                    ext[uid] = data
            if key in self.profiles:
                # sic: DCMTK names the presentation context list, not the profile
                raise _ConfigError(f"two profiles defined for key: {pc_key}", profile_section.line)
            self.profiles[key] = AssociationProfile(
                name=key,
                contexts=tuple(ContextSpec(uid, tuple(self.ts_lists[ts_key]), ts_key)
                               for uid, ts_key, _ in contexts),
                roles=MappingProxyType(roles),
                extended_negotiation=MappingProxyType(ext),
                context_list=pc_key,
                role_list=role_key,
                extended_negotiation_list=ext_key,
                context_lines=tuple(line for _, _, line in contexts),
            )


def _parse_hex(text: str) -> bytes | None:
    """Pairs of hex digits (``020003000000``), as DCMTK reads extended negotiation data."""
    hexdigits = "0123456789abcdefABCDEF"
    if len(text) % 2 or any(c not in hexdigits for c in text):
        return None
    return bytes.fromhex(text)


def parse_config(text: str, file: str = "<string>") -> AssociationConfig:
    """Parse the text of a profile file (see :func:`load_config`); ``file`` names it in errors."""
    config = _OFConfigFile(text)
    builder = _Builder()
    try:
        builder.transfer_syntaxes(config)
        builder.presentation_contexts(config)
        builder.role_selection(config)
        builder.extended_negotiation(config)
        builder.profiles_(config)
    except _ConfigError as e:
        raise ProfileFileError(file, e.reason, e.line) from None
    return AssociationConfig(
        file=file,
        transfer_syntax_lists=MappingProxyType({k: tuple(v) for k, v in builder.ts_lists.items()}),
        context_lists=MappingProxyType({k: tuple((uid, ts) for uid, ts, _ in v)
                                        for k, v in builder.pc_lists.items()}),
        role_lists=MappingProxyType({k: MappingProxyType({uid: r for uid, (r, _) in v.items()})
                                     for k, v in builder.role_lists.items()}),
        extended_negotiation_lists=MappingProxyType({k: MappingProxyType({uid: d for uid, (d, _) in v.items()})
                                                     for k, v in builder.ext_lists.items()}),
        profiles=MappingProxyType(builder.profiles),
    )


def load_config(path: str | os.PathLike[str]) -> AssociationConfig:
    """Read a DCMTK association negotiation profile file with all its profiles.

    Raises :class:`ProfileFileError` (exit 66) with DCMTK's reason: ``unable to open configuration
    file: <path>``, ``cannot find section [[PROFILES]] in config file``, ``not a valid transfer syntax
    UID: <value>``, ``transfer syntax key undefined: <KEY>``, ``syntax error: missing '\\' in entry
    PRESENTATIONCONTEXT<n> in config file``, ``presentation context list too long (> 128 entries):
    <KEY>`` ... (dcmrecv.md §3.6).
    """
    file = os.fspath(path)
    try:
        with open(file, "rb") as f:
            raw = f.read()
    except IsADirectoryError:
        raw = b""  # fopen() succeeds on a directory, reading it fails: an empty configuration
    except OSError:
        raise ProfileFileError(file, f"unable to open configuration file: {file}") from None
    return parse_config(raw.decode("latin-1"), file)


def load_profile(path: str | os.PathLike[str], profile: str, *,
                 role: Literal["scp", "scu"] = "scp") -> AssociationProfile:
    """Load ``path`` and select ``profile`` as ``-xf path profile`` does (dcmrecv.md §3).

    The profile name is mangled (upper case, whitespace removed).  For ``role="scp"`` the profile
    must not list an abstract syntax twice.  Raises :class:`ProfileFileError` or
    :class:`ProfileSelectionError`, both :class:`~pydcmkit.status.AssociationConfigError` (exit 66).
    """
    return load_config(path).profile(profile, role=role)
