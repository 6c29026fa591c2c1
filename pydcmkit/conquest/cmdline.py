"""ConQuest dgate's command-line grammar (dgate.md §1.1, §1.2, §1.4).

Options are ``-`` and one letter, case-insensitive except ``-l``/``-L``, with the value glued to
the letter (``-p5678``, ``-q127.0.0.1``, ``-faFILE,PATID``, ``-j*n4FILE``).  Arguments are taken
left to right; the first *action* (a local maintenance option, or a ``--command:args`` for a
running server) ends the scan, so ``-p``, ``-q``, ``-h`` must come before it.  ``-w`` was already
pre-scanned (:func:`pydcmkit.conquest.ini.resolve_config_location`).  ``-?`` and any unknown
option ask for the usage text (stderr, exit 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: two-letter actions: second letter -> name (dgate.md §1.4)
_F_ACTIONS = {"p": "-fp", "t": "-ft", "s": "-fs", "i": "-fi", "e": "-fe", "d": "-fd", "z": "-fz", "a": "-fa",
              "r": "-fr", "c": "-fc", "k": "-fk", "?": "-f?", "u": "-fu", "f": "-ff"}
_J_ACTIONS = {"d": "-jd", "*": "-j*", "-": "-j-", "s": "-js", "j": "-jj", "c": "-jc"}
_N_ACTIONS = {"d": "-nd", "u": "-nu", "c": "-nc"}
_SINGLE_ACTIONS = {"i": "-i", "r": "-r", "d": "-d", "m": "-m", "k": "-k", "t": "-t", "o": "-o", "z": "-z",
                   "g": "-g", "y": "-y"}


@dataclass(frozen=True)
class Action:
    """A local action: ``name`` (``-fa``, ``-j*`` ...), its glued ``value`` and, for ``-nu`` and
    ``-e``, the separate words that follow it."""

    name: str
    value: str = ""
    words: tuple[str, ...] = ()

    @property
    def mode_and_file(self) -> tuple[str, str]:
        """``-j*XYFILE`` / ``-j-XYFILE``: the 2-character compression mode and the file."""
        return self.value[:2], self.value[2:]


@dataclass
class DgateCommandLine:
    """What the options before the action say, and the action (None: run the server)."""

    port: int | None = None
    host: str = "127.0.0.1"
    ae_title: str | None = None
    uid_counter: int | None = None
    verbose: bool = False
    log_file: str | None = None          # -l / -^ : normal log
    debug_log_file: str | None = None    # -L / -# : normal and debug log
    timestamps: bool = False             # -^ / -# write time stamps
    single_thread: bool = False          # -b
    action: Action | None = None
    remote_command: str | None = None    # --name:args, the text after the two dashes
    usage: bool = False
    ignored: list[str] = field(default_factory=list)


def _int(text: str) -> int:
    """C ``atoi``: leading digits (optional sign), 0 when there are none."""
    text = text.strip()
    sign, digits = 1, ""
    if text[:1] in "+-":
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    for ch in text:
        if not ch.isdigit():
            break
        digits += ch
    return sign * int(digits) if digits else 0


def parse(argv: list[str]) -> DgateCommandLine:
    """Scan ``argv`` (without the program name) as dgate does."""
    cl = DgateCommandLine()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg.startswith("--"):
            cl.remote_command = arg[2:]
            return cl
        if not arg.startswith("-") or len(arg) < 2:
            cl.ignored.append(arg)
            continue
        letter, value = arg[1], arg[2:]
        low = letter.lower()
        if letter == "L":
            cl.debug_log_file = value
        elif letter == "l":
            cl.log_file = value
        elif low == "w":
            continue
        elif low == "v":
            cl.verbose = True
        elif letter == "^":
            cl.log_file, cl.timestamps = value, True
        elif letter == "#":
            cl.debug_log_file, cl.timestamps = value, True
        elif letter in "!$" or low == "u":
            continue  # UDP/pipe console logging, binary stdout: nothing to do on this platform
        elif low == "b":
            cl.single_thread = True
        elif low == "p":
            cl.port = _int(value)
        elif low == "q":
            cl.host = value or "127.0.0.1"
        elif low == "h":
            cl.ae_title = value
        elif low == "c":
            cl.uid_counter = _int(value)
        elif low == "f" and value[:1].lower() in _F_ACTIONS or low == "f" and value[:1] == "?":
            key = value[:1] if value[:1] == "?" else value[:1].lower()
            cl.action = Action(_F_ACTIONS[key], value[1:])
            return cl
        elif low == "j" and value[:1].lower() in _J_ACTIONS:
            cl.action = Action(_J_ACTIONS[value[:1].lower()], value[1:])
            return cl
        elif low == "n" and value[:1].lower() in _N_ACTIONS:
            name = _N_ACTIONS[value[:1].lower()]
            if name == "-nu":
                cl.action = Action(name, value[1:], tuple(argv[i:i + 2]))
            else:
                cl.action = Action(name, value[1:])
            return cl
        elif low == "a" and value[:1].lower() == "r":
            cl.action = Action("-ar", value[1:])
            return cl
        elif low in _SINGLE_ACTIONS:
            cl.action = Action(_SINGLE_ACTIONS[low], value)
            return cl
        else:
            cl.usage = True
            return cl
    return cl


USAGE = """\
usage: dgate [options] [action]
       dgate [-pPORT] [-qIP] [-hAE] --command:arguments
Runs the ConQuest-compatible DICOM server (pydcmkit) when no action is given.
Options (values glued to the letter):
 -wDIR|-wFILE.ini  directory of dicom.ini / the file itself
 -v                log to the console        -lFILE / -LFILE  log / debug log to FILE
 -^FILE / -#FILE   log / debug log to FILE with time stamps
 -pPORT            server port (TCPPort)     -qIP             server address for --commands
 -hAE              own AE title (MyACRNema)  -cN              start value of the UID counter
 -b                serve one association at a time
Local actions (act on the database and files, then exit):
 -i[N] -r[N]       (re)create tables / and regenerate the database from the devices
 -arDEV[,DIR]      regenerate one device or one of its folders
 -d -m -k          list devices, acrnema.map, dicom.sql (with -v)
 -fpPATID -ft[PATID:]STUDYUID -fs[PATID:]SERIESUID -fi[PATID:]SOPUID  delete from the database
 -zPATID           delete patient: database and files
 -feFILE -fdFILE -fzFILE    enter file / remove entry / remove entry and file
 -faFILE[,PATID]   add file as if received   -frDIR|-frDEV,DIR  regenerate a folder
 -fcPATID,FILE -fkPATID,FILE  change / copy with new patient ID
 -f?FILE -fu       print SOP Instance UID of FILE / a new UID
 -ffMB             make MB free on the MAG devices
 -ndFILE -jdFILE   decompress in place        -j*XYFILE -j-XYFILE  recompress in place to XY
 -nu IN OUT        decompress NKI file         -jsFILE -jjFILE  print as JSON
 -gAE[,DATE]       grab images of DATE from AE
Remote commands (--echo:AE, --get_param:KEY, --addlocalfile:FILE ...): see dgate(1).
"""
