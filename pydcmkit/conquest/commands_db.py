"""Remote commands on the database of a dgate server (dgate.md §4, §7.2): ``changeuid:``,
``changeuidback:``, ``initializetables:``, ``regen:`` ... ``regenfile:``, ``makespace:``, the
deletes, ``query:`` / ``query2:``, ``addrecord:`` / ``deleterecord:``, the finders (local, or
by C-FIND at an AE of acrnema.map) and the listers.
"""

from __future__ import annotations

import logging
import re
import warnings

from ..db.model import InformationModel, Level
from .commands_net import LOCAL, c_find, find_peer, identifier
from .naming import dataset_text, read_object
from .printf import atoi
from .remote import (
    CommandContext,
    RemoteCommandHandler,
    command_output,
    format_fields,
    format_records,
)

log = logging.getLogger("pydcmkit.dgate")

_PATIENT_ID, _SOP_UID = 0x00100020, 0x00080018

#: the fields of each finder, in answer order (dgate.md §7.2), as C-FIND keywords
FINDER_FIELDS = {
    "patientfinder": ("PatientName", "PatientID"),
    "studyfinder": ("StudyDate", "ModalitiesInStudy", "PatientName", "PatientID", "StudyInstanceUID"),
    "seriesfinder": ("StudyDate", "SeriesTime", "Modality", "PatientName", "PatientID", "StudyInstanceUID",
                     "SeriesInstanceUID"),
    "imagefinder": ("SOPInstanceUID", "PatientName", "PatientID", "StudyInstanceUID", "SeriesInstanceUID",
                    "InstanceNumber", "SliceLocation"),
}
FINDER_LEVELS = {"patientfinder": "PATIENT", "studyfinder": "STUDY", "seriesfinder": "SERIES",
                 "imagefinder": "IMAGE"}


def split_patient(text: str) -> tuple[str | None, str]:
    """``[PATID:]UID`` split at the **last** ``:`` (dgate.md §1.1)."""
    patient, sep, uid = text.rpartition(":")
    return (patient or None) if sep else None, uid


def sql_values(text: str) -> list[str]:
    """``addrecord:`` values: SQL literals separated by ``,`` -- ``'it''s'`` is a string (quotes
    removed, ``''`` -> ``'``), anything else is taken as written (numbers)."""
    values, i, n = [], 0, len(text)
    while i <= n:
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == "'":
            j, out = i + 1, []
            while j < n:
                if text[j] == "'" and j + 1 < n and text[j + 1] == "'":
                    out.append("'")
                    j += 2
                elif text[j] == "'":
                    break
                else:
                    out.append(text[j])
                    j += 1
            if j >= n:
                raise ValueError(f"unterminated string in {text!r}")
            values.append("".join(out))
            j += 1
            while j < n and text[j] == " ":
                j += 1
            if j < n and text[j] != ",":
                raise ValueError(f"unexpected {text[j]!r} after a string in {text!r}")
            i = j + 1
        else:
            j = text.find(",", i)
            j = n if j < 0 else j
            values.append(text[i:j].strip())
            i = j + 1
    return values


