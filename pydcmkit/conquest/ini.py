"""ConQuest's dicom.ini, read and rewritten as dgate 1.5.0e does (dgate.md §1.3, §2, §7.2).

dgate reads dicom.ini with its own ``MyGetPrivateProfileString`` (gpps.cpp), not with a general
ini parser, and every quirk of that function is visible to users:

* the file is read with ``fgets`` into a 2048-byte buffer (a longer line is read as several);
  a final LF, then a final CR, is removed;
* a line whose *first* character is a space or ``;`` is skipped (a comment); a line starting with
  a tab is not skipped, but its key keeps the tab and so never matches;
* ``[name]`` starts a section: the name runs from after ``[`` to the first ``]`` and is compared
  ASCII case-insensitively; a ``[`` line without ``]`` changes nothing;
* any other line in the wanted section is ``key = value``: the key is everything before the first
  ``=`` with trailing blanks (spaces, tabs) removed, compared ASCII case-insensitively; the value
  is everything after it, blanks removed at both ends, then *one* pair of surrounding ``"..."`` or
  ``'...'`` removed.  There are no inline comments: ``TCPPort = 5678 ; old 104`` has the value
  ``5678 ; old 104``;
* a line without ``=`` is a key with an empty value (``MyACRNema`` alone gives ``""``, not the
  code default);
* ``#`` lines are not special, but their key starts with ``#`` and never matches a real key, so
  they work as comments;
* the *first* occurrence of a key in the section wins;
* lines before the first section belong to no section.

The settings live in the section named by ``MicroPACS`` in ``[sscscp]`` (always ``sscscp`` in
practice).  dgate caches values and re-reads the file when its mtime changes; a
:class:`DicomIni` is an immutable snapshot (:meth:`DicomIni.changed_on_disk` tells when it is
out of date), and :func:`load_dicom_ini` reads a fresh one.

``put_param`` and ``delete_param`` rewrite the file line by line (:meth:`DicomIni.put`,
:meth:`DicomIni.delete`); everything else in the file -- other sections, unknown keys, comments,
order -- is kept as it is.
"""

from __future__ import annotations

import os
import stat
import string
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .errors import STDOUT, ConquestConfigError
from .printf import atoi

__all__ = [
    "CODE_DEFAULTS",
    "ConfigLocation",
    "DatabaseSettings",
    "DicomIni",
    "MAX_PDU_LENGTH",
    "ROOT_SECTION",
    "load_dicom_ini",
    "parse_dicom_ini",
    "resolve_config_location",
]

#: The section that holds ``MicroPACS`` (dgate's ``RootConfig``).
ROOT_SECTION = "sscscp"
#: dgate 1.5.0e (Linux build) proposes and accepts this maximum PDU length; ``PDUSize`` is not read.
MAX_PDU_LENGTH = 4096
PATH_SEPARATOR = "/"

_FGETS_BUFFER = 2048               # char aLine[2048] in MyGetPrivateProfileString
_BLANKS = " \t"
_C_SPACE = " \t\n\v\f\r"           # isspace() in the C locale
_PUT_PARAM_HEADER = "# Written by put_param on "
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

