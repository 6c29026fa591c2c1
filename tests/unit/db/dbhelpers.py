"""Helpers of the query database tests: identifiers, responses as plain dicts, synthetic records."""

from __future__ import annotations

import random
import warnings

from pydicom.dataelem import DataElement
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset

from pydcmkit.db import InformationModel, InstanceRecord, KeySet

PR, SR, PSO = InformationModel.PATIENT_ROOT, InformationModel.STUDY_ROOT, InformationModel.PATIENT_STUDY_ONLY
ROOT = "1.2.826.0.1.3680043.10.999"


def ident(level: str | None = None, **keys) -> Dataset:
    """An identifier; ``level`` None leaves out (0008,0052).  Values may be str or None (empty)."""
    ds = Dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deliberately invalid values (ranges, bad dates, lower case)
        if level is not None:
            ds.QueryRetrieveLevel = level
        for kw, value in keys.items():
            try:
                setattr(ds, kw, "" if value is None else value)
            except ValueError:  # e.g. a wildcard in an IS key: keep the text as it is
                tag = tag_for_keyword(kw)
                ds.add(DataElement(tag, dictionary_VR(tag), value, already_converted=True))
    return ds


def plain(ds: Dataset) -> dict[str, str]:
    """A response identifier as ``{keyword: value text}`` (multiple values joined by ``\\``)."""
    out = {}
    for elem in ds:
        v = elem.value
        if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
            v = "\\".join(str(x) for x in v)
        out[elem.keyword] = "" if v is None else str(v)
    return out


def find(db, model, identifier, keys=KeySet.DCMTK, **kw) -> list[dict[str, str]]:
    return [plain(r) for r in db.find(model, identifier, keys=keys, retrieve_ae_title="QRSCP", **kw)]


def synthetic_records(n: int, *, seed: int = 1, per_series: int = 20, series_per_study: int = 3,
                      studies_per_patient: int = 2, root: str = "2.25.1") -> list[InstanceRecord]:
    """``n`` instance records in a realistic hierarchy with varied, searchable values."""
    rng = random.Random(seed)
    surnames = ["SMITH", "MÜLLER", "DOE", "GARCIA", "O'NEIL", "NGUYEN", "KOWALSKI", "ROSSI", "SCHMIDT", "ABE"]
    given = ["JOHN", "JANE", "ANNA", "LI", "JOSÉ", "MARIA", "PETER", "YUKI"]
    modalities = ["CT", "MR", "US", "CR", "DX", "PT", "OT"]
    out = []
    per_study = per_series * series_per_study
    per_patient = per_study * studies_per_patient
    for k in range(n):
        p, st, se = k // per_patient, k // per_study, k // per_series
        prng = random.Random(seed * 1_000_003 + p)
        srng = random.Random(seed * 7_000_003 + st)
        year, month, day = 2000 + srng.randrange(25), 1 + srng.randrange(12), 1 + srng.randrange(28)
        attrs = {
            "PatientName": f"{prng.choice(surnames)}^{prng.choice(given)}^{p}",
            "PatientID": f"PID{p:07d}",
            "PatientBirthDate": f"{1930 + prng.randrange(80)}{1 + prng.randrange(12):02d}{1 + prng.randrange(28):02d}",
            "PatientSex": prng.choice("MFO"),
            "StudyInstanceUID": f"{root}.2.{st}",
            "StudyDate": f"{year}{month:02d}{day:02d}",
            "StudyTime": f"{srng.randrange(24):02d}{srng.randrange(60):02d}{srng.randrange(60):02d}",
            "AccessionNumber": f"ACC{st:08d}",
            "StudyID": f"S{st % 1000}",
            "StudyDescription": srng.choice(["HEAD", "CHEST", "KNEE", "ABDOMEN", "100% DOSE", "A_B"]),
            "ReferringPhysicianName": srng.choice(["REF^A", "REF^B", "WHO^EVER"]),
            "SeriesInstanceUID": f"{root}.3.{se}",
            "SeriesNumber": str(se % series_per_study + 1),
            "Modality": modalities[(se * 3 + st + seed) % len(modalities)],
            "SeriesDate": f"{year}{month:02d}{day:02d}",
            "SOPInstanceUID": f"{root}.4.{k}",
            "SOPClassUID": "1.2.840.10008.5.1.4.1.1.2" if k % 5 else "1.2.840.10008.5.1.4.1.1.7",
            "InstanceNumber": str(k % per_series + 1),
        }
        out.append(InstanceRecord(attrs, f"/archive/{st}/{se}/{k}.dcm", "1.2.840.10008.1.2.1",
                                  1000 + rng.randrange(100000), 1_700_000_000.0 + k, "ISO_IR 192"))
    return out
