"""C-FIND/C-MOVE/C-GET identifiers: validation, matching as parameterised SQL, response identifiers.

The rules are those of PS3.4 C.2.2.2 (attribute matching) and C.4.1.2/C.4.2.2 (hierarchical
search), as DCMTK's dcmqrscp applies them (``dcmqrscp.md`` §6):

* The Query/Retrieve Level (0008,0052) is upper-cased and compared as a prefix (``series`` and
  ``SERIESX`` both mean SERIES).  Missing or empty: status 0xA900; unknown, or not a level of the
  information model: 0xC000.
* Hierarchical search: for every level above the query level the identifier must hold that level's
  unique key (an empty value is universal matching, a list of UIDs is allowed), else 0xC000 for
  C-FIND and "no match" for C-MOVE/C-GET.  All other keys of higher levels are ignored for matching
  (but returned).  At the query level every key is matched; in Study Root at STUDY level the
  patient keys are matched too.  Keys of lower levels are ignored.
* Per VR: empty value = universal; AE CS LO LT PN SH ST UC UR UT: case-sensitive single value
  with ``*`` and ``?`` wildcards; UI: list of UIDs; DA, TM, DT: single value or range ``A-B``,
  ``A-``, ``-B`` (inclusive; values that are not valid dates/times never match); any other VR:
  exact string equality.  Values and candidates are compared trimmed of leading/trailing spaces.
* ``-XF`` (``strict`` C-FIND) and ``-XM`` (``strict`` retrieve) validations answer 0xA900.

Every value becomes a bound parameter: no query value ever becomes part of an SQL statement.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

from pydicom import config as _pydicom_config
from pydicom.charset import convert_encodings, python_encoding
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from .model import (QUERY_RETRIEVE_LEVEL, RETRIEVE_AE_TITLE, SPECIFIC_CHARACTER_SET, UNIQUE_KEYS,
                    InformationModel, Key, KeySet, Level, Matching, keys_for)
from .schema import PARENT_COLUMN, Dialect

#: C-FIND/C-MOVE/C-GET status "Identifier does not match SOP Class" (PS3.4 C.4.1.1.4).
IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS = 0xA900
#: C-FIND/C-MOVE/C-GET status "Unable to process" (PS3.4 C.4.1.1.4).
UNABLE_TO_PROCESS = 0xC000


class QueryError(Exception):
    """An identifier the query database refuses; ``status`` is the DIMSE status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------------------------------------
# Values


def element_text(elem: DataElement | None) -> str:
    """The value of an identifier element as one trimmed string (multiple values joined by ``\\``).

    Text is already decoded from the identifier's Specific Character Set by pydicom.  Embedded
    NUL characters are dropped (PostgreSQL text cannot hold them; stored values are treated alike).
    """
    if elem is None or elem.VR == "SQ":
        return ""
    value = elem.value
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("latin-1")
    elif isinstance(value, (MultiValue, list, tuple)):
        text = "\\".join("" if v is None else str(v) for v in value)
    else:
        text = str(value)
    text = text.strip(" \x00")
    return text.replace("\x00", "") if "\x00" in text else text  # NUL cannot be stored (PostgreSQL)


def normalize_date(value: str) -> str | None:
    """``YYYYMMDD`` of a valid DA value (also DCMTK's old ``YYYY.MM.DD``), else None."""
    v = value.strip()
    if len(v) == 10 and v[4] == "." and v[7] == ".":
        v = v[:4] + v[5:7] + v[8:]
    if len(v) != 8 or not v.isdigit():
        return None
    try:
        _dt.date(int(v[:4]), int(v[4:6]), int(v[6:]))
    except ValueError:
        return None
    return v


def _fraction(frac: str) -> str | None:
    if not frac:
        return "000000"
    if not (frac.isdigit() and len(frac) <= 6):
        return None
    return frac.ljust(6, "0")