#: Code defaults of dgate 1.5.0e for the parameters of dgate.md §2.2 (``None``: no default, the
#: key is only used when present).  Keys are case-insensitive in the file.
CODE_DEFAULTS: dict[str, str | None] = {
    "MicroPACS": "sscscp",
    "MyACRNema": "none",
    "TCPPort": "104",
    "PACSName": "MicroPACS",
    "OperatorConsole": "/tmp/MicroPACSStatus",
    "SQLHost": "localhost",
    "SQLServer": "",
    "Username": "Administrator",
    "Password": "password",
    "SqLite": "0",
    "MySQL": "0",
    "PostGres": "0",
    "DoubleBackSlashToDB": "0",
    "UseEscapeStringConstants": "0",
    "SQLiteStartup": "PRAGMA synchronous = OFF",
    "kFactorFile": "dicom.sql",
    "ACRNemaMap": "acrnema.map",
    "SOPClassList": "dgatesop.lst",
    "Dictionary": "dgate.dic",
    "TruncateFieldNames": "10",
    "MaxFieldLength": "0",
    "FixPhilips": "0",
    "FixKodak": "0",
    "AllowEmptyPatientID": "0",
    "UIDPrefix": "1.2.826.0.1.3680043.2.135.1066",
    "EnableComputedFields": "0",
    "FileNameSyntax": "4",
    "MaxFileNameLength": "255",
    "RenameOnRewrite": "0",
    "IgnoreRewrite": "0",
    "AllowNKIAsDICOM": "0",
    "IncomingCompression": "",
    "DroppedFileCompression": "",
    "ArchiveCompression": "",
    "FileCompressMode": "0",
    "LossyQuality": "95",
    "MAGDevices": "1",
    "MAGDeviceN": "NULL",
    "MAGDeviceFullThreshold": "30",
    "MAGDeviceThreshold": "0",
    "IgnoreMAGDeviceThreshold": "0",
    "MIRRORDevices": "0",
    "MIRRORDeviceN": None,
    "NightlyCleanThreshold": "0",
    "NightlyMoveThreshold": "0",
    "NightlyMoveTarget": "",
    "LRUSort": "",
    "WatchFolder": "",
    "DelayIncomingFileOpen": "0",
    "ImportExportDragAndDrop": "1",
    "WorkListMode": "0",
    "WorkListReturnsISO_IR": "100",
    "QueriesReturnISO_IR": "0",
    "PatientQuerySortOrder": "",
    "StudyQuerySortOrder": "",
    "SeriesQuerySortOrder": "",
    "ImageQuerySortOrder": "",
    "TCPIPTimeOut": "300",
    "EnableReadAheadThread": "1",
    "StorageFailedErrorCode": "272",
    "SendUpperCaseAE": "0",
    "ExportConverters": "0",
    "ForwardAssociationLevel": "STUDY",
    "QueueSize": "128",
    "FailHoldOff": "60",
    "RetryDelay": "100",
    "ForwardCollectDelay": "600",
    "VirtualServerForN": "",
    "CacheVirtualData": "1",
    "ZipTime": "",
    "DebugLevel": "0",
    "UserLog": "PacsUser.log",
    "TroubleLog": "PacsTrouble.log",
    "TempDir": "",
    "PatientTableName": "DICOMPatients",
    "StudyTableName": "DICOMStudies",
    "SeriesTableName": "DICOMSeries",
    "ImageTableName": "DICOMImages",
    "WorkListTableName": "DICOMWorkList",
    "DMarkTableName": "DICOMAccessUpdates",
}


def _ci(text: str) -> str:
    """ASCII lower case, as ``stricmp`` / ``memicmp`` compare."""
    return text.translate(_ASCII_LOWER)


def _strip_line_end(line: str) -> str:
    if line.endswith("\n"):
        line = line[:-1]
    if line.endswith("\r"):
        line = line[:-1]
    return line


def _fgets(lines: Sequence[str], size: int) -> Iterator[str]:
    """The pieces ``fgets(buf, size, f)`` returns for these lines (line ends included)."""
    for line in lines:
        while len(line) > size - 1:
            yield line[:size - 1]
            line = line[size - 1:]
        if line:
            yield line


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


@dataclass(frozen=True)
class ConfigLocation:
    """Where dgate takes its dicom.ini from (dgate.md §1.3).

    ``config_file`` is the path as dgate names it in messages; ``base_dir`` is empty (the current
    directory) or a folder ending in ``/``: relative ``kFactorFile``, ``ACRNemaMap``,
    ``SOPClassList``, ``Dictionary``, ``UserLog`` and ``TroubleLog`` are taken from it.
    """

    config_file: str = "dicom.ini"
    base_dir: str = ""


