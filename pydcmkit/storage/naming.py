"""File naming schemes for received instances (DCMTK dcmrecv/storescp, dcmrecv.md §4.2-4.3).

A name is made from values that come from the network (SOP Instance UID, Series Date); every
such value is confined to one path component of safe characters, so that no received value can
make a path that leaves the output directory.
"""

from __future__ import annotations

import datetime as _dt
import enum
import os
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .. import UID_ROOT, uids

_UNSAFE = re.compile(r"[^0-9A-Za-z._-]")
MAX_COMPONENT = 255


class NamingScheme(enum.Enum):
    """The four naming options of dcmrecv (``+fd``, ``+fu``, ``+fsu``, ``+fst``)."""

    DEFAULT = "default"            # <prefix>.<SOPInstanceUID><ext>
    UNIQUE = "unique"              # <prefix>.X.<new UID><ext>
    SHORT_UNIQUE = "short-unique"  # <prefix>_<8 hex time><8 hex random><ext>
    SYSTEM_TIME = "system-time"    # <YYYYMMDDhhmmss>.<ffffff>.<prefix><ext>

    @property
    def overwrites(self) -> bool:
        """``+fd`` and ``+fst`` overwrite an existing file (with a warning); the others never do."""
        return self in (NamingScheme.DEFAULT, NamingScheme.SYSTEM_TIME)


def safe_component(value: str) -> str:
    """Confine a received value to characters that cannot form a path separator or escape.

    Everything outside ``[0-9A-Za-z._-]`` (``/``, ``\\``, NUL, spaces, non-ASCII) becomes ``_``;
    a result of ``.`` or ``..`` (or empty) becomes ``_``.
    """
    cleaned = _UNSAFE.sub("_", value)
    if cleaned in ("", ".", ".."):
        return "_"
    return cleaned


def new_uid() -> str:
    """A new UID under pydcmkit's root (PS3.5 §9: at most 64 characters)."""
    from pydicom.uid import generate_uid
    return generate_uid(prefix=UID_ROOT)


@dataclass(frozen=True)
class StorageLayout:
    """Where and under which name received instances are stored.

    Parameters
    ----------
    output_dir : str
        The output directory as given (``-od``); paths are reported as ``<output_dir>/<name>``.
    scheme : NamingScheme
    extension : str
        Appended verbatim (``-fe .dcm``).
    series_date_subdir : bool
        ``+ssd``: ``data/YYYY/MM/DD`` from a valid Series Date, otherwise ``undef/<today>``.
    """

    output_dir: str = "."
    scheme: NamingScheme = NamingScheme.DEFAULT
    extension: str = ""
    series_date_subdir: bool = False
    unknown_prefix: str | None = None  # default: UNKNOWN (XX for +fsu)


class FileNamer:
    """Generates names for one storage layout; thread-safe (the random source is per call)."""

    def __init__(self, layout: StorageLayout):
        self.layout = layout
        self.base = os.path.normpath(layout.output_dir) if layout.output_dir else "."
        self._started = int(time.time())

    def prefix(self, sop_class_uid: str) -> str:
        fallback = self.layout.unknown_prefix or (
            "XX" if self.layout.scheme is NamingScheme.SHORT_UNIQUE else "UNKNOWN")
        return uids.modality_prefix(sop_class_uid, fallback)

    def subdirectory(self, series_date: str | None, today: _dt.date | None = None) -> str:
        """``data/YYYY/MM/DD`` for a valid DA Series Date, ``undef/YYYYMMDD`` (today) otherwise."""
        if not self.layout.series_date_subdir:
            return ""
        date = parse_da(series_date)
        if date is not None:
            return f"data/{date.year:04d}/{date.month:02d}/{date.day:02d}"
        today = today or _dt.date.today()
        return f"undef/{today.strftime('%Y%m%d')}"

    def filename(self, sop_class_uid: str, sop_instance_uid: str) -> str:
        """A file name (one path component) for the instance; random parts are freshly drawn."""
        prefix = self.prefix(sop_class_uid)
        ext = self.layout.extension
        scheme = self.layout.scheme
        if scheme is NamingScheme.DEFAULT:
            name = f"{prefix}.{sop_instance_uid}{ext}"
        elif scheme is NamingScheme.UNIQUE:
            name = f"{prefix}.X.{new_uid()}{ext}"
        elif scheme is NamingScheme.SHORT_UNIQUE:
            name = f"{prefix}_{self._started & 0xFFFFFFFF:08x}{random.getrandbits(32):08x}{ext}"
        else:
            now = _dt.datetime.now()
            name = f"{now.strftime('%Y%m%d%H%M%S')}.{now.microsecond:06d}.{prefix}{ext}"
        return safe_component(name)

    def relative_path(self, sop_class_uid: str, sop_instance_uid: str, series_date: str | None = None) -> str:
        sub = self.subdirectory(series_date)
        name = self.filename(sop_class_uid, sop_instance_uid)
        return f"{sub}/{name}" if sub else name

    def display_path(self, relative: str) -> str:
        """The path as DCMTK logs it: ``<od as given, normalised>/<relative>``."""
        return f"{self.base}/{relative}"


def parse_da(value: str | bytes | None) -> _dt.date | None:
    """A DICOM DA value (``YYYYMMDD``; PS3.5 Table 6.2-1) as a date, or None if invalid."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("ascii", "replace")
    value = value.strip("\x00 ")
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return _dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def ensure_inside(base: str | Path, relative: str) -> Path:
    """Join ``relative`` to ``base`` and refuse any result outside ``base`` (defence in depth)."""
    base_p = Path(os.path.abspath(base))
    full = Path(os.path.abspath(os.path.join(base_p, relative)))
    if base_p != full and base_p not in full.parents:
        raise ValueError(f"path {relative!r} leaves the storage directory {base}")
    return full
