"""The exception for missing or broken ConQuest configuration files (dgate.md §1.5).

dgate ends with ``exit(1)`` on every configuration failure, and prints its message in one of three
ways: ``printf`` to stdout (always visible: ``Configuration file dicom.ini not found, but
required.``), ``fprintf(stderr)`` (dicom.sql syntax errors), or through its ``OperatorConsole``
log, which is only visible with ``-v`` or a log option (``***Error loading acr-nema map
file:acrnema.map``).  :class:`ConquestConfigError` keeps the exact output, with its stream, so the
dgate tool can reproduce it byte for byte, and a one-line ``message`` naming the file and the
reason for library callers.
"""

from __future__ import annotations

from ..status import ExitCode, ToolError

__all__ = ["ConquestConfigError", "CONSOLE", "STDERR", "STDOUT"]

#: ``printf``: always printed.
STDOUT = "stdout"
#: ``fprintf(stderr, ...)``: always printed.
STDERR = "stderr"
#: ``OperatorConsole.printf``: printed only when dgate logs (``-v``, ``-l``, ``-^`` ...).
CONSOLE = "console"


class ConquestConfigError(ToolError):
    """A ConQuest configuration file is missing or broken: dgate ends with exit status 1.

    Parameters
    ----------
    message : str
        One line naming the file and the reason (``str(exc)``).
    file : str
        The file as ConQuest names it (relative names stay relative).
    output : tuple of (stream, text)
        What dgate 1.5.0e prints, in order, each ``text`` with its line ends; ``stream`` is
        :data:`STDOUT`, :data:`STDERR` or :data:`CONSOLE`.  The tool writes these instead of the
        ``F:`` line of the DCMTK tools.

    Notes
    -----
    dgate's status 1 coincides with :attr:`ExitCode.COMMANDLINE_SYNTAX_ERROR`, which is the
    member used here: the number is what ConQuest clients see.
    """

    exit_code = ExitCode.COMMANDLINE_SYNTAX_ERROR  # dgate: exit(1)

    def __init__(self, message: str, file: str, output: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.file = file
        self.output = tuple(output)
