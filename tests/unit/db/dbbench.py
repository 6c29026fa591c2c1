"""Timing of the query database (not a test): insert rates and selective query times.

    python tests/unit/db/dbbench.py [-n 10000] [--files] TARGET [TARGET ...]

TARGET is anything :func:`pydcmkit.db.open_database` accepts (an empty database is expected).
``--files`` also writes ``n`` small DICOM files and times :func:`pydcmkit.db.reindex` over them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[3]), str(Path(__file__).resolve().parent)]

from dbhelpers import PR, SR, ident, synthetic_records  # noqa: E402
from pydcmkit.db import open_database, reindex  # noqa: E402


def write_files(records, directory: str) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    for r in records:
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 192"
        for kw, value in r.attributes.items():
            setattr(ds, kw, value)
        ds.Rows = ds.Columns = 64
        ds.BitsAllocated, ds.SamplesPerPixel = 16, 1
        ds.PixelData = b"\0" * (64 * 64 * 2)
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = r.sop_class_uid
        ds.file_meta.MediaStorageSOPInstanceUID = r.sop_instance_uid
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.save_as(os.path.join(directory, r.sop_instance_uid + ".dcm"), enforce_file_format=True)


def timed_query(db, model, identifier, repeat: int = 30) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        n = sum(1 for _ in db.find(model, identifier))
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, n


def bench(target: str, n: int, files_dir: str | None) -> None:
    records = synthetic_records(n)
    db = open_database(target)
    print(f"== {db!r}, {n} instances")
    t = time.perf_counter()
    for i in range(0, n - 1000, 500):
        db.add_instances(records[i:i + 500])
    batch_rate = (n - 1000) / (time.perf_counter() - t)
    t = time.perf_counter()
    for r in records[n - 1000:]:
        db.add_instance(r)
    single_rate = 1000 / (time.perf_counter() - t)
    print(f"insert: {batch_rate:8.0f} instances/s in batches of 500, {single_rate:6.0f} instances/s one by one")
    mid = records[n // 2].attributes
    queries = [
        ("PATIENT PatientID exact", PR, ident("PATIENT", PatientID=mid["PatientID"], PatientName=None)),
        ("STUDY AccessionNumber exact", SR, ident("STUDY", AccessionNumber=mid["AccessionNumber"],
                                                  StudyInstanceUID=None, PatientName=None)),
        ("STUDY PatientName prefix*", SR, ident("STUDY", PatientName=mid["PatientName"][:-1] + "*",
                                                StudyInstanceUID=None)),
        ("STUDY StudyDate single day", SR, ident("STUDY", StudyDate=mid["StudyDate"], StudyInstanceUID=None)),
        ("SERIES of one study", SR, ident("SERIES", StudyInstanceUID=mid["StudyInstanceUID"],
                                          SeriesInstanceUID=None, Modality=None)),
        ("IMAGE one SOPInstanceUID", SR, ident("IMAGE", StudyInstanceUID=None, SeriesInstanceUID=None,
                                               SOPInstanceUID=mid["SOPInstanceUID"])),
    ]
    for label, model, identifier in queries:
        ms, hits = timed_query(db, model, identifier)
        print(f"query: {label:30s} {ms:7.2f} ms ({hits} responses)")
    if files_dir is not None:
        db.clear()
        t = time.perf_counter()
        count, errors = reindex(db, [files_dir])
        dt = time.perf_counter() - t
        print(f"reindex from files: {count} files in {dt:.2f} s = {count / dt:.0f} instances/s ({len(errors)} errors)")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+")
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--files", action="store_true")
    args = parser.parse_args()
    files_dir = None
    if args.files:
        files_dir = tempfile.mkdtemp(prefix="pydcmkit-bench-")
        write_files(synthetic_records(args.n), files_dir)
    for target in args.targets:
        bench(target, args.n, files_dir)


if __name__ == "__main__":
    main()