def normalize_time(value: str) -> str | None:
    """``HHMMSS.FFFFFF`` of a valid TM value (``HH``, ``HHMM``, ``HHMMSS[.F...]``, or DCMTK's old
    ``HH:MM[:SS[.F...]]``), missing parts filled with zeros, else None."""
    v = value.strip()
    if ":" in v:
        v = v.replace(":", "")
    main, _, frac = v.partition(".")
    if _ and len(main) != 6:
        return None
    if len(main) not in (2, 4, 6) or not main.isdigit():
        return None
    main = main.ljust(6, "0")
    f = _fraction(frac)
    if f is None or int(main[:2]) > 23 or int(main[2:4]) > 59 or int(main[4:6]) > 60:
        return None
    return f"{main}.{f}"


def normalize_datetime(value: str) -> str | None:
    """``YYYYMMDDHHMMSS.FFFFFF`` (UTC when an offset ``&ZZXX`` is given, else as written) of a valid
    DT value, missing components filled in (month/day 01, time 0), else None."""
    v = value.strip()
    offset = None
    for i in range(len(v) - 1, 3, -1):
        if v[i] in "+-":
            offset, v = v[i:], v[:i]
            break
    main, _, frac = v.partition(".")
    if _ and len(main) != 14:
        return None
    if not main.isdigit() or len(main) not in (4, 6, 8, 10, 12, 14):
        return None
    f = _fraction(frac)
    if f is None:
        return None
    full = main + "0101000000"[len(main) - 4:] if len(main) < 14 else main
    try:
        stamp = _dt.datetime(int(full[:4]), int(full[4:6]), int(full[6:8]), int(full[8:10]),
                             int(full[10:12]), min(int(full[12:14]), 59), int(f))
    except ValueError:
        return None
    if offset is not None:
        if len(offset) != 5 or not offset[1:].isdigit():
            return None
        minutes = int(offset[1:3]) * 60 + int(offset[3:])
        stamp -= _dt.timedelta(minutes=minutes if offset[0] == "+" else -minutes)
        if not 1 <= stamp.year <= 9999:
            return None
    return stamp.strftime("%Y%m%d%H%M%S.") + f"{stamp.microsecond:06d}"


NORMALIZERS = {Matching.DATE: normalize_date, Matching.TIME: normalize_time, Matching.DATETIME: normalize_datetime}


def parse_range(kind: Matching, value: str) -> tuple[str | None, str | None] | None:
    """``(low, high)`` normalised bounds of a DA/TM/DT query value (None = open end; a single
    value gives ``low == high``), or None when the value is not a valid date/time or range."""
    norm = NORMALIZERS[kind]
    single = norm(value)
    if single is not None:
        return single, single
    # a range: the '-' that splits the value into two valid (or empty) halves; DT values may hold
    # '-' in a UTC offset, so every position is tried
    for i, ch in enumerate(value):
        if ch != "-":
            continue
        a, b = value[:i].strip(), value[i + 1:].strip()
        lo = norm(a) if a else None
        hi = norm(b) if b else None
        if (a and lo is None) or (b and hi is None):
            continue
        return lo, hi
    return None


# ---------------------------------------------------------------------------------------------
# Identifiers


@dataclass(frozen=True)
class Identifier:
    """The parts of a request identifier the database understands.

    ``keys`` are the supported keys present (identifier order) with their trimmed values;
    ``charset`` is the identifier's (0008,0005) as a list of defined terms.
    """

    model: InformationModel
    level: Level
    keys: tuple[tuple[Key, str], ...]
    charset: tuple[str, ...]

    def value(self, key: Key) -> str | None:
        for k, v in self.keys:
            if k is key:
                return v
        return None

    def at(self, level: Level) -> list[tuple[Key, str]]:
        return [(k, v) for k, v in self.keys if k.level == level]


def parse_level(identifier: Dataset) -> Level:
    """The Query/Retrieve Level of an identifier, compared as DCMTK does (upper-cased prefix).

    Raises :class:`QueryError` 0xA900 when it is missing or empty, 0xC000 when unknown.
    """
    text = element_text(identifier.get(QUERY_RETRIEVE_LEVEL))
    if not text:
        raise QueryError(IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS, "missing Query/Retrieve Level")
    upper = text.upper()
    for level in Level:
        if upper.startswith(level.name):
            return level
    raise QueryError(UNABLE_TO_PROCESS, f"illegal Query/Retrieve Level: {text!r}")


