"""ConQuest's acrnema.map: the AEs dgate knows, with host, port and compression (dgate.md §3).

Each entry is ``AE  host-or-IP  port  compression`` separated by spaces or tabs; the
compression column defaults to ``un`` and columns after the fourth are ignored by dgate (Lua
scripts may read them: they are kept in :attr:`AmapEntry.extra`).  ``/* ... */`` blocks and
``#``, ``//`` and ``;`` comments are allowed.

The comment pitfall
-------------------
dgate 1.5.0e (amap.cpp) removes a ``#`` or ``//`` comment *together with the line break that ends
it*.  A whole-line comment is harmless (the previous line's break remains), but a comment after
an entry (``AE host 104 un  # PACS``) joins the next line to the entry's line, and since only
four words are read, the next entry is lost.  ``;`` is worse: the comment starts one character
*before* the ``;`` and also eats the line break, so ``AE host 104 un;x`` followed by
``HHH host2 105 un`` gives the compression ``uHHH`` and loses ``HHH``, and a line starting with
``;`` is joined to the previous line.

:func:`parse_amap` reads the file *sanely* by default: a comment ends at its line's end and
takes nothing else, so every entry written on its own line is kept; each construct that dgate
would misread is reported in :attr:`AcrNemaMap.warnings`, and when dgate's reading of the whole
file differs, a last warning lists the entries dgate would see.  ``conquest_quirks=True`` gives
exactly dgate's reading instead (for comparison, or to reproduce a site's behaviour).

Look-up
-------
:meth:`AcrNemaMap.lookup` is dgate's ``GetACRNema``: the AE title is trimmed of trailing
blanks, then a first pass in file order takes the first entry that either ends in ``*`` and whose
part before the ``*`` is a prefix of the AE (ASCII case-insensitive), or equals the AE exactly
(case-*sensitive*); a second pass takes the first case-insensitive exact match.  A specific
entry below a wildcard entry that covers it is never used (pitfall §13.8).  For a wildcard hit, a
host or port ending in ``*`` has the ``*`` replaced by the rest of the AE: with
``NG*  101.11.11.*  56*`` the AE ``NG12`` goes to ``101.11.11.12`` port ``5612``; with
``V*  *  1234``, ``V10.0.0.5`` goes to ``10.0.0.5`` port 1234.
"""

from __future__ import annotations

import os
import re
import string
import time
from dataclasses import dataclass, field, replace

from .errors import CONSOLE, ConquestConfigError
from .printf import atoi, c_format

__all__ = [
    "AMAP_FORMAT",
    "AcrNemaMap",
    "AmapEntry",
    "DEFAULT_COMPRESSION",
    "load_amap",
    "parse_amap",
]

#: ``get_amap:`` / ``write_amap:`` line format (``get_amaps:`` adds a newline).
AMAP_FORMAT = "%-17s %-30s %-10s %-16s"
DEFAULT_COMPRESSION = "un"

_C_WORDS = re.compile(r"[^ \t\n\v\f\r]+")
_TRIM = " \t\r\n\0"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

_HEADER = (
    "/* **********************************************************\n"
    " *                                                          *\n"
    " * DICOM AE (Application entity) -> IP address / Port map   *\n"
    " * (This is file ACRNEMA.MAP)                               *\n"
    " * Written by write_amap on {stamp:<32}*\n"
    " *                                                          *\n"
    " * All DICOM systems that want to retrieve images from the  *\n"
    " * Conquest DICOM server must be listed here with correct   *\n"
    " * AE name, (IP adress or hostname) and port number.        *\n"
    " * The first entry is the Conquest system as example.       *\n"
    " *                                                          *\n"
    " *                                                          *\n"
    " * The syntax for each entry is :                           *\n"
    " *   AE   <IP adress|Host name>   port number   compression *\n"
    " *                                                          *\n"
    " * For compression see manual. Values are un=uncompressed;  *\n"
    " * ul=littleendianexplicit,ub=bigendianexplicit,ue=both     *\n"
    " * j1,j2=lossless jpeg;j3..j6=lossy jpeg;n1..n4=nki private *\n"
    " * jk = jpeg2000 lossless, jl = jpeg2000 lossy              *\n"
    " *                                                          *\n"
    " ********************************************************** */\n"
    "\n"
)


