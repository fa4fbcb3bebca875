"""The payments service's rules and the typed interface other services call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchid.platform import Resources

if TYPE_CHECKING:
    from orchid.services.registry import Services


class PaymentsService:
    """Placeholder until the service lands (docs/checkout.md)."""

    def __init__(self, *, services: Services) -> None:
        self.services = services


def build(resources: Resources, services: Services) -> PaymentsService:
    """Assemble the payments service from the process's shared resources."""
    del resources
    return PaymentsService(services=services)
