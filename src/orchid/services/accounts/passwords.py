"""Credential primitives: argon2id password hashes, session token digests, OTP codes and MACs,
and device tokens.

    passwords = Passwords()                     # argon2-cffi's RFC 9106 defaults
    stored = await passwords.hash("a long passphrase")
    await passwords.verify(stored, "a long passphrase")   # True
    token = new_device_token(key=secret, email="asha@example.in")
    device_nonce(key=secret, email="asha@example.in", token=token)   # its nonce; None if forged
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hash and verify passwords with argon2id, off the event loop."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        """Return the argon2id hash of `password`."""
        # Hashing takes tens of milliseconds of CPU by design: keep it off the event loop.
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches `stored`; spends the same work when there is no hash."""
        if stored is None:
            # Unknown email or a phone-only account: verify against a throwaway hash so the
            # answer takes as long as a real miss and does not reveal which emails exist.
            stored = self._dummy or await self._make_dummy()
            await asyncio.to_thread(self._check, stored, password)
            return False
        return await asyncio.to_thread(self._check, stored, password)

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was made with other parameters than the current ones."""
        try:
            return self.hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def _check(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):
            # UnicodeEncodeError: a lone surrogate, which JSON carries and UTF-8 cannot; no
            # password set here holds one, so it matches none.
            return False

    async def _make_dummy(self) -> str:
        self._dummy = await self.hash(secrets.token_urlsafe(16))
        return self._dummy


def new_session_token() -> str:
    """Return a fresh opaque session token (256 random bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a session token is stored."""
    # A leaked store dump then holds no usable tokens; the token's entropy makes salt needless.
    return hashlib.sha256(token.encode()).hexdigest()


def new_otp_code() -> str:
    """Return a uniformly random 6-digit code."""
    return f"{secrets.randbelow(1_000_000):06d}"


def otp_mac(*, key: str, phone: str, code: str) -> str:
    """Return the HMAC-SHA256 (hex) of a code bound to its phone."""
    # Keyed, because a plain hash of a 6-digit code is reversed by trying all million codes.
    return hmac.new(key.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


MAX_DEVICE_TOKEN_LENGTH = 128  # real ones are 66 characters


def new_device_token(*, key: str, email: str) -> str:
    """Return a device token saying that this client signed in as `email` (a random nonce and
    the HMAC binding it to the email)."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_device_mac(key, email, nonce)}"


def device_nonce(*, key: str, email: str, token: str | None) -> str | None:
    """Return the nonce of `token` when it was issued for `email`, else None."""
    if not token or len(token) > MAX_DEVICE_TOKEN_LENGTH:
        return None
    nonce, _, mac = token.partition(".")
    if not nonce or not same_digest(mac, _device_mac(key, email, nonce)):
        return None
    return nonce


def _device_mac(key: str, email: str, nonce: str) -> str:
    # A key of its own, derived from the secret: a device token is no CSRF token or OTP MAC.
    # Bound to the email, not the customer id, so a sign-in is throttled before any DB read;
    # the email itself stays out of the cookie.
    own_key = hmac.new(key.encode(), b"orchid-accounts-device", hashlib.sha256).digest()
    mac = hmac.new(own_key, f"{email}\n{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")
