"""DCMTK's dcmqrscp configuration file (``dcmqrscp.cfg``), read exactly as DCMTK 3.6.7 reads it.

The reader is a port of ``DcmQueryRetrieveConfig`` (dcmqrdb/libsrc/dcmqrcnf.cc) and follows the
C code path by path, because the format has no grammar beyond that code (dcmqrscp.md §2):

* the file is read with ``fgets`` into a 512-byte buffer: a line of more than 511 bytes is read as
  two (or more) lines, each counted in the line numbers of the error messages; a line of exactly
  511 bytes is followed by an extra empty line (its newline alone);
* a line whose *first* byte is ``#``, LF or CR is skipped; elsewhere ``#`` is an ordinary character;
* outside the tables the first whitespace-delimited word is the keyword (case-sensitive, so
  ``NetworkTCPPort=104`` is the unknown keyword ``NetworkTCPPort=104``); the values follow, separated
  by any mix of whitespace, ``=`` and ``,``;
* a value that starts with one of ``" ' ( )`` runs to the next of any of these four characters
  (``"Acme CT"``, ``(AE, host, 104)``); an unquoted value ends at the next separator, and a value
  that is not followed by a separator (the last one of a file without a final newline) is lost;
* table rows are parsed from column 1: an indented row starts with an empty value, which shifts
  all its fields;
* every error is reported as ``CONFIG Error: <text>!`` and parsing goes on; the list ends with
  ``CONFIG Error: Reading configuration file "<file>" with errors!``.  DCMTK prints these lines to
  stderr without a log level prefix, whatever the log level (observed with ``-q`` and
  ``-ll fatal``), followed by ``F: bad config file: <file>``; exit 10.

The storage quota is capped as DCMTK's index database does when it opens a storage area (at each
association, dcmqrdbi.cc): at most 500 studies and 1 GiB per study, with a warning when a larger
positive value is configured.

Access is decided by :meth:`QRConfig.peer_permitted` (``peerInAETitle``), C-MOVE destinations by
:meth:`QRConfig.move_destination` (``peerForAETitle``) and ``-ZV`` by :meth:`QRConfig.same_vendor`
(``checkForSameVendor``).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..status import ExitCode, ToolError

__all__ = [
    "AEEntry",
    "DEFAULT_MAX_ASSOCIATIONS",
    "DEFAULT_MAX_PDU",
    "DEFAULT_PORT",
    "MAX_BYTES_PER_STUDY",
    "MAX_PDU",
    "MAX_STUDIES",
    "MIN_PDU",
    "Peer",
    "QRConfig",
    "QRConfigError",
    "Quota",
    "load_qr_config",
    "parse_qr_config",
]

DEFAULT_PORT = 104
DEFAULT_MAX_PDU = 16384          # ASC_DEFAULTMAXPDU
MIN_PDU = 4096                   # ASC_MINIMUMPDUSIZE
MAX_PDU = 131072                 # ASC_MAXIMUMPDUSIZE
DEFAULT_MAX_ASSOCIATIONS = 16
MAX_STUDIES = 500                # DB_UpperMaxStudies
MAX_BYTES_PER_STUDY = 0x40000000  # DB_UpperMaxBytesPerStudy, 1 GiB

_FGETS_BUFFER = 512              # char rcline[512]: fgets() returns at most 511 bytes
_C_SPACE = " \t\n\v\f\r"         # isspace() in the C locale
_GAPS = _C_SPACE + "=,"          # DcmQueryRetrieveConfig::isgap
_QUOTES = "\"'()"                # DcmQueryRetrieveConfig::isquote
_IGNORED_KEYWORDS = frozenset({
    "ApplicationTitle", "ApplicationContext", "ImplementationClass", "ImplementationVersion",
    "NetworkType", "Display", "DisplayPort",
})
_WRITABLE_ACCESS = frozenset({"RW", "WR", "W"})   # DcmQueryRetrieveConfig::writableStorageArea
_READABLE_ACCESS = frozenset({"RW", "WR", "R"})


# ------------------------------------------------------------------------------------------------
# Data model
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """A remote application entity: ``(AETitle, HostName, Port)`` in this order.

    The order is the same in the HostTable and in inline AETable peers; the comment in DCMTK's
    sample file that says ``( Hostname, AETitle, Portnumber )`` is wrong (dcmqrscp.md §2.5,
    observed).  ``host`` is a name or a dotted IP, kept as written: it is compared as a string
    for access and only resolved when connecting to a move destination.  ``port`` is C ``atoi``
    of what follows the host (0 when missing); it matters only for move destinations.
    """

    ae_title: str
    host: str
    port: int


@dataclass(frozen=True)
class Quota:
    """The storage quota of an AETable row, as DCMTK's index database applies it.

    ``(n, size)``: ``n`` is the maximum number of studies in the storage area, ``size`` the
    maximum size of one study, an integer with the suffix ``b``, ``kb``, ``mb`` or ``gb``
    (case-insensitive, multiplier 1024ⁿ).  A size without the ``b`` suffix means "no limit".
    A value of 0 for either is a configuration error (:func:`load_qr_config`).  A number that
    cannot be scanned (``(abc, 1mb)``, ``(5)``) is left uninitialised by DCMTK, which then starts
    (observed); pydcmkit takes it as "no limit".

    The effective values are capped: more than :data:`MAX_STUDIES` (500) studies, or a negative
    number, gives 500; more than :data:`MAX_BYTES_PER_STUDY` (1 GiB), a negative size or no limit
    gives 1 GiB.  Capping a larger positive value is warned about: ``warnings`` holds DCMTK's
    lines (``maxStudiesPerStorageArea too large`` / ``        setting to 500``,
    ``maxBytesPerStudy too large`` / ``        setting to 1073741824``), which DCMTK logs at
    WARNING level each time an association to this AE opens the storage area (observed).
    """

    max_studies: int
    max_bytes_per_study: int
    warnings: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class AEEntry:
    """One row of the AETable: ``<AETitle> <StorageArea> <Access> (<n>, <size>) <Peers>``.

    ``writable`` is DCMTK's rule: access ``RW``, ``WR`` or ``W`` exactly (case-sensitive; ``rw``
    is not writable).  Without it every storage presentation context is refused.
    ``readable`` (``R``, ``RW``, ``WR``) is informational only: DCMTK 3.6.7 never checks it
    (observed: C-FIND to an AE with access ``W`` succeeds).  ``peers`` is ``None`` for ``ANY``,
    otherwise the peers of the listed symbols and inline ``(AE, host, port)`` triples in order.
    The storage area is not checked when the file is read.  ``line`` is the row's line number.
    """

    ae_title: str
    storage_area: str
    readable: bool
    writable: bool
    quota: Quota
    peers: tuple[Peer, ...] | None
    access: str = ""
    line: int = 0


def _first_by_name(entries: tuple[tuple[str, tuple[Peer, ...]], ...]) -> Mapping[str, tuple[Peer, ...]]:
    table: dict[str, tuple[Peer, ...]] = {}
    for name, peers in entries:
        table.setdefault(name, peers)
    return MappingProxyType(table)


@dataclass(frozen=True)
class QRConfig:
    """A dcmqrscp configuration (dcmqrscp.md §2), with DCMTK's look-up rules as methods.

    Global parameters hold the values dcmqrscp uses: ``port`` is ``NetworkTCPPort`` (104 when
    absent or 0; the ``port`` command-line parameter overrides it), ``max_pdu`` is ``MaxPDUSize``
    (16384 when absent, 0 or not a number; always within 4096..131072, see
    :func:`load_qr_config`), ``max_associations`` is ``MaxAssociations`` (16).
    ``character_set`` holds the tokens of the last ``SpecificCharacterSet`` line (``override``,
    ``fallback``, ``discard``, ``transliterate``, ``abort``, anything else names the target
    character set, the last such token winning), ``None`` when there is none (DCMTK's default,
    ``fallback``); a line without tokens configures no flags at all.  ``user_name`` and
    ``group_name`` are ``None`` when absent or empty.

    ``host_entries``, ``vendor_entries`` and ``ae_entries`` are the tables in file order, with
    duplicates; ``hosts``, ``vendors`` and ``ae_table`` map each name to its first entry, which is
    the one DCMTK's look-ups find.  Several ``HostTable`` or ``VendorTable`` blocks add up; a
    second ``AETable`` block *replaces* the first (DCMTK restarts its AE array, observed).
    ``warnings`` are the quota capping warnings of all AETable rows (:class:`Quota`).
    """

    port: int = DEFAULT_PORT
    max_pdu: int = DEFAULT_MAX_PDU
    max_associations: int = DEFAULT_MAX_ASSOCIATIONS
    character_set: tuple[str, ...] | None = None
    user_name: str | None = None
    group_name: str | None = None
    hosts: Mapping[str, tuple[Peer, ...]] = field(default_factory=lambda: MappingProxyType({}))
    vendors: Mapping[str, tuple[Peer, ...]] = field(default_factory=lambda: MappingProxyType({}))
    ae_table: Mapping[str, AEEntry] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[str, ...] = ()
    host_entries: tuple[tuple[str, tuple[Peer, ...]], ...] = ()
    vendor_entries: tuple[tuple[str, tuple[Peer, ...]], ...] = ()
    ae_entries: tuple[AEEntry, ...] = ()
    path: str = ""

    def __post_init__(self) -> None:
        # Either the ordered tables or the mappings may be given; derive the missing side.
        for entries_name, map_name in (("host_entries", "hosts"), ("vendor_entries", "vendors")):
            entries = getattr(self, entries_name)
            if entries:
                object.__setattr__(self, map_name, _first_by_name(entries))
            else:
                object.__setattr__(self, entries_name, tuple(getattr(self, map_name).items()))
                object.__setattr__(self, map_name, MappingProxyType(dict(getattr(self, map_name))))
        if self.ae_entries:
            table: dict[str, AEEntry] = {}
            for entry in self.ae_entries:
                table.setdefault(entry.ae_title, entry)
            object.__setattr__(self, "ae_table", MappingProxyType(table))
        else:
            object.__setattr__(self, "ae_entries", tuple(self.ae_table.values()))
            object.__setattr__(self, "ae_table", MappingProxyType(dict(self.ae_table)))

    def ae(self, called: str) -> AEEntry | None:
        """The AETable row of one of our own AE titles (``getStorageArea``, ``getAccess``).

        Parameters
        ----------
        called : str
            The called AE title, without the padding of the A-ASSOCIATE-RQ.

        Returns
        -------
        AEEntry or None
            The first row with exactly this title (case-sensitive), ``None`` for an unknown AE.
        """
        return self.ae_table.get(called)

    def peer_permitted(self, called_ae: str, calling_ae: str, host: str) -> bool:
        """Whether an association from ``calling_ae`` on ``host`` to ``called_ae`` is permitted.

        DCMTK's ``peerInAETitle`` (dcmqrscp.md §2.5): every AETable row titled ``called_ae``
        (case-sensitive; several rows may share a title and all are tried) permits the
        association when its peers are ``ANY``, or when one of its peers has the AE title
        ``calling_ae`` (case-sensitive) and the host name ``host`` (ASCII case-insensitive string
        comparison, ``strcasecmp``).  The port of the peer plays no part.  An unknown
        ``called_ae`` is never permitted.

        Parameters
        ----------
        called_ae, calling_ae : str
            AE titles of the association request, without padding.
        host : str
            The peer's host string: its reverse-resolved name (``localhost``), or with
            ``-dhl`` its dotted IP address.  Configured names are never resolved for this check:
            a peer configured as ``127.0.0.1`` matches only under ``-dhl`` (observed).

        Returns
        -------
        bool
        """
        wanted_host = _ascii_lower(host)
        for entry in self.ae_entries:
            if entry.ae_title != called_ae:
                continue
            if entry.peers is None:
                return True
            for peer in entry.peers:
                if peer.ae_title == calling_ae and _ascii_lower(peer.host) == wanted_host:
                    return True
        return False

    def move_destination(self, ae_title: str) -> Peer | None:
        """The peer a C-MOVE destination AE title designates (DCMTK's ``peerForAETitle``).

        The peers of the AETable rows are searched first, in file order, then the HostTable
        entries in file order (each with its symbols expanded); the first peer whose AE title
        equals ``ae_title`` (case-sensitive) gives host and port (dcmqrscp.md §6.6).

        Parameters
        ----------
        ae_title : str
            The Move Destination of the C-MOVE request.

        Returns
        -------
        Peer or None
            ``None`` when the AE title is unknown: the C-MOVE is refused with ``0xA801``.
        """
        for entry in self.ae_entries:
            for peer in entry.peers or ():
                if peer.ae_title == ae_title:
                    return peer
        for _name, peers in self.host_entries:
            for peer in peers:
                if peer.ae_title == ae_title:
                    return peer
        return None

    def same_vendor(self, ae_a: str, ae_b: str) -> bool:
        """Whether two AE titles belong to the same VendorTable group (``-ZV``).

        DCMTK's ``checkForSameVendor``: true when one VendorTable entry lists a peer with the AE
        title ``ae_a`` and a peer with the AE title ``ae_b`` (case-sensitive).  Host names play no
        part, and an AE title in no vendor group is not of the same vendor as anything, itself
        included.  dcmqrscp calls it with the C-MOVE requestor's AE title and the destination.

        Parameters
        ----------
        ae_a, ae_b : str
            The two AE titles.

        Returns
        -------
        bool
        """
        for _vendor, peers in self.vendor_entries:
            titles = {peer.ae_title for peer in peers}
            if ae_a in titles and ae_b in titles:
                return True
        return False

    def vendor_of(self, ae_title: str) -> str | None:
        """The first VendorTable name whose group has a peer titled ``ae_title`` (``vendorForPeerAETitle``)."""
        for vendor, peers in self.vendor_entries:
            if any(peer.ae_title == ae_title for peer in peers):
                return vendor
        return None


class QRConfigError(ToolError):
    """The configuration file has errors: ``F: bad config file: <file>``, exit 10.

    ``config_errors`` are DCMTK's ``CONFIG Error: ...!`` lines, the last one being
    ``CONFIG Error: Reading configuration file "<file>" with errors!``.  DCMTK writes them to
    stderr as they are, without a level prefix and whatever the log level, so they are not
    ``details`` (which the tool runner would log as ``E:`` lines): the tool prints them raw.
    """

    exit_code = ExitCode.LEGACY_STARTUP_FAILURE

    def __init__(self, file: str, config_errors: tuple[str, ...]):
        super().__init__(f"bad config file: {file}")
        self.file = file
        self.config_errors = tuple(config_errors)


# ------------------------------------------------------------------------------------------------
# C primitives
# ------------------------------------------------------------------------------------------------

_LONG_MIN, _LONG_MAX, _ULONG_MAX = -(2**63), 2**63 - 1, 2**64 - 1


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def _to_int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _c_number(text: str, pos: int = 0) -> tuple[int, int, int] | None:
    """``strtol``'s scan: (sign, magnitude, end) after C whitespace and a sign, None if no digit."""
    while pos < len(text) and text[pos] in _C_SPACE:
        pos += 1
    sign = 1
    if pos < len(text) and text[pos] in "+-":
        sign = -1 if text[pos] == "-" else 1
        pos += 1
    start = pos
    while pos < len(text) and "0" <= text[pos] <= "9":
        pos += 1
    if pos == start:
        return None
    return sign, int(text[start:pos]), pos


def _scan_int(text: str, pos: int = 0) -> tuple[int, int] | None:
    """``sscanf("%d")`` (glibc: ``strtol`` clamped to long, stored as int); (value, end) or None."""
    scanned = _c_number(text, pos)
    if scanned is None:
        return None
    sign, magnitude, end = scanned
    return _to_int32(max(_LONG_MIN, min(_LONG_MAX, sign * magnitude))), end


def _atoi(text: str) -> int:
    scanned = _scan_int(text)
    return 0 if scanned is None else scanned[0]


def _scan_ulong(text: str) -> int | None:
    """``sscanf("%lu")``: ``strtoul`` (a minus sign negates modulo 2**64, overflow gives ULONG_MAX)."""
    scanned = _c_number(text)
    if scanned is None:
        return None
    sign, magnitude, _end = scanned
    if magnitude > _ULONG_MAX:
        return _ULONG_MAX
    return magnitude if sign > 0 else (-magnitude) % 2**64


def _scan_words(text: str, count: int) -> list[str]:
    """``sscanf("%s %s ...")``: up to ``count`` words separated by C whitespace."""
    words: list[str] = []
    pos = 0
    while len(words) < count:
        while pos < len(text) and text[pos] in _C_SPACE:
            pos += 1
        if pos >= len(text):
            break
        start = pos
        while pos < len(text) and text[pos] not in _C_SPACE:
            pos += 1
        words.append(text[start:pos])
    return words


def _parse_value(text: str, pos: int) -> tuple[str | None, int]:
    """``DcmQueryRetrieveConfig::parsevalues``: the value at ``pos`` and the position after it.

    A value starting with a quote character runs to the next quote character of any kind; an
    unquoted one to the next gap.  The gaps after the value are skipped.  A value that is not
    terminated (end of text first) is ``None`` and the position does not move.
    """
    quoted = pos < len(text) and text[pos] in _QUOTES
    start = pos + 1 if quoted else pos
    end = start
    while end < len(text):
        if (text[end] in _QUOTES) if quoted else (text[end] in _GAPS):
            value = text[start:end]
            after = end + 1 if quoted else end
            while after < len(text) and text[after] in _GAPS:
                after += 1
            return value, after
        end += 1
    return None, pos


def _skip_mnemonic(text: str) -> int:
    """``DcmQueryRetrieveConfig::skipmnemonic``: leading gaps, the keyword, the gaps after it."""
    pos = 0
    while pos < len(text) and text[pos] in _GAPS:
        pos += 1
    while pos < len(text) and text[pos] not in _C_SPACE:
        pos += 1
    while pos < len(text) and text[pos] in _GAPS:
        pos += 1
    return pos


def _fgets_lines(data: bytes) -> Iterator[str]:
    """The successive results of ``fgets(rcline, 512, f)``, cut at a NUL as C strings are."""
    pos = 0
    limit = _FGETS_BUFFER - 1
    while pos < len(data):
        newline = data.find(b"\n", pos, pos + limit)
        end = newline + 1 if newline >= 0 else min(pos + limit, len(data))
        yield data[pos:end].split(b"\0", 1)[0].decode("latin-1")
        pos = end


def _text(value: str) -> str:
    """A value read as latin-1 bytes, as the str os.fsdecode() would give for those bytes."""
    return value.encode("latin-1").decode("utf-8", "surrogateescape")


def _quota_size(text: str) -> int:
    """``DcmQueryRetrieveConfig::quota``: bytes for ``<n>[k|m|g]b``, -1 (no limit) without ``b``."""
    last = text[-1:]
    multiplier = text[-2:-1].lower()
    if last not in ("b", "B"):
        return -1
    factor = {"k": 1024, "m": 1024**2, "g": 1024**3}.get(multiplier, 1)
    return _atoi(text) * factor


def _parse_quota(text: str | None) -> Quota | None:
    """``parseQuota`` + the caps of DCMTK's index database; ``None`` when a value is 0 (an error)."""
    if text is None:
        return None
    studies: int | None = None
    size: int | None = None
    scanned = _scan_int(text)  # sscanf(value, "%d , %s", &studies, size)
    if scanned is not None:
        studies, pos = scanned
        while pos < len(text) and text[pos] in _C_SPACE:
            pos += 1
        if pos < len(text) and text[pos] == ",":
            words = _scan_words(text[pos + 1:], 1)
            if words:
                size = _quota_size(words[0])
    if studies == 0 or size == 0:
        return None
    # DCMTK leaves a number it cannot scan uninitialised; pydcmkit takes it as "no limit".
    warnings: list[str] = []
    if studies is None or studies < 0:
        studies = MAX_STUDIES
    elif studies > MAX_STUDIES:
        warnings += ["maxStudiesPerStorageArea too large", f"        setting to {MAX_STUDIES}"]
        studies = MAX_STUDIES
    if size is None or size < 0:
        size = MAX_BYTES_PER_STUDY
    elif size > MAX_BYTES_PER_STUDY:
        warnings += ["maxBytesPerStudy too large", f"        setting to {MAX_BYTES_PER_STUDY}"]
        size = MAX_BYTES_PER_STUDY
    return Quota(studies, size, tuple(warnings))


# ------------------------------------------------------------------------------------------------
# The reader
# ------------------------------------------------------------------------------------------------


class _HostEntry:
    __slots__ = ("name", "peers")

    def __init__(self, name: str):
        self.name = name
        self.peers: list[Peer] = []


class _Reader:
    """``DcmQueryRetrieveConfig::readConfigLines`` and its table readers, one instance per file."""

    def __init__(self, data: bytes):
        self.lines = _fgets_lines(data)
        self.lineno = 0
        self.errors: list[str] = []
        self.port = DEFAULT_PORT
        self.max_pdu = DEFAULT_MAX_PDU
        self.max_associations = DEFAULT_MAX_ASSOCIATIONS
        self.character_set: tuple[str, ...] | None = None
        self.user_name = ""
        self.group_name = ""
        self.hosts: list[_HostEntry] = []
        self.vendors: list[_HostEntry] = []
        self.ae_entries: list[AEEntry] = []
        # sscanf("%s %s", mnemonic, value) leaves both unchanged when a row has fewer words.  They
        # are locals of the three table readers, which share one stack slot: DCMTK sees the words
        # of the previous row read by any of them (observed), pydcmkit keeps them here.
        self._row_mnemonic = ""
        self._row_value = ""
        self.ok = self._read_config_lines()

    def panic(self, text: str) -> None:
        self.errors.append(f"CONFIG Error: {text}!")

    def _next_line(self) -> Iterator[str]:
        """Lines for a reader loop, counting each and skipping the comment and blank ones."""
        for line in self.lines:
            self.lineno += 1
            if line[:1] in ("#", "\n", "\r"):
                continue
            yield line

    def _read_config_lines(self) -> bool:
        error = False
        value = ""  # char value[512] keeps its content when sscanf() finds no word
        for line in self._next_line():
            words = _scan_words(line, 1)
            if not words:
                continue
            mnemonic = words[0]
            rest = line[_skip_mnemonic(line):]
            if mnemonic in _IGNORED_KEYWORDS:
                continue
            if mnemonic in ("UserName", "GroupName"):
                name, _ = _parse_value(rest, 0)
                if name is None:
                    # DCMTK 3.6.7 dereferences NULL here and crashes (observed: SIGSEGV, status 139)
                    self.panic(f'No value for "{mnemonic}" in configuration file, line {self.lineno}')
                    error = True
                elif mnemonic == "UserName":
                    self.user_name = _text(name)
                else:
                    self.group_name = _text(name)
            elif mnemonic == "NetworkTCPPort":
                scanned = _scan_int(rest)
                if scanned is not None:
                    self.port = scanned[0]
            elif mnemonic == "MaxPDUSize":
                self.max_pdu = (_scan_ulong(rest) or 0) & 0xFFFFFFFF  # unsigned long ul = 0; (Uint32) ul
            elif mnemonic == "MaxAssociations":
                scanned = _scan_int(rest)
                if scanned is not None:
                    self.max_associations = scanned[0]
            elif mnemonic == "SpecificCharacterSet":
                tokens: list[str] = []
                pos = 0
                while True:
                    token, pos = _parse_value(rest, pos)
                    if token is None:
                        break
                    tokens.append(_text(token))
                self.character_set = tuple(tokens)
            elif mnemonic in ("HostTable", "VendorTable", "AETable"):
                words = _scan_words(rest, 1)
                if words:
                    value = words[0]
                if value == "BEGIN":
                    if mnemonic == "AETable":
                        ok = self._read_ae_table()
                    else:
                        ok = self._read_host_table(mnemonic, self.hosts if mnemonic == "HostTable" else self.vendors)
                    error = error or not ok
                elif value == "END":
                    self.panic(f'No "{mnemonic} BEGIN" before END in configuration file, line {self.lineno}')
                    error = True
                else:
                    self.panic(f'Unknown {mnemonic} status "{value}" in configuration file, line {self.lineno}')
                    error = True
            else:
                self.panic(f'Unknown mnemonic "{mnemonic}" in configuration file, line {self.lineno}')
                error = True
        return not error

    def _table_rows(self, table: str) -> Iterator[str]:
        """Rows up to ``<table> END``; sets ``self._table_end`` / ``self._table_error``."""
        self._table_end = False
        self._table_error = False
        for line in self._next_line():
            words = _scan_words(line, 2)
            if words:
                self._row_mnemonic = words[0]
            if len(words) > 1:
                self._row_value = words[1]
            if self._row_mnemonic == table:
                if self._row_value == "END":
                    self._table_end = True
                else:
                    self.panic(f'Illegal {table} status "{self._row_value}" in configuration file, line {self.lineno}')
                    self._table_error = True
                return
            yield line

    def _finish_table(self, table: str, error: bool) -> bool:
        if not self._table_end:
            self.panic(f'No "{table} END" in configuration file, line {self.lineno}')
            error = True
        return not (error or self._table_error)

    def _read_host_table(self, table: str, entries: list[_HostEntry]) -> bool:
        """``readHostTable`` / ``readVendorTable``: ``<name> = <symbol or (AE, host, port)>, ...``."""
        error = False
        for line in self._table_rows(table):
            name, pos = _parse_value(line, 0)
            entry = _HostEntry(_text(name) if name is not None else "")
            entries.append(entry)  # visible (with no peers) while its own list is read
            entry.peers = self._read_peer_list(line, pos)
            if not entry.peers:
                error = True
        return self._finish_table(table, error)

    def _read_ae_table(self) -> bool:
        """``readAETable``: ``<AETitle> <StorageArea> <Access> (<n>, <size>) <Peers>``."""
        error = False
        rows: list[AEEntry] = []
        for line in self._table_rows("AETable"):
            title, pos = _parse_value(line, 0)
            area, pos = _parse_value(line, pos)
            access, pos = _parse_value(line, pos)
            quota_text, pos = _parse_value(line, pos)
            quota = _parse_quota(quota_text)
            first, _ = _parse_value(line, pos)
            peers: tuple[Peer, ...] | None
            if first == "ANY":
                peers = None
            else:
                peers = tuple(self._read_peer_list(line, pos))
                if not peers:
                    error = True
            if quota is None:
                error = True
                quota = Quota(0, 0)
            access = access or ""
            rows.append(AEEntry(
                ae_title=_text(title or ""), storage_area=_text(area or ""),
                readable=access in _READABLE_ACCESS, writable=access in _WRITABLE_ACCESS,
                quota=quota, peers=peers, access=access, line=self.lineno))
        self.ae_entries = rows  # DCMTK restarts its AE array with each AETable block
        return self._finish_table("AETable", error)

    def _read_peer_list(self, line: str, pos: int) -> list[Peer]:
        """``readPeerList``: symbols of the HostTable and inline peers; empty after an error."""
        peers: list[Peer] = []
        while True:
            value, pos = _parse_value(line, pos)
            if value is None:
                return peers
            if "," in value:
                ae_title, at = _parse_value(value, 0)
                host, at = _parse_value(value, at)
                peers.append(Peer(_text(ae_title or ""), _text(host or ""), _atoi(value[at:])))
                continue
            if not self.hosts:
                self.panic("No symbolic names defined")
                return []
            symbol = _text(value)
            entry = next((e for e in self.hosts if e.name == symbol), None)
            if entry is None:
                self.panic(f'Symbolic name "{symbol}" not defined')
                return []
            if not entry.peers:
                self.panic(f'No peers for symbolic name "{symbol}" defined')
                return []
            peers.extend(entry.peers)


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------


def parse_qr_config(data: bytes | str, file: str = "dcmqrscp.cfg") -> QRConfig:
    """Parse the content of a dcmqrscp configuration file (see :func:`load_qr_config`).

    Parameters
    ----------
    data : bytes or str
        The file content (a ``str`` is encoded as UTF-8).
    file : str
        The file name used in the messages.

    Returns
    -------
    QRConfig

    Raises
    ------
    QRConfigError
        The content has errors (exit 10).
    ToolError
        ``invalid MaxPDUSize in config file`` (exit 10).
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    reader = _Reader(data)
    if not reader.ok:
        reader.panic(f'Reading configuration file "{file}" with errors')
        raise QRConfigError(file, tuple(reader.errors))
    max_pdu = reader.max_pdu or DEFAULT_MAX_PDU
    if not MIN_PDU <= max_pdu <= MAX_PDU:
        raise ToolError("invalid MaxPDUSize in config file", ExitCode.LEGACY_STARTUP_FAILURE)
    warnings = tuple(line for entry in reader.ae_entries for line in entry.quota.warnings)
    return QRConfig(
        port=reader.port or DEFAULT_PORT,
        max_pdu=max_pdu,
        max_associations=reader.max_associations,
        character_set=reader.character_set,
        user_name=reader.user_name or None,
        group_name=reader.group_name or None,
        warnings=warnings,
        host_entries=tuple((e.name, tuple(e.peers)) for e in reader.hosts),
        vendor_entries=tuple((e.name, tuple(e.peers)) for e in reader.vendors),
        ae_entries=tuple(reader.ae_entries),
        path=file,
    )


def load_qr_config(path: str | os.PathLike[str]) -> QRConfig:
    """Read dcmqrscp's configuration file as dcmqrscp 3.6.7 does at start-up (dcmqrscp.md §2, §3).

    The checks come in DCMTK's order, each ending the start-up with exit 10:

    1. the file must be readable (``access(R_OK)``): else ``cannot access <file>: <strerror>``,
       e.g. ``No such file or directory``;
    2. the content must have no error: else :class:`QRConfigError` (``bad config file: <file>``
       with the ``CONFIG Error:`` lines); a directory reads as an empty file, as with DCMTK;
    3. ``MaxPDUSize`` (0 meaning 16384) must lie within 4096..131072: else
       ``invalid MaxPDUSize in config file`` -- even when ``-pdu`` is given (observed).

    Storage areas are not checked, and user and group names are only resolved by the tool.

    Parameters
    ----------
    path : str or os.PathLike
        The file given with ``-c``; it appears in the messages as given.

    Returns
    -------
    QRConfig

    Raises
    ------
    ToolError
        Unreadable file or bad ``MaxPDUSize`` (exit 10).
    QRConfigError
        Errors in the content (exit 10).
    """
    file = os.fspath(path)
    if not os.access(file, os.R_OK):
        try:
            os.stat(file)
            code = errno.EACCES
        except OSError as exc:
            code = exc.errno or errno.ENOENT
        raise ToolError(f"cannot access {file}: {os.strerror(code)}", ExitCode.LEGACY_STARTUP_FAILURE)
    try:
        with open(file, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        data = b""  # fopen() succeeds on a directory and fgets() fails: no lines (observed)
    except OSError:
        raise QRConfigError(file, (f'CONFIG Error: Unable to open configuration file "{file}"!',)) from None
    return parse_qr_config(data, file)
