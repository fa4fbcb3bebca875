"""Who may call a service's internal routes: per-caller keys and per-caller grants.

Each calling service has its own random key, like a service account. A caller sends its name
and key; the called process holds only the SHA-256 digests of the keys, so a process that is
broken into cannot pose as another caller. What a caller may do is granted per method and per
argument, from the peer methods it declares (see `orchid.services`):

    guard = CallerGuard("accounts", digests={"storefront": key_digest(key)},
                        grants={"storefront": {"login": frozenset({"email", "password",
                                                                   "client_ip"})}})
    caller = guard.check(headers, method="login", arguments={"email", "password"})

A refused call is a `Forbidden` (403), logged with the caller and the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from orchid.kit.errors import Forbidden

CALLER_HEADER = "x-orchid-caller"
KEY_HEADER = "x-orchid-caller-key"
Grants = Mapping[str, Mapping[str, frozenset[str]]]  # caller → method → arguments it may pass
log = structlog.get_logger("orchid.callers")


def new_key() -> str:
    """Return a fresh caller key (256 random bits)."""
    return secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    """Return the SHA-256 hex digest under which a caller key is known to the called side."""
    # The key's entropy makes a salt or a slow hash needless.
    return hashlib.sha256(key.encode()).hexdigest()


def as_pairs(values: Mapping[str, str]) -> str:
    """Return `values` in the settings' pair form: "orders=…,storefront=…"."""
    return ",".join(f"{name}={value}" for name, value in sorted(values.items()))


def write_key_files(folder: Path, keys: Mapping[str, str],
                    accepted: Mapping[str, str] | None = None) -> None:
    """Write a process's own caller keys (0600), and the digests of the keys it accepts (by
    default the same ones), into its secrets folder, as settings read them."""
    folder.mkdir(parents=True, exist_ok=True)
    accept = keys if accepted is None else accepted
    files = {"orchid_internal_keys": as_pairs(keys),
             "orchid_internal_callers": as_pairs({c: key_digest(k) for c, k in accept.items()})}
    for name, text in files.items():
        path = folder / name
        path.write_text(text)
        path.chmod(0o600)


def new_key_set(callers: Iterable[str]) -> dict[str, str]:
    """Return a fresh key for each calling service."""
    return {caller: new_key() for caller in callers}


@dataclass(frozen=True)
class Credential:
    """What a calling service presents: its name and its key."""

    caller: str
    key: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        """Return the request headers that carry this credential."""
        return {CALLER_HEADER: self.caller, KEY_HEADER: self.key}


class CallerRefused(Forbidden):
    """An internal call without a valid credential, or beyond what its caller was granted."""

    code, title = "caller_refused", "Internal call refused"


@dataclass(frozen=True)
class CallerGuard:
    """Checks internal calls to one service against its callers' digests and grants."""

    service: str
    digests: Mapping[str, str]
    grants: Grants

    def check(self, headers: Mapping[str, str], *, method: str, arguments: set[str]) -> str:
        """Return the verified caller's name, or raise CallerRefused (and log why)."""
        caller = headers.get(CALLER_HEADER, "")
        expected = self.digests.get(caller)
        supplied = key_digest(headers.get(KEY_HEADER, ""))
        if expected is None or not hmac.compare_digest(supplied, expected):
            return self._refuse(caller, method, "no valid caller key")
        allowed = self.grants.get(caller, {}).get(method)
        if allowed is None:
            return self._refuse(caller, method, "method not granted to this caller")
        extra = sorted(arguments - allowed)
        if extra:
            return self._refuse(caller, method, f"arguments not granted: {', '.join(extra)}")
        return caller

    def _refuse(self, caller: str, method: str, reason: str) -> str:
        log.warning("internal_call_refused", service=self.service, method=method,
                    caller=caller or None, reason=reason)
        raise CallerRefused(f"{reason} ({self.service}.{method})")
