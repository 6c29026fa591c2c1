"""Usage (``--help``), ``--version`` and command-line error texts in DCMTK's layout.

Layout rules (DCMTK ``OFConsoleApplication::printUsage`` / ``OFCommandLine::getOptionString``):

* header: identification line, empty line, ``<tool>: <description>``;
* ``usage: <tool> [options] <params>``, empty line, ``parameters:`` block, empty line, groups,
  final empty line;
* a group heading starts in column 0 and its options are indented by 2; a sub-group heading is
  indented by 2 and its options by 4;
* option line: indent, short name padded to the short column, 2 spaces, long name padded to the
  long column, 2 spaces, then the value description (description on the next lines) or the
  description; continuation lines are aligned under the description;
* column widths are reset at every (sub-)group heading to the heading's configured widths (or
  the tool's) and widened to the longest short/long name of the options that follow up to the
  next heading.
"""

from __future__ import annotations

import locale
import platform
from importlib import metadata

from pydcmkit.cli.spec import Option, SubGroup, ToolSpec

_SPACE = 2


def header(spec: ToolSpec) -> str:
    """``<identification>\\n\\n<tool>: <description>\\n``."""
    return f"{spec.identification}\n\n{spec.name}: {spec.description}\n"


def render_error(spec: ToolSpec, message: str) -> str:
    """The command-line error block written to stderr (``error: <message>`` after the header)."""
    return f"{header(spec)}error: {message}\n"


def render_params(spec: ToolSpec) -> str:
    """The ``parameters:`` block (empty if no parameter has a description)."""
    documented = []
    for par in spec.params:
        if not par.help:
            break
        documented.append(par)
    if not documented:
        return ""
    column = max([spec.param_col if spec.param_col is not None
                  else spec.long_col + spec.short_col + 4]
                 + [len(p.name) for p in documented])
    lines = ["parameters:\n"]
    indent = "\n" + " " * (_SPACE + column + _SPACE)
    for par in documented:
        lines.append(f"{' ' * _SPACE}{par.name.ljust(column)}{' ' * _SPACE}"
                     f"{par.help.replace(chr(10), indent)}\n")
    return "".join(lines)


def _option_line(opt: Option, indent: int, short_w: int, long_w: int) -> str:
    out = " " * indent
    if short_w > 0:
        out += (opt.short or "").ljust(short_w) + " " * _SPACE
    out += opt.long.ljust(long_w) + " " * _SPACE
    if opt.value_desc:
        out += opt.value_desc + "\n" + " " * (indent + short_w + long_w + _SPACE)
        if short_w > 0:
            out += " " * _SPACE
    continuation = "\n" + " " * (indent + short_w + long_w + 2 * _SPACE)
    return out + opt.help.replace("\n", continuation) + "\n"


def _render_run(options, indent: int, short_w: int, long_w: int) -> str:
    shown = [opt for opt in options if not opt.hidden]
    for opt in shown:
        short_w = max(short_w, len(opt.short or ""))
        long_w = max(long_w, len(opt.long))
    return "".join(_option_line(opt, indent, short_w, long_w) for opt in shown)


def render_options(spec: ToolSpec) -> str:
    """All option groups in DCMTK's layout."""
    out = []
    for group in spec.groups:
        out.append(group.heading + "\n")
        direct = [item for item in group.items if isinstance(item, Option)]
        out.append(_render_run(direct, _SPACE, *_widths(spec, group)))
        for item in group.items:
            if isinstance(item, SubGroup):
                out.append(" " * _SPACE + item.heading + "\n")
                out.append(_render_run(item.options, 2 * _SPACE, *_widths(spec, item)))
    return "".join(out)


def _widths(spec: ToolSpec, node) -> tuple[int, int]:
    short_w = node.short_col if node.short_col is not None else spec.short_col
    long_w = node.long_col if node.long_col is not None else spec.long_col
    return short_w, long_w


def render_usage(spec: ToolSpec) -> str:
    """The complete ``--help`` text (also printed for an empty command line)."""
    out = header(spec) + f"usage: {spec.usage_syntax}\n"
    params = render_params(spec)
    if params:
        out += "\n" + params
    options = render_options(spec)
    if options:
        out += "\n" + options
    return out + "\n"


def _library_versions(names) -> list[str]:
    lines = []
    for name in names:
        try:
            lines.append(f"- {name}, Version {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return lines


def render_version(spec: ToolSpec) -> str:
    """The ``--version`` text: DCMTK's shape, pydcmkit's content."""
    encoding = locale.getpreferredencoding(False) or "unknown"
    libraries = _library_versions(spec.libraries)
    out = (header(spec)
           + f"\nHost type: {platform.system()}-{platform.machine()}\n"
           + f"Character encoding: {encoding}\n"
           + f"Build options: {platform.python_implementation()} {platform.python_version()}\n")
    if libraries:
        out += "\nExternal libraries used:\n" + "".join(line + "\n" for line in libraries)
    else:
        out += "\nExternal libraries used: none\n"
    return out