def parse_identifier(model: InformationModel, identifier: Dataset, keyset: KeySet = KeySet.EXTENDED) -> Identifier:
    """Level and supported keys of ``identifier``; unsupported attributes are ignored."""
    level = parse_level(identifier)
    supported = keys_for(keyset)
    keys = []
    for elem in identifier:
        key = supported.get(elem.tag)
        if key is not None:
            keys.append((key, element_text(elem)))
    charset = identifier.get(SPECIFIC_CHARACTER_SET)
    terms: tuple[str, ...] = ()
    if charset is not None and charset.value:
        v = charset.value
        terms = tuple(str(t).strip() for t in (v if isinstance(v, (MultiValue, list, tuple)) else [v]))
    return Identifier(model, level, tuple(keys), terms)


def check_find_identifier(ident: Identifier) -> None:
    """dcmqrscp ``-XF`` checks (``dcmqrscp.md`` §6.5): any violation raises 0xA900.

    The level must be one of the model; in Study Root patient keys are allowed only at STUDY level;
    every level above the query level holds exactly one key, its unique key, with a value; the
    query level holds at least one key; no keys below the query level.
    """
    _check(ident, retrieve=False)


def check_retrieve_identifier(ident: Identifier) -> None:
    """dcmqrscp ``-XM`` checks (``dcmqrscp.md`` §6.6): any violation raises 0xA900.

    The level must be one of the model; no patient keys in Study Root; the query level and every
    level above hold exactly one key each, the unique key, with a value; no keys below.
    """
    _check(ident, retrieve=True)


def _check(ident: Identifier, retrieve: bool) -> None:
    model, level = ident.model, ident.level

    def fail(reason: str):
        raise QueryError(IDENTIFIER_DOES_NOT_MATCH_SOP_CLASS, reason)

    if level not in model.levels:
        fail(f"level {level.name} incompatible with the {model.title} information model")
    for lv in Level:
        keys = ident.at(lv)
        if lv is Level.PATIENT and model is InformationModel.STUDY_ROOT:
            if keys and (retrieve or level is not Level.STUDY):
                fail("patient keys in the Study Root information model")
        elif lv < level or (retrieve and lv == level):
            if len(keys) != 1 or not keys[0][0].unique:
                fail(f"exactly the unique key is allowed at level {lv.name}")
            if not keys[0][1]:
                fail(f"empty unique key {keys[0][0].keyword} at level {lv.name}")
        elif lv == level:
            if not keys:
                fail(f"no key at query level {lv.name}")
        elif keys:
            fail(f"key {keys[0][0].keyword} below the query level")


def missing_unique_key(ident: Identifier) -> Level | None:
    """The first level above the query level whose unique key is absent from the identifier."""
    for lv in ident.model.levels:
        if lv >= ident.level:
            break
        if ident.value(UNIQUE_KEYS[lv]) is None:
            return lv
    return None


def matched_keys(ident: Identifier) -> list[tuple[Key, str]]:
    """The keys that take part in matching (hierarchical search, PS3.4 C.4.1.3.1.1)."""
    out = []
    for key, value in ident.keys:
        if key.level < ident.level:
            if key.unique and key.level >= ident.model.top:
                out.append((key, value))
            elif (key.level is Level.PATIENT and ident.level is Level.STUDY
                  and ident.model is InformationModel.STUDY_ROOT):
                out.append((key, value))
        elif key.level == ident.level:
            out.append((key, value))
    return out


# ---------------------------------------------------------------------------------------------
# SQL


