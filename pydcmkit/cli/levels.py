"""Log levels of DCMTK (log4cplus) on top of :mod:`logging`.

TRACE (5) is added below DEBUG; log4cplus's FATAL is :data:`logging.CRITICAL`; OFF is a level
above every message.  ``%p`` prints ``FATAL ERROR WARN INFO DEBUG TRACE`` and ``%P`` the first
letter of these.
"""

from __future__ import annotations

import logging

TRACE = 5
DEBUG = logging.DEBUG
INFO = logging.INFO
WARN = logging.WARNING
ERROR = logging.ERROR
FATAL = logging.CRITICAL
OFF = 100

logging.addLevelName(TRACE, "TRACE")

#: Level names accepted by ``-ll`` (case-insensitive) and in ``-lc`` files.
LEVELS = {"OFF": OFF, "FATAL": FATAL, "ERROR": ERROR, "WARN": WARN, "INFO": INFO,
          "DEBUG": DEBUG, "TRACE": TRACE, "ALL": TRACE}

_NAMES = ((FATAL, "FATAL"), (ERROR, "ERROR"), (WARN, "WARN"), (INFO, "INFO"), (DEBUG, "DEBUG"))


def parse_level(text: str) -> int | None:
    """The level named ``text`` (log4cplus ``fromString``, case-insensitive), or ``None``."""
    return LEVELS.get(text.upper())


def level_name(levelno: int) -> str:
    """log4cplus name of a level; levels between the standard ones round down."""
    for threshold, name in _NAMES:
        if levelno >= threshold:
            return name
    return "TRACE"


def level_letter(levelno: int) -> str:
    """The one-letter prefix of DCMTK's default layout (``F E W I D T``)."""
    return level_name(levelno)[0]
