"""The DCMTK command-line grammar: classify, consume values, count parameters.

:func:`parse_command_line` implements DCMTK's ``OFCommandLine::parseLine`` and
``checkParamCount``; the returned :class:`ParsedArgs` answers the questions a tool asks
afterwards (``findOption``, ``getValue``, ``getParam``, option blocks), converting values lazily
so that value errors surface when the tool evaluates them, i.e. after logging is configured
(where ``--quiet`` may suppress them), exactly as in DCMTK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from pydcmkit.cli.cmdfile import expand_command_files
from pydcmkit.cli.spec import Option, ToolSpec, is_option_token
from pydcmkit.cli.values import convert_option_value, convert_param_value
from pydcmkit.status import CommandLineError

COMMAND_LINE = "command line"

#: Parse outcomes that are not errors (DCMTK ``PS_Normal``, ``PS_NoArguments``,
#: ``PS_ExclusiveOption``).
NORMAL, NO_ARGUMENTS, EXCLUSIVE = "normal", "no_arguments", "exclusive"


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an option: its values and where it came from.

    ``origin`` is ``"command line"`` or a description of the configuration file or
    environment variable that supplied it (see :mod:`pydcmkit.cli.settings`).
    """

    option: Option
    values: tuple[str, ...]
    origin: str = COMMAND_LINE


def check_conflict(first: str, second: str, condition: bool) -> None:
    """Raise ``<first> not allowed with <second>`` if ``condition`` (DCMTK ``checkConflict``)."""
    if condition:
        raise CommandLineError(f"{first} not allowed with {second}")


def check_dependence(sub: str, base: str, condition: bool) -> None:
    """Raise ``<sub> only allowed with <base>`` unless ``condition`` (``checkDependence``)."""
    if not condition:
        raise CommandLineError(f"{sub} only allowed with {base}")


class ParsedArgs:
    """The result of parsing: options in order of appearance, parameters, outcome.

    Attributes
    ----------
    spec : ToolSpec
    prog : str
        ``argv[0]`` exactly as given.
    tokens : tuple of str
        The command-line arguments after ``@file`` expansion, as typed.
    arguments : tuple of str
        The same with every option replaced by its long name (DCMTK's argument list, printed by
        ``--arguments``); settings from configuration files/environment are not included.
    params : tuple of str
        Raw parameters in order.
    occurrences : tuple of Occurrence
        All option occurrences, settings first (configuration file, then environment), then the
        command line, so that "rightmost" means "highest precedence".
    status : str
        ``"normal"``, ``"no_arguments"`` (empty command line) or ``"exclusive"``.
    """

    def __init__(self, spec: ToolSpec, prog: str, tokens, arguments, params, occurrences, status):
        self.spec = spec
        self.prog = prog
        self.tokens = tuple(tokens)
        self.arguments = tuple(arguments)
        self.params = tuple(params)
        self.occurrences = tuple(occurrences)
        self.status = status

    def __repr__(self):
        return f"ParsedArgs({self.spec.name!r}, arguments={self.arguments!r})"

    # -- options -------------------------------------------------------------------------
    def _option(self, long: str) -> Option:
        return self.spec.option(long)

    def _positions(self, long: str) -> list[int]:
        self._option(long)
        return [i for i, occ in enumerate(self.occurrences) if occ.option.long == long]

    def has(self, long: str) -> bool:
        """Whether option ``long`` occurs at all (DCMTK ``findOption`` outside a block)."""
        return bool(self._positions(long))

    def count(self, long: str) -> int:
        """Number of occurrences of ``long``."""
        return len(self._positions(long))

    def rightmost(self, long: str) -> Occurrence | None:
        """The rightmost (highest-precedence) occurrence of ``long``, or ``None``."""
        positions = self._positions(long)
        return self.occurrences[positions[-1]] if positions else None

    def origin(self, long: str) -> str | None:
        """Where the rightmost occurrence of ``long`` came from (``"command line"``, ...)."""
        occ = self.rightmost(long)
        return occ.origin if occ else None

    @staticmethod
    def _shape(occ: Occurrence, values):
        if occ.option.nvalues == 0:
            return True
        if occ.option.nvalues == 1:
            return values[0]
        return tuple(values)

    def value(self, long: str, default=None):
        """Raw value(s) of the rightmost occurrence: a string for one value, a tuple for
        several, ``True`` for an option without values; ``default`` if absent.
        A repeated value option uses its rightmost occurrence (``-od a -od b`` is ``b``)."""
        occ = self.rightmost(long)
        return default if occ is None else self._shape(occ, occ.values)

    def values_all(self, long: str) -> list:
        """Raw values of every occurrence, left to right (for repeatable options)."""
        return [self._shape(self.occurrences[i], self.occurrences[i].values)
                for i in self._positions(long)]

    def _typed(self, occ: Occurrence):
        opt = occ.option
        typed = [convert_option_value(opt.long, v, opt.vtype, opt.vmin, opt.vmax)
                 for v in occ.values]
        return self._shape(occ, typed)

    def get(self, long: str, default=None):
        """Typed, range-checked value(s) of the rightmost occurrence (``default`` if absent).

        Conversion follows the option's ``vtype``/``vmin``/``vmax`` and raises
        :class:`~pydcmkit.status.CommandLineError` with DCMTK's message, e.g.
        ``Invalid value for option --max-pdu (underflow: 100)``.
        """
        occ = self.rightmost(long)
        return default if occ is None else self._typed(occ)

    def get_all(self, long: str) -> list:
        """Typed values of every occurrence, left to right."""
        return [self._typed(self.occurrences[i]) for i in self._positions(long)]

    # -- option blocks -------------------------------------------------------------------
    def _members(self, block: str, order: Sequence[str] | None) -> Sequence[str]:
        members = self.spec.blocks.get(block)
        if members is None:
            raise KeyError(f"{self.spec.name} has no option block {block!r}")
        return members if order is None else order

    def winner(self, block: str) -> str | None:
        """Long name of the block member whose occurrence is rightmost, or ``None``.

        This is DCMTK's "rightmost wins" for blocks whose members all set the same setting
        (``-q/-v/-d``, ``+fd/+fu/+fsu/+fst``): every other member is ignored silently.
        """
        members = set(self._members(block, None))
        for occ in reversed(self.occurrences):
            if occ.option.long in members:
                return occ.option.long
        return None

    def honoured(self, block: str, order: Sequence[str] | None = None) -> tuple[str, ...]:
        """Members of ``block`` that DCMTK honours, by its exact block rule.

        The tool tests the members in its fixed source order (``order``, default: declaration
        order); the rightmost occurrence of each member is honoured only if it lies to the
        right of the previously honoured member.  So ``-ZH -ZV`` honours both, ``-ZV -ZH`` only
        ``-ZH``, and a trailing ``--move-unrestricted`` (tested first) clears everything left of
        it.  For a block whose members all set one flag, the last honoured member is the
        :meth:`winner` (assignments in source order end with the rightmost member).
        """
        last = -1
        result = []
        for long in self._members(block, order):
            positions = self._positions(long)
            if positions and positions[-1] > last:
                last = positions[-1]
                result.append(long)
        return tuple(result)

    def is_honoured(self, long: str, order: Sequence[str] | None = None) -> bool:
        """Whether option ``long`` (a block member) is honoured, see :meth:`honoured`."""
        block = self._option(long).block
        if block is None:
            return self.has(long)
        return long in self.honoured(block, order)

    def validate(self) -> None:
        """Convert every typed option value (rightmost occurrences, repeatable ones all, in
        declaration order) and every parameter, raising the first DCMTK error.

        DCMTK checks a value only when the tool reads it, in the tool's own order; a tool reads
        its options in that order first and may call this at the end so that no declared value
        goes unchecked.
        """
        for opt in self.spec.options:
            if opt.vtype in (int, "signed") and self.has(opt.long):
                self.get_all(opt.long) if opt.repeatable else self.get(opt.long)
        for par in self.spec.params:
            self.param(par.name)

    # -- parameters ----------------------------------------------------------------------
    def param(self, name: str):
        """Typed value of parameter ``name``: a list for a repeated parameter, ``None`` for an
        absent optional one.  Errors: ``Invalid parameter value <v>`` ``[(underflow)|(overflow)]``.
        """
        for index, par in enumerate(self.spec.params):
            if par.name != name:
                continue
            if par.repeated:
                return [convert_param_value(v, par.vtype, par.vmin, par.vmax)
                        for v in self.params[index:]]
            if index >= len(self.params):
                return None
            return convert_param_value(self.params[index], par.vtype, par.vmin, par.vmax)
        raise KeyError(f"{self.spec.name} has no parameter {name}")


