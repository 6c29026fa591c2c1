"""Remote commands on stored objects and files of a dgate server (dgate.md §7.1, §7.2, §8):
``addimagefile:``, ``loadanddeletedir:``, ``dump_header:``, ``count_frames:``,
``extract_frames:``, ``uncompress:``, ``compress:``, ``convert_to_dicom:``,
``convert_to_bmp:`` (``_jpg``, ``_gif``: refused), ``modifypatid:``, ``anonymize:``,
``mergestudy:``, ``mergeseries:``, ``forward:``; and the script commands (``modifystudy:``,
``modifyseries:``, ``modifyimage:``, ``modifier:``, ``lua:`` ...), which pydcmkit refuses with
a clear answer because it has no Lua and no ConQuest script interpreter.

``file`` arguments are a path on the server, ``PATID:SOPUID`` or ``STUDY\\SERIES\\SOP``
(:meth:`~pydcmkit.conquest.service.Dgate.resolve_file`).
"""

from __future__ import annotations

import copy
import logging
import os
import struct
import warnings

import numpy as np
from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.sequence import Sequence

from ..db.model import Level
from . import compression as comp
from .commands_net import PeerError, forward
from .naming import dataset_text, encode_dcm
from .printf import atoi
from .remote import CommandContext, RemoteCommandHandler, command_output
from .service import StoreError

log = logging.getLogger("pydcmkit.dgate")

_TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UI",
                       "UC", "UR", "UT"})
DICOM_HEADER = b"Content-type: application/dicom\n\n"
#: (0008,0090), (0020,1020), (0051,1010), (0010,1040), (0009,1200): emptied by anonymize: (§7.2)
ANONYMIZE_EMPTIED = (0x00080090, 0x00201020, 0x00511010, 0x00101040, 0x00091200)
ANONYMIZE_SCRIPTS = ("anonymize_script.cq", "anonymize_script.lua")
SCRIPT_COMMANDS = ("modifystudy", "modifyseries", "modifyimage", "modifier")
LUA_COMMANDS = ("lua", "luastart", "globallua")


# -- dump_header: ---------------------------------------------------------------------------------

def _escaped(raw: bytes) -> str:
    text = raw[:256].decode("latin-1")
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\f", "\\f")


def _value_bytes(elem, implicit: bool = True) -> bytes:
    """The element's encoded value (Implicit VR Little Endian)."""
    ds = Dataset()
    ds.add(copy.copy(elem))
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, implicit
    write_dataset(fp, ds)
    return fp.getvalue()[8:]


