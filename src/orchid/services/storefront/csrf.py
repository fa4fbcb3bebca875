"""CSRF tokens bound to the visitor's session or guest cart cookie, signed with HMAC-SHA256.

    signer = CsrfSigner(secret_key="…")
    token = signer.token(binding="s:<session token>")      # into a hidden form field
    signer.valid(token, binding="s:<session token>")        # True

The binding is a cookie another site cannot read (HttpOnly) nor send cross-site on a POST
(SameSite=Lax), so a token made for it proves the form came from our own page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

FIELD = "csrf_token"
_TOKEN_CHARS = 43  # base64url of 32 bytes, unpadded


class CsrfSigner:
    """Make and check the CSRF token of one binding."""

    def __init__(self, *, secret_key: str) -> None:
        # A key of its own, derived from the settings' secret: a token is useless elsewhere.
        self._key = hmac.new(secret_key.encode(), b"orchid-storefront-csrf",
                             hashlib.sha256).digest()

    def token(self, binding: str) -> str:
        """Return the token of `binding`."""
        mac = hmac.new(self._key, binding.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def valid(self, token: str | None, binding: str | None) -> bool:
        """True when `token` was made for `binding` (compared in constant time)."""
        if not token or not binding or len(token) != _TOKEN_CHARS:
            return False
        return hmac.compare_digest(token.encode(), self.token(binding).encode())
