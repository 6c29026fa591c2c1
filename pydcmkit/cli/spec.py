"""Declarative description of a tool's command line: options, parameters, groups.

A :class:`ToolSpec` is the single definition from which pydcmkit derives the parser
(:mod:`pydcmkit.cli.parser`), the usage text (:mod:`pydcmkit.cli.help`), the man page
(:mod:`pydcmkit.cli.manpage`) and the configuration-file/environment defaults
(:mod:`pydcmkit.cli.settings`).  The model is DCMTK's ``OFCommandLine``: every option has one
canonical long name and at most one short name, a fixed number of values, and belongs to a
(sub-)group that only matters for the help layout.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Iterator, Union

#: Parameter kinds, spelt in the usage line as ``name``, ``[name]``, ``name...``, ``[name...]``.
PARAM_KINDS = ("mandatory", "optional", "repeat", "repeat_optional")

#: Value types: ``None``/``str`` (verbatim string), ``int`` (DCMTK ``OFCmdUnsignedInt``,
#: C ``sscanf("%lu")``) or ``"signed"`` (``OFCmdSignedInt``, C ``sscanf("%li")``).
VALUE_TYPES = (None, str, int, "signed")


def is_option_token(arg: str) -> bool:
    """Return whether a command-line argument is an option (DCMTK ``OFCommandLine::checkOption``).

    An argument is an option iff it is at least two characters long, starts with ``-`` or ``+``
    and its second character is not a decimal digit (so ``-5`` and ``+1`` are parameters and
    ``-`` is a parameter too).
    """
    return len(arg) >= 2 and arg[0] in "+-" and not ("0" <= arg[1] <= "9")


@dataclass(frozen=True)
class Option:
    """One command-line option.

    Parameters
    ----------
    long : str
        Canonical long name, e.g. ``"--aetitle"``; used in ``--arguments`` output and messages.
    short : str, optional
        Short spelling, e.g. ``"-aet"``; ``+x`` and ``-x`` are different options.
    nvalues : int
        Number of values consumed verbatim after the option (DCMTK: 0..3).
    value_desc : str, optional
        Value description shown in the help, e.g. ``"[a]etitle: string"``.
    help : str
        Description shown in the help; may contain ``\\n`` for further lines.
    block : str, optional
        Identifier of the mutually exclusive option block (rightmost wins, see
        :meth:`pydcmkit.cli.parser.ParsedArgs.winner`).
    vtype : {None, str, int, "signed"}
        Type of the values for :meth:`~pydcmkit.cli.parser.ParsedArgs.get`.
    vmin, vmax : int, optional
        Inclusive range checked for numeric values (``underflow``/``overflow`` messages).
    repeatable : bool
        The tool reads every occurrence (``values_all``), e.g. ``--add-cert-file``.
    exclusive : bool
        Like ``--help``/``--version``/``--list-decoders``: if present, parameter counts are not
        checked and the tool prints something and exits 0.
    manual : str, optional
        Longer text used only in the man page.
    hidden : bool
        Accepted but not listed in the help (DCMTK ``AF_Internal``).
    """

    long: str
    short: str | None = None
    nvalues: int = 0
    value_desc: str | None = None
    help: str = ""
    block: str | None = None
    vtype: object = None
    vmin: int | None = None
    vmax: int | None = None
    repeatable: bool = False
    exclusive: bool = False
    manual: str | None = None
    hidden: bool = False

    def __post_init__(self):
        if not (self.long.startswith("--") and is_option_token(self.long)):
            raise ValueError(f"invalid long option name {self.long!r}")
        if self.short is not None and not is_option_token(self.short):
            raise ValueError(f"invalid short option name {self.short!r}")
        if self.nvalues < 0:
            raise ValueError(f"{self.long}: nvalues must be >= 0")
        if self.vtype not in VALUE_TYPES:
            raise ValueError(f"{self.long}: unsupported vtype {self.vtype!r}")
        if self.exclusive and self.nvalues:
            raise ValueError(f"{self.long}: exclusive options take no values")

    @property
    def key(self) -> str:
        """The long name without leading dashes: the configuration-file key."""
        return self.long[2:]

    def replace(self, **changes) -> "Option":
        """Return a copy with some fields changed (e.g. a tool-specific ``help`` text)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Param:
    """One positional parameter.

    ``kind`` is ``"mandatory"``, ``"optional"``, ``"repeat"`` (one or more, ``name...``) or
    ``"repeat_optional"`` (zero or more, ``[name...]``).  ``vtype``/``vmin``/``vmax`` as for
    :class:`Option`; they are applied by :meth:`~pydcmkit.cli.parser.ParsedArgs.param`.
    """

    name: str
    help: str = ""
    kind: str = "mandatory"
    vtype: object = None
    vmin: int | None = None
    vmax: int | None = None
    manual: str | None = None

    def __post_init__(self):
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"parameter {self.name}: unknown kind {self.kind!r}")
        if self.vtype not in VALUE_TYPES:
            raise ValueError(f"parameter {self.name}: unsupported vtype {self.vtype!r}")

    @property
    def repeated(self) -> bool:
        return self.kind in ("repeat", "repeat_optional")

    @property
    def syntax(self) -> str:
        """The parameter as spelt in the usage line (``port``, ``[port]``, ``dcmfile-in...``)."""
        return {
            "mandatory": self.name,
            "optional": f"[{self.name}]",
            "repeat": f"{self.name}...",
            "repeat_optional": f"[{self.name}...]",
        }[self.kind]


