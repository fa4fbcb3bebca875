"""A local certificate authority for the stack's servers, made with the openssl command.

    tls = ensure_server_tls(layout.secrets / "tls", "mariadb")   # CA once, then a server cert
    mariadbd_argv(..., tls=tls)                                  # the server presents tls.cert
    ssl.create_default_context(cafile=tls.ca)                    # clients verify it

It plays the role Cloud SQL's server CA (or its Auth Proxy) has in production: clients trust
this CA only, and every server certificate names 127.0.0.1 and localhost. Keys are P-256, are
written 0600 before they hold a byte (they travel through a pipe, never a command line), and
are never read back by Orchid. Delete the folder to rotate everything (docs/operations.md).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CA_DAYS = 3650
SERVER_DAYS = 825  # the longest validity clients accept for a server certificate
SERVER_NAMES = "IP:127.0.0.1,DNS:localhost"
# Our own config: the machine's openssl.cnf must not add or change extensions.
CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {names}
"""


@dataclass(frozen=True)
class ServerTls:
    """What a TLS server needs: its certificate and key, and the CA its clients trust."""

    ca: Path
    cert: Path
    key: Path


def ensure_ca(folder: Path) -> Path:
    """Create the CA's key and certificate in `folder` unless they exist; return the cert."""
    cert, key = folder / "ca.pem", folder / "ca-key.pem"
    if cert.exists() and key.exists():
        return cert
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    _new_key(key)
    config = _config(folder)
    _openssl("req", "-x509", "-new", "-config", str(config), "-extensions", "ca",
             "-key", str(key), "-sha256", "-days", str(CA_DAYS),
             "-subj", f"/O=Orchid/CN=Orchid local CA {secrets.token_hex(4)}", "-out", str(cert))
    return cert


def ensure_server_tls(folder: Path, name: str) -> ServerTls:
    """The CA (made on first use) and a certificate `name` for 127.0.0.1/localhost signed by it."""
    ca = ensure_ca(folder)
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    if not (cert.exists() and key.exists()):
        _new_key(key)
        config = _config(folder)
        request = folder / f"{name}.csr"
        _openssl("req", "-new", "-config", str(config), "-key", str(key),
                 "-subj", f"/O=Orchid/CN={name}", "-out", str(request))
        _openssl("x509", "-req", "-in", str(request), "-CA", str(ca),
                 "-CAkey", str(folder / "ca-key.pem"), "-set_serial",
                 f"0x{secrets.token_hex(16)}", "-sha256", "-days", str(SERVER_DAYS),
                 "-extfile", str(config), "-extensions", "server", "-out", str(cert))
        request.unlink()
    return ServerTls(ca=ca, cert=cert, key=key)


def _new_key(path: Path) -> None:
    """A P-256 private key written to a file that is 0600 from its first byte."""
    pem = _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(pem)


def _config(folder: Path) -> Path:
    path = folder / "openssl.cnf"
    path.write_text(CONFIG.format(names=SERVER_NAMES))
    return path


def _openssl(*args: str) -> str:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl not found: apt-get install openssl")
    done = subprocess.run([openssl, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip()}")
    return done.stdout
