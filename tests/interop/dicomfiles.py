"""Reading stored files for byte comparisons, and making test instances, independently of pydcmkit."""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from pathlib import Path

import pydicom
from pydicom import dcmread

from tests.support import corpus

PYDICOM_TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
DEFLATED = "1.2.840.10008.1.2.1.99"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
TEMP_PREFIX = ".pydcmkit-"

#: Corpus files (dcmtk-cli.md Appendix A) that are valid storage instances, one per transfer syntax and more.
CORPUS_SENDABLE = ("ct1.dcm", "ct2.dcm", "mr1.dcm", "sc1.dcm", "priv1.dcm", "ct1_jpll.dcm", "ct2_rle.dcm",
                   "ct3_jls.dcm", "ct1_defl.dcm", "sc1_jpb.dcm")

#: pydicom's bundled files covering further transfer syntaxes and structures (sequences, big endian,
#: large pixel data sent in many PDVs).  DCMTK's storescu re-encodes what it sends; these are files it
#: transmits unchanged (others differ in trailing padding or OW/OB of encapsulated pixel data).
PYDICOM_VERBATIM = ("MR_small_bigendian.dcm", "MR_small_implicit.dcm", "JPEGLSNearLossless_16.dcm",
                    "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_jpeg_gdcm.dcm", "examples_overlay.dcm",
                    "liver_expb_1frame.dcm", "test-SR.dcm", "image_dfl.dcm")
#: More of pydicom's files for our own sender, which streams files as they are.
PYDICOM_MORE = ("CT_small.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm",
                "JPEG2000.dcm", "JPGExtended.dcm", "rtplan.dcm", "waveform_ecg.dcm")


def meta_length(data: bytes) -> int:
    """Offset of the dataset in a DICOM file image (0 if it has no preamble and meta header).

    Walks the explicit VR little endian group 0002 elements, so it also works when
    (0002,0000) is absent.
    """
    if data[128:132] != b"DICM":
        return 0
    i = 132
    while i + 8 <= len(data):
        group = struct.unpack_from("<H", data, i)[0]
        if group != 0x0002:
            break
        vr = data[i + 4:i + 6]
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            i += 12 + struct.unpack_from("<I", data, i + 8)[0]
        else:
            i += 8 + struct.unpack_from("<H", data, i + 6)[0]
    return i


def dataset_part(path, inflate: bool = False) -> bytes:
    """The dataset bytes of a file (after preamble and meta header); inflated if ``inflate``."""
    data = Path(path).read_bytes()
    body = data[meta_length(data):]
    return zlib.decompress(body, -15) if inflate else body


def meta(path) -> pydicom.dataset.FileMetaDataset:
    return dcmread(path, stop_before_pixels=True).file_meta


def header(path) -> pydicom.Dataset:
    return dcmread(path, stop_before_pixels=True, force=True)


def listing(directory) -> list[str]:
    """All names below ``directory`` (relative, recursive, hidden ones included), sorted."""
    directory = Path(directory)
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def writing_unnamed(pid: int, directory) -> bool:
    """Whether process ``pid`` holds an unnamed (O_TMPFILE) file open in ``directory``: the
    receiver has started writing an instance that is not visible yet."""
    prefix = os.path.realpath(directory) + "/#"
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix):
            return True
    return False


def temp_files(directory) -> list[str]:
    return [name for name in listing(directory) if os.path.basename(name).startswith(TEMP_PREFIX)]


def copy_pydicom_files(names, target) -> list[Path]:
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        shutil.copy(PYDICOM_TEST_FILES / name, target / name)
        out.append(target / name)
    return out


def make_instances(directory, count: int, *, prefix: str = "img", start: int = 1, size: int = 16,
                   sop_class: str = corpus.CT, suffix: str = ".dcm", series_date="20230115") -> list[Path]:
    """``count`` CT-like instances with distinct SOP Instance UIDs (``<root>.9.<start+n>``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        name = f"{prefix}{n}{suffix}"
        corpus.make(str(directory), name, sop_class, f"{corpus.ROOT}.9.{n}", "MANY^PAT", "PAT100", "19700101",
                    "M", corpus.ROOT + ".2.9", "20230115", "101500", "ACC100", "STUDY9", "MANY",
                    corpus.ROOT + ".3.9", 1, "CT", n, series_date, size=size)
        paths.append(directory / name)
    return paths


def profile_config(pairs, *, verification: bool = True, name: str = "Every") -> str:
    """An association negotiation file: profile ``name`` with one context per (abstract syntax,
    transfer syntaxes) pair; each TS list is used in the given order."""
    lists: list[tuple[str, ...]] = []
    lines = ["[[TransferSyntaxes]]"]
    for _abstract, tss in pairs:
        if tuple(tss) not in lists:
            lists.append(tuple(tss))
    for i, tss in enumerate(lists):
        lines.append(f"[TS{i}]")
        lines += [f"TransferSyntax{j + 1} = {ts}" for j, ts in enumerate(tss)]
    lines += ["", "[[PresentationContexts]]", f"[{name}]"]
    entries = ([("1.2.840.10008.1.1", (IMPLICIT_LE,))] if verification else []) + list(pairs)
    if verification and (IMPLICIT_LE,) not in lists:
        lists.append((IMPLICIT_LE,))
        lines[1:1] = [f"[TS{len(lists) - 1}]", f"TransferSyntax1 = {IMPLICIT_LE}"]
    for k, (abstract, tss) in enumerate(entries):
        lines.append(f"PresentationContext{k + 1} = {abstract}\\TS{lists.index(tuple(tss))}")
    lines += ["", "[[Profiles]]", f"[{name}]", f"PresentationContexts = {name}", ""]
    return "\n".join(lines)
