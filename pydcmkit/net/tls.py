"""TLS for DICOM associations (PS3.15 Annex B, BCP 195), from DCMTK's ``+tls`` option family.

The options map onto Python's :mod:`ssl`: ``+tls key cert`` loads our identity, ``+cf``/``+cd``
add trusted certificates, ``-rc``/``-vc``/``-ic`` choose peer verification, ``+py``/``+px``/``+pz``
choose the BCP 195 profile (TLS 1.2+, with 1.3 allowed for the non-downgrading and extended
ones), ``+cs`` restricts cipher suites, ``+crl``/``+crv``/``+cra`` add CRL checking.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from typing import Callable

BCP195_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                  "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384")
BCP195_EX_CIPHERS = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"


class TLSSetupError(Exception):
    """The TLS layer cannot be created (DCMTK exit 71 for servers)."""


@dataclass(frozen=True)
class TLSOptions:
    key_file: str
    cert_file: str
    password: str | Callable[[], str] | None = None  # a callable prompts (+ps), only for an encrypted key
    der: bool = False
    trusted_certs: tuple[str, ...] = ()
    trusted_dirs: tuple[str, ...] = ()
    crl_files: tuple[str, ...] = ()
    crl_mode: str | None = None      # None, "leaf" (+crv), "all" (+cra)
    profile: str = "bcp195-nd"       # bcp195-nd, bcp195, bcp195-ex, basic, aes, null
    ciphers: tuple[str, ...] = ()
    dhparam: str | None = None
    verify: str = "require"          # require (-rc), verify (-vc), ignore (-ic)


def _pem_files(opts: TLSOptions) -> tuple[str, str, list[str]]:
    """Return (key, cert) as PEM paths, converting DER files to temporary PEM files."""
    if not opts.der:
        return opts.key_file, opts.cert_file, []
    temps = []
    with open(opts.cert_file, "rb") as f:
        cert_pem = ssl.DER_cert_to_PEM_cert(f.read())
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TLSSetupError("DER private keys need the 'cryptography' package") from exc
    with open(opts.key_file, "rb") as f:
        password = opts.password() if callable(opts.password) else opts.password
        key = serialization.load_der_private_key(f.read(), password=password.encode() if password else None)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    paths = []
    for data in (key_pem, cert_pem.encode()):
        fd, path = tempfile.mkstemp(suffix=".pem")
        os.write(fd, data)
        os.close(fd)
        paths.append(path)
        temps.append(path)
    return paths[0], paths[1], temps


def make_context(opts: TLSOptions, server_side: bool) -> ssl.SSLContext:
    """Build an :class:`ssl.SSLContext` from DCMTK-style TLS options."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # DICOM peers are identified by certificate, not host name
    if opts.profile == "bcp195-ex":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    elif opts.profile in ("bcp195", "bcp195-nd"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        if opts.ciphers:
            ctx.set_ciphers(":".join(opts.ciphers))
        elif opts.profile == "bcp195-ex":
            ctx.set_ciphers(BCP195_EX_CIPHERS)
        elif opts.profile in ("bcp195", "bcp195-nd"):
            ctx.set_ciphers(BCP195_CIPHERS)
    except ssl.SSLError as exc:
        raise TLSSetupError(f"invalid cipher suite list: {exc}") from None
    temps: list[str] = []
    try:
        key, cert, temps = _pem_files(opts)
        ctx.load_cert_chain(cert, key, password=opts.password if opts.password is not None else None)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise TLSSetupError(f"unable to load private key or certificate: {exc}") from None
    finally:
        for t in temps:
            os.unlink(t)
    try:
        for cafile in opts.trusted_certs:
            ctx.load_verify_locations(cafile=cafile)
        for capath in opts.trusted_dirs:
            ctx.load_verify_locations(capath=capath)
        for crl in opts.crl_files:
            ctx.load_verify_locations(cafile=crl)
    except (OSError, ssl.SSLError) as exc:
        raise TLSSetupError(f"unable to load trusted certificate or CRL: {exc}") from None
    if opts.crl_files or opts.crl_mode:
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN if opts.crl_mode == "all" else ssl.VERIFY_CRL_CHECK_LEAF
    if opts.dhparam:
        try:
            ctx.load_dh_params(opts.dhparam)
        except (OSError, ssl.SSLError) as exc:
            raise TLSSetupError(f"unable to load DH parameters: {exc}") from None
    ctx.verify_mode = {"require": ssl.CERT_REQUIRED, "verify": ssl.CERT_OPTIONAL,
                       "ignore": ssl.CERT_NONE}[opts.verify]
    return ctx


def list_ciphers() -> list[str]:
    """The cipher suites this Python/OpenSSL supports (``+cc``)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return [c["name"] for c in ctx.get_ciphers()]
