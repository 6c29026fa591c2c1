"""Exit codes and the exceptions that carry them.

DCMTK groups its exit codes in ranges: 0-19 general, 20-39 input, 40-59 output, 60-79 network,
80-99 processing.  Every pydcmkit tool returns one of the codes below; library code raises a
:class:`ToolError` subclass carrying the code, and :func:`pydcmkit.cli.app.run_tool` is the one
place that turns an exception into an exit status.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    NO_ERROR = 0
    COMMANDLINE_SYNTAX_ERROR = 1
    CANNOT_READ_INPUT_FILE = 20
    NO_INPUT_FILES = 21
    INVALID_INPUT_FILE = 22
    NO_VALID_INPUT_FILES = 23
    CANNOT_WRITE_OUTPUT_FILE = 40
    CANNOT_WRITE_REPORT_FILE = 43
    INVALID_OUTPUT_DIRECTORY = 45
    CANNOT_INITIALIZE_NETWORK = 60
    CANNOT_NEGOTIATE_ASSOCIATION = 61
    CANNOT_SEND_REQUEST = 62
    CANNOT_START_SCP_AND_LISTEN = 64
    CANNOT_ADD_PRESENTATION_CONTEXT = 65
    INVALID_ASSOCIATION_CONFIG = 66
    CANNOT_CREATE_TRANSPORT_LAYER = 71
    # pydcmkit extension (dcmsend --fail-on-error): some instances were not stored successfully
    STORE_FAILURES = 80
    # dcmqrscp legacy start-up failure code
    LEGACY_STARTUP_FAILURE = 10


class ToolError(Exception):
    """An error that ends a tool with a specific exit code.

    ``message`` is logged at FATAL level (``F: <message>``) by the tool runner unless it is
    empty (the error was already reported).  ``details`` are lines logged at ERROR level
    (``E: <line>``) before it, e.g. DCMTK's ``Unable to parse association configuration file: ...``.
    """

    exit_code: ExitCode = ExitCode.CANNOT_WRITE_OUTPUT_FILE

    def __init__(self, message: str = "", exit_code: int | None = None, *, details: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.details = tuple(details)
        if exit_code is not None:
            self.exit_code = ExitCode(exit_code)


class CommandLineError(ToolError):
    """A command-line syntax error: printed as ``error: <message>`` after the tool header, exit 1."""

    exit_code = ExitCode.COMMANDLINE_SYNTAX_ERROR


class AssociationConfigError(ToolError):
    """An association negotiation profile file could not be loaded (exit 66)."""

    exit_code = ExitCode.INVALID_ASSOCIATION_CONFIG
