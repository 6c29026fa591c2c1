"""DIMSE command sets: encoding, decoding and status texts.

A command set (PS3.7 §6.3, §9.3, §E) is a group-0000 dataset always encoded in Implicit VR Little
Endian, whatever the presentation context's transfer syntax.  Only the handful of elements of
PS3.7 Annex E occur, so a tiny table-driven codec replaces pydicom on the hot path of every
C-STORE.

Private elements (odd groups) are not part of PS3.7, but ConQuest's remote commands travel as
group-9999 elements inside the command set of a C-ECHO (dgate.md §6); they are kept as raw bytes
in :attr:`Command.private` and can be written with ``encode_command(private=...)``.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

# Command Field values (PS3.7 §E.1)
C_STORE_RQ, C_STORE_RSP = 0x0001, 0x8001
C_GET_RQ, C_GET_RSP = 0x0010, 0x8010
C_FIND_RQ, C_FIND_RSP = 0x0020, 0x8020
C_MOVE_RQ, C_MOVE_RSP = 0x0021, 0x8021
C_ECHO_RQ, C_ECHO_RSP = 0x0030, 0x8030
C_CANCEL_RQ = 0x0FFF

NO_DATASET = 0x0101
HAS_DATASET = 0x0000  # any other value means a dataset follows; 0x0000 is conventional

# Priority
PRIORITY_MEDIUM = 0x0000

# Tag -> (keyword, VR) for every group-0000 element of PS3.7 Annex E that we use.
_COMMAND_ELEMENTS: dict[int, tuple[str, str]] = {
    0x00000000: ("CommandGroupLength", "UL"),
    0x00000002: ("AffectedSOPClassUID", "UI"),
    0x00000003: ("RequestedSOPClassUID", "UI"),
    0x00000100: ("CommandField", "US"),
    0x00000110: ("MessageID", "US"),
    0x00000120: ("MessageIDBeingRespondedTo", "US"),
    0x00000600: ("MoveDestination", "AE"),
    0x00000700: ("Priority", "US"),
    0x00000800: ("CommandDataSetType", "US"),
    0x00000900: ("Status", "US"),
    0x00000901: ("OffendingElement", "AT"),
    0x00000902: ("ErrorComment", "LO"),
    0x00000903: ("ErrorID", "US"),
    0x00001000: ("AffectedSOPInstanceUID", "UI"),
    0x00001001: ("RequestedSOPInstanceUID", "UI"),
    0x00001002: ("EventTypeID", "US"),
    0x00001005: ("AttributeIdentifierList", "AT"),
    0x00001008: ("ActionTypeID", "US"),
    0x00001020: ("NumberOfRemainingSuboperations", "US"),
    0x00001021: ("NumberOfCompletedSuboperations", "US"),
    0x00001022: ("NumberOfFailedSuboperations", "US"),
    0x00001023: ("NumberOfWarningSuboperations", "US"),
    0x00001030: ("MoveOriginatorApplicationEntityTitle", "AE"),
    0x00001031: ("MoveOriginatorMessageID", "US"),
}
_TAG_BY_KEYWORD = {kw: tag for tag, (kw, _vr) in _COMMAND_ELEMENTS.items()}


class CommandError(ValueError):
    """A command set that cannot be decoded (PS3.7 §9.3: the association is aborted)."""


@dataclass
class Command:
    """A decoded DIMSE command set: keyword -> Python value (str for UI/AE/LO, int for US/UL).

    ``private`` holds the elements of private (odd) groups found in the command set, tag ->
    raw value bytes (padding included), in the order received.
    """

    fields: dict[str, object] = field(default_factory=dict)
    private: dict[int, bytes] = field(default_factory=dict)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["fields"][name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default=None):
        return self.fields.get(name, default)

    @property
    def command_field(self) -> int:
        return int(self.fields.get("CommandField", 0))

    @property
    def has_dataset(self) -> bool:
        return int(self.fields.get("CommandDataSetType", NO_DATASET)) != NO_DATASET


def _encode_value(vr: str, value) -> bytes:
    if vr == "US":
        return struct.pack("<H", int(value))
    if vr == "UL":
        return struct.pack("<I", int(value))
    if vr == "AT":
        tags = value if isinstance(value, (list, tuple)) else [value]
        return b"".join(struct.pack("<HH", t >> 16, t & 0xFFFF) for t in tags)
    raw = str(value).encode("ascii", "replace")
    if vr == "UI":
        return raw + b"\x00" if len(raw) % 2 else raw
    if vr == "AE":
        raw = raw[:16]
    return raw + b" " if len(raw) % 2 else raw


def encode_command(*, private: Mapping[int, bytes] | None = None, **fields) -> bytes:
    """Encode a command set in Implicit VR Little Endian, with its CommandGroupLength first.

    Elements are written in ascending tag order as PS3.5 §7.1 requires.  Unknown keywords
    raise ``KeyError`` (a programming error, never peer input).

    ``private`` maps tags of private (odd) groups to their already padded, even-length values;
    they follow group 0000 in ascending tag order, without a group length of their own, and the
    CommandGroupLength counts group 0000 only (ConQuest's layout, dgate.md §6.2).  An even group
    or an odd-length value raises ``ValueError``.
    """
    body = []
    for tag in sorted(_TAG_BY_KEYWORD[k] for k, v in fields.items() if v is not None):
        kw, vr = _COMMAND_ELEMENTS[tag]
        value = _encode_value(vr, fields[kw])
        body.append(struct.pack("<HHI", 0x0000, tag & 0xFFFF, len(value)) + value)
    payload = b"".join(body)
    tail = []
    for tag in sorted(private or ()):
        value = bytes(private[tag])
        if not (tag >> 16) & 1:
            raise ValueError(f"({tag >> 16:04x},{tag & 0xFFFF:04x}) is not a private element")
        if len(value) % 2:
            raise ValueError(f"private element ({tag >> 16:04x},{tag & 0xFFFF:04x}) has odd length {len(value)}")
        tail.append(struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value)
    return struct.pack("<HHII", 0, 0, 4, len(payload)) + payload + b"".join(tail)


def decode_command(data: bytes | bytearray | memoryview) -> Command:
    """Decode an Implicit VR Little Endian group-0000 command set.

    Elements not in PS3.7 Annex E are skipped; elements of private (odd) groups are kept raw in
    :attr:`Command.private`.  A truncated element or an element of another even group raises
    :class:`CommandError`.
    """
    mv = memoryview(data)
    n = len(mv)
    pos = 0
    out: dict[str, object] = {}
    private: dict[int, bytes] = {}
    while pos < n:
        if pos + 8 > n:
            raise CommandError("truncated command element header")
        group, elem, length = struct.unpack_from("<HHI", mv, pos)
        pos += 8
        if group != 0x0000 and not group & 1:
            raise CommandError(f"element ({group:04x},{elem:04x}) is not a command element")
        if pos + length > n:
            raise CommandError(f"command element ({group:04x},{elem:04x}) length {length} exceeds the command set")
        if group != 0x0000:
            private[(group << 16) | elem] = bytes(mv[pos:pos + length])
            pos += length
            continue
        spec = _COMMAND_ELEMENTS.get(elem)
        if spec is not None:
            kw, vr = spec
            raw = bytes(mv[pos:pos + length])
            if vr == "US":
                if length != 2:
                    raise CommandError(f"{kw} has length {length}, expected 2")
                out[kw] = struct.unpack("<H", raw)[0]
            elif vr == "UL":
                if length != 4:
                    raise CommandError(f"{kw} has length {length}, expected 4")
                out[kw] = struct.unpack("<I", raw)[0]
            elif vr == "AT":
                out[kw] = [(a << 16) | b for a, b in struct.iter_unpack("<HH", raw[: length - length % 4])]
            else:
                out[kw] = raw.decode("ascii", "replace").rstrip("\x00 ").lstrip(" ")
        pos += length
    if "CommandField" not in out:
        raise CommandError("command set without CommandField")
    return Command(out, private)


# ---------------------------------------------------------------------------------------------
# Status codes (PS3.7 Annex C) and DCMTK's texts for them.

SUCCESS = 0x0000
PENDING = 0xFF00
PENDING_WARNING = 0xFF01
CANCEL = 0xFE00
REFUSED_OUT_OF_RESOURCES = 0xA700
REFUSED_OUT_OF_RESOURCES_MATCHES = 0xA701
REFUSED_OUT_OF_RESOURCES_SUBOPS = 0xA702
REFUSED_MOVE_DESTINATION_UNKNOWN = 0xA801
REFUSED_NOT_AUTHORIZED = 0x0124
DATASET_DOES_NOT_MATCH_SOP_CLASS = 0xA900
CANNOT_UNDERSTAND = 0xC000
UNABLE_TO_PROCESS = 0xC001
WARNING_COERCION = 0xB000
WARNING_ELEMENTS_DISCARDED = 0xB006
WARNING_DOES_NOT_MATCH = 0xB007
SUBOPS_COMPLETE_WITH_FAILURES = 0xB000
SOP_CLASS_NOT_SUPPORTED = 0x0122
PROCESSING_FAILURE = 0x0110
DUPLICATE_INVOCATION = 0x0210
UNRECOGNIZED_OPERATION = 0x0211
MISTYPED_ARGUMENT = 0x0212
NO_SUCH_SOP_CLASS = 0x0118
INVALID_ARGUMENT_VALUE = 0x0115
IDENTIFIER_DOES_NOT_MATCH = 0xA900

_STORE_TEXT = {
    0x0000: "Success",
    0xA700: "Refused: OutOfResources",
    0xA900: "Error: DataSetDoesNotMatchSOPClass",
    0xC000: "Error: CannotUnderstand",
    0xB000: "Warning: CoercionOfDataElements",
    0xB007: "Warning: DataSetDoesNotMatchSOPClass",
    0xB006: "Warning: ElementsDiscarded",
    0x0122: "Refused: SOPClassNotSupported",
    0x0124: "Refused: NotAuthorized",
    0x0110: "Failed: ProcessingFailure",
    0x0211: "Failed: UnrecognizedOperation",
    0x0212: "Failed: MistypedArgument",
}

_FIND_TEXT = {
    0x0000: "Success",
    0xFF00: "Pending",
    0xFF01: "Pending: WarningUnsupportedOptionalKeys",
    0xFE00: "Cancel: MatchingTerminatedDueToCancelRequest",
    0xA700: "Refused: OutOfResources",
    0xA900: "Error: IdentifierDoesNotMatchSOPClass",
    0xC000: "Failed: UnableToProcess",
    0x0122: "Refused: SOPClassNotSupported",
}

_MOVE_TEXT = {
    0x0000: "Success",
    0xFF00: "Pending",
    0xFE00: "Cancel: SubOperationsTerminatedDueToCancelIndication",
    0xA701: "Refused: OutOfResourcesNumberOfMatches",
    0xA702: "Refused: OutOfResourcesSubOperations",
    0xA801: "Refused: MoveDestinationUnknown",
    0xA900: "Error: IdentifierDoesNotMatchSOPClass",
    0xB000: "Warning: SubOperationsCompleteOneOrMoreFailures",
    0xC000: "Failed: UnableToProcess",
    0x0122: "Refused: SOPClassNotSupported",
}


def status_text(status: int, command_field: int = C_STORE_RSP) -> str:
    """DCMTK's text for a response status (``Success``, ``Refused: OutOfResources``, ...)."""
    table = {C_STORE_RSP: _STORE_TEXT, C_FIND_RSP: _FIND_TEXT, C_MOVE_RSP: _MOVE_TEXT,
             C_GET_RSP: _MOVE_TEXT}.get(command_field | 0x8000, _STORE_TEXT)
    text = table.get(status)
    if text is not None:
        return text
    if status == 0x0000:
        return "Success"
    if status & 0xF000 == 0xA000:
        return "Refused: OutOfResources" if status & 0xFF00 == 0xA700 else "Failed"
    if status & 0xF000 == 0xC000:
        return "Error: CannotUnderstand"
    if status & 0xF000 == 0xB000:
        return "Warning"
    if status in (0xFF00, 0xFF01):
        return "Pending"
    return f"Unknown Status: 0x{status:x}"


def status_class(status: int) -> str:
    """Classify a C-STORE response status as dcmsend's summary does (dcmsend.md §7).

    ``0xA7xx``/``0x0122`` refused; ``0xA9xx``/``0xCxxx`` error; ``0xB000``, ``0xB006``, ``0xB007`` and
    other ``0xBxxx`` warnings; ``0x0000`` success; everything else unknown.
    """
    if status == 0x0000:
        return "SUCCESS"
    if status & 0xFF00 == 0xA700 or status == 0x0122:
        return "REFUSED"
    if status & 0xFF00 == 0xA900 or status & 0xF000 == 0xC000:
        return "ERROR"
    if status & 0xF000 == 0xB000:
        return "WARNING"
    return "UNKNOWN"