def resolve_config_location(argv: Sequence[str]) -> ConfigLocation:
    """dgate's pre-scan of the command line for ``-w`` (dgate.md §1.3), before any other option.

    Every argument whose first character is ``-`` or ``/`` and whose second is ``w`` or ``W`` is a
    ``-w`` (the last one wins); ``/`` counts on Linux too, so an argument such as
    ``/work/x.dcm`` is taken for ``-w`` (with the value ``ork/x.dcm``), as dgate 1.5.0e does:

    * a value not ending in ``.ini`` (case-insensitive) is a directory: one trailing ``/`` is
      dropped, the directory must exist (``Directory DIR does not exist.``) and be one (``DIR is
      not a directory.``); base directory ``DIR/``, configuration ``DIR/dicom.ini``;
    * ``PATH/name.ini``: that file, base directory ``PATH/``;
    * ``name.ini`` (no ``/``): that file, base directory empty -- but dgate then applies the
      no-``-w`` rule below, so when ``argv[0]`` holds a ``/`` the file given is *ignored* and
      ``dicom.ini`` next to the executable is used (dgate.cpp: ``slen`` is reset to 0);
    * no ``-w``: when ``argv[0]`` holds a ``/``, ``dicom.ini`` in the executable's folder, which is
      also the base directory; otherwise ``dicom.ini`` in the current directory.

    Parameters
    ----------
    argv : sequence of str
        The whole command line, ``argv[0]`` included.

    Returns
    -------
    ConfigLocation

    Raises
    ------
    ConquestConfigError
        The ``-w`` directory does not exist or is not a directory (exit 1, printed to stdout).
    """
    config_file = "dicom.ini"
    base_dir = ""
    given = 0
    for arg in argv[1:]:
        if arg[:1] not in ("-", "/") or arg[1:2] not in ("w", "W"):
            continue
        value = arg[2:]
        given = len(value)
        if len(value) < 4 or _ci(value[-4:]) != ".ini":
            if value.endswith(PATH_SEPARATOR):
                value = value[:-1]
            try:
                mode = os.stat(value).st_mode
            except (OSError, ValueError):
                text = f"Directory {value} does not exist."
                raise ConquestConfigError(text, value, ((STDOUT, text + "\n"),)) from None
            if not stat.S_ISDIR(mode):
                text = f"{value} is not a directory."
                raise ConquestConfigError(text, value, ((STDOUT, text + "\n"),))
            base_dir = value + PATH_SEPARATOR
            config_file = base_dir + "dicom.ini"
            given = len(base_dir)
        elif PATH_SEPARATOR in value:
            config_file = value
            base_dir = value[:value.rfind(PATH_SEPARATOR) + 1]
        else:
            config_file = value
            base_dir = ""
            given = 0
    if given == 0 and argv and PATH_SEPARATOR in argv[0]:
        base_dir = argv[0][:argv[0].rfind(PATH_SEPARATOR) + 1]
        config_file = base_dir + "dicom.ini"
    return ConfigLocation(config_file, base_dir)


@dataclass(frozen=True)
class DatabaseSettings:
    """The database dgate opens, from ``SQLServer`` and the driver switches (dgate.md §2.2).

    ``kind`` is decided in this order: ``null`` when ``SQLServer`` is empty (the NULL driver:
    nothing is stored); ``sqlite`` when ``SqLite`` is non-zero (``server`` is then the SQLite
    file); ``postgres`` / ``mysql`` for ``PostGres`` / ``MySQL`` (``server`` is the database
    name on ``host``); ``dbase`` when ``SQLServer`` ends in a path separator (built-in dBase III
    tables in that folder); otherwise ``odbc`` (``server`` is the DSN).  Relative paths in
    ``server`` are relative to the process's current directory, not to the base directory.
    """

    kind: str
    server: str
    host: str
    username: str
    password: str
    double_backslash: bool = False
    escape_string_constants: bool = False
    sqlite_startup: str = ""


