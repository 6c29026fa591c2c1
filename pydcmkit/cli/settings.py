"""Option defaults from a configuration file and the environment (a pydcmkit extension).

DCMTK has no such mechanism; pydcmkit adds one without changing the grammar: the settings are
turned into option occurrences placed *before* the command-line arguments, configuration file
first, then environment, so that DCMTK's "rightmost wins" yields the precedence
command line > environment > configuration file > built-in default.  They are not part of the
argument list printed by ``--arguments``.

* Configuration file: ``<tool>.conf`` in ``$PYDCMKIT_CONFIG_DIR``, else
  ``$XDG_CONFIG_HOME/pydcmkit``, else ``~/.config/pydcmkit``; syntax of configargparse's
  ``DefaultConfigFileParser`` (``key = value``, ``key: value``, ``#`` comments, ``[a, b]``
  lists).  Keys are long option names without the leading dashes.
* Environment: ``PYDCMKIT_<TOOL>_<LONGNAME>`` (upper case, ``-`` -> ``_``), e.g.
  ``PYDCMKIT_DCMSEND_AETITLE=MYAE``, ``PYDCMKIT_DCMRECV_VERBOSE=1``.

Options without values take a boolean (true/false, yes/no, on/off, 1/0); false means "not
set".  One value is taken verbatim; several values are split shell-like.  A list gives one
occurrence per element (repeatable options).  Only non-exclusive options may be set.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Mapping

from configargparse import ConfigFileParserException, DefaultConfigFileParser

from pydcmkit.cli.parser import Occurrence
from pydcmkit.cli.spec import Option, ToolSpec
from pydcmkit.status import CommandLineError

ENV_PREFIX = "PYDCMKIT_"
CONFIG_DIR_VARIABLE = "PYDCMKIT_CONFIG_DIR"
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


def env_variable(tool: str, long: str) -> str:
    """Environment variable naming option ``long`` of ``tool``: ``PYDCMKIT_DCMSEND_AETITLE``."""
    return f"{ENV_PREFIX}{tool}_{long.lstrip('-')}".upper().replace("-", "_")


def config_dir(env: Mapping[str, str]) -> Path | None:
    """Directory holding ``<tool>.conf``: ``$PYDCMKIT_CONFIG_DIR``, ``$XDG_CONFIG_HOME/pydcmkit``
    or ``$HOME/.config/pydcmkit``; ``None`` if none of these variables is set."""
    if env.get(CONFIG_DIR_VARIABLE):
        return Path(env[CONFIG_DIR_VARIABLE])
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "pydcmkit"
    if env.get("HOME"):
        return Path(env["HOME"]) / ".config" / "pydcmkit"
    return None


def _settable(spec: ToolSpec, key: str, where: str) -> Option:
    opt = spec.find("--" + key)
    if opt is None or opt.long != "--" + key:
        if any(p.name == key for p in spec.params):
            raise CommandLineError(f"Parameter {key} cannot be set in {where}")
        raise CommandLineError(f"Unknown option --{key} in {where}")
    if opt.exclusive:
        raise CommandLineError(f"Option {opt.long} cannot be set in {where}")
    return opt


def _occurrences(opt: Option, value, where: str) -> list[Occurrence]:
    items = value if isinstance(value, list) else [value]
    if len(items) > 1 and not opt.repeatable:
        raise CommandLineError(f"Option {opt.long} takes no list in {where}")
    result = []
    for item in items:
        text = str(item)
        if opt.nvalues == 0:
            flag = text.strip().lower()
            if flag in _TRUE:
                result.append(Occurrence(opt, (), where))
            elif flag not in _FALSE:
                raise CommandLineError(f"Invalid value for option {opt.long} ({text}) in {where}")
            continue
        if opt.nvalues == 1:
            values = [text]
        else:
            try:
                values = shlex.split(text)
            except ValueError as exc:
                raise CommandLineError(f"Invalid value for option {opt.long} in {where}: {exc}") \
                    from None
        if len(values) < opt.nvalues:
            raise CommandLineError(f"Missing value for option {opt.long} in {where}")
        if len(values) > opt.nvalues:
            raise CommandLineError(f"Too many values for option {opt.long} in {where}")
        result.append(Occurrence(opt, tuple(values), where))
    return result


def read_config_file(spec: ToolSpec, path: Path) -> dict[str, list[Occurrence]]:
    """Settings of ``path`` (absent file: none), keyed by long option name, in file order."""
    if not path.exists():
        return {}
    where = f"configuration file {path}"
    try:
        with open(path, encoding="utf-8") as stream:
            items = DefaultConfigFileParser().parse(stream)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandLineError(f"Cannot read configuration file {path}: {exc}") from None
    except ConfigFileParserException as exc:
        raise CommandLineError(f"Invalid configuration file {path}: {exc}") from None
    result = {}
    for key, value in items.items():
        opt = _settable(spec, key[2:] if key.startswith("--") else key, where)
        result[opt.long] = _occurrences(opt, value, where)
    return result


def read_environment(spec: ToolSpec, env: Mapping[str, str]) -> dict[str, list[Occurrence]]:
    """Settings from ``PYDCMKIT_<TOOL>_*`` variables, keyed by long option name.

    Variables are taken in sorted name order (relevant only when two members of one option
    block are set this way)."""
    prefix = f"{ENV_PREFIX}{spec.name}_".upper()
    by_variable = {env_variable(spec.name, opt.long): opt for opt in spec.options}
    params = {env_variable(spec.name, p.name): p.name for p in spec.params}
    result = {}
    for variable in sorted(v for v in env if v.startswith(prefix)):
        where = f"environment variable {variable}"
        opt = by_variable.get(variable)
        if opt is None:
            key = params.get(variable) or variable[len(prefix):].lower().replace("_", "-")
            _settable(spec, key, where)
        else:
            opt = _settable(spec, opt.key, where)
        result[opt.long] = _occurrences(opt, env[variable], where)
    return result


def settings_occurrences(spec: ToolSpec, env: Mapping[str, str],
                         directory: Path | None = None) -> list[Occurrence]:
    """All settings for ``spec`` as option occurrences, configuration file first, then
    environment; an environment variable replaces the same option's file setting (even when
    it is false).  ``directory`` overrides :func:`config_dir`."""
    directory = directory if directory is not None else config_dir(env)
    from_file = read_config_file(spec, directory / f"{spec.name}.conf") if directory else {}
    from_env = read_environment(spec, env)
    ordered = [occ for long, occs in from_file.items() if long not in from_env for occ in occs]
    ordered += [occ for occs in from_env.values() for occ in occs]
    return ordered


__all__ = ["env_variable", "config_dir", "settings_occurrences", "read_config_file",
           "read_environment", "CONFIG_DIR_VARIABLE"]