@dataclass(frozen=True)
class SubGroup:
    """A sub-group heading (indented by 2) and its options (indented by 4).

    ``long_col``/``short_col`` override the tool's minimum column widths for this sub-group
    (DCMTK ``addSubGroup(name, longCols, shortCols)``).
    """

    heading: str
    options: tuple[Option, ...] = ()
    long_col: int | None = None
    short_col: int | None = None


@dataclass(frozen=True)
class OptionGroup:
    """A top-level group heading (column 0) with options and/or :class:`SubGroup` items.

    Options placed directly in the group (indented by 2) come before the first sub-group.
    """

    heading: str
    items: tuple[Union[Option, SubGroup], ...] = ()
    long_col: int | None = None
    short_col: int | None = None

    def __post_init__(self):
        seen_subgroup = False
        for item in self.items:
            if isinstance(item, SubGroup):
                seen_subgroup = True
            elif not isinstance(item, Option):
                raise TypeError(f"{self.heading}: unexpected item {item!r}")
            elif seen_subgroup:
                raise ValueError(f"{self.heading}: option {item.long} after a sub-group")

    def options(self) -> Iterator[Option]:
        for item in self.items:
            if isinstance(item, SubGroup):
                yield from item.options
            else:
                yield item


@dataclass(frozen=True)
class ToolSpec:
    """Everything pydcmkit knows about a tool's command line.

    Parameters
    ----------
    name : str
        Program name as printed (``dcmrecv``).
    description : str
        One-line description (``Simple DICOM storage SCP (receiver)``).
    params : tuple of Param
    groups : tuple of OptionGroup
    long_col, short_col : int
        Minimum widths of the long and short option columns (DCMTK ``LONGCOL``/``SHORTCOL``:
        21 and 4 for dcmrecv/dcmsend, 22 and 4 for dcmqrscp).
    param_col : int, optional
        Minimum width of the parameter name column; default ``long_col + short_col + 4``
        so that parameter descriptions line up with option descriptions.
    libraries : tuple of str
        Distribution names listed under "External libraries used" by ``--version``.
    manual : str, optional
        The man page DESCRIPTION (defaults to ``description``).
    man_sections : tuple of (title, content)
        Further man page sections (see :func:`pydcmkit.cli.manpage.render_man`).
    """

    name: str
    description: str
    params: tuple[Param, ...] = ()
    groups: tuple[OptionGroup, ...] = ()
    long_col: int = 21
    short_col: int = 4
    param_col: int | None = None
    libraries: tuple[str, ...] = ("pydicom", "pynetdicom")
    manual: str | None = None
    man_sections: tuple = ()

    def __post_init__(self):
        seen: dict[str, str] = {}
        for opt in self.options:
            for spelling in (opt.long, opt.short):
                if spelling is None:
                    continue
                if spelling in seen:
                    raise ValueError(f"{self.name}: option {spelling} defined twice")
                seen[spelling] = opt.long
        optional_seen = False
        for index, par in enumerate(self.params):
            if par.repeated and index != len(self.params) - 1:
                raise ValueError(f"{self.name}: repeated parameter {par.name} must be the last")
            if par.kind in ("mandatory", "repeat") and optional_seen:
                raise ValueError(f"{self.name}: mandatory parameter {par.name} after optional")
            if par.kind != "mandatory":
                optional_seen = True

    @functools.cached_property
    def options(self) -> tuple[Option, ...]:
        """All options in help (declaration) order."""
        return tuple(opt for group in self.groups for opt in group.options())

    @functools.cached_property
    def _by_spelling(self) -> dict[str, Option]:
        table = {}
        for opt in self.options:
            table[opt.long] = opt
            if opt.short:
                table[opt.short] = opt
        return table

    def find(self, spelling: str) -> Option | None:
        """The option spelt ``spelling`` (long or short name), or ``None``."""
        return self._by_spelling.get(spelling)

    def option(self, long: str) -> Option:
        """The option with long name ``long``; ``KeyError`` if the tool has none."""
        opt = self._by_spelling.get(long)
        if opt is None or opt.long != long:
            raise KeyError(f"{self.name} has no option {long}")
        return opt

    @functools.cached_property
    def blocks(self) -> dict[str, tuple[str, ...]]:
        """Option blocks: block id -> long names of its members in declaration order."""
        table: dict[str, list[str]] = {}
        for opt in self.options:
            if opt.block:
                table.setdefault(opt.block, []).append(opt.long)
        return {k: tuple(v) for k, v in table.items()}

    @property
    def min_params(self) -> int:
        return sum(1 for p in self.params if p.kind in ("mandatory", "repeat"))

    @property
    def max_params(self) -> int | None:
        """Maximum number of parameters, ``None`` if unlimited."""
        if any(p.repeated for p in self.params):
            return None
        return len(self.params)

    @property
    def identification(self) -> str:
        """pydcmkit's identification string, the analogue of ``$dcmtk: <tool> v3.6.7 <date> $``."""
        from pydcmkit import __version__

        return f"$pydcmkit: {self.name} v{__version__} $"

    @property
    def usage_syntax(self) -> str:
        """``<tool> [options] <params>`` as in the ``usage:`` line."""
        parts = [self.name]
        if self.options:
            parts.append("[options]")
        parts.extend(p.syntax for p in self.params)
        return " ".join(parts)