def register(handler: RemoteCommandHandler, server, state) -> None:
    dgate = server.dgate

    def db():
        return dgate.database

    # -- UIDs --------------------------------------------------------------------------------------
    handler.register("changeuid:", lambda args, ctx: db().change_uid(args) or None, modifies=True)
    handler.register("changeuidback:", lambda args, ctx: db().change_uid_back(args) or None)

    # -- tables, regen, space ----------------------------------------------------------------------
    def initializetables(args: str, ctx: CommandContext):
        db().initialize_tables(atoi(args) if args.strip() else 0)
        return None

    def regen(args: str, ctx: CommandContext):
        state.set_status("regen: running")
        entered, failed = db().regen()
        state.set_status(f"regen: {entered} files entered, {failed} failed")
        return None

    def regendevice(args: str, ctx: CommandContext):
        entered, failed = db().regen_device(args.strip())
        state.set_status(f"regendevice {args.strip()}: {entered} files entered, {failed} failed")
        return None

    def regendir(args: str, ctx: CommandContext):
        device, sep, folder = args.partition(",")
        if not sep:  # regendir:DIR, device MAG0 as for -frDIR
            device, folder = "MAG0", device
        entered, failed = db().regen_directory(device.strip(), folder)
        state.set_status(f"regendir {device.strip()},{folder}: {entered} files entered, {failed} failed")
        return None

    def regenfile(args: str, ctx: CommandContext):
        db().regen_file(dgate.resolve_file(args))
        return None

    def makespace(args: str, ctx: CommandContext):
        deleted = db().make_space(atoi(args))
        if deleted:
            log.info("makespace: deleted patients %s", ", ".join(deleted))
        return None

    for name, fn in (("initializetables", initializetables), ("regen", regen), ("regendevice", regendevice),
                     ("regendir", regendir), ("regenfile", regenfile), ("makespace", makespace)):
        handler.register(f"{name}:", fn, modifies=True)

    # -- deletes -----------------------------------------------------------------------------------
    def image_of_file(spec: str) -> tuple[str, str]:
        path = dgate.resolve_file(spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = read_object(path)
        sop = dataset_text(ds, _SOP_UID)
        if not sop:
            raise ValueError(f"{spec}: no SOP Instance UID")
        return sop, dataset_text(ds, _PATIENT_ID) or ""

    def deleteimagefile(args: str, ctx: CommandContext):
        sop, patient = image_of_file(args)
        db().delete(Level.IMAGE, sop, patient or None, with_files=True)
        return None

    def deleteimagefromdb(args: str, ctx: CommandContext):
        sop, patient = image_of_file(args)
        db().delete(Level.IMAGE, sop, patient or None, with_files=False)
        return None

    def deletesopfromdb(args: str, ctx: CommandContext):
        parts = args.split(",")
        if len(parts) != 4 or not parts[3]:
            return "deletesopfromdb: expected pat,study,series,sop"
        db().delete(Level.IMAGE, parts[3], parts[0] or None, with_files=False)
        return None

    def deleter(level: Level):
        def delete(args: str, ctx: CommandContext):
            if level is Level.PATIENT:
                patient, uid = None, args
            else:
                patient, uid = split_patient(args)
            if not uid:
                return None
            db().delete(level, uid, patient, with_files=True)
            return None
        return delete

    def deletestudies(args: str, ctx: CommandContext):
        if args.strip():
            db().delete_studies(args.strip(), with_files=True)
        return None

    handler.register("deleteimagefile:", deleteimagefile, modifies=True)
    handler.register("deleteimagefromdb:", deleteimagefromdb, modifies=True)
    handler.register("deletesopfromdb:", deletesopfromdb, modifies=True)
    handler.register("deletepatient:", deleter(Level.PATIENT), modifies=True)
    handler.register("deletestudy:", deleter(Level.STUDY), modifies=True)
    handler.register("deleteseries:", deleter(Level.SERIES), modifies=True)
    handler.register("deleteimage:", deleter(Level.IMAGE), modifies=True)
    handler.register("deletestudies:", deletestudies, modifies=True)

    # -- SQL ---------------------------------------------------------------------------------------
    def query(args: str, ctx: CommandContext, with_max: bool = False):
        parts = args.split("|")
        parts += [""] * (6 - len(parts))
        table, fields, where, fmt = parts[:4]
        max_rows = atoi(parts[4]) if with_max else 0
        target = parts[5] if with_max else parts[4]
        rows = db().raw_query(table, fields, where, may_modify=ctx.permitted_to_modify, max_rows=max_rows)
        if fmt:
            text = format_records(fmt, rows)
        else:
            text = "".join(format_fields("%s " * len(row) + "\n", row, 1) for row in rows)
        return command_output(text, target, ctx)

    def addrecord(args: str, ctx: CommandContext):
        parts = args.split("|", 2)
        if len(parts) != 3:
            return "addrecord: expected table|fields|values"
        fields = [f.strip() for f in parts[1].split(",")]
        db().add_record(parts[0].strip(), fields, sql_values(parts[2]))
        return None

    def deleterecord(args: str, ctx: CommandContext):
        table, sep, where = args.partition(",")
        if not sep:
            return "deleterecord: expected table,where"
        db().delete_records(table.strip(), where)
        return None

    handler.register("query:", query)
    handler.register("query2:", lambda args, ctx: query(args, ctx, with_max=True))
    handler.register("addrecord:", addrecord, modifies=True)
    handler.register("deleterecord:", deleterecord, modifies=True)

    # -- finders and listers -----------------------------------------------------------------------
    def is_local(srv: str) -> bool:
        return srv.strip().lower() in ("local", LOCAL, "") or srv.strip() == dgate.ae_title.strip()

    def remote_finder(name: str, srv: str, text: str) -> list[tuple[str, ...]]:
        """A finder at another AE: a C-FIND (Study Root, Patient Root for patients) with the
        finder's fields as return keys; ``=str`` matches the key exactly, ``str`` as ``*str*``
        on the patient name (dgate.md §7.2)."""
        fields = FINDER_FIELDS[name]
        keys = {f: "" for f in fields}
        level = FINDER_LEVELS[name]
        text = text.strip()
        if text.startswith("="):
            exact = text[1:]
            key = {"patientfinder": "PatientID", "studyfinder": "PatientID", "seriesfinder": "StudyInstanceUID",
                   "imagefinder": "SeriesInstanceUID"}[name]
            keys[key] = exact
        elif name == "studyfinder" and re.fullmatch(r"\d{4}(\d{2}(\d{2})?)?|(\d{8})?-(\d{8})?", text) and text != "-":
            keys["StudyDate"] = (text if len(text) == 8 or "-" in text else
                                 f"{text}0101-{text}1231" if len(text) == 4 else f"{text}01-{text}31")
        elif text:
            keys["PatientName"] = f"*{text}*"
        model = InformationModel.PATIENT_ROOT if name == "patientfinder" else InformationModel.STUDY_ROOT
        answers = c_find(dgate, find_peer(dgate, server, srv), model, identifier(level, **keys))
        rows = []
        for ds in answers:
            rows.append(tuple(str(ds.get(f, "") or "") for f in fields))
        return rows

    def finder(name: str, local):
        default = " ".join(["%s"] * len(FINDER_FIELDS[name]))

        def command(args: str, ctx: CommandContext):
            parts = args.split("|")
            parts += [""] * (4 - len(parts))
            srv, text, fmt, target = parts[:4]
            rows = local(text) if is_local(srv) else remote_finder(name, srv, text)
            return command_output(format_records(fmt or default, rows), target, ctx)
        return command

    database_finders = {"patientfinder": lambda t: db().patient_finder(t),
                        "studyfinder": lambda t: db().study_finder(t),
                        "seriesfinder": lambda t: db().series_finder(t),
                        "imagefinder": lambda t: db().image_finder(t)}
    for name, local in database_finders.items():
        handler.register(f"{name}:", finder(name, local))

    def lister(kind: str):
        def command(args: str, ctx: CommandContext):
            parts = args.split("|")
            parts += [""] * (5 - len(parts))
            srv, patient, uid, fmt, target = parts[:5]
            if is_local(srv):
                items = (db().series_lister(patient, uid) if kind == "series" else db().image_lister(patient, uid))
            elif kind == "series":
                keys = {"StudyInstanceUID": uid, "SeriesInstanceUID": ""}
                if patient:
                    keys["PatientID"] = patient
                answers = c_find(dgate, find_peer(dgate, server, srv), InformationModel.STUDY_ROOT,
                                 identifier("SERIES", **keys))
                items = [str(ds.get("SeriesInstanceUID", "")) for ds in answers]
            else:
                return (f"imagelister: file names are only known for the local server, not for {srv} "
                        f"(use imagefinder:{srv}|={uid})")
            return command_output(format_records(fmt or "%s*", [(i,) for i in items]), target, ctx)
        return command

    handler.register("serieslister:", lister("series"))
    handler.register("imagelister:", lister("image"))


__all__ = ["FINDER_FIELDS", "register", "split_patient", "sql_values"]
