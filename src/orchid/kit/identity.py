"""Service-account identity tokens, as Google issues them for calls to Cloud Functions: an
RS256 JWT signed with the caller's service-account key, whose audience is the function's URL
and which expires within minutes. A function admits a call only with a valid token of a
service account allowed to call it.

    caller = ServiceAccount.generate("orchid-orders@orchid-local.iam.gserviceaccount.com")
    token = mint(caller, audience="http://127.0.0.1:8123/")          # Authorization: Bearer …
    verifier = Verifier({caller.key_id: caller.public_pem}, audience="http://127.0.0.1:8123/",
                        allowed={caller.email})
    verifier.check(f"Bearer {token}")                                # → the caller's email

On GKE a workload asks the metadata server for such a token (google.oauth2.id_token); on one
machine `orchid up` makes each service account's key, and google-auth signs and verifies as it
would with a key downloaded from IAM.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt

from orchid.kit.errors import Forbidden, Unauthorized

LIFETIME_SECONDS = 300  # Google's own identity tokens last an hour; ours, five minutes


@dataclass(frozen=True)
class ServiceAccount:
    """A service account's identity and its signing key."""

    email: str
    key_id: str
    private_pem: str
    public_pem: str

    @classmethod
    def generate(cls, email: str) -> ServiceAccount:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return cls(email, uuid.uuid4().hex, private, public)

    def info(self) -> dict[str, str]:
        """The key as IAM's JSON key file has it (what google-auth signs with)."""
        return {"type": "service_account", "client_email": self.email,
                "private_key_id": self.key_id, "private_key": self.private_pem,
                "public_key": self.public_pem}

    def write(self, path: Path) -> None:
        """Keep the key in an IAM-style JSON key file readable by its owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(json.dumps(self.info(), indent=1))

    @classmethod
    def read(cls, path: Path) -> ServiceAccount:
        info = json.loads(path.read_text())
        return cls(info["client_email"], info["private_key_id"], info["private_key"],
                   info["public_key"])


def mint(account: ServiceAccount, *, audience: str, now: float | None = None,
         lifetime: int = LIFETIME_SECONDS) -> str:
    """An identity token of `account` for `audience`, valid from `now` for `lifetime` s."""
    issued = int(now if now is not None else time.time())
    signer = crypt.RSASigner.from_service_account_info(  # type: ignore[no-untyped-call]
        account.info())
    claims = {"iss": account.email, "sub": account.email, "email": account.email,
              "aud": audience, "iat": issued, "exp": issued + lifetime}
    token: bytes = jwt.encode(signer, claims)  # type: ignore[no-untyped-call]
    return token.decode()


class Verifier:
    """Checks a caller's token: signed by a known key, for this audience, not expired, and of
    a service account allowed to call (401 for the first three, 403 for the last)."""

    def __init__(self, keys: dict[str, str], *, audience: str, allowed: Iterable[str],
                 clock_skew: int = 10) -> None:
        self.keys, self.audience = keys, audience
        self.allowed = frozenset(allowed)
        self.clock_skew = clock_skew

    def check(self, authorization: str | None) -> str:
        """Return the caller's service-account email, or raise Unauthorized / Forbidden."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("A service-account identity token is required.",
                               code="identity_token_missing")
        try:
            # google-auth reads the wall clock for exp/iat; the skew allows small drifts.
            claims = jwt.decode(  # type: ignore[no-untyped-call]
                token, certs=self.keys, audience=self.audience,
                clock_skew_in_seconds=self.clock_skew)
        except (ValueError, KeyError) as error:
            raise Unauthorized(f"The identity token is not valid here: {error}",
                               code="identity_token_invalid") from None
        email = str(claims.get("email") or claims.get("sub") or "")
        if email not in self.allowed:
            raise Forbidden(f"{email or 'This caller'} may not call this function.",
                            code="caller_not_allowed")
        return email


def keys_of(accounts: Iterable[ServiceAccount]) -> dict[str, str]:
    """Key id → public key: what a Verifier trusts."""
    return {account.key_id: account.public_pem for account in accounts}


def write_public_keys(path: Path, accounts: Iterable[ServiceAccount]) -> None:
    """The public half of `accounts`, as a function trusts them (key id → email, PEM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({a.key_id: {"email": a.email, "public_pem": a.public_pem}
                                for a in accounts}, indent=1, sort_keys=True))


def read_public_keys(path: Path) -> dict[str, str]:
    """Key id → public key, from a file `write_public_keys` wrote."""
    return {key_id: entry["public_pem"] for key_id, entry in json.loads(path.read_text()).items()}

