"""The DCMTK ``+tls`` option family turned into :class:`~pydcmkit.net.tls.TLSOptions`."""

from __future__ import annotations

from ..net.tls import TLSOptions
from .common import (TLS_BLOCK, TLS_KEY_FORMAT_BLOCK, TLS_PASSWORD_BLOCK, TLS_PEER_CERT_BLOCK,
                     TLS_PROFILE_BLOCK)
from .parser import ParsedArgs, check_conflict, check_dependence

_DEPENDENT = ("--std-passwd", "--use-passwd", "--null-passwd", "--pem-keys", "--der-keys", "--add-cert-file",
              "--add-cert-dir", "--add-crl-file", "--enable-crl-vfy", "--enable-crl-all", "--cipher",
              "--dhparam", "--seed", "--write-seed", "--write-seed-file", "--require-peer-cert",
              "--verify-peer-cert", "--ignore-peer-cert")
_PROFILES = {"--profile-bcp195-nd": "bcp195-nd", "--profile-bcp195": "bcp195", "--profile-bcp195-ex": "bcp195-ex",
             "--profile-basic": "basic", "--profile-aes": "aes", "--profile-null": "null"}


def tls_options(args: ParsedArgs, read_password=None) -> TLSOptions | None:
    """TLS settings, or None without ``+tls``; DCMTK's dependency checks raise CommandLineError."""
    enabled = args.winner(TLS_BLOCK) == "--enable-tls"
    for long in _DEPENDENT:
        if args.spec.find(long) is not None and args.has(long):
            check_dependence(long, "--enable-tls", enabled)
    if args.has("--write-seed") or args.has("--write-seed-file"):
        check_dependence("--write-seed" if args.has("--write-seed") else "--write-seed-file", "--seed",
                         args.has("--seed"))
    if not enabled:
        return None
    check_conflict("--cipher", "--profile-bcp195-ex",
                   args.has("--cipher") and args.winner(TLS_PROFILE_BLOCK) == "--profile-bcp195-ex")
    check_conflict("--enable-crl-all", "--enable-crl-vfy", args.has("--enable-crl-all") and args.has("--enable-crl-vfy"))
    key, cert = args.value("--enable-tls")
    pw_choice = args.winner(TLS_PASSWORD_BLOCK) or "--std-passwd"
    if pw_choice == "--use-passwd":
        password = args.value("--use-passwd")
    elif pw_choice == "--null-passwd":
        password = ""
    else:  # +ps: like OpenSSL's callback, ask only if the key turns out to be encrypted
        password = _prompt(read_password) if read_password else None
    crl_mode = "all" if args.has("--enable-crl-all") else ("leaf" if args.has("--enable-crl-vfy") or
                                                           args.has("--add-crl-file") else None)
    return TLSOptions(
        key_file=key, cert_file=cert, password=password,
        der=args.winner(TLS_KEY_FORMAT_BLOCK) == "--der-keys",
        trusted_certs=tuple(args.values_all("--add-cert-file")),
        trusted_dirs=tuple(args.values_all("--add-cert-dir")),
        crl_files=tuple(args.values_all("--add-crl-file")), crl_mode=crl_mode,
        profile=_PROFILES.get(args.winner(TLS_PROFILE_BLOCK) or "", "bcp195-nd"),
        ciphers=tuple(args.values_all("--cipher")), dhparam=args.value("--dhparam"),
        verify={"--verify-peer-cert": "verify", "--ignore-peer-cert": "ignore"}.get(
            args.winner(TLS_PEER_CERT_BLOCK) or "", "require"))


def _prompt(read_password):
    def ask() -> str:
        try:
            return read_password()
        except EOFError:  # no terminal: an empty password, which fails for an encrypted key
            return ""
    return ask


def list_ciphers_command(args: ParsedArgs, env) -> int:
    """``+cc``/``--list-ciphers``: the cipher suites this Python/OpenSSL offers, on stdout, exit 0."""
    from ..net.tls import list_ciphers
    env.stdout.write("Supported TLS ciphersuites are:\n" + "".join(f"    {c}\n" for c in list_ciphers()))
    return 0
