"""Password sign-in limits that slow guessing without letting a guesser lock the customer out.

OWASP's "Slow Down Online Guessing Attacks with Device Cookies": a client that presents the
device token of an earlier successful sign-in to this account is limited by its own bucket
alone; every other client is limited per (account, address), per address, and all of them
together per account. A flood from many addresses thus refuses only new devices, and failures
from one address never refuse another. Tokens are spent before the password is checked (so
parallel guesses cannot overshoot) and given back when it was right: only failures count.

    throttle = SignInThrottle(limiter, limits)
    attempt = await throttle.admit(email="asha@example.in", client_ip="10.0.0.7", device=None)
    ...                                    # check the password; a wrong one keeps the spend
    await attempt.succeeded()              # the right one gives the tokens back
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from orchid.kit.errors import RateLimited
from orchid.kit.ratelimit import RateLimiter

if TYPE_CHECKING:
    from orchid.config import Settings


@dataclass(frozen=True)
class SignInLimits:
    """How many failed sign-ins each bucket absorbs, and over how long it refills (the
    settings `login_<field>`)."""

    failures_per_device: int = 10
    failures_per_account_and_address: int = 10
    failures_per_address: int = 100  # generous: Indian mobile carriers put many users on one IP
    window_seconds: float = 900
    # All untrusted clients of one account together: NIST SP 800-63B's ceiling of 100 failed
    # attempts, refilled over an hour. A flood past it refuses new devices only.
    untrusted_failures_per_account: int = 100
    untrusted_window_seconds: float = 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        """Read the limits from the `login_*` settings."""
        return cls(**{f.name: getattr(settings, f"login_{f.name}") for f in fields(cls)})


@dataclass(frozen=True)
class Bucket:
    """One rate-limit key with its size and refill window."""

    key: str
    limit: int
    window: float
    what: str


class Attempt:
    """One admitted sign-in attempt and the tokens it spent."""

    def __init__(self, limiter: RateLimiter, spent: list[Bucket]) -> None:
        self._limiter, self._spent = limiter, spent

    async def succeeded(self) -> None:
        """Give the tokens back: a right password is no guess."""
        await _refund(self._limiter, self._spent)


class SignInThrottle:
    """Admit or refuse a password sign-in by the buckets that apply to its client."""

    def __init__(self, limiter: RateLimiter, limits: SignInLimits) -> None:
        self.limiter, self.limits = limiter, limits

    def buckets(self, *, email: str, client_ip: str, device: str | None) -> list[Bucket]:
        """Return the buckets an attempt spends from: the device's alone when it is trusted."""
        lim = self.limits
        if device is not None:
            return [Bucket(f"login:device:{device}", lim.failures_per_device, lim.window_seconds,
                           "sign-in attempts from this device")]
        return [
            Bucket(f"login:ip:{client_ip}", lim.failures_per_address, lim.window_seconds,
                   "sign-in attempts from your network"),
            Bucket(f"login:account-ip:{client_ip}:{email}", lim.failures_per_account_and_address,
                   lim.window_seconds, "sign-in attempts for this account from your network"),
            Bucket(f"login:account:{email}", lim.untrusted_failures_per_account,
                   lim.untrusted_window_seconds,
                   "sign-in attempts for this account from new devices"),
        ]

    async def admit(self, *, email: str, client_ip: str, device: str | None) -> Attempt:
        """Spend a token from each bucket, or raise RateLimited having spent none."""
        spent: list[Bucket] = []
        for bucket in self.buckets(email=email, client_ip=client_ip, device=device):
            try:
                await self.limiter.hit(bucket.key, limit=bucket.limit, window=bucket.window,
                                       what=bucket.what)
            except RateLimited:
                # A refused attempt checks no password: it must not drain the other buckets,
                # or an attacker's refused tries would still empty the account's.
                await _refund(self.limiter, spent)
                raise
            spent.append(bucket)
        return Attempt(self.limiter, spent)


async def _refund(limiter: RateLimiter, buckets: list[Bucket]) -> None:
    for bucket in buckets:
        await limiter.refund(bucket.key, limit=bucket.limit, window=bucket.window)
