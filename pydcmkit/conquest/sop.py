"""ConQuest's dgatesop.lst: what the server accepts (``SOPClassList``, dgate.md §11).

One entry per line, ``Name  UID  type  [extra ...]``, separated by white space; ``type`` is
``sop`` (an accepted SOP class), ``transfer`` (an accepted transfer syntax; the JPEG lines of the
stock file carry the extra word ``LittleEndianExplicit``), ``application`` (application
context), ``RemoteAE`` or ``LocalAE`` (the "UID" column holds an AE title).  Types are compared
ASCII case-insensitively: dgate itself writes ``RemoteAe`` and ``LocalAe``.  Lines whose first
non-blank character is ``#`` are comments, as are empty lines.

Only listed SOP classes and transfer syntaxes are accepted; once any ``RemoteAE`` (``LocalAE``)
line is present, only those calling (called) AE titles are accepted.

The ``put_*`` / ``delete_*`` commands rewrite the file from memory (:meth:`SopList.text`): a
fixed comment header, then the entries grouped by type in the order RemoteAE, LocalAE,
application, sop, transfer, each as ``"%-42s %-44s <type>"``.  dgate 1.5.0e gets two of these
edits wrong -- ``put_*`` with an index past the end stores the entry but does not count it, so it
is neither used nor written; ``delete_*`` shifts the wrong way and keeps a freed entry -- and
:meth:`SopList.put` / :meth:`SopList.delete` do what the commands are meant to do instead.
"""

from __future__ import annotations

import os
import re
import string
import time
from dataclasses import dataclass, field

from .errors import CONSOLE, ConquestConfigError
from .printf import c_format

__all__ = [
    "DEFAULT_TRANSFER_SYNTAXES",
    "KINDS",
    "SOP_FORMAT",
    "SopEntry",
    "SopList",
    "load_sop_list",
    "parse_sop_list",
]

#: The entry types, in the order dgate writes them.
KINDS = ("RemoteAE", "LocalAE", "application", "sop", "transfer")
#: ``get_sop:`` (``get_transfer:`` ...) default format: UID, then name.
SOP_FORMAT = "%s %s"
#: The transfer syntaxes the 1.5.0e Linux dgatesop.lst enables (the "nojpg" variant: only the first).
DEFAULT_TRANSFER_SYNTAXES = (
    "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.53",
    "1.2.840.10008.1.2.4.55", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
)

_WRITTEN_TYPE = {"RemoteAE": "RemoteAe", "LocalAE": "LocalAe", "application": "application",
                 "sop": "sop", "transfer": "transfer"}
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_KIND_BY_NAME = {kind.translate(_ASCII_LOWER): kind for kind in KINDS}
_C_WORDS = re.compile(r"[^ \t\n\v\f\r]+")


def _kind(name: str) -> str:
    kind = _KIND_BY_NAME.get(name.translate(_ASCII_LOWER))
    if kind is None:
        raise ValueError(f"unknown dgatesop.lst type {name!r} (one of {', '.join(KINDS)})")
    return kind


@dataclass(frozen=True)
class SopEntry:
    """One line of dgatesop.lst: ``name``, ``uid`` (an AE title for RemoteAE/LocalAE), ``kind``."""

    name: str
    uid: str
    kind: str
    extra: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)

    def format(self, fmt: str = SOP_FORMAT) -> str:
        """The entry through a ``get_sop`` format: UID and name, passed three times over."""
        return c_format(fmt, (self.uid, self.name) * 3)


