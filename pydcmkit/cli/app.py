"""The tool runner: argv in, exit code out; the one place exceptions become exit codes."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence, TextIO

from pydcmkit.cli import help as helptext
from pydcmkit.cli.levels import WARN
from pydcmkit.cli.logsetup import (LogSession, default_setup, get_logger, log_arguments,
                                   logging_setup)
from pydcmkit.cli.parser import EXCLUSIVE, NO_ARGUMENTS, ParsedArgs, parse_command_line
from pydcmkit.cli.settings import config_dir, settings_occurrences
from pydcmkit.cli.spec import ToolSpec
from pydcmkit.status import CommandLineError, ExitCode, ToolError

#: Exit status for KeyboardInterrupt (the shell's 128 + SIGINT).
EXIT_INTERRUPTED = 130


@dataclass
class Environment:
    """What a tool may touch outside its arguments, injectable for in-process tests.

    Parameters
    ----------
    stdout, stderr, stdin : text streams
        Usage/version/listings go to ``stdout``; log output and error texts to ``stderr``.
    env : mapping
        Environment variables (``PYDCMKIT_*`` defaults, ``${var}`` in ``-lc`` files).
    config_dir : Path, optional
        Directory holding ``<tool>.conf``; default from ``env`` (see
        :func:`pydcmkit.cli.settings.config_dir`).
    isatty : bool, optional
        Whether stdout is a terminal; default: ask ``stdout``.
    """

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    config_dir: Path | None = None
    isatty: bool | None = None

    def __post_init__(self):
        if self.isatty is None:
            try:
                self.isatty = bool(self.stdout.isatty())
            except (AttributeError, ValueError):
                self.isatty = False

    def resolved_config_dir(self) -> Path | None:
        """``config_dir`` if given, else the directory derived from ``env``."""
        return self.config_dir if self.config_dir is not None else config_dir(self.env)


ToolMain = Callable[[ParsedArgs, Environment], int]


class _Run:
    """State of one run: the spec, the environment and the logging session."""

    def __init__(self, spec: ToolSpec, environ: Environment):
        self.spec = spec
        self.env = environ
        self.session: LogSession | None = None

    def command_line_error(self, message: str) -> int:
        if not (self.session and self.session.quiet):
            self.env.stderr.write(helptext.render_error(self.spec, message))
            self.env.stderr.flush()
        return int(ExitCode.COMMANDLINE_SYNTAX_ERROR)

    def out(self, text: str) -> int:
        self.env.stdout.write(text)
        self.env.stdout.flush()
        return int(ExitCode.NO_ERROR)

    def start_logging(self, args: ParsedArgs) -> None:
        setup = logging_setup(args, self.env.stdout, self.env.stderr, self.env.env)
        self.session = LogSession()
        self.session.apply(setup)


def run_tool(spec: ToolSpec, argv: Sequence[str] | None, main: ToolMain,
             environ: Environment | None = None, *,
             exclusive: Mapping[str, ToolMain] | None = None) -> int:
    """Run a tool the DCMTK way and return its exit code.

    Sequence (DCMTK ``OFConsoleApplication::parseCommandLine`` plus ``OFLog``):

    1. Settings from ``<tool>.conf`` and ``PYDCMKIT_<TOOL>_*`` become option occurrences in
       front of the command line; ``@file`` arguments are expanded; the command line is parsed.
       Any error -> the error block on stderr, exit 1.
    2. Empty command line and at least one mandatory parameter -> usage on stdout, exit 0.
    3. An exclusive option present -> ``--help`` (usage) wins, then ``--version``, then the
       tool's own exclusive options in declaration order, each handled by the callback in
       ``exclusive`` (``--list-decoders``, ``--list-ciphers``; default logging is set up for
       it); exit with what it returns.
    4. Logging options are evaluated (errors -> exit 1, always printed), then ``--arguments``
       is logged (forced INFO), then at DEBUG the identification line.
    5. ``main(args, environ)`` runs and its return value is the exit code.

    Exception mapping (the only one in pydcmkit):

    * :class:`~pydcmkit.status.CommandLineError` -> error block on stderr (suppressed in quiet
      mode, i.e. level FATAL/OFF, once logging is configured), exit 1;
    * :class:`~pydcmkit.status.ToolError` -> each of its ``details`` logged at ERROR, then
      ``F: <message>`` (unless empty), exit ``exit_code``;
    * :class:`KeyboardInterrupt` -> exit 130 (a server that stops cleanly on SIGINT catches it
      itself and returns 0);
    * any other exception -> ``F: internal error: <type>: <text>`` (traceback at DEBUG),
      exit 1, the status of an uncaught Python exception and of DCMTK's generic failures.

    ``argv`` includes the program name (``sys.argv`` if ``None``); ``argv[0]`` is shown as
    given by ``--arguments``.
    """
    argv = list(sys.argv if argv is None else argv)
    environ = environ or Environment()
    run = _Run(spec, environ)
    try:
        try:
            settings = settings_occurrences(spec, environ.env, environ.resolved_config_dir())
            args = parse_command_line(spec, argv[1:], prog=argv[0] if argv else spec.name,
                                      settings=settings)
        except CommandLineError as exc:
            return run.command_line_error(exc.message)
        if args.status == NO_ARGUMENTS and spec.min_params > 0:
            return run.out(helptext.render_usage(spec))
        if args.status == EXCLUSIVE:
            return _run_exclusive(run, args, exclusive or {})
        run.start_logging(args)
        if spec.find("--arguments") and args.has("--arguments"):
            log_arguments(args)
        get_logger(f"apps.{spec.name}").debug(spec.identification + "\n")
        return int(main(args, environ))
    except CommandLineError as exc:
        return run.command_line_error(exc.message)
    except ToolError as exc:
        return _report_tool_error(run, exc)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place that maps every exception
        _ensure_logging(run)
        logger = get_logger(f"apps.{spec.name}")
        logger.critical(f"internal error: {type(exc).__name__}: {exc}")
        logger.debug("traceback:", exc_info=True)
        return int(ExitCode.COMMANDLINE_SYNTAX_ERROR)
    finally:
        if run.session:
            run.session.close()


def _run_exclusive(run: _Run, args: ParsedArgs, handlers: Mapping[str, ToolMain]) -> int:
    if run.spec.find("--help") and args.has("--help"):
        return run.out(helptext.render_usage(run.spec))
    if run.spec.find("--version") and args.has("--version"):
        return run.out(helptext.render_version(run.spec))
    for opt in run.spec.options:
        if opt.exclusive and args.has(opt.long):
            if opt.long not in handlers:
                raise RuntimeError(f"no handler for exclusive option {opt.long}")
            _ensure_logging(run)
            return int(handlers[opt.long](args, run.env))
    raise RuntimeError("exclusive outcome without exclusive option")


def _ensure_logging(run: _Run) -> None:
    if run.session is None:
        run.session = LogSession()
        run.session.apply(default_setup(WARN, run.env.stderr))


def _report_tool_error(run: _Run, exc: ToolError) -> int:
    _ensure_logging(run)
    logger = get_logger(f"apps.{run.spec.name}")
    for line in exc.details:
        logger.error(line)
    if exc.message:
        logger.critical(exc.message)
    return int(exc.exit_code)


__all__ = ["Environment", "run_tool", "EXIT_INTERRUPTED"]