def _check_param_count(spec: ToolSpec, count: int) -> None:
    if count < spec.min_params:
        raise CommandLineError(f"Missing parameter {spec.params[count].name}")
    if spec.max_params is not None and count > spec.max_params:
        raise CommandLineError("Too many parameters")


def parse_command_line(
    spec: ToolSpec,
    args: Iterable[str],
    *,
    prog: str | None = None,
    settings: Iterable[Occurrence] = (),
) -> ParsedArgs:
    """Parse ``args`` (without the program name) by DCMTK's rules.

    1. ``@file`` arguments are expanded (:func:`~pydcmkit.cli.cmdfile.expand_command_files`).
    2. Each argument is an option iff :func:`~pydcmkit.cli.spec.is_option_token`; there is no
       bundling, no ``--opt=value``, no abbreviation and no ``--`` marker: anything not spelt
       exactly like a long or short name is ``Unknown option <arg>``.
    3. An option consumes its *N* values verbatim, whatever they look like;
       ``Missing value for option <long>`` if fewer remain.  The scan stops at the first error.
    4. Parameters may be interleaved with options anywhere.
    5. Outcome: empty command line -> ``"no_arguments"``; an exclusive option present ->
       ``"exclusive"`` (parameter counts are not checked); otherwise
       ``Missing parameter <name>`` / ``Too many parameters`` or ``"normal"``.

    ``settings`` are option occurrences from configuration files and the environment; they are
    placed before the command-line options (lower precedence) and do not count as arguments.
    """
    tokens = expand_command_files(args)
    occurrences = list(settings)
    arguments: list[str] = []
    params: list[str] = []
    index = 0
    while index < len(tokens):
        arg = tokens[index]
        index += 1
        if not is_option_token(arg):
            params.append(arg)
            arguments.append(arg)
            continue
        opt = spec.find(arg)
        if opt is None:
            raise CommandLineError(f"Unknown option {arg}")
        if opt.nvalues > len(tokens) - index:
            raise CommandLineError(f"Missing value for option {opt.long}")
        values = tuple(tokens[index:index + opt.nvalues])
        index += opt.nvalues
        occurrences.append(Occurrence(opt, values))
        arguments.extend((opt.long, *values))
    if not tokens:
        status = NO_ARGUMENTS
    elif any(occ.option.exclusive for occ in occurrences):
        status = EXCLUSIVE
    else:
        _check_param_count(spec, len(params))
        status = NORMAL
    return ParsedArgs(spec, prog if prog is not None else spec.name, tokens, arguments, params,
                      occurrences, status)