def _ci(text: str) -> str:
    return text.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class AmapEntry:
    """One acrnema.map entry: ``AE host port compression [extra ...]``.

    ``port`` is kept as written (it may end in ``*``); :attr:`port_number` is its C ``atoi``.
    ``compression`` is a code of dgate.md §8 (``un`` when the column is missing), possibly with
    a trailing ``!`` (no Implicit-LE fallback proposal).  ``line`` is the 1-based line of the
    entry (0 for entries not read from a file, or read with ``conquest_quirks``).
    """

    ae_title: str
    host: str = ""
    port: str = ""
    compression: str = DEFAULT_COMPRESSION
    extra: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)

    @property
    def is_wildcard(self) -> bool:
        """Whether the AE title ends in ``*`` (matches every AE starting with the part before it)."""
        return self.ae_title.endswith("*")

    @property
    def port_number(self) -> int:
        return atoi(self.port)

    def format(self, fmt: str = AMAP_FORMAT) -> str:
        """The entry through a ``get_amap`` format: the four fields, passed three times over."""
        return c_format(fmt, (self.ae_title, self.host, self.port, self.compression) * 3)


@dataclass(frozen=True)
class AcrNemaMap:
    """acrnema.map as a list of entries in file order, with dgate's look-up and edit commands."""

    entries: tuple[AmapEntry, ...] = ()
    path: str = "acrnema.map"
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> AmapEntry:
        return self.entries[index]

    def lookup(self, ae_title: str) -> AmapEntry | None:
        """The entry dgate uses for an AE title (module docstring, "Look-up").

        Parameters
        ----------
        ae_title : str
            A C-MOVE destination, an ``--echo:`` target, a forwarding AE ...; trailing spaces,
            tabs, CR, LF and NUL are ignored.

        Returns
        -------
        AmapEntry or None
            The entry, with host and port substituted for a wildcard hit; ``None`` for an empty
            or unknown AE.
        """
        found = self._find(ae_title)
        if found is None:
            return None
        index, rest = found
        entry = self.entries[index]
        if rest is None:
            return entry
        return replace(entry, host=_substitute(entry.host, rest), port=_substitute(entry.port, rest))

    def _find(self, ae_title: str) -> tuple[int, str | None] | None:
        """(index, rest of the AE after a wildcard prefix or ``None``) of dgate's hit."""
        wanted = ae_title.rstrip(_TRIM)
        if not wanted:
            return None
        for index, entry in enumerate(self.entries):
            name = entry.ae_title
            if name.endswith("*"):
                prefix = name[:-1]
                if len(wanted) >= len(prefix) and _ci(wanted[:len(prefix)]) == _ci(prefix):
                    return index, wanted[len(prefix):]
            if name == wanted:
                return index, None
        for index, entry in enumerate(self.entries):
            if _ci(entry.ae_title) == _ci(wanted):
                return index, None
        return None

    def get(self, index: int) -> AmapEntry | None:
        """Entry ``index`` (0-based, wildcards included), ``None`` when out of range."""
        return self.entries[index] if 0 <= index < len(self.entries) else None

    def listing(self, fmt: str | None = None) -> str:
        """``get_amaps:``: the entries whose AE contains no ``*``, each through ``fmt``.

        The default format is :data:`AMAP_FORMAT` followed by a newline.
        """
        fmt = fmt or AMAP_FORMAT + "\n"
        return "".join(entry.format(fmt) for entry in self.entries if "*" not in entry.ae_title)

    def put(self, index: int, ae_title: str | None = None, host: str | None = None,
            port: str | None = None, compression: str | None = None) -> AcrNemaMap:
        """``put_amap:i,AE,host,port,compr``: replace entry ``i``, or append when ``i`` >= count.

        Fields given as ``None`` are left as they are (a new entry starts as ``"" "" "" un``),
        as dgate does for a command with fewer fields.  The file is not written
        (``write_amap`` does that: :meth:`write`).
        """
        changes = {name: value for name, value in (("ae_title", ae_title), ("host", host),
                   ("port", port), ("compression", compression)) if value is not None}
        entries = list(self.entries)
        if 0 <= index < len(entries):
            entries[index] = replace(entries[index], **changes)
        else:
            entries.append(replace(AmapEntry(""), **changes))
        return AcrNemaMap(tuple(entries), self.path)

    def delete(self, index: int) -> AcrNemaMap:
        """``delete_amap:i``: remove entry ``i``; nothing happens when it is out of range."""
        if not 0 <= index < len(self.entries):
            return self
        return AcrNemaMap(self.entries[:index] + self.entries[index + 1:], self.path)

    def text(self, now: float | None = None) -> str:
        """The file ``write_amap:`` writes: ConQuest's comment header, then one line per entry.

        Lines are :data:`AMAP_FORMAT` (so they carry trailing blanks).  Columns after the fourth
        are kept after the compression column: dgate 1.5.0e drops them, but they are what Lua
        scripts read and dgate itself ignores them.  dgate 1.5.0e prints an uninitialised buffer
        as the date in the header (dgate.cpp passes ``TimeString``, not the ``ctime`` it
        computed); the date is written here.
        """
        stamp = time.asctime(time.localtime(now))
        lines = [_HEADER.format(stamp=stamp)]
        for entry in self.entries:
            line = entry.format(AMAP_FORMAT)
            if entry.extra:
                line += " " + " ".join(entry.extra)
            lines.append(line + "\n")
        return "".join(lines)

    def write(self, path: str | os.PathLike[str] | None = None, now: float | None = None) -> None:
        """Write :meth:`text` (through ``<file>.new``, renamed over the file)."""
        target = os.fspath(path) if path is not None else self.path
        temporary = target + ".new"
        with open(temporary, "wb") as f:
            f.write(self.text(now).encode("utf-8", "surrogateescape"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)


def _substitute(value: str, rest: str) -> str:
    return value[:-1] + rest if value.endswith("*") else value


def _entry(words: list[str], line: int = 0) -> AmapEntry:
    padded = words + [""] * (3 - len(words)) if len(words) < 3 else words
    return AmapEntry(ae_title=padded[0], host=padded[1], port=padded[2],
                     compression=words[3] if len(words) > 3 else DEFAULT_COMPRESSION,
                     extra=tuple(words[4:]), line=line)


# ------------------------------------------------------------------------------------------------
# dgate's reading (amap.cpp InitACRNemaAddressArray), step by step
# ------------------------------------------------------------------------------------------------


def _conquest_records(text: str) -> list[str]:
    """The lines dgate 1.5.0e sees after its comment removal; each gives one entry."""
    buf = text + "\r"
    # 1. /* ... */ blocks (an unterminated one runs to the end)
    out: list[str] = []
    i, n = 0, len(buf)
    while i < n:
        if buf[i] == "/" and i + 1 < n and buf[i + 1] == "*":
            i += 2
            while i < n:
                if buf[i] == "*" and i + 1 < n and buf[i + 1] == "/":
                    i += 1
                    break
                i += 1
        else:
            out.append(buf[i])
        i += 1
    s = "".join(out).split("\0", 1)[0]  # strlen()
    # 2. LF -> CR, tab -> space
    s = s.replace("\n", "\r").replace("\t", " ")
    # 3. '//', '#' and ';' comments, each with the CR that ends it; ';' starts one character early
    out = []
    i, n = 0, len(s)
    while i < n:
        if s[i] == "/" and i + 1 < n and s[i + 1] == "/":
            i += 2
            while i < n and s[i] != "\r":
                i += 1
        elif s[i] == "#" or (i + 1 < n and s[i + 1] == ";"):
            i += 1
            while i < n and s[i] != "\r":
                i += 1
        else:
            out.append(s[i])
        i += 1
    s = "".join(out)
    # 4. empty lines, leading, trailing and double spaces
    out = []
    for i, c in enumerate(s):
        if c == " " and (not out or out[-1] in " \r" or (i + 1 < len(s) and s[i + 1] == "\r")):
            continue
        if c == "\r" and (not out or out[-1] == "\r"):
            continue
        out.append(c)
    # one entry per CR; text after the last CR (its CR eaten by a comment) is not an entry
    return "".join(out).split("\r")[:-1]


def _conquest_entries(text: str) -> tuple[AmapEntry, ...]:
    entries = []
    for record in _conquest_records(text):
        words = _C_WORDS.findall(record)[:4]
        if words:
            entries.append(_entry(words))
    return tuple(entries)


# ------------------------------------------------------------------------------------------------
# The sane reading
# ------------------------------------------------------------------------------------------------


def _blank_block_comments(text: str) -> str:
    """``/* ... */`` replaced by spaces, line breaks kept (so line numbers stay right)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            stop = n if end < 0 else end + 2
            out.append("".join(c if c in "\r\n" else " " for c in text[i:stop]))
            i = stop
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _line_comment(line: str) -> int:
    """Where a ``#``, ``//`` or ``;`` comment starts in a line, -1 when there is none."""
    starts = [pos for pos in (line.find("#"), line.find("//"), line.find(";")) if pos >= 0]
    return min(starts) if starts else -1


def _sane_entries(text: str, file: str) -> tuple[tuple[AmapEntry, ...], list[str]]:
    entries: list[AmapEntry] = []
    warnings: list[str] = []
    for lineno, line in enumerate(_blank_block_comments(text).splitlines(), start=1):
        cut = _line_comment(line)
        words = _C_WORDS.findall(line if cut < 0 else line[:cut])
        if words:
            entries.append(_entry(words, lineno))
            if cut >= 0 and line[cut] == ";":
                warnings.append(
                    f"{file}, line {lineno}: ';' after the entry {words[0]}: dgate also drops the "
                    f"character before it and joins the next line to this one")
            elif cut >= 0:
                warnings.append(
                    f"{file}, line {lineno}: comment after the entry {words[0]}: dgate joins the "
                    f"next line to this one and loses the entry there")
        elif cut >= 0 and line[cut] == ";":
            warnings.append(f"{file}, line {lineno}: ';' comment line: dgate joins it to the previous "
                            f"line, whose entry then gets a wrong compression")
    return tuple(entries), warnings


def _shadow_warnings(amap: AcrNemaMap, file: str) -> list[str]:
    warnings = []
    for index, entry in enumerate(amap.entries):
        if "*" in entry.ae_title:
            continue
        found = amap._find(entry.ae_title)
        if found is not None and found[0] != index:
            hit = amap.entries[found[0]]
            warnings.append(f"{file}, line {entry.line}: entry {entry.ae_title} is never used: "
                            f"{hit.ae_title} on line {hit.line} matches it first")
    return warnings


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------


def parse_amap(data: bytes | str, file: str = "acrnema.map", *,
               conquest_quirks: bool = False) -> AcrNemaMap:
    """Parse the content of an acrnema.map (module docstring).

    Parameters
    ----------
    data : bytes or str
        The file content (bytes are decoded as UTF-8 with ``surrogateescape``).
    file : str
        The file name, for messages and :meth:`AcrNemaMap.write`.
    conquest_quirks : bool
        Read exactly as dgate 1.5.0e does, comment pitfall included (entries then have no line
        numbers and no warnings are given).

    Returns
    -------
    AcrNemaMap
        Never fails: a line that is not an entry does not exist in this format.
    """
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    quirky = _conquest_entries(text)
    if conquest_quirks:
        return AcrNemaMap(quirky, file)
    entries, warnings = _sane_entries(text, file)
    amap = AcrNemaMap(entries, file)
    warnings += _shadow_warnings(amap, file)
    simple = [(e.ae_title, e.host, e.port, e.compression) for e in entries]
    if simple != [(e.ae_title, e.host, e.port, e.compression) for e in quirky]:
        seen = ", ".join(" ".join((e.ae_title, e.host, e.port, e.compression)) for e in quirky)
        warnings.append(f"{file}: dgate 1.5.0e reads {len(quirky)} entries from this file, not "
                        f"{len(entries)}: {seen or 'none'}")
    return AcrNemaMap(entries, file, tuple(warnings))


def load_amap(path: str | os.PathLike[str], *, conquest_quirks: bool = False) -> AcrNemaMap:
    """Read acrnema.map (``ACRNemaMap`` of dicom.ini, see :attr:`DicomIni.acrnema_map`).

    Raises
    ------
    ConquestConfigError
        The file cannot be read (missing, a directory, no permission): dgate logs
        ``***Error loading acr-nema map file:<file>`` (``-m``; visible with ``-v``) and exits 1.
    """
    file = os.fspath(path)
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConquestConfigError(
            f"cannot read acr-nema map file {file}: {reason}", file,
            ((CONSOLE, f"***Error loading acr-nema map file:{file}\n"),)) from None
    return parse_amap(data, file, conquest_quirks=conquest_quirks)
