"""A self-signed certificate for local TLS, made once with the openssl command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

NAMES = ("DNS:localhost", "DNS:*.orchid.localhost", "DNS:orchid.localhost", "IP:127.0.0.1",
         "IP:::1")


def ensure_self_signed(cert: Path, key: Path, *, days: int = 825) -> None:
    """Create a P-256 key and a certificate for localhost names unless both exist."""
    if cert.exists() and key.exists():
        return
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl not found: apt-get install openssl (or configure "
                           "real certificate paths)")
    cert.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-sha256", "-days", str(days), "-subj", "/O=Orchid local edge/CN=localhost",
         "-addext", "subjectAltName=" + ",".join(NAMES),
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl could not make a certificate: {done.stderr.strip()}")
    key.chmod(0o600)
