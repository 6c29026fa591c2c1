"""The DCMTK command-line grammar, defined once and shared by every pydcmkit tool.

Tool authors use:

* :class:`Option`, :class:`Param`, :class:`SubGroup`, :class:`OptionGroup`, :class:`ToolSpec`
  to declare the command line (shared pieces in :mod:`pydcmkit.cli.common`);
* :func:`run_tool` and :class:`Environment` to run it (parsing, usage, ``--version``, logging,
  ``--arguments``, exception -> exit code);
* :class:`ParsedArgs` (``has``, ``value``, ``get``, ``values_all``, ``get_all``, ``winner``,
  ``honoured``, ``param``) and :func:`check_conflict` / :func:`check_dependence` in ``main``;
* :func:`get_logger` for their messages; :func:`pydcmkit.cli.manpage.render_man` for
  ``man/*.1`` (``python -m pydcmkit.cli.manpage module:SPEC -o man/x.1``).
"""

from pydcmkit.cli.app import Environment, run_tool
from pydcmkit.cli.levels import DEBUG, ERROR, FATAL, INFO, OFF, TRACE, WARN
from pydcmkit.cli.logsetup import get_logger
from pydcmkit.cli.parser import ParsedArgs, check_conflict, check_dependence, parse_command_line
from pydcmkit.cli.spec import Option, OptionGroup, Param, SubGroup, ToolSpec

__all__ = [
    "Environment", "run_tool", "ParsedArgs", "parse_command_line", "check_conflict",
    "check_dependence", "Option", "OptionGroup", "Param", "SubGroup", "ToolSpec", "get_logger",
    "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF",
]