def _computed_sql(key: Key, d: Dialect) -> str:
    kw = key.keyword
    if kw == "NumberOfPatientRelatedStudies":
        return "(SELECT COUNT(*) FROM studies x WHERE x.patient_pk = p.pk)"
    if kw == "NumberOfPatientRelatedSeries":
        return "(SELECT COUNT(*) FROM series x JOIN studies y ON y.pk = x.study_pk WHERE y.patient_pk = p.pk)"
    if kw == "NumberOfPatientRelatedInstances":
        return ("(SELECT COUNT(*) FROM instances x JOIN series y ON y.pk = x.series_pk "
                "JOIN studies z ON z.pk = y.study_pk WHERE z.patient_pk = p.pk)")
    if kw == "NumberOfStudyRelatedSeries":
        return "(SELECT COUNT(*) FROM series x WHERE x.study_pk = st.pk)"
    if kw == "NumberOfStudyRelatedInstances":
        return "(SELECT COUNT(*) FROM instances x JOIN series y ON y.pk = x.series_pk WHERE y.study_pk = st.pk)"
    if kw == "NumberOfSeriesRelatedInstances":
        return "(SELECT COUNT(*) FROM instances x WHERE x.series_pk = se.pk)"
    if kw == "ModalitiesInStudy":
        return d.distinct_list("x.modality", "FROM series x WHERE x.study_pk = st.pk")
    if kw == "SOPClassesInStudy":
        return d.distinct_list("x.sop_class_uid",
                               "FROM instances x JOIN series y ON y.pk = x.series_pk WHERE y.study_pk = st.pk")
    raise KeyError(kw)


_FALSE = ("1 = 0", [])


def _wildcard_condition(expr: str, value: str, d: Dialect) -> tuple[str, list]:
    if "*" not in value and "?" not in value:
        return f"{expr} = ?", [value]
    return d.wildcard(expr), [d.pattern(value)]


def _uid_condition(expr: str, uids: list[str]) -> tuple[str, list]:
    if len(uids) == 1:
        return f"{expr} = ?", uids
    return f"{expr} IN ({', '.join('?' * len(uids))})", uids


def key_condition(key: Key, value: str, d: Dialect, keyset: KeySet) -> tuple[str, list] | None:
    """``(sql, params)`` restricting ``key`` to ``value``; None for universal matching."""
    if not value:
        return None
    if keyset is KeySet.DCMTK and not key.dcmtk_stored:
        return _FALSE  # accepted but never stored by dcmqrscp: a non-empty value never matches
    kind = key.matching
    if kind is Matching.RETURN_ONLY:
        return None
    alias = key.level.alias
    if key.keyword == "ModalitiesInStudy":
        parts, params = [], []
        for v in (x.strip() for x in value.split("\\")):
            if not v or v.strip("*") == "":
                return None
            sql, p = _wildcard_condition("x.modality", v, d)
            parts.append(sql)
            params += p
        return (f"EXISTS (SELECT 1 FROM series x WHERE x.study_pk = st.pk AND ({' OR '.join(parts)}))", params)
    if key.keyword == "SOPClassesInStudy":
        uids = [u for u in (x.strip(" \x00") for x in value.split("\\")) if u]
        if not uids:
            return None
        sql, p = _uid_condition("x.sop_class_uid", uids)
        return (f"EXISTS (SELECT 1 FROM instances x JOIN series y ON y.pk = x.series_pk "
                f"WHERE y.study_pk = st.pk AND {sql})", p)
    expr = f"{alias}.{key.column}"
    if kind is Matching.WILDCARD:
        if value.strip("*") == "":
            return None
        return _wildcard_condition(expr, value, d)
    if kind is Matching.UID:
        uids = [u for u in (x.strip(" \x00") for x in value.split("\\")) if u]
        return _uid_condition(expr, uids) if uids else None
    if kind in NORMALIZERS:
        bounds = parse_range(kind, value)
        if bounds is None:
            return _FALSE
        lo, hi = bounds
        kexpr = f"{alias}.{key.key_column}"
        if lo is not None and lo == hi:
            return f"{kexpr} = ?", [lo]
        parts, params = [f"{kexpr} IS NOT NULL"], []
        if lo is not None:
            parts.append(f"{kexpr} >= ?")
            params.append(lo)
        if hi is not None:
            parts.append(f"{kexpr} <= ?")
            params.append(hi)
        return " AND ".join(parts), params
    return f"{expr} = ?", [value]


def _joins(base: Level, top: Level) -> str:
    """``FROM`` clause starting at ``base``'s table and joining its ancestors up to ``top``."""
    sql = f"FROM {base.table} {base.alias}"
    lv = base
    while lv > top:
        parent = Level(lv - 1)
        sql += f" JOIN {parent.table} {parent.alias} ON {parent.alias}.pk = {lv.alias}.{PARENT_COLUMN[lv]}"
        lv = parent
    return sql


