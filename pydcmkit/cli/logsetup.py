"""Logger configuration from ``-q/-v/-d``, ``-ll``, ``-lc`` and ``--arguments``.

Implements DCMTK's ``OFLog::configureFromCommandLine`` on :mod:`logging`.  All pydcmkit
messages go through the logger ``pydcmkit`` (library modules use children such as
``pydcmkit.net``, tools ``pydcmkit.apps.<tool>``), so one configuration governs them all.
Default layout: ``%P: %m%n`` on stderr, every line of a message prefixed (``F: E: W: I: D: T:``),
default level WARN.
"""

from __future__ import annotations

import logging
import os
from typing import Mapping, TextIO

from pydcmkit.cli.levels import DEBUG, ERROR, FATAL, INFO, WARN, parse_level
from pydcmkit.cli.logconfig import (ROOT_LOGGER, LogConfigError, LoggerSetup, PatternLayout,
                                    StreamAppender, build_setup, predefined_variables,
                                    read_properties)
from pydcmkit.cli.parser import ParsedArgs, check_conflict
from pydcmkit.status import CommandLineError

#: The default layout of DCMTK's console appender.
DEFAULT_PATTERN = "%P: %m%n"
#: Members of the logging option block and the level each selects.
BLOCK_LEVELS = {"--quiet": FATAL, "--verbose": INFO, "--debug": DEBUG}
#: Level of the root logger when a ``-lc`` file leaves it unset (DCMTK's initial INFO).
UNSET_ROOT_LEVEL = INFO


def get_logger(name: str | None = None) -> logging.Logger:
    """The pydcmkit logger, or its child ``pydcmkit.<name>``."""
    return logging.getLogger(ROOT_LOGGER if not name else f"{ROOT_LOGGER}.{name}")


class LogSession:
    """The logging set-up of one tool run; :meth:`close` restores what was there before.

    ``quiet`` is DCMTK's quiet mode: the ``pydcmkit`` logger does not pass ERROR (level FATAL
    or OFF), in which case later command-line error texts are suppressed.
    """

    def __init__(self):
        self._saved: dict[str, tuple] = {}
        self._handlers: list[logging.Handler] = []
        self.quiet = False

    def _save(self, name: str) -> logging.Logger:
        logger = logging.getLogger(name)
        if name not in self._saved:
            self._saved[name] = (list(logger.handlers), logger.level, logger.propagate)
        return logger

    def apply(self, setup: LoggerSetup) -> None:
        """Install ``setup`` (replacing handlers of the named loggers)."""
        root = self._save(ROOT_LOGGER)
        root.propagate = False
        for name in {ROOT_LOGGER, *setup.levels, *setup.handlers, *setup.additivity}:
            logger = self._save(name)
            if name in setup.handlers or name == ROOT_LOGGER:
                for handler in list(logger.handlers):
                    logger.removeHandler(handler)
                for handler in setup.handlers.get(name, []):
                    logger.addHandler(handler)
                    if handler not in self._handlers:
                        self._handlers.append(handler)
            if name in setup.levels:
                logger.setLevel(setup.levels[name])
            if name in setup.additivity:
                logger.propagate = setup.additivity[name]
        if not root.handlers:
            # log4cplus prints nothing without appenders; keep logging's lastResort quiet too
            null = logging.NullHandler()
            root.addHandler(null)
            self._handlers.append(null)
        self.quiet = not root.isEnabledFor(ERROR)

    def close(self) -> None:
        """Restore the previous handlers, levels and propagation; close our handlers."""
        for name, (handlers, level, propagate) in self._saved.items():
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            for handler in handlers:
                logger.addHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
        for handler in self._handlers:
            handler.close()
        self._saved.clear()
        self._handlers.clear()