def _dump_value(vr: str, raw: bytes) -> str:
    if not raw:
        return "(empty)"
    if vr in _TEXT_VRS:
        return f'"{_escaped(raw.rstrip(b" "))}" '
    if vr == "AT":
        pairs = struct.unpack(f"<{len(raw) // 2}H", raw[:len(raw) // 4 * 4])
        return "".join(f"({pairs[i]:04x}, {pairs[i + 1]:04x}) " for i in range(0, len(pairs), 2))
    numeric = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d", "SV": "q", "UV": "Q"}
    if vr in numeric:
        size = struct.calcsize(numeric[vr])
        values = struct.unpack(f"<{len(raw) // size}{numeric[vr]}", raw[:len(raw) // size * size])[:11]
        return "".join(f"{v:g} " if vr in ("FL", "FD") else f"{v} " for v in values)
    if vr == "OW":
        words = struct.unpack(f"<{min(len(raw) // 2, 11)}H", raw[:min(len(raw) // 2, 11) * 2])
        return "".join(f"{w:04x} " for w in words)
    if vr in ("OB", "OF", "OD", "OL", "OV"):
        return "".join(f"{b:02x} " for b in raw[:11])
    # UN or unknown: as dgate guesses
    if len(raw) == 2:
        v = raw[0] | raw[1] << 8
        return f"({v}|{v:x})"
    if len(raw) == 4:
        v = struct.unpack("<I", raw)[0]
        return f"[{v}|{v:x}]"
    head = raw[:16]
    if all(32 <= b <= 125 or b == 0 for b in head[1:]) and head[:1] and 32 <= head[0] <= 125:
        return f'"{_escaped(raw)}"'
    return "".join(f"{b:02x}({chr(b)})" if 32 <= b < 127 else f"{b:02x}" for b in raw[:16])


def dump_header(ds: Dataset, depth: int = 0) -> str:
    """dgate's header dump (dgate.md §7.2): per element ``gggg,eeee``, the value length
    (``%6d``), the VR, the name cut to 20 characters and the value; sequence items follow their
    sequence with one ``>`` per level, items separated by a line of ``-``.  Group lengths are
    left out."""
    lines = []
    prefix = ">" * depth
    for elem in ds:
        tag = int(elem.tag)
        if tag & 0xFFFF == 0:
            continue
        vr = str(elem.VR) if elem.VR and " or " not in str(elem.VR) else "UN"
        name = keyword_for_tag(tag) or ""
        if vr == "SQ":
            lines.append(f"{prefix}{tag >> 16:04x},{tag & 0xFFFF:04x} {0:6d} SQ {name:<20.20}   Sequence Item")
            items = list(elem.value or [])
            for n, item in enumerate(items):
                lines.append(dump_header(item, depth + 1).rstrip("\n"))
                if n + 1 < len(items):
                    lines.append("-" * (depth + 1))
            continue
        if tag == 0x7FE00010 and getattr(elem, "is_undefined_length", False):
            raw = bytes(elem.value or b"")
        else:
            try:
                raw = _value_bytes(elem)
            except Exception:  # noqa: BLE001 - a value pydicom cannot encode: show its bytes
                raw = elem.value if isinstance(elem.value, bytes) else str(elem.value).encode("latin-1", "replace")
        lines.append(f"{prefix}{tag >> 16:04x},{tag & 0xFFFF:04x} {len(raw):6d} {vr} {name:<20.20}   "
                     f"{_dump_value(vr, raw)}")
    return "".join(line + "\n" for line in lines if line)


# -- frames, rendering ----------------------------------------------------------------------------

def number_of_frames(ds: Dataset) -> int:
    value = ds.get("NumberOfFrames")
    try:
        return int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return 0


def extract_frames(ds: Dataset, first: int, last: int) -> Dataset:
    """A decompressed copy of ``ds`` with frames ``first`` ... ``last`` (0-based, inclusive,
    clipped to the frames present)."""
    out = comp.apply(ds, "un")
    out = copy.deepcopy(out) if out is ds else out
    frames = max(number_of_frames(out), 1)
    first, last = max(first, 0), min(last, frames - 1)
    if first > last:
        raise ValueError(f"no frames {first}..{last} in an object of {frames} frame(s)")
    frame_bytes = len(out.PixelData) // frames if int(out.BitsAllocated) >= 8 else None
    if frame_bytes is None:
        raise ValueError("extract_frames: 1-bit pixel data is not supported")
    data = bytes(out.PixelData[first * frame_bytes:(last + 1) * frame_bytes])
    out.PixelData = data + b"\x00" * (len(data) % 2)
    out.NumberOfFrames = last - first + 1
    if "PerFrameFunctionalGroupsSequence" in out:
        out.PerFrameFunctionalGroupsSequence = Sequence(list(out.PerFrameFunctionalGroupsSequence)[first:last + 1])
    return out


def render_8bit(ds: Dataset, size: int = 0, frame: int = 0, level: float | None = None,
                window: float | None = None) -> np.ndarray:
    """One frame as 8-bit pixels, (rows, columns) or (rows, columns, 3) for colour.

    Monochrome data: Rescale Slope/Intercept, then the window (``level``/``window`` when given,
    else the object's first Window Center/Width, else its minimum and maximum); MONOCHROME1 is
    inverted.  Colour data: 16-bit samples are scaled to 8 bits.  ``size`` downsizes as the
    ``k`` codes do (dgate.md §8.2): integer factor ``ceil(max(rows, cols) / size)``, only when
    Pixel Spacing is present.
    """
    native = comp.apply(ds, "un")
    pixels = np.asarray(native.pixel_array)
    frames = max(number_of_frames(native), 1)
    spp = int(native.get("SamplesPerPixel") or 1)
    if frames > 1:
        pixels = pixels[min(max(frame, 0), frames - 1)]
    if size > 0 and "PixelSpacing" in native:
        f = comp.downsize_factor(pixels.shape[0], pixels.shape[1], size)
        pixels = pixels[:pixels.shape[0] // f * f:f, :pixels.shape[1] // f * f:f]
    if spp == 3:
        if pixels.dtype.itemsize > 1:
            top = max(float(pixels.max()), 1.0)
            pixels = pixels.astype(np.float64) * (255.0 / top)
        return np.clip(pixels, 0, 255).astype(np.uint8)
    values = pixels.astype(np.float64) * float(native.get("RescaleSlope") or 1) + float(
        native.get("RescaleIntercept") or 0)
    if level is None or window is None:
        center, width = native.get("WindowCenter"), native.get("WindowWidth")
        if center is not None and width is not None:
            level = float(center[0] if hasattr(center, "__len__") and not isinstance(center, str) else center)
            window = float(width[0] if hasattr(width, "__len__") and not isinstance(width, str) else width)
        else:
            low, high = float(values.min()), float(values.max())
            level, window = (low + high) / 2, max(high - low, 1.0)
    window = max(float(window), 1.0)
    low = float(level) - window / 2
    out = np.clip((values - low) * (255.0 / window), 0, 255).astype(np.uint8)
    if native.get("PhotometricInterpretation") == "MONOCHROME1":
        out = 255 - out
    return out


def bmp_bytes(pixels: np.ndarray) -> bytes:
    """A Windows BMP (BITMAPINFOHEADER): 8-bit with a grey palette, or 24-bit for RGB."""
    rows, columns = pixels.shape[:2]
    colour = pixels.ndim == 3
    bits = 24 if colour else 8
    row_bytes = (columns * bits // 8 + 3) & ~3
    palette = b"" if colour else bytes(b for i in range(256) for b in (i, i, i, 0))
    body = bytearray()
    for r in range(rows - 1, -1, -1):  # bottom-up
        line = pixels[r][:, ::-1].tobytes() if colour else pixels[r].tobytes()  # RGB -> BGR
        body += line + b"\x00" * (row_bytes - len(line))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, columns, rows, 1, bits, 0, len(body), 2835, 2835,
                       0 if colour else 256, 0)
    return header + info + palette + bytes(body)


def anonymized(ds: Dataset) -> Dataset:
    """dgate's default anonymisation (dgate.md §7.2): name ``anonymous``, birth date
    ``19010101``, and five elements emptied when present."""
    out = copy.deepcopy(ds)
    out.PatientName = "anonymous"
    out.PatientBirthDate = "19010101"
    for tag in ANONYMIZE_EMPTIED:
        if tag in out:
            out[tag].value = b"" if out[tag].VR in ("UN", "OB") else ""
    return out


def _write(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.part")
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def register(handler: RemoteCommandHandler, server, state) -> None:
    dgate = server.dgate

    def read(spec: str) -> Dataset:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return dgate.read_file(spec)

    # -- loading files -----------------------------------------------------------------------------
    def addimagefile(args: str, ctx: CommandContext):
        spec, _sep, patient = args.partition(",")
        if ctx.payload is None and spec.lower().endswith((".hl7", ".zip", ".gz", ".tar", ".7z")):
            log.error("***addimagefile: %s: HL7 and archive files are not supported", spec)
            return "1"
        try:
            result = dgate.add_file(spec, patient or None, data=ctx.payload)
        except (StoreError, OSError, ValueError) as exc:
            log.error("***addimagefile: %s: %s", spec, exc)
            return "1"
        log.info("Added file: %s", result.path or result.sop_instance_uid)
        return "0"

    def loadanddeletedir(args: str, ctx: CommandContext):
        folder, _sep, patient = args.partition(",")
        if not os.path.isdir(folder):
            return f"loadanddeletedir: {folder}: not a folder"
        loaded = failed = 0
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                try:
                    dgate.add_file(path, patient or None)
                except (StoreError, OSError, ValueError) as exc:
                    log.warning("***loadanddeletedir: %s not loaded: %s", path, exc)
                    failed += 1
                    continue
                os.unlink(path)
                loaded += 1
        state.set_status(f"loadanddeletedir {folder}: {loaded} files loaded, {failed} failed")
        return None

    handler.register("addimagefile:", addimagefile, modifies=True)
    handler.register("loadanddeletedir:", loadanddeletedir, modifies=True)

    # -- looking at objects ------------------------------------------------------------------------
    def dump_header_command(args: str, ctx: CommandContext):
        spec, _sep, target = args.partition(",")
        return command_output(dump_header(read(spec)), target, ctx)

    def count_frames(args: str, ctx: CommandContext):
        return str(number_of_frames(read(args)))

    handler.register("dump_header:", dump_header_command)
    handler.register("count_frames:", count_frames)

    # -- converting objects ------------------------------------------------------------------------
    def extract_frames_command(args: str, ctx: CommandContext):
        # dgate 1.5.0e reads the file name two characters too far (dgate.md §7.2); pydcmkit takes
        # the argument as given, so scripts written around the bug must drop their dummy characters
        parts = args.split(",")
        if len(parts) < 4:
            return "extract_frames: expected file,out,first,last"
        out = extract_frames(read(parts[0]), atoi(parts[2]), atoi(parts[3]))
        _write(parts[1], encode_dcm(out))
        return None

    def uncompress(args: str, ctx: CommandContext):
        spec, sep, target = args.partition(",")
        if not sep or not target:
            return "uncompress: expected file,out"
        ds = read(spec)
        _write(target, encode_dcm(dgate.recompress(ds, "un")))
        return None

    def compress(args: str, ctx: CommandContext):
        parts = args.split(",")
        if len(parts) < 3 or not parts[2]:
            return "compress: expected file,mode,out"
        code = comp.parse_code(parts[1])
        out = dgate.recompress(read(parts[0]), code)
        if isinstance(out, comp.Virtual):
            return f"compress: mode {parts[1]} makes no file"
        _write(parts[2], encode_dcm(out))
        return None

    def convert_to_dicom(args: str, ctx: CommandContext):
        parts = args.split(",")
        parts += [""] * (4 - len(parts))
        spec, size, mode, frame = parts[:4]
        ds = read(spec)
        if frame.strip():
            ds = extract_frames(ds, atoi(frame), atoi(frame))
        out = dgate.recompress(ds, "un")
        out = copy.deepcopy(out) if out is ds else out
        if atoi(size) > 0:
            comp.downsize(out, atoi(size))
        if mode.strip():
            out = dgate.recompress(out, comp.parse_code(mode))
        return DICOM_HEADER + encode_dcm(out)

    def convert_to_bmp(args: str, ctx: CommandContext):
        parts = args.split(",")
        parts += [""] * (4 - len(parts))
        spec, size, target, extra = parts[:4]
        view = (extra.split("/") + ["", "", ""])[:3]
        level = float(view[0]) if view[0].strip() and view[1].strip() else None
        window = float(view[1]) if level is not None else None
        data = bmp_bytes(render_8bit(read(spec), atoi(size), atoi(view[2]), level, window))
        if target == "cgi":
            return b"Content-type: image/bmp\n\n" + data
        return command_output(data, target, ctx)

    def not_rendered(kind: str):
        def command(args: str, ctx: CommandContext):
            return (f"convert_to_{kind}: {kind.upper()} output is not supported by pydcmkit's dgate "
                    f"(no image encoder installed); use convert_to_bmp:")
        return command

    handler.register("extract_frames:", extract_frames_command, modifies=True)
    handler.register("uncompress:", uncompress, modifies=True)
    handler.register("compress:", compress, modifies=True)
    handler.register("convert_to_dicom:", convert_to_dicom)
    handler.register("convert_to_bmp:", convert_to_bmp)
    handler.register("convert_to_jpg:", not_rendered("jpg"))
    handler.register("convert_to_gif:", not_rendered("gif"))

    # -- changing stored objects -------------------------------------------------------------------
    def replace_stored(old: Dataset, new: Dataset) -> None:
        """Store ``new`` and remove the stored original (rows and file), when it was stored."""
        dgate.store_object(new, "as", calling_ae=dgate.ae_title, called_ae=dgate.ae_title)
        sop = dataset_text(old, 0x00080018)
        if sop and sop != dataset_text(new, 0x00080018):
            known = dgate.database.lookup_object(sop)
            if known is not None:
                dgate.database.delete(Level.IMAGE, sop, known.patient_id or None, with_files=True)

    def modifypatid(args: str, ctx: CommandContext, anonymize: bool = False):
        patient, sep, spec = args.partition(",")
        if not sep or not patient or not spec:
            return f"{'anonymize' if anonymize else 'modifypatid'}: expected NEWPATID,file"
        if anonymize:
            scripts = [s for s in ANONYMIZE_SCRIPTS if os.path.exists(s)]
            if scripts:
                return (f"anonymize: {scripts[0]} is present but ConQuest scripts and Lua are not supported by "
                        f"pydcmkit's dgate; nothing was changed")
        old = read(spec)
        new = dgate.new_patient_id(old, patient, stage=patient)
        if anonymize:
            new = anonymized(new)
        replace_stored(old, new)
        return None

    handler.register("modifypatid:", modifypatid, modifies=True)
    handler.register("anonymize:", lambda args, ctx: modifypatid(args, ctx, anonymize=True), modifies=True)

    def merge(level: Level):
        """mergestudy:/mergeseries: every object of the 2nd, 3rd ... UID re-filed under the
        first (for series also under the first series' study); the others' rows go first, then
        each file is rewritten with the new UID and entered again."""
        uid_keyword = "StudyInstanceUID" if level is Level.STUDY else "SeriesInstanceUID"
        name = "mergestudy" if level is Level.STUDY else "mergeseries"

        def objects_of(uid: str):
            ident = Dataset()
            ident.QueryRetrieveLevel = level.name
            setattr(ident, uid_keyword, uid)
            return dgate.database.select_for_retrieve(ident)

        def command(args: str, ctx: CommandContext):
            uids = [u.strip() for u in args.split(",") if u.strip()]
            if len(uids) < 2:
                return f"{name}: expected at least two UIDs"
            targets = objects_of(uids[0])
            if not targets:
                return f"{name}: {uids[0]} is not in the database"
            first = read(targets[0].path)
            failed = []
            for uid in uids[1:]:
                objects = objects_of(uid)
                for obj in objects:  # rows first: the object's UIDs change under it
                    dgate.database.delete(Level.IMAGE, obj.sop_instance_uid, obj.patient_id or None)
                for obj in objects:
                    try:
                        ds = read(obj.path)
                        setattr(ds, uid_keyword, uids[0])
                        if level is Level.SERIES:
                            ds.StudyInstanceUID = first.StudyInstanceUID
                        ds.PatientID = first.get("PatientID", ds.get("PatientID", ""))
                        result = dgate.store_object(ds, "as", calling_ae=dgate.ae_title, called_ae=dgate.ae_title)
                    except (StoreError, OSError, ValueError) as exc:
                        log.error("***%s: %s: %s", name, obj.path, exc)
                        failed.append(obj.path)
                        continue
                    if result.path and os.path.abspath(result.path) != os.path.abspath(obj.path):
                        os.unlink(obj.path)
            if failed:
                return f"{name}: {len(failed)} object(s) could not be merged (files kept, not in the database): " + \
                    ", ".join(failed)
            return None
        return command

    handler.register("mergestudy:", merge(Level.STUDY), modifies=True)
    handler.register("mergeseries:", merge(Level.SERIES), modifies=True)

    # -- sending -----------------------------------------------------------------------------------
    def forward_command(args: str, ctx: CommandContext):
        parts = args.split(",")
        if len(parts) != 3:
            return "forward: expected file,mode,AE"
        try:
            forward(dgate, dgate.resolve_file(parts[0]), parts[1], parts[2])
        except PeerError as exc:
            return f"forward: {exc}"
        return None

    handler.register("forward:", forward_command, modifies=True)

    # -- scripts: not available --------------------------------------------------------------------
    def no_scripts(name: str):
        def command(args: str, ctx: CommandContext):
            return (f"{name}: ConQuest import-converter scripts and Lua are not supported by pydcmkit's dgate; "
                    f"nothing was changed")
        return command

    def no_lua(name: str):
        def command(args: str, ctx: CommandContext):
            return f"{name}: Lua is not supported by pydcmkit's dgate"
        return command

    for name in SCRIPT_COMMANDS:
        handler.register(f"{name}:", no_scripts(name))
    for name in LUA_COMMANDS:
        handler.register(f"{name}:", no_lua(name))


__all__ = ["anonymized", "bmp_bytes", "dump_header", "extract_frames", "number_of_frames", "register",
           "render_8bit"]
