"""Options shared by several tools, defined once.

Texts, value descriptions and ranges are those of DCMTK 3.6.7's ``dcmrecv``/``dcmsend``/
``dcmqrscp`` help.  Tools assemble their groups from these pieces plus their own options;
where a tool's help wording differs (e.g. the default AE title) it uses
``OPTION.replace(help=...)``.
"""

from __future__ import annotations

from pydcmkit.cli.spec import Option, OptionGroup, SubGroup

#: Block of ``-q/-v/-d`` (rightmost wins).
LOG_BLOCK = "log"

# -- general options -----------------------------------------------------------------------
HELP = Option("--help", "-h", help="print this help text and exit", exclusive=True)
VERSION = Option("--version", help="print version information and exit", exclusive=True)
ARGUMENTS = Option("--arguments", help="print expanded command line arguments")
QUIET = Option("--quiet", "-q", help="quiet mode, print no warnings and errors", block=LOG_BLOCK)
VERBOSE = Option("--verbose", "-v", help="verbose mode, print processing details",
                 block=LOG_BLOCK)
DEBUG = Option("--debug", "-d", help="debug mode, print debug information", block=LOG_BLOCK)
LOG_LEVEL = Option("--log-level", "-ll", 1, "[l]evel: string constant",
                   "(fatal, error, warn, info, debug, trace)\nuse level l for the logger")
LOG_CONFIG = Option("--log-config", "-lc", 1, "[f]ilename: string",
                    "use config file f for the logger")
VERBOSE_PC = Option("--verbose-pc", "+v", help="show presentation contexts in verbose mode")

LOGGING_OPTIONS = (ARGUMENTS, QUIET, VERBOSE, DEBUG, LOG_LEVEL, LOG_CONFIG)


def general_group(*extra: Option, exclusive: tuple[Option, ...] = (),
                  short_col: int = 6) -> OptionGroup:
    """``general options:``: ``-h``, ``--version``, the tool's further exclusive options
    (e.g. ``--list-decoders``), ``--arguments``, ``-q -v -d -ll -lc``, then ``extra``.
    The short column is two wider than elsewhere (DCMTK ``SHORTCOL + 2``)."""
    return OptionGroup("general options:",
                       (HELP, VERSION, *exclusive, *LOGGING_OPTIONS, *extra),
                       short_col=short_col)


# -- network -------------------------------------------------------------------------------
AETITLE = Option("--aetitle", "-aet", 1, "[a]etitle: string", "set my AE title")
TIMEOUT = Option("--timeout", "-to", 1, "[s]econds: integer (default: unlimited)",
                 "timeout for connection requests", vtype=int, vmin=1)
ACSE_TIMEOUT = Option("--acse-timeout", "-ta", 1, "[s]econds: integer (default: 30)",
                      "timeout for ACSE messages", vtype=int, vmin=1)
DIMSE_TIMEOUT = Option("--dimse-timeout", "-td", 1, "[s]econds: integer (default: unlimited)",
                       "timeout for DIMSE messages", vtype=int, vmin=1)
MAX_PDU = Option("--max-pdu", "-pdu", 1, "[n]umber of bytes: integer (4096..131072)",
                 "set max receive pdu to n bytes (default: 16384)",
                 vtype=int, vmin=4096, vmax=131072)
MAX_SEND_PDU = Option("--max-send-pdu", None, 1, "[n]umber of bytes: integer (4096..131072)",
                      "restrict max send pdu to n bytes", vtype=int, vmin=4096, vmax=131072)
DISABLE_HOST_LOOKUP = Option("--disable-host-lookup", "-dhl", help="disable hostname lookup")

# -- processing / output -------------------------------------------------------------------
PROCESSES = Option(
    "--processes", None, 1, "[n]umber: integer (1..64, default: 1)",
    "serve associations in n worker processes (pydcmkit)", vtype=int, vmin=1, vmax=64,
    manual="pydcmkit addition: n worker processes accept associations on the same port, so that "
           "several associations are served on several CPU cores; the concurrency bound "
           "(--max-associations, dcmqrscp's MaxAssociations) is shared out between them. SIGTERM to the main process stops all workers cleanly.")
COMPRESSION_LEVEL = Option("--compression-level", "+cl", 1, "[l]evel: integer (default: 6)",
                           "0=uncompressed, 1=fastest, 9=best compression",
                           vtype=int, vmin=0, vmax=9)

# -- TLS (dcmrecv.md 1.3) ------------------------------------------------------------------
TLS_BLOCK = "tls"
TLS_PASSWORD_BLOCK = "tls-password"
TLS_KEY_FORMAT_BLOCK = "tls-key-format"
TLS_PROFILE_BLOCK = "tls-profile"
TLS_SEED_BLOCK = "tls-seed"
TLS_PEER_CERT_BLOCK = "tls-peer-cert"

DISABLE_TLS = Option("--disable-tls", "-tls", help="use normal TCP/IP connection (default)",
                     block=TLS_BLOCK)
ENABLE_TLS = Option("--enable-tls", "+tls", 2, "[p]rivate key file, [c]ertificate file: string",
                    "use authenticated secure TLS connection", block=TLS_BLOCK)