def default_setup(level: int, stderr: TextIO) -> LoggerSetup:
    """DCMTK's default: one console appender on stderr with layout ``%P: %m%n``."""
    return LoggerSetup(levels={ROOT_LOGGER: level},
                       handlers={ROOT_LOGGER: [StreamAppender(stderr, PatternLayout(DEFAULT_PATTERN))]})


def _log_config_setup(args: ParsedArgs, path: str, stdout: TextIO, stderr: TextIO,
                      environ: Mapping[str, str]) -> LoggerSetup:
    prefix = "Specified --log-config file"
    if not os.path.isfile(path):
        raise CommandLineError(f"{prefix} does not exist")
    try:
        if not os.access(path, os.R_OK):
            raise OSError
        props = read_properties(path)
    except OSError:
        raise CommandLineError(f"{prefix} cannot be read") from None
    if not props:
        raise CommandLineError(f"{prefix} does not contain any settings")
    if not any(key.startswith("log4cplus.") for key in props):
        raise CommandLineError(f"{prefix} does not contain any valid settings")
    if "log4cplus.rootLogger" not in props:
        raise CommandLineError(f"{prefix} does not set up log4cplus.rootLogger")
    try:
        setup = build_setup(props, predefined_variables(args.prog), environ, stdout, stderr)
    except LogConfigError:
        raise CommandLineError(f"{prefix} does not contain any valid settings") from None
    setup.levels.setdefault(ROOT_LOGGER, UNSET_ROOT_LEVEL)
    return setup


def logging_setup(args: ParsedArgs, stdout: TextIO, stderr: TextIO,
                  environ: Mapping[str, str]) -> LoggerSetup:
    """Evaluate the logging options in DCMTK's order and return the set-up to install.

    1. Block ``-d/-v/-q`` (rightmost wins) selects DEBUG/INFO/FATAL.
    2. ``-ll``: ``--log-level not allowed with --verbose, --debug or --quiet``; the value is
       case-insensitive (``fatal error warn info debug trace``, also ``off``/``all``), else
       ``Invalid log level for --log-level option``.
    3. ``-lc``: ``--log-config not allowed with --log-level``, then ``... with --verbose,
       --debug or --quiet``; then the file checks ("does not exist", "cannot be read", "does
       not contain any settings", "... any valid settings", "does not set up
       log4cplus.rootLogger").
    4. Otherwise default layout with the selected level, WARN if none.
    """
    spec = args.spec
    level = next((BLOCK_LEVELS[occ.option.long] for occ in reversed(args.occurrences)
                  if occ.option.long in BLOCK_LEVELS), None)
    level_text = ""
    if spec.find("--log-level") and args.has("--log-level"):
        check_conflict("--log-level", "--verbose, --debug or --quiet", level is not None)
        level_text = args.get("--log-level")
        level = parse_level(level_text)
        if level is None:
            raise CommandLineError("Invalid log level for --log-level option")
    if spec.find("--log-config") and args.has("--log-config"):
        check_conflict("--log-config", "--log-level", bool(level_text))
        check_conflict("--log-config", "--verbose, --debug or --quiet", level is not None)
        return _log_config_setup(args, args.get("--log-config"), stdout, stderr, environ)
    return default_setup(WARN if level is None else level, stderr)


def arguments_message(args: ParsedArgs) -> str:
    """The ``--arguments`` text: ``calling '<argv0>' with N arguments: 'a' 'b' `` + newline.

    N counts the command-line arguments after ``@file`` expansion; options appear by their long
    name; empty arguments are counted but not printed.
    """
    shown = "".join(f"'{arg}' " for arg in args.arguments if arg)
    return f"calling '{args.prog}' with {len(args.arguments)} arguments: {shown}\n"


def log_arguments(args: ParsedArgs) -> None:
    """Log :func:`arguments_message` at INFO regardless of the logger level (log4cplus
    ``forcedLog``): appender thresholds still apply."""
    logger = get_logger()
    record = logger.makeRecord(logger.name, INFO, __file__, 0, arguments_message(args), (), None)
    logger.handle(record)
