"""Webhook signatures: `Orchid-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

    header = sign(secret=secret, raw_body=body, timestamp=1767225600)
    verify(secret=secret, raw_body=body, signature_header=header, now=utcnow())

Signing the timestamp with the body lets the receiver refuse old events without trusting the
body; several `v1` entries are allowed so a secret can be rotated without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from orchid.services.payments.errors import WebhookSignatureInvalid, WebhookStale

HEADER = "Orchid-Signature"
TOLERANCE_SECONDS = 300
MAX_HEADER_LENGTH = 1024


def derive_secret(secret_key: str, label: str) -> str:
    """Derive a purpose-bound secret from the process's secret key."""
    return hmac.new(secret_key.encode(), label.encode(), hashlib.sha256).hexdigest()


def _digest(secret: str, timestamp: int, raw_body: bytes) -> str:
    message = f"{timestamp}.".encode() + raw_body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(*, secret: str, raw_body: bytes, timestamp: int) -> str:
    """Return the signature header value for `raw_body` sent at `timestamp`."""
    return f"t={timestamp},v1={_digest(secret, timestamp, raw_body)}"


def verify(*, secret: str, raw_body: bytes, signature_header: str, now: datetime,
           tolerance: float = TOLERANCE_SECONDS) -> int:
    """Check the header signs `raw_body` with `secret` recently; return its timestamp."""
    timestamp, candidates = _parse(signature_header)
    expected = _digest(secret, timestamp, raw_body).encode()
    # Every candidate is compared in constant time, so timing says nothing about the digest.
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in candidates]
    if not any(matches):
        raise WebhookSignatureInvalid("The webhook signature does not match.")
    if abs(now.timestamp() - timestamp) > tolerance:
        raise WebhookStale("The webhook timestamp is outside the tolerance.")
    return timestamp


def _parse(header: str) -> tuple[int, list[str]]:
    if not header or len(header) > MAX_HEADER_LENGTH:
        raise WebhookSignatureInvalid("The webhook signature header is missing.")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureInvalid("The webhook signature header is malformed.")
    return timestamp, candidates