@dataclass(frozen=True)
class SopList:
    """dgatesop.lst: the entries in file order, and the acceptance rules."""

    entries: tuple[SopEntry, ...] = ()
    path: str = "dgatesop.lst"
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def of_kind(self, kind: str) -> tuple[SopEntry, ...]:
        """The entries of one type (``sop``, ``transfer`` ...), in file order; the ``i`` of
        ``get_sop:i`` etc. counts within this list."""
        kind = _kind(kind)
        return tuple(e for e in self.entries if e.kind == kind)

    @property
    def sop_classes(self) -> tuple[str, ...]:
        return tuple(e.uid for e in self.of_kind("sop"))

    @property
    def transfer_syntaxes(self) -> tuple[str, ...]:
        return tuple(e.uid for e in self.of_kind("transfer"))

    @property
    def application_contexts(self) -> tuple[str, ...]:
        return tuple(e.uid for e in self.of_kind("application"))

    @property
    def remote_aes(self) -> tuple[str, ...]:
        return tuple(e.uid for e in self.of_kind("RemoteAE"))

    @property
    def local_aes(self) -> tuple[str, ...]:
        return tuple(e.uid for e in self.of_kind("LocalAE"))

    def accepts_sop_class(self, uid: str) -> bool:
        return uid in self.sop_classes

    def accepts_transfer_syntax(self, uid: str) -> bool:
        return uid in self.transfer_syntaxes

    def accepts_calling_ae(self, ae_title: str) -> bool:
        """True when there is no ``RemoteAE`` line, or the AE (without padding) is listed."""
        listed = self.remote_aes
        return not listed or ae_title.strip(" ") in listed

    def accepts_called_ae(self, ae_title: str) -> bool:
        """True when there is no ``LocalAE`` line, or the AE (without padding) is listed."""
        listed = self.local_aes
        return not listed or ae_title.strip(" ") in listed

    def get(self, kind: str, index: int) -> SopEntry | None:
        """``get_sop:i`` (``get_transfer:`` ...): entry ``index`` of a type, ``None`` past the end."""
        entries = self.of_kind(kind)
        return entries[index] if 0 <= index < len(entries) else None

    def put(self, kind: str, index: int, uid: str, name: str) -> SopList:
        """``put_sop:i,UID,name``: replace entry ``index`` of the type, or append it."""
        kind = _kind(kind)
        positions = [i for i, e in enumerate(self.entries) if e.kind == kind]
        entries = list(self.entries)
        entry = SopEntry(name, uid, kind)
        if 0 <= index < len(positions):
            entries[positions[index]] = entry
        else:
            entries.append(entry)
        return SopList(tuple(entries), self.path)

    def delete(self, kind: str, index: int) -> SopList:
        """``delete_sop:i``: remove entry ``index`` of the type; nothing when out of range."""
        kind = _kind(kind)
        positions = [i for i, e in enumerate(self.entries) if e.kind == kind]
        if not 0 <= index < len(positions):
            return self
        drop = positions[index]
        return SopList(self.entries[:drop] + self.entries[drop + 1:], self.path)

    def text(self, command: str = "", now: float | None = None) -> str:
        """The file dgate writes after ``put_*`` / ``delete_*`` (``command`` is named in it)."""
        stamp = time.asctime(time.localtime(now))
        lines = ["#\n", "# DICOM Application / sop / transfer UID list.\n", "#\n",
                 "# This list is used by the server (CheckedPDU_Service class).\n",
                 "# All incoming associations are verified against this file.\n",
                 f"# File written by {command} on: {stamp}\n", "#\n"]
        for kind in KINDS:
            for entry in self.of_kind(kind):
                line = f"{entry.name:<42} {entry.uid:<44} {_WRITTEN_TYPE[kind]}"
                if entry.extra:
                    line += " " + " ".join(entry.extra)
                lines.append(line + "\n")
        return "".join(lines)

    def write(self, path: str | os.PathLike[str] | None = None, command: str = "",
              now: float | None = None) -> None:
        """Write :meth:`text` (through ``<file>.new``, renamed over the file)."""
        target = os.fspath(path) if path is not None else self.path
        temporary = target + ".new"
        with open(temporary, "wb") as f:
            f.write(self.text(command, now).encode("utf-8", "surrogateescape"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)


def parse_sop_list(data: bytes | str, file: str = "dgatesop.lst") -> SopList:
    """Parse the content of a dgatesop.lst (module docstring).

    A line with fewer than three words or an unknown type is skipped with a warning naming the
    file and line.  Extra words after the type are kept in :attr:`SopEntry.extra` (and written
    back).

    Returns
    -------
    SopList
    """
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    entries: list[SopEntry] = []
    warnings: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        words = _C_WORDS.findall(line)
        if not words or words[0].startswith("#"):
            continue
        if len(words) < 3:
            warnings.append(f"{file}, line {lineno}: expected 'name UID type', ignored: {line.strip()}")
            continue
        try:
            kind = _kind(words[2])
        except ValueError:
            warnings.append(f"{file}, line {lineno}: unknown type {words[2]!r}, ignored")
            continue
        entries.append(SopEntry(words[0], words[1], kind, tuple(words[3:]), lineno))
    return SopList(tuple(entries), file, tuple(warnings))


def load_sop_list(path: str | os.PathLike[str]) -> SopList:
    """Read dgatesop.lst (``SOPClassList`` of dicom.ini, see :attr:`DicomIni.sop_class_list`).

    Raises
    ------
    ConquestConfigError
        The file cannot be read (exit 1).  dgate.md does not document dgate's own message for
        this case; the log line given is pydcmkit's.
    """
    file = os.fspath(path)
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        message = f"cannot read SOP class list {file}: {reason}"
        raise ConquestConfigError(message, file, ((CONSOLE, f"***{message}\n"),)) from None
    return parse_sop_list(data, file)
