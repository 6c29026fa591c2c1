"""DCMTK command files: ``@file`` arguments replaced by the tokens read from the file."""

from __future__ import annotations

import os
import sys
from typing import Iterable

from pydcmkit.status import CommandLineError

_SEPARATORS = " \t\r\n"
_QUOTES = "\"'"


def split_command_file(text: str) -> list[str]:
    """Split the contents of a command file into arguments (DCMTK ``parseCommandFile``).

    * Space, TAB, CR and LF separate tokens outside quotes; runs of separators never produce
      empty tokens.
    * ``"`` and ``'`` open a quoted block; only the same character closes it, the other one
      is literal inside, and so are separators.
    * Closing a quote emits the current token at once, even if empty (``""`` is an empty
      argument; ``x"y z"w`` gives ``xy z`` and ``w``).
    * At the end any non-empty pending token is emitted; an unterminated quote runs to the end.
    * There is no comment syntax, no escape character and no variable expansion.
    """
    tokens: list[str] = []
    value: list[str] = []
    block = ""
    for ch in text:
        if ch in _QUOTES:
            if block == ch:
                tokens.append("".join(value))
                value.clear()
                block = ""
            elif not block:
                block = ch
            else:
                value.append(ch)
        elif ch in _SEPARATORS and not block:
            if value:
                tokens.append("".join(value))
                value.clear()
        else:
            value.append(ch)
    if value:
        tokens.append("".join(value))
    return tokens


def read_command_file(filename: str) -> list[str]:
    """Read and split one command file; a directory yields no tokens (as DCMTK's ``ifstream``).

    Raises :class:`CommandLineError` ``Cannot open command file '<filename>'`` if it cannot be
    opened.  Bytes are decoded like ``sys.argv`` (file-system encoding, surrogate escapes).
    """
    if os.path.isdir(filename):
        return []
    try:
        with open(filename, "rb") as handle:
            data = handle.read()
    except OSError:
        raise CommandLineError(f"Cannot open command file '{filename}'") from None
    return split_command_file(data.decode(sys.getfilesystemencoding(), "surrogateescape"))


def expand_command_files(args: Iterable[str]) -> list[str]:
    """Replace every argument ``@name`` (at least one character after ``@``) by the tokens of
    file ``name``.  Expansion is done once: tokens read from a file are never expanded again,
    and a lone ``@`` is an ordinary argument.  The first unreadable file raises
    :class:`CommandLineError`.
    """
    expanded: list[str] = []
    for arg in args:
        if len(arg) > 1 and arg[0] == "@":
            expanded.extend(read_command_file(arg[1:]))
        else:
            expanded.append(arg)
    return expanded