def where_clause(ident: Identifier, d: Dialect, keyset: KeySet) -> tuple[list[str], list]:
    conds, params = [], []
    for key, value in matched_keys(ident):
        c = key_condition(key, value, d, keyset)
        if c is not None:
            conds.append(c[0])
            params += c[1]
    return conds, params


@dataclass(frozen=True)
class FindPlan:
    """A compiled C-FIND: SQL, parameters and how to turn each row into a response identifier."""

    sql: str
    params: tuple
    level: Level
    returned: tuple[tuple[Key, int | None], ...]  # key and its row index (None: returned empty)


def plan_find(ident: Identifier, d: Dialect, keyset: KeySet) -> FindPlan:
    """SQL selecting one row per matching entity at the query level, in insertion order."""
    level = ident.level
    conds, params = where_clause(ident, d, keyset)
    top = level
    for key, _ in matched_keys(ident):
        top = min(top, key.level)
    exprs, returned = [], []
    for key, _ in ident.keys:
        if keyset is KeySet.DCMTK and not key.dcmtk_stored:
            continue  # never returned by dcmqrscp
        if key.level > level:
            returned.append((key, None))
            continue
        top = min(top, key.level)
        exprs.append(_computed_sql(key, d) if key.computed else f"{key.level.alias}.{key.column}")
        returned.append((key, len(exprs) - 1))
    select = ", ".join(exprs) if exprs else f"{level.alias}.pk"
    sql = f"SELECT {select} {_joins(level, top)}"
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    sql += f" ORDER BY {level.alias}.pk"
    return FindPlan(d.sql(sql), tuple(params), level, tuple(returned))


RETRIEVE_COLUMNS = ("path", "sop_class_uid", "sop_instance_uid", "transfer_syntax_uid", "file_size", "received",
                    "is_new")


def plan_retrieve(ident: Identifier, d: Dialect, keyset: KeySet) -> tuple[str, tuple]:
    """SQL selecting every instance below the matching entities, in insertion order.

    Above the IMAGE level the matching entities are selected first, in a subquery shaped like the
    C-FIND query (``... WHERE st.pk IN (SELECT st.pk FROM studies st ... WHERE <keys>)``), and
    their instances are then found through the parent indexes.  Written as one flat join, the
    planner would rather scan every instance in ``pk`` order (to save the sort) than start from
    an index of a wildcard or range key, which at a million instances costs seconds.
    """
    conds, params = where_clause(ident, d, keyset)
    level = ident.level
    top = level
    for key, value in matched_keys(ident):
        if key_condition(key, value, d, keyset) is not None:
            top = min(top, key.level)  # only the tables a condition needs are joined
    cols = ", ".join("i." + c for c in RETRIEVE_COLUMNS)
    if not conds or level is Level.IMAGE:
        sql = f"SELECT {cols} {_joins(Level.IMAGE, top)}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
    else:
        entities = f"SELECT {level.alias}.pk {_joins(level, top)} WHERE " + " AND ".join(conds)
        below = Level(level + 1)
        sql = (f"SELECT {cols} {_joins(Level.IMAGE, below)} "
               f"WHERE {below.alias}.{PARENT_COLUMN[below]} IN ({entities})")
    sql += " ORDER BY i.pk"
    return d.sql(sql), tuple(params)


# ---------------------------------------------------------------------------------------------
# Responses


def encodable(text: str, terms: Sequence[str]) -> bool:
    """Whether ``text`` can be encoded in the character set ``terms`` (PS3.3 C.12.1.1.2)."""
    if text.isascii():
        return True
    terms = [t for t in terms if t] or [""]
    if terms == [""] or terms == ["ISO_IR 6"]:
        return False
    if not all(t in python_encoding for t in terms):
        return False  # an unknown term cannot encode anything
    codecs = convert_encodings(list(terms))
    for codec in codecs:
        try:
            text.encode(codec)
            return True
        except (UnicodeError, LookupError):
            pass
    if len(codecs) < 2:
        return False
    # ISO 2022 code extensions: every character must be encodable in one of the sets
    for ch in text:
        if not ch.isascii() and not any(_can(ch, c) for c in codecs):
            return False
    return True