@dataclass(frozen=True)
class DicomIni:
    """A snapshot of dicom.ini with dgate's look-up rules and code defaults (dgate.md §2).

    ``lines`` are the file's lines with their line ends, exactly as read (decoded as UTF-8 with
    ``surrogateescape``, so any byte survives a rewrite).  :meth:`get` is dgate's raw look-up;
    the properties give each parameter of dgate.md §2.2 typed, with dgate 1.5.0e's *code* default
    when the key is absent (not the value of the shipped template: ``IncomingCompression`` is
    empty -- "as is" -- unless set, while the template says ``un``).  Numbers go through C
    ``atoi``: ``TCPPort = 5678x`` is 5678, ``TCPPort = x`` is 0.
    """

    lines: tuple[str, ...] = ()
    path: str = "dicom.ini"
    base_dir: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    mtime: float | None = field(default=None, compare=False)
    #: values found by :meth:`get`, per (section, key): the lines never change, and the store path
    #: asks for a dozen keys per object (a scan of the whole file each)
    _found: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- raw access -----------------------------------------------------------------------------

    def changed_on_disk(self) -> bool:
        """Whether the file's mtime differs from the one read (dgate drops its cache then).

        dgate checks at most once a second and re-reads a changed file, so most settings apply
        without a restart; a snapshot not read by :func:`load_dicom_ini` is never stale.
        """
        if self.mtime is None:
            return False
        try:
            return os.stat(self.path).st_mtime != self.mtime
        except OSError:
            return True

    @property
    def section(self) -> str:
        """The section holding the settings: ``MicroPACS`` of ``[sscscp]``, default ``sscscp``."""
        return self.get("MicroPACS", section=ROOT_SECTION) or ROOT_SECTION

    def get(self, key: str, default: str | None = None, *, section: str | None = None) -> str | None:
        """A value as dgate's ``MyGetPrivateProfileString`` finds it (module docstring).

        Parameters
        ----------
        key : str
            The key, ASCII case-insensitive.
        default : str, optional
            Returned when the key is absent from the section (a present key with an empty value
            gives ``""``).
        section : str, optional
            The section, ASCII case-insensitive; default :attr:`section`.

        Returns
        -------
        str or None
        """
        found = self._found
        asked = (section, key)  # as asked: most calls repeat the same spelling
        try:
            value = found[asked]
        except KeyError:
            wanted = (_ci(section if section is not None else self.section), _ci(key))
            try:
                value = found[wanted]
            except KeyError:
                value = found[wanted] = self._scan(*wanted)
            found[asked] = value
        return default if value is None else value

    def _scan(self, wanted_section: str, wanted_key: str) -> str | None:
        in_section = False
        for piece in _fgets(self.lines, _FGETS_BUFFER):
            line = _strip_line_end(piece)
            first = line[:1]
            if first in (" ", ";"):
                continue
            if first == "[":
                close = line.find("]")
                if close >= 0:
                    in_section = _ci(line[1:close]) == wanted_section
                continue
            if not in_section:
                continue
            equals = line.find("=")
            if equals < 0:
                name, value = line, ""
            else:
                name, value = line[:equals].rstrip(_BLANKS), line[equals + 1:].strip(_BLANKS)
            if _ci(name) == wanted_key:
                return _unquote(value)
        return None

    def get_int(self, key: str, default: int) -> int:
        """``atoi`` of the value, ``default`` when the key is absent."""
        value = self.get(key)
        return default if value is None else atoi(value)

    def has(self, key: str, *, section: str | None = None) -> bool:
        """Whether the key is present in the section."""
        return self.get(key, section=section) is not None

    def code_default(self, key: str) -> str | None:
        """dgate 1.5.0e's code default of a §2.2 parameter (``MAGDevice3`` -> ``MAGDeviceN``)."""
        for name, value in CODE_DEFAULTS.items():
            if _ci(name) == _ci(key):
                return value
        stem = key.rstrip(string.digits)
        if stem != key and _ci(stem + "N") in {_ci(name) for name in CODE_DEFAULTS}:
            return self.code_default(stem + "N")
        return None

    def text(self) -> str:
        """The file content."""
        return "".join(self.lines)

    def to_bytes(self) -> bytes:
        return self.text().encode("utf-8", "surrogateescape")

    # -- put_param / delete_param ---------------------------------------------------------------

    def put(self, key: str, value: str, *, now: float | None = None) -> DicomIni:
        """The file after ``put_param:key,value`` (dgate.md §2.1, §7.2).

        dgate rewrites the whole file: a first line ``# Written by put_param on <ctime>`` replaces
        any earlier such line (every line starting with ``# Written by put_param on``, ASCII
        case-insensitive, is dropped); *every* line that starts with ``key`` (ASCII
        case-insensitive) followed by white space -- in any section -- becomes
        ``"%-24s = %s"`` (key as given); a ``Key=value`` line without a blank before ``=`` is
        not recognised.  When no line matched, a blank line, ``# Parameter added by put_param on
        <ctime>`` and the new line are appended at the end of the file: in the *last* section,
        which with the stock template is ``[lua]``, where dgate will not find the key (pitfall).

        Parameters
        ----------
        key, value : str
        now : float, optional
            The time written in the comments (default: now), as ``ctime`` prints it.

        Returns
        -------
        DicomIni
        """
        stamp = _ctime(now)
        replacement = f"{key:<24} = {value}\n"
        out = [f"{_PUT_PARAM_HEADER}{stamp}\n"]
        written = False
        for line in self.lines:
            if _ci(line[:len(_PUT_PARAM_HEADER)]) == _ci(_PUT_PARAM_HEADER):
                continue
            if _starts_with_key(line, key):
                line = replacement
                written = True
            out.append(line)
        if not written:
            out += ["\n", f"# Parameter added by put_param on {stamp}\n", replacement]
        return DicomIni(tuple(out), self.path, self.base_dir)

    def delete(self, key: str, *, now: float | None = None) -> DicomIni:
        """The file after ``delete_param:key``: like :meth:`put`, every matching line removed."""
        out = [f"{_PUT_PARAM_HEADER}{_ctime(now)}\n"]
        for line in self.lines:
            if _ci(line[:len(_PUT_PARAM_HEADER)]) == _ci(_PUT_PARAM_HEADER):
                continue
            if not _starts_with_key(line, key):
                out.append(line)
        return DicomIni(tuple(out), self.path, self.base_dir)

    def write(self, path: str | os.PathLike[str] | None = None) -> None:
        """Write the file as dgate does: ``<file>.new`` first, then renamed over ``<file>``."""
        target = os.fspath(path) if path is not None else self.path
        temporary = target + ".new"
        with open(temporary, "wb") as f:
            f.write(self.to_bytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)

    # -- files named in dicom.ini ---------------------------------------------------------------

    def resolve(self, name: str) -> str:
        """A file name of dicom.ini as dgate opens it: without ``/`` it is taken from the base dir."""
        return name if PATH_SEPARATOR in name else self.base_dir + name

    @property
    def kfactor_file(self) -> str:
        """``kFactorFile``: the database definition (dicom.sql), resolved (:meth:`resolve`)."""
        return self.resolve(self._str("kFactorFile"))

    @property
    def acrnema_map(self) -> str:
        """``ACRNemaMap``: the known AEs (acrnema.map), resolved."""
        return self.resolve(self._str("ACRNemaMap"))

    @property
    def sop_class_list(self) -> str:
        """``SOPClassList``: accepted SOP classes and transfer syntaxes (dgatesop.lst), resolved."""
        return self.resolve(self._str("SOPClassList"))

    @property
    def dictionary(self) -> str:
        """``Dictionary``: the data dictionary (dgate.dic), resolved."""
        return self.resolve(self._str("Dictionary"))

    @property
    def user_log(self) -> str:
        return self.resolve(self._str("UserLog"))

    @property
    def trouble_log(self) -> str:
        return self.resolve(self._str("TroubleLog"))

    # -- identity and network -------------------------------------------------------------------

    @property
    def ae_title(self) -> str:
        """``MyACRNema``: own AE title, also calling and called AE of the ``--`` client."""
        return self._str("MyACRNema")

    @property
    def port(self) -> int:
        """``TCPPort``: listening port, and the port the ``--`` client connects to."""
        return self._int("TCPPort")

    @property
    def pacs_name(self) -> str:
        return self._str("PACSName")

    @property
    def operator_console(self) -> str:
        return self._str("OperatorConsole")

    @property
    def tcpip_timeout(self) -> int:
        """``TCPIPTimeOut`` in seconds."""
        return self._int("TCPIPTimeOut")

    @property
    def send_upper_case_ae(self) -> bool:
        return self._bool("SendUpperCaseAE")

    @property
    def storage_failed_error_code(self) -> int:
        """``StorageFailedErrorCode``: C-STORE status on storage failure (272 = 0x0110)."""
        return self._int("StorageFailedErrorCode")

    @property
    def enable_read_ahead_thread(self) -> bool:
        return self._bool("EnableReadAheadThread")

    # -- database -------------------------------------------------------------------------------

    @property
    def database(self) -> DatabaseSettings:
        """The database to open (:class:`DatabaseSettings`)."""
        server = self._str("SQLServer")
        if not server:
            kind = "null"
        elif self._bool("SqLite"):
            kind = "sqlite"
        elif self._bool("PostGres"):
            kind = "postgres"
        elif self._bool("MySQL"):
            kind = "mysql"
        elif server.endswith(PATH_SEPARATOR):
            kind = "dbase"
        else:
            kind = "odbc"
        return DatabaseSettings(
            kind=kind, server=server, host=self._str("SQLHost"), username=self._str("Username"),
            password=self._str("Password"), double_backslash=self._bool("DoubleBackSlashToDB"),
            escape_string_constants=self._bool("UseEscapeStringConstants"),
            sqlite_startup=self._str("SQLiteStartup"))

    @property
    def truncate_field_names(self) -> int:
        """``TruncateFieldNames``: SQL column names are cut to this many characters (0: not cut)."""
        return self._int("TruncateFieldNames")

    @property
    def max_field_length(self) -> int:
        """``MaxFieldLength``: cap of column widths (0: the dicom.sql lengths)."""
        return self._int("MaxFieldLength")

    def table_name(self, level: str) -> str:
        """``PatientTableName`` ... ``WorkListTableName``, ``DMarkTableName`` for a level name.

        ``level`` is ``Patient``, ``Study``, ``Series``, ``Image``, ``WorkList`` or ``DMark``
        (case-insensitive).  ``DICOMAccessUpdates`` (``DMark``) is only a name: 1.5.0e never
        creates that table.
        """
        for name in ("Patient", "Study", "Series", "Image", "WorkList", "DMark"):
            if _ci(name) == _ci(level):
                return self._str(name + "TableName")
        raise KeyError(level)

    @property
    def fix_philips(self) -> bool:
        return self._bool("FixPhilips")

    @property
    def fix_kodak(self) -> bool:
        return self._bool("FixKodak")

    @property
    def allow_empty_patient_id(self) -> bool:
        return self._bool("AllowEmptyPatientID")

    @property
    def enable_computed_fields(self) -> bool:
        return self._bool("EnableComputedFields")

    def query_sort_order(self, level: str) -> str:
        """``PatientQuerySortOrder`` etc.: the ORDER BY of a query level (empty: none)."""
        return self.get(f"{level}QuerySortOrder", "") or ""

    @property
    def work_list_mode(self) -> int:
        return self._int("WorkListMode")

    @property
    def work_list_returns_iso_ir(self) -> int:
        return self._int("WorkListReturnsISO_IR")

    @property
    def queries_return_iso_ir(self) -> int:
        return self._int("QueriesReturnISO_IR")

    # -- UIDs, storage, naming ------------------------------------------------------------------

    @property
    def uid_prefix(self) -> str:
        return self._str("UIDPrefix")

    @property
    def file_name_syntax(self) -> str:
        """``FileNameSyntax`` as written: a number, a ``%`` template or ``lua:...``."""
        return self._str("FileNameSyntax")

    @property
    def max_file_name_length(self) -> int:
        return self._int("MaxFileNameLength")

    @property
    def rename_on_rewrite(self) -> bool:
        return self._bool("RenameOnRewrite")

    @property
    def ignore_rewrite(self) -> bool:
        return self._bool("IgnoreRewrite")

    @property
    def allow_nki_as_dicom(self) -> bool:
        return self._bool("AllowNKIAsDICOM")

    @property
    def mag_devices(self) -> int:
        """``MAGDevices``: number of storage devices MAG0 ... MAG(n-1)."""
        return self._int("MAGDevices")

    def mag_device(self, n: int) -> str:
        """``MAGDeviceN``: root of device MAGn, which must end with ``/``.

        ConQuest's code default is the placeholder ``NULL`` (no usable device).  Relative roots
        are relative to the current directory, not to the base directory.
        """
        return self.get(f"MAGDevice{n}", "NULL") or ""

    @property
    def mag_device_roots(self) -> tuple[str, ...]:
        """The roots of MAG0 ... MAG(``MAGDevices``-1)."""
        return tuple(self.mag_device(n) for n in range(max(self.mag_devices, 0)))

    @property
    def mag_device_full_threshold(self) -> int:
        """``MAGDeviceFullThreshold`` (or ``...ThreshHold``), MB: a device with less is skipped."""
        return self._int_alias("MAGDeviceFullThreshold", "MAGDeviceFullThreshHold")

    @property
    def mag_device_threshold(self) -> int:
        """``MAGDeviceThreshold`` (or ``...ThreshHold``), MB: below it LRU patients are deleted."""
        return self._int_alias("MAGDeviceThreshold", "MAGDeviceThreshHold")

    @property
    def ignore_mag_device_threshold(self) -> bool:
        return self._bool("IgnoreMAGDeviceThreshold")

    @property
    def mirror_devices(self) -> int:
        return self._int("MIRRORDevices")

    def mirror_device(self, n: int) -> str | None:
        """``MIRRORDeviceN``, ``None`` when absent."""
        return self.get(f"MIRRORDevice{n}")

    @property
    def nightly_clean_threshold(self) -> int:
        return self._int("NightlyCleanThreshold")

    @property
    def nightly_move_threshold(self) -> int:
        return self._int("NightlyMoveThreshold")

    @property
    def nightly_move_target(self) -> str:
        return self._str("NightlyMoveTarget")

    @property
    def lru_sort(self) -> str:
        return self._str("LRUSort")

    @property
    def watch_folder(self) -> str:
        return self._str("WatchFolder")

    @property
    def delay_incoming_file_open(self) -> int:
        return self._int("DelayIncomingFileOpen")

    @property
    def import_export_drag_and_drop(self) -> bool:
        return self._bool("ImportExportDragAndDrop")

    @property
    def temp_dir(self) -> str:
        """``TempDir``; empty means ``MAG0/printer_files``."""
        return self._str("TempDir")

    # -- compression ----------------------------------------------------------------------------

    @property
    def file_compress_mode(self) -> int:
        """``FileCompressMode`` (obsolete): N = 1...4 sets both defaults below to ``nN``."""
        return self._int("FileCompressMode")

    @property
    def incoming_compression(self) -> str:
        """``IncomingCompression``: code for received objects; empty = as is (pitfall §13.5)."""
        return self._compression("IncomingCompression")

    @property
    def dropped_file_compression(self) -> str:
        """``DroppedFileCompression``: code for ``-fa``, ``--addimagefile``, the incoming folder."""
        return self._compression("DroppedFileCompression")

    @property
    def archive_compression(self) -> str:
        return self._str("ArchiveCompression")

    @property
    def lossy_quality(self) -> int:
        return self._int("LossyQuality")

    # -- routing, logging -----------------------------------------------------------------------

    @property
    def export_converters(self) -> int:
        return self._int("ExportConverters")

    @property
    def forward_association_level(self) -> str:
        return self._str("ForwardAssociationLevel")

    @property
    def queue_size(self) -> int:
        return self._int("QueueSize")

    @property
    def fail_hold_off(self) -> int:
        return self._int("FailHoldOff")

    @property
    def retry_delay(self) -> int:
        return self._int("RetryDelay")

    @property
    def forward_collect_delay(self) -> int:
        return self._int("ForwardCollectDelay")

    def virtual_server_for(self, n: int) -> str:
        """``VirtualServerForN`` (N = 0...9), empty when absent."""
        return self.get(f"VirtualServerFor{n}", "") or ""

    @property
    def cache_virtual_data(self) -> bool:
        return self._bool("CacheVirtualData")

    @property
    def zip_time(self) -> str:
        return self._str("ZipTime")

    @property
    def debug_level(self) -> int:
        return self._int("DebugLevel")

    # -- helpers --------------------------------------------------------------------------------

    def _str(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            value = CODE_DEFAULTS[key] or ""
        return value

    def _int(self, key: str) -> int:
        return atoi(self._str(key))

    def _bool(self, key: str) -> bool:
        return self._int(key) != 0

    def _int_alias(self, key: str, alias: str) -> int:
        value = self.get(key)
        if value is None:
            value = self.get(alias)
        return atoi(value if value is not None else CODE_DEFAULTS[key] or "")

    def _compression(self, key: str) -> str:
        value = self.get(key)
        if value is not None:
            return value
        mode = self.file_compress_mode
        return f"n{mode}" if mode else ""


def _starts_with_key(line: str, key: str) -> bool:
    """``memicmp(line, key, strlen(key)) == 0 && isspace(line[strlen(key)])``."""
    n = len(key)
    return len(line) > n and _ci(line[:n]) == _ci(key) and line[n] in _C_SPACE


def _ctime(now: float | None) -> str:
    """``ctime`` without its newline: ``Wed Jun 30 21:49:08 1993``."""
    return time.asctime(time.localtime(now))


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------


def parse_dicom_ini(data: bytes | str, file: str = "dicom.ini", *, base_dir: str = "") -> DicomIni:
    """Parse the content of a dicom.ini (see :func:`load_dicom_ini`).

    Parameters
    ----------
    data : bytes or str
        The file content (bytes are decoded as UTF-8 with ``surrogateescape``).
    file : str
        The file name used in messages and by :meth:`DicomIni.write`.
    base_dir : str
        The base directory (:class:`ConfigLocation`).

    Returns
    -------
    DicomIni

    Raises
    ------
    ConquestConfigError
        ``MicroPACS`` is present in ``[sscscp]`` with an empty value (exit 1).
    """
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    ini = DicomIni(tuple(text.splitlines(keepends=True)), file, base_dir)
    if ini.get("MicroPACS", ROOT_SECTION, section=ROOT_SECTION) == "":
        message = f"MicroPACS entry in {file} not found, but required."
        raise ConquestConfigError(message, file, ((STDOUT, message + "\n"),))
    return ini


def load_dicom_ini(location: ConfigLocation | str | os.PathLike[str]) -> DicomIni:
    """Read dicom.ini as dgate 1.5.0e does at start-up, in every mode (dgate.md §1.3, §1.5).

    1. The file must exist (``stat``): else ``Configuration file <file> not found, but
       required.`` on stdout and exit 1 -- also for the ``--command`` client, which reads
       ``MyACRNema`` and ``TCPPort`` from it.
    2. ``MicroPACS`` of ``[sscscp]`` must not be empty: else ``MicroPACS entry in <file> not
       found, but required.``, exit 1 (an absent key is fine: it defaults to ``sscscp``).

    A file that exists but cannot be read (a directory, no permission) reads as empty, as dgate's
    ``fopen`` failure gives every default; ``warnings`` says so.

    Parameters
    ----------
    location : ConfigLocation or path
        From :func:`resolve_config_location`, or a path (base directory: its folder).

    Returns
    -------
    DicomIni

    Raises
    ------
    ConquestConfigError
        Missing file or empty ``MicroPACS`` (exit 1).
    """
    if not isinstance(location, ConfigLocation):
        path = os.fspath(location)
        location = ConfigLocation(path, path[:path.rfind(PATH_SEPARATOR) + 1])
    file = location.config_file
    try:
        mtime = os.stat(file).st_mtime
    except (OSError, ValueError):
        message = f"Configuration file {file} not found, but required."
        raise ConquestConfigError(message, file, ((STDOUT, message + "\n"),)) from None
    warnings: tuple[str, ...] = ()
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as exc:
        data = b""
        warnings = (f"cannot read {file}: {os.strerror(exc.errno or 0)}; all settings have their defaults",)
    ini = parse_dicom_ini(data, file, base_dir=location.base_dir)
    return DicomIni(ini.lines, ini.path, ini.base_dir, warnings, mtime)
