"""HL7 v2 messages into the modality worklist, as dgate's ``loadhl7:`` and ``-fa FILE.hl7`` do
(dgate.md §4.1, §7.2).

The worklist entries of dicom.sql carry a seventh string, the HL7 source of the column:

* ``SEG.N``: field N of segment SEG, counted as in the message text (``PID.5`` is the fifth
  ``|``-separated field after the segment name), with its ``^`` components as they are (an
  HL7 name ``DOE^JOHN`` is already a DICOM person name);
* ``SEG.N.M``: component M (0-based) of that field (``OBR.4.1``);
* ``SEG.N.DATE`` / ``SEG.N.TIME``: the first 8 characters of a timestamp / the rest;
* ``*AN``: a new 16-character accession number; ``*UI``: a new UID;
* ``---``: no HL7 source.

Segments are separated by CR (LF and CR LF are accepted too).  Every ``OBR`` segment makes one
worklist row with the fields of the ``PID`` (and other segments) seen before it; a message
without ``OBR`` makes one row when it has a ``PID``.  Values are cut to the column width; date
columns (``DT_DATE``) keep 8 characters.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from .sql import SqlField

__all__ = ["HL7Error", "load_hl7", "parse_segments", "worklist_rows"]

_SOURCE = re.compile(r"([A-Z][A-Z0-9]{2})\.(\d+)(?:\.(\d+|DATE|TIME))?\Z", re.IGNORECASE)


class HL7Error(ValueError):
    """The text is not an HL7 v2 message that yields a worklist entry."""


def parse_segments(text: str) -> list[list[str]]:
    """The segments of a message, each as its ``|``-separated fields (field 0 = segment name).

    ``MSH`` is counted like the other segments (its field separator is not a field)."""
    segments = []
    for line in re.split(r"\r\n|\r|\n", text):
        line = line.strip("\x0b\x1c ")
        if len(line) >= 3 and line[:3].isalnum():
            segments.append(line.split("|"))
    return segments


def _value(source: str, segments: dict[str, list[str]], new_accession, new_uid) -> str:
    if source == "*AN":
        return new_accession()
    if source == "*UI":
        return new_uid()
    match = _SOURCE.match(source)
    if not match:
        return ""
    seg, field, part = match.group(1).upper(), int(match.group(2)), match.group(3)
    fields = segments.get(seg)
    if fields is None or field >= len(fields):
        return ""
    value = fields[field]
    if part is None:
        return value
    part = part.upper()
    if part == "DATE":
        return value[:8]
    if part == "TIME":
        return value[8:]
    components = value.split("^")
    index = int(part)
    return components[index] if index < len(components) else ""


def worklist_rows(text: str, fields: Sequence[SqlField], *, new_uid, new_accession=None) -> list[dict[str, str]]:
    """The worklist rows (column -> value) of an HL7 message for the worklist ``fields``.

    Raises :class:`HL7Error` when the text holds no ``PID`` segment."""
    segments = parse_segments(text)
    if not any(s[0].upper() == "PID" for s in segments):
        raise HL7Error("not an HL7 message with a PID segment")
    if new_accession is None:
        counter = iter(range(1, 1 << 30))
        stamp = str(int(time.time()))

        def new_accession():
            return (stamp + f"{next(counter):06d}")[-16:]

    rows = []
    seen: dict[str, list[str]] = {}
    has_obr = any(s[0].upper() == "OBR" for s in segments)

    def emit():
        row = {}
        for f in fields:
            if f.is_sequence_marker or not f.hl7 or f.hl7 == "---":
                continue
            value = _value(f.hl7, seen, new_accession, new_uid).strip()
            if f.dicom_type == "DT_DATE":
                value = value[:8]
            if value:
                row[f.column] = value[: f.length] if f.length > 0 else value
        rows.append(row)

    for seg in segments:
        name = seg[0].upper()
        if name == "MSH":
            seen = {}
        seen[name] = seg
        if name == "OBR":
            emit()
    if not has_obr:
        emit()
    return rows


def load_hl7(database, text: str, uids) -> int:
    """Enter the worklist rows of an HL7 message into ``database`` (a ConquestDatabase);
    ``uids`` (a UidGenerator) makes the ``*UI`` values.  Returns the number of rows."""
    table = database.worklist.sql
    rows = worklist_rows(text, table.fields, new_uid=uids.genuid)
    for row in rows:
        database.add_record(table.name, list(row), list(row.values()))
    return len(rows)