def _can(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except (UnicodeError, LookupError):
        return False


def _is_ascii_charset(terms: Sequence[str]) -> bool:
    return all(t in ("", "ISO_IR 6") for t in terms)


def choose_charset(values: Sequence[str], candidates: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """The first candidate character set able to encode every value (UTF-8 as the last resort)."""
    non_ascii = [v for v in values if not v.isascii()]
    for terms in candidates:
        terms = tuple(terms)
        if not non_ascii or all(encodable(v, terms) for v in non_ascii):
            return terms
    return ("ISO_IR 192",)


def approximate(text: str, terms: Sequence[str], mode: str) -> str:
    """``text`` made encodable in ``terms``: characters it lacks are replaced by a similar looking
    one (``transliterate``: the base letter of an accented one, else ``?``) or dropped (``discard``)."""
    import unicodedata
    out = []
    for ch in text:
        if encodable(ch, terms):
            out.append(ch)
        elif mode == "transliterate":
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and encodable(base, terms) else "?")
    return "".join(out)


def response_elements(plan: FindPlan, row: Sequence, *, retrieve_ae_title: str | None,
                      charsets: Sequence[Sequence[str]], unencodable: str = "utf8") -> list[tuple[int, str, str]]:
    """The response identifier of one matching row (``dcmqrscp.md`` §6.4) as ``(tag, VR, value)``
    triples, the values as text (multiple values joined by ``\\``).

    It holds the requested supported keys (keys of levels below the query level empty),
    QueryRetrieveLevel, RetrieveAETitle when given, and (0008,0005) naming the character set chosen
    from ``charsets`` when that is not the default repertoire (ASCII).  :func:`response_dataset`
    makes the dataset of it; encoders may write the triples directly.
    """
    values = []
    for key, idx in plan.returned:
        value = "" if idx is None else row[idx]
        values.append("" if value is None else str(value))
    terms = choose_charset(values, charsets)
    if unencodable != "utf8" and charsets and terms not in [tuple(c) for c in charsets]:
        terms = tuple(charsets[-1])
        values = [v if encodable(v, terms) else approximate(v, terms, unencodable) for v in values]
    out = [(key.tag, key.vr, value) for (key, _idx), value in zip(plan.returned, values)]
    out.append((QUERY_RETRIEVE_LEVEL, "CS", plan.level.name))
    if retrieve_ae_title is not None:
        out.append((RETRIEVE_AE_TITLE, "AE", retrieve_ae_title))
    if not _is_ascii_charset(terms):
        out.append((SPECIFIC_CHARACTER_SET, "CS", "\\".join(terms)))
    return out


_LEVEL_ELEMENTS = (QUERY_RETRIEVE_LEVEL, RETRIEVE_AE_TITLE, SPECIFIC_CHARACTER_SET)


def response_dataset(elements: Sequence[tuple[int, str, str]]) -> Dataset:
    """The dataset of :func:`response_elements`; key values are converted to their VR's Python
    type where they are valid for it and kept as text where not."""
    ds = Dataset()
    for tag, vr, value in elements:
        if tag in _LEVEL_ELEMENTS:
            ds.add(DataElement(tag, vr, value.split("\\") if "\\" in value else value))
            continue
        try:
            elem = DataElement(tag, vr, value, validation_mode=_pydicom_config.IGNORE)
        except (ValueError, TypeError, OverflowError):
            elem = DataElement(tag, vr, value, already_converted=True)
        ds.add(elem)
    return ds


def build_response(plan: FindPlan, row: Sequence, *, retrieve_ae_title: str | None,
                   charsets: Sequence[Sequence[str]], unencodable: str = "utf8") -> Dataset:
    """The response identifier of one matching row as a dataset (see :func:`response_elements`)."""
    return response_dataset(response_elements(plan, row, retrieve_ae_title=retrieve_ae_title, charsets=charsets,
                                              unencodable=unencodable))