STD_PASSWD = Option("--std-passwd", "+ps",
                    help="prompt user to type password on stdin (default)",
                    block=TLS_PASSWORD_BLOCK)
USE_PASSWD = Option("--use-passwd", "+pw", 1, "[p]assword: string ", "use specified password",
                    block=TLS_PASSWORD_BLOCK)
NULL_PASSWD = Option("--null-passwd", "-pw", help="use empty string as password",
                     block=TLS_PASSWORD_BLOCK)
PEM_KEYS = Option("--pem-keys", "-pem",
                  help="read keys and certificates as PEM file (default)",
                  block=TLS_KEY_FORMAT_BLOCK)
DER_KEYS = Option("--der-keys", "-der", help="read keys and certificates as DER file",
                  block=TLS_KEY_FORMAT_BLOCK)
ADD_CERT_FILE = Option("--add-cert-file", "+cf", 1, "[f]ilename: string",
                       "add certificate file to list of certificates", repeatable=True)
ADD_CERT_DIR = Option("--add-cert-dir", "+cd", 1, "[d]irectory: string",
                      "add certificates in d to list of certificates", repeatable=True)
ADD_CRL_FILE = Option("--add-crl-file", "+crl", 1, "[f]ilename: string",
                      "add certificate revocation list file\n(implies --enable-crl-vfy)",
                      repeatable=True)
ENABLE_CRL_VFY = Option("--enable-crl-vfy", "+crv", help="enable leaf CRL verification")
ENABLE_CRL_ALL = Option("--enable-crl-all", "+cra", help="enable full chain CRL verification")
PROFILE_BCP195_ND = Option("--profile-bcp195-nd", "+py",
                           help="Non-downgrading BCP 195 TLS Profile (default)",
                           block=TLS_PROFILE_BLOCK)
PROFILE_BCP195 = Option("--profile-bcp195", "+px", help="BCP 195 TLS Profile",
                        block=TLS_PROFILE_BLOCK)
PROFILE_BCP195_EX = Option("--profile-bcp195-ex", "+pz", help="Extended BCP 195 TLS Profile",
                           block=TLS_PROFILE_BLOCK)
PROFILE_AES = Option("--profile-aes", "+pa",
                     help="AES TLS Secure Transport Connection Profile\n(retired)",
                     block=TLS_PROFILE_BLOCK)
PROFILE_NULL = Option("--profile-null", "+pn",
                      help="Authenticated unencrypted communication\n(retired, was used in IHE ATNA)",
                      block=TLS_PROFILE_BLOCK)
LIST_CIPHERS = Option("--list-ciphers", "+cc",
                      help="show list of supported TLS ciphersuites and exit", exclusive=True)
CIPHER = Option("--cipher", "+cs", 1, "[c]iphersuite name: string",
                "add ciphersuite to list of negotiated suites\n(not with --profile-bcp195-ex)",
                repeatable=True)
DHPARAM = Option("--dhparam", "+dp", 1, "[f]ilename: string",
                 "read DH parameters for DH/DSS ciphersuites")
SEED = Option("--seed", "+rs", 1, "[f]ilename: string", "seed random generator with contents of f")
WRITE_SEED = Option("--write-seed", "+ws", help="write back modified seed (only with --seed)",
                    block=TLS_SEED_BLOCK)
WRITE_SEED_FILE = Option("--write-seed-file", "+wf", 1, "[f]ilename: string (only with --seed)",
                         "write modified seed to file f", block=TLS_SEED_BLOCK)
REQUIRE_PEER_CERT = Option("--require-peer-cert", "-rc",
                           help="verify peer certificate, fail if absent (default)",
                           block=TLS_PEER_CERT_BLOCK)
VERIFY_PEER_CERT = Option("--verify-peer-cert", "-vc", help="verify peer certificate if present",
                          block=TLS_PEER_CERT_BLOCK)
IGNORE_PEER_CERT = Option("--ignore-peer-cert", "-ic", help="don't verify peer certificate",
                          block=TLS_PEER_CERT_BLOCK)

TLS_GROUP = OptionGroup("transport layer security (TLS) options:", (
    SubGroup("transport protocol stack:", (DISABLE_TLS, ENABLE_TLS)),
    SubGroup("private key password (only with --enable-tls):", (STD_PASSWD, USE_PASSWD,
                                                                 NULL_PASSWD)),
    SubGroup("key and certificate file format:", (PEM_KEYS, DER_KEYS)),
    SubGroup("certification authority:", (ADD_CERT_FILE, ADD_CERT_DIR, ADD_CRL_FILE,
                                          ENABLE_CRL_VFY, ENABLE_CRL_ALL)),
    SubGroup("security profile:", (PROFILE_BCP195_ND, PROFILE_BCP195, PROFILE_BCP195_EX,
                                   PROFILE_AES, PROFILE_NULL)),
    SubGroup("ciphersuite:", (LIST_CIPHERS, CIPHER, DHPARAM)),
    SubGroup("pseudo random generator:", (SEED, WRITE_SEED, WRITE_SEED_FILE)),
    SubGroup("peer authentication:", (REQUIRE_PEER_CERT, VERIFY_PEER_CERT, IGNORE_PEER_CERT)),
))
"""The TLS option family of an SCP built with OpenSSL (DCMTK 3.6.7 ``dcmrecv``)."""
