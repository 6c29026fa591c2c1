"""The subset of log4cplus configuration that ``-lc/--log-config`` accepts.

DCMTK's ``-lc FILE`` replaces the logger set-up by a log4cplus properties file.  pydcmkit reads:

* ``log4cplus.rootLogger = [LEVEL][, appender...]`` (mandatory) — applies to the ``pydcmkit``
  logger; ``log4cplus.logger.<name> = [LEVEL][, appender...]`` and
  ``log4cplus.additivity.<name>`` for loggers named ``pydcmkit.*`` (others are ignored);
* appenders ``log4cplus::ConsoleAppender`` (``logToStderr``, default stdout),
  ``log4cplus::FileAppender`` (``File``, ``Append``), ``log4cplus::RollingFileAppender``
  (``MaxFileSize`` with ``KB``/``MB`` suffix, ``MaxBackupIndex``), ``log4cplus::NullAppender``,
  each with an optional ``Threshold``;
* layouts ``log4cplus::PatternLayout`` (``ConversionPattern``) and ``log4cplus::SimpleLayout``
  (the default, ``%p - %m%n``);
* pattern conversions ``%m %n %p %P %c{N} %d{fmt} %D{fmt} %t %i %h %H %r %l %L %F %M %b %x %X
  %E{var} %%`` with ``[-][min][.max]`` modifiers; in date formats ``%q`` (milliseconds) and
  ``%Q`` (milliseconds with fraction) besides ``strftime`` codes;
* ``${var}`` substitution, recursively, from the file itself, then the predefined
  ``${appname} ${hostname} ${pid} ${date} ${time}``, then the environment.

As in DCMTK, a PatternLayout formats every line of a multi-line message separately (each line
gets the full prefix); SimpleLayout does not split.  Anything else raises
:class:`LogConfigError`, reported as "does not contain any valid settings".
"""

from __future__ import annotations

import datetime as _dt
import logging
import logging.handlers
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Mapping, TextIO

from pydcmkit.cli.levels import level_letter, level_name, parse_level

ROOT_LOGGER = "pydcmkit"
DEFAULT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class LogConfigError(Exception):
    """The properties file uses something pydcmkit does not support."""


# -- pattern layout ------------------------------------------------------------------------
_CONVERSION = re.compile(r"%(-?)(\d*)(?:\.(\d+))?([a-zA-Z%])(?:\{([^}]*)\})?")
_KNOWN = set("mnpPcdDtihHrlLFMbxXE")


def _format_time(fmt: str, created: float, utc: bool) -> str:
    stamp = time.gmtime(created) if utc else time.localtime(created)
    millis = (created - int(created)) * 1000.0
    out = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            if code == "q":
                out.append(f"{int(millis):03d}")
            elif code == "Q":
                out.append(f"{millis:07.3f}")
            elif code == "%":
                out.append("%")
            else:
                out.append(time.strftime("%" + code, stamp))
            i += 2
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class _Conversion:
    char: str
    left: bool = False
    min_width: int = 0
    max_width: int | None = None
    option: str | None = None

    def render(self, record: logging.LogRecord, line: str) -> str:
        text = self._value(record, line)
        if self.max_width is not None and len(text) > self.max_width:
            text = text[len(text) - self.max_width:]
        if len(text) < self.min_width:
            text = text.ljust(self.min_width) if self.left else text.rjust(self.min_width)
        return text

    def _value(self, record: logging.LogRecord, line: str) -> str:
        c = self.char
        if c == "m":
            return line
        if c == "n":
            return "\n"
        if c == "p":
            return level_name(record.levelno)
        if c == "P":
            return level_letter(record.levelno)
        if c == "c":
            name = record.name
            if self.option and self.option.isdigit() and int(self.option) > 0:
                name = ".".join(name.split(".")[-int(self.option):])
            return name
        if c in "dD":
            return _format_time(self.option or DEFAULT_DATE_FORMAT, record.created, c == "d")
        if c == "t":
            return record.threadName or str(record.thread)
        if c == "i":
            return str(record.process)
        if c == "h":
            return socket.gethostname().split(".")[0]
        if c == "H":
            return socket.getfqdn()
        if c == "r":
            return str(int(record.relativeCreated))
        if c == "l":
            return f"{record.pathname}:{record.lineno}"
        if c == "L":
            return str(record.lineno)
        if c == "F":
            return record.pathname
        if c == "b":
            return os.path.basename(record.pathname)
        if c == "M":
            return record.funcName or ""
        if c == "E":
            return os.environ.get(self.option or "", "")
        return ""  # %x (NDC), %X (MDC): pydcmkit has none


