"""The peers accounts calls: none (its own routes authenticate in its own process)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Peers:
    """Accounts calls no other service."""
