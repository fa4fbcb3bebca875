"""The search service's rules and the typed interface other services call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchid.platform import Resources

if TYPE_CHECKING:
    from orchid.services.registry import Services


class SearchService:
    """Placeholder until the search issue lands."""

    def __init__(self, *, services: Services) -> None:
        self.services = services


def build(resources: Resources, services: Services) -> SearchService:
    """Assemble the search service from the process's shared resources."""
    del resources
    return SearchService(services=services)