class PatternLayout:
    """A log4cplus ``PatternLayout``.

    ``split_lines=True`` (DCMTK's behaviour for pattern layouts) applies the pattern to every
    line of the message, so ``"%P: %m%n"`` prefixes each line of a multi-line message; a
    message ending in a newline yields a last line that is only the prefix.
    """

    def __init__(self, pattern: str, split_lines: bool = True):
        self.pattern = pattern
        self.split_lines = split_lines
        self._parts: list[str | _Conversion] = []
        pos = 0
        for match in _CONVERSION.finditer(pattern):
            if match.start() > pos:
                self._literal(pattern[pos:match.start()])
            left, width, precision, char, option = match.groups()
            if char == "%":
                self._parts.append("%")
            elif char not in _KNOWN:
                raise LogConfigError(f"unsupported conversion %{char} in pattern {pattern!r}")
            else:
                self._parts.append(_Conversion(char, bool(left), int(width or 0),
                                               int(precision) if precision else None, option))
            pos = match.end()
        if pos < len(pattern):
            self._literal(pattern[pos:])

    def _literal(self, text: str) -> None:
        if "%" in text:
            raise LogConfigError(f"malformed conversion in pattern {self.pattern!r}")
        self._parts.append(text)

    def format(self, record: logging.LogRecord, message: str) -> str:
        lines = message.split("\n") if self.split_lines else [message]
        out = []
        for line in lines:
            for part in self._parts:
                out.append(part if isinstance(part, str) else part.render(record, line))
        return "".join(out)


def simple_layout() -> PatternLayout:
    """log4cplus ``SimpleLayout``: ``LEVEL - message``, message not split into lines."""
    return PatternLayout("%p - %m%n", split_lines=False)


class LayoutFormatter(logging.Formatter):
    """A :class:`logging.Formatter` producing exactly what a :class:`PatternLayout` renders
    (including the final newline); exception text is appended to the message."""

    def __init__(self, layout: PatternLayout):
        super().__init__()
        self.layout = layout

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            message = f"{message}\n{record.exc_text}"
        return self.layout.format(record, message)


class StreamAppender(logging.Handler):
    """Writes formatted records to a text stream verbatim and flushes (``ImmediateFlush``)."""

    def __init__(self, stream: TextIO, layout: PatternLayout, level: int = logging.NOTSET):
        super().__init__(level)
        self.stream = stream
        self.setFormatter(LayoutFormatter(layout))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            with _WRITE_LOCK:
                self.stream.write(text)
                self.stream.flush()
        except Exception:  # noqa: BLE001 - logging must never raise into the tool
            self.handleError(record)


_WRITE_LOCK = threading.Lock()


# -- properties ----------------------------------------------------------------------------
def read_properties(path: str) -> dict[str, str]:
    """Read a log4cplus properties file: ``key = value`` lines, ``#`` comment lines; lines
    without ``=`` are ignored.  Keys and values are trimmed; later keys replace earlier ones."""
    props: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, _, value = line.partition("=")
            props[key.strip()] = value.strip()
    return props


def predefined_variables(prog: str, now: float | None = None) -> dict[str, str]:
    """DCMTK's predefined variables: ``appname`` (basename of argv[0]), ``hostname``, ``pid``,
    ``date`` (``YYYYMMDD``) and ``time`` (``HHMMSS``)."""
    moment = _dt.datetime.fromtimestamp(time.time() if now is None else now)
    return {
        "appname": os.path.basename(prog),
        "hostname": socket.gethostname(),
        "pid": str(os.getpid()),
        "date": moment.strftime("%Y%m%d"),
        "time": moment.strftime("%H%M%S"),
    }


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def substitute(value: str, props: Mapping[str, str], environ: Mapping[str, str],
               depth: int = 0) -> str:
    """Expand ``${name}`` from ``props`` (shadowing) then ``environ``, recursively; an unknown
    name expands to the empty string."""
    if depth > 20 or "${" not in value:
        return value

    def lookup(match):
        name = match.group(1)
        found = props.get(name, environ.get(name, ""))
        return substitute(found, props, environ, depth + 1)

    return _VARIABLE.sub(lookup, value)


# -- configuration -------------------------------------------------------------------------
@dataclass
class LoggerSetup:
    """What a properties file asks for: per logger name, a level, handlers, additivity."""

    levels: dict[str, int] = field(default_factory=dict)
    handlers: dict[str, list[logging.Handler]] = field(default_factory=dict)
    additivity: dict[str, bool] = field(default_factory=dict)


def _bool(text: str, default: bool) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    return default


