"""The peer methods inventory calls: accounts' `authenticate`, for its staff routes."""

from __future__ import annotations

from dataclasses import dataclass

from orchid.services.accounts.deps import Authenticator


@dataclass(frozen=True)
class Peers:
    """The services inventory calls, each typed by the methods it uses."""

    accounts: Authenticator
