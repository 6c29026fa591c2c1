"""The attribute table of the query database: levels, information models and query keys.

This table is the single source of truth: the schema (:mod:`.schema`), the record reader
(:mod:`.records`), matching and response building (:mod:`.matching`) are all generated from it.

Two key sets exist (:class:`KeySet`):

* ``DCMTK``: exactly the keys dcmqrscp supports (``dcmqrscp.md`` §6.2, the ``TbFindAttr`` table of
  DCMTK's ``dcmqrdbi.cc``); every other attribute of an identifier is silently ignored and not
  returned.  PatientComments and AdditionalPatientHistory are accepted as keys but behave as if
  never stored: an empty value is ignored, a non-empty value never matches, they are never returned.
* ``EXTENDED``: the DCMTK keys plus what a modern archive answers: series and instance details
  (SeriesDate, SOPClassUID, ...), the available transfer syntax, and the computed attributes
  ModalitiesInStudy, SOPClassesInStudy and the NumberOf*Related* counts (PS3.4 C.6.1.1 and C.6.2.1).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

from pydicom.datadict import tag_for_keyword


class Level(enum.IntEnum):
    """Query/Retrieve levels (PS3.4 C.3), ordered from the top of the hierarchy down."""

    PATIENT = 0
    STUDY = 1
    SERIES = 2
    IMAGE = 3

    @property
    def table(self) -> str:
        """Name of the table holding the entities of this level."""
        return _TABLES[self]

    @property
    def alias(self) -> str:
        """Alias of that table in generated SQL."""
        return _ALIASES[self]


_TABLES = ("patients", "studies", "series", "instances")
_ALIASES = ("p", "st", "se", "i")


class InformationModel(enum.Enum):
    """The three Query/Retrieve information models (PS3.4 C.6) with their levels and SOP classes.

    ``value`` is the short name; ``top``/``bottom`` are the highest and lowest level of the model.
    """

    PATIENT_ROOT = ("Patient Root", Level.PATIENT, Level.IMAGE, "1.2.840.10008.5.1.4.1.2.1")
    STUDY_ROOT = ("Study Root", Level.STUDY, Level.IMAGE, "1.2.840.10008.5.1.4.1.2.2")
    PATIENT_STUDY_ONLY = ("Patient/Study Only", Level.PATIENT, Level.STUDY, "1.2.840.10008.5.1.4.1.2.3")

    def __init__(self, title: str, top: Level, bottom: Level, uid_root: str):
        self.title = title
        self.top = top
        self.bottom = bottom
        self.find_uid = uid_root + ".1"
        self.move_uid = uid_root + ".2"
        self.get_uid = uid_root + ".3"

    @property
    def levels(self) -> tuple[Level, ...]:
        return tuple(lv for lv in Level if self.top <= lv <= self.bottom)

    @classmethod
    def from_sop_class(cls, uid: str) -> InformationModel:
        """The model of a FIND, MOVE or GET SOP class UID; ``KeyError`` if it is none of them."""
        uid = uid.rstrip("\x00 ")
        for model in cls:
            if uid in (model.find_uid, model.move_uid, model.get_uid):
                return model
        raise KeyError(uid)


class Matching(enum.Enum):
    """How a key is matched (PS3.4 C.2.2.2, with DCMTK's choice per VR, ``dcmqrscp.md`` §6.3)."""

    WILDCARD = "wildcard"   # AE CS LO LT PN SH ST UC UR UT: single value with * and ?
    EXACT = "exact"         # other string VRs (AS DS IS ...): exact string equality
    UID = "uid"             # UI: list of UIDs
    DATE = "date"           # DA: single value or range
    TIME = "time"           # TM: single value or range
    DATETIME = "datetime"   # DT: single value or range
    RETURN_ONLY = "return"  # computed counts: returned, never matched


_MATCHING_BY_VR = {
    "AE": Matching.WILDCARD, "CS": Matching.WILDCARD, "LO": Matching.WILDCARD, "LT": Matching.WILDCARD,
    "PN": Matching.WILDCARD, "SH": Matching.WILDCARD, "ST": Matching.WILDCARD, "UC": Matching.WILDCARD,
    "UR": Matching.WILDCARD, "UT": Matching.WILDCARD, "UI": Matching.UID, "DA": Matching.DATE,
    "TM": Matching.TIME, "DT": Matching.DATETIME,
}

#: Matching kinds whose column holds the raw value plus a normalised ``<column>_key`` for ranges.
RANGE_KINDS = frozenset({Matching.DATE, Matching.TIME, Matching.DATETIME})


class KeySet(enum.Enum):
    """Which keys a query understands: DCMTK's dcmqrscp set, or the extended archive set."""

    DCMTK = "dcmtk"
    EXTENDED = "extended"


@dataclass(frozen=True)
class Key:
    """One query key.

    ``column`` is the column in the level's table (None for computed keys); ``record_field`` names
    an :class:`~pydcmkit.db.records.InstanceRecord` field that supplies the value instead of a
    dataset attribute.  ``dcmtk`` marks the keys of DCMTK's table, ``dcmtk_stored=False`` the two
    DCMTK keys that are accepted but never stored by dcmqrscp.
    """

    keyword: str
    tag: int
    vr: str
    level: Level
    column: str | None
    unique: bool = False
    matching: Matching = Matching.EXACT
    dcmtk: bool = False
    dcmtk_stored: bool = True
    indexed: bool = False
    record_field: str | None = None

    @property
    def computed(self) -> bool:
        return self.column is None

    @property
    def key_column(self) -> str | None:
        """The normalised column used for range matching of DA/TM/DT keys."""
        return f"{self.column}_key" if self.column and self.matching in RANGE_KINDS else None


def _snake(keyword: str) -> str:
    out = []
    for i, ch in enumerate(keyword):
        if ch.isupper() and i and (not keyword[i - 1].isupper() or
                                   (i + 1 < len(keyword) and keyword[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _key(level: Level, keyword: str, vr: str, *, unique=False, dcmtk=False, stored=True, indexed=False,
         computed=False, matching: Matching | None = None, column: str | None = None,
         record_field: str | None = None) -> Key:
    tag = tag_for_keyword(keyword)
    assert tag is not None, keyword
    if matching is None:
        matching = Matching.RETURN_ONLY if computed else _MATCHING_BY_VR.get(vr, Matching.EXACT)
    return Key(keyword, tag, vr, level, None if computed else (column or _snake(keyword)), unique, matching,
               dcmtk, stored, indexed, record_field)


P, ST, SE, IM = Level.PATIENT, Level.STUDY, Level.SERIES, Level.IMAGE

#: Every key, grouped by level; DCMTK's keys first in the order of dcmqrscp.md §6.2.
KEYS: tuple[Key, ...] = (
    # PATIENT
    _key(P, "PatientName", "PN", dcmtk=True, indexed=True),
    _key(P, "PatientID", "LO", unique=True, dcmtk=True),
    _key(P, "IssuerOfPatientID", "LO", dcmtk=True),
    _key(P, "PatientBirthDate", "DA", dcmtk=True, indexed=True),
    _key(P, "PatientBirthTime", "TM", dcmtk=True),
    _key(P, "PatientSex", "CS", dcmtk=True),
    _key(P, "OtherPatientIDs", "LO", dcmtk=True, column="other_patient_ids"),
    _key(P, "OtherPatientNames", "PN", dcmtk=True),
    _key(P, "EthnicGroup", "SH", dcmtk=True),
    _key(P, "PatientComments", "LT", dcmtk=True, stored=False),
    _key(P, "NumberOfPatientRelatedStudies", "IS", computed=True),
    _key(P, "NumberOfPatientRelatedSeries", "IS", computed=True),
    _key(P, "NumberOfPatientRelatedInstances", "IS", computed=True),
    # STUDY
    _key(ST, "StudyDate", "DA", dcmtk=True, indexed=True),
    _key(ST, "StudyTime", "TM", dcmtk=True),
    _key(ST, "AccessionNumber", "SH", dcmtk=True, indexed=True),
    _key(ST, "StudyID", "SH", dcmtk=True, indexed=True),
    _key(ST, "StudyInstanceUID", "UI", unique=True, dcmtk=True),
    _key(ST, "ReferringPhysicianName", "PN", dcmtk=True, indexed=True),
    _key(ST, "StudyDescription", "LO", dcmtk=True),
    _key(ST, "NameOfPhysiciansReadingStudy", "PN", dcmtk=True),
    _key(ST, "AdmittingDiagnosesDescription", "LO", dcmtk=True),
    _key(ST, "PatientAge", "AS", dcmtk=True),
    _key(ST, "PatientSize", "DS", dcmtk=True),
    _key(ST, "PatientWeight", "DS", dcmtk=True),
    _key(ST, "Occupation", "SH", dcmtk=True),
    _key(ST, "AdditionalPatientHistory", "LT", dcmtk=True, stored=False),
    _key(ST, "OtherStudyNumbers", "IS", dcmtk=True),
    _key(ST, "ModalitiesInStudy", "CS", computed=True, matching=Matching.WILDCARD),
    _key(ST, "SOPClassesInStudy", "UI", computed=True, matching=Matching.UID),
    _key(ST, "NumberOfStudyRelatedSeries", "IS", computed=True),
    _key(ST, "NumberOfStudyRelatedInstances", "IS", computed=True),
    # SERIES
    _key(SE, "SeriesNumber", "IS", dcmtk=True),
    _key(SE, "SeriesInstanceUID", "UI", unique=True, dcmtk=True),
    _key(SE, "Modality", "CS", dcmtk=True, indexed=True),
    _key(SE, "SeriesDate", "DA"),
    _key(SE, "SeriesTime", "TM"),
    _key(SE, "SeriesDescription", "LO"),
    _key(SE, "ProtocolName", "LO"),
    _key(SE, "BodyPartExamined", "CS"),
    _key(SE, "OperatorsName", "PN"),
    _key(SE, "PerformingPhysicianName", "PN"),
    _key(SE, "NumberOfSeriesRelatedInstances", "IS", computed=True),
    # IMAGE
    _key(IM, "InstanceNumber", "IS", dcmtk=True),
    _key(IM, "SOPInstanceUID", "UI", unique=True, dcmtk=True),
    _key(IM, "SOPClassUID", "UI", indexed=True),
    _key(IM, "ContentDate", "DA"),
    _key(IM, "ContentTime", "TM"),
    _key(IM, "AcquisitionDateTime", "DT"),
    _key(IM, "ContentLabel", "CS"),
    _key(IM, "NumberOfFrames", "IS"),
    _key(IM, "AvailableTransferSyntaxUID", "UI", column="transfer_syntax_uid",
         record_field="transfer_syntax_uid"),
)

KEYS_BY_TAG = MappingProxyType({k.tag: k for k in KEYS})
KEYS_BY_KEYWORD = MappingProxyType({k.keyword: k for k in KEYS})
UNIQUE_KEYS = MappingProxyType({k.level: k for k in KEYS if k.unique})

#: Keys stored as columns, by level (computed keys excluded).
STORED_KEYS = MappingProxyType({lv: tuple(k for k in KEYS if k.level == lv and not k.computed) for lv in Level})

#: Dataset attributes a record is built from (every stored key not fed from a record field).
RECORD_KEYWORDS: tuple[str, ...] = tuple(k.keyword for k in KEYS if not k.computed and k.record_field is None)

SPECIFIC_CHARACTER_SET = 0x00080005
QUERY_RETRIEVE_LEVEL = 0x00080052
RETRIEVE_AE_TITLE = 0x00080054


def supported_keys(keyset: KeySet) -> dict[int, Key]:
    """``{tag: Key}`` of the keys a query with ``keyset`` understands."""
    if keyset is KeySet.DCMTK:
        return {k.tag: k for k in KEYS if k.dcmtk}
    return dict(KEYS_BY_TAG)


_SUPPORTED = {ks: MappingProxyType(supported_keys(ks)) for ks in KeySet}


def keys_for(keyset: KeySet):
    """Read-only ``{tag: Key}`` of ``keyset`` (cached)."""
    return _SUPPORTED[keyset]