def _size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*(KB|MB|GB)?\s*", text, re.IGNORECASE)
    if not match:
        raise LogConfigError(f"invalid MaxFileSize {text!r}")
    factor = {None: 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[
        match.group(2).upper() if match.group(2) else None]
    return max(int(match.group(1)) * factor, 200 * 1024)


def _layout(props: Mapping[str, str], prefix: str) -> PatternLayout:
    kind = props.get(prefix + "layout", "")
    if kind in ("", "log4cplus::SimpleLayout"):
        return simple_layout()
    if kind == "log4cplus::PatternLayout":
        return PatternLayout(props.get(prefix + "layout.ConversionPattern", "%m%n"))
    raise LogConfigError(f"unsupported layout {kind}")


def _appender(name: str, props: Mapping[str, str], stdout: TextIO, stderr: TextIO
              ) -> logging.Handler | None:
    prefix = f"log4cplus.appender.{name}."
    kind = props[f"log4cplus.appender.{name}"]
    layout = _layout(props, prefix)
    if kind == "log4cplus::ConsoleAppender":
        to_stderr = _bool(props.get(prefix + "logToStderr", "false"), False)
        handler: logging.Handler = StreamAppender(stderr if to_stderr else stdout, layout)
    elif kind in ("log4cplus::FileAppender", "log4cplus::RollingFileAppender"):
        filename = props.get(prefix + "File", "")
        append = _bool(props.get(prefix + "Append", "false"), False)
        try:
            if kind == "log4cplus::FileAppender":
                handler = logging.FileHandler(filename, mode="a" if append else "w",
                                              encoding="utf-8")
            else:
                if not append:
                    open(filename, "w").close()
                handler = logging.handlers.RotatingFileHandler(
                    filename, mode="a", encoding="utf-8",
                    maxBytes=_size(props.get(prefix + "MaxFileSize", "10MB")),
                    backupCount=int(props.get(prefix + "MaxBackupIndex", "1") or 1))
        except OSError:
            stderr.write(f"log4cplus:ERROR Unable to open file: {filename}\n")
            return None
        handler.terminator = ""
        handler.setFormatter(LayoutFormatter(layout))
    elif kind == "log4cplus::NullAppender":
        handler = logging.NullHandler()
    else:
        raise LogConfigError(f"unsupported appender {kind}")
    threshold = props.get(prefix + "Threshold")
    if threshold:
        level = parse_level(threshold)
        if level is None:
            raise LogConfigError(f"invalid Threshold {threshold}")
        handler.setLevel(level)
    return handler


def _logger_entry(value: str) -> tuple[int | None, list[str]]:
    level_text, *appenders = [part.strip() for part in value.split(",")]
    level = None
    if level_text and level_text.upper() != "INHERITED":
        level = parse_level(level_text)
        if level is None:
            raise LogConfigError(f"invalid level {level_text}")
    return level, [a for a in appenders if a]


def build_setup(raw: Mapping[str, str], variables: Mapping[str, str],
                environ: Mapping[str, str], stdout: TextIO, stderr: TextIO) -> LoggerSetup:
    """Turn the properties of a ``-lc`` file into a :class:`LoggerSetup`.

    ``rootLogger`` maps to the ``pydcmkit`` logger; undefined appenders are reported on
    ``stderr`` as log4cplus does (``log4cplus:ERROR ... Invalid appender: <name>``) and skipped.
    """
    shadow = dict(variables)
    shadow.update(raw)
    props = {key: substitute(value, shadow, environ) for key, value in raw.items()}
    setup = LoggerSetup()
    built: dict[str, logging.Handler | None] = {}
    try:
        _configure(setup, built, props, stdout, stderr)
    except LogConfigError:
        for handler in built.values():
            if handler is not None:
                handler.close()
        raise
    return setup


def _configure(setup: LoggerSetup, built: dict, props: Mapping[str, str], stdout: TextIO,
               stderr: TextIO) -> None:
    entries = {ROOT_LOGGER: props["log4cplus.rootLogger"]}
    for key, value in props.items():
        if key.startswith("log4cplus.logger."):
            name = key[len("log4cplus.logger."):]
            if name == ROOT_LOGGER or name.startswith(ROOT_LOGGER + "."):
                entries[name] = value
        elif key.startswith("log4cplus.additivity."):
            name = key[len("log4cplus.additivity."):]
            if name.startswith(ROOT_LOGGER + "."):
                setup.additivity[name] = _bool(value, True)
    for name, value in entries.items():
        level, appenders = _logger_entry(value)
        if level is not None:
            setup.levels[name] = level
        handlers = []
        for appender in appenders:
            if f"log4cplus.appender.{appender}" not in props:
                stderr.write("log4cplus:ERROR PropertyConfigurator::configureLogger()- "
                             f"Invalid appender: {appender}\n")
                continue
            if appender not in built:
                built[appender] = _appender(appender, props, stdout, stderr)
            if built[appender] is not None:
                handlers.append(built[appender])
        setup.handlers[name] = handlers
