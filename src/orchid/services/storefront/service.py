"""The storefront: shop pages over the other services' interfaces; it owns no data.

    storefront = build(resources, peers)
    storefront.peers.catalog         # the services its pages call (peers.py), wherever they run
    storefront.pages.render(...)     # see `render.Pages`

It has no interface of its own for other processes (nothing to call remotely), so the registry
places it only where it runs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup
from pydantic import TypeAdapter

from orchid.kit.cache import Cache
from orchid.kit.clock import Clock
from orchid.services.cart.service import CART_TTL_SECONDS
from orchid.services.catalog.schemas import CategoryNode
from orchid.services.storefront.assets import Assets
from orchid.services.storefront.csrf import CsrfSigner
from orchid.services.storefront.peers import Peers
from orchid.services.storefront.render import Pages

if TYPE_CHECKING:
    from orchid.config import Settings
    from orchid.platform import Resources

HERE = Path(__file__).parent
HTML = TypeAdapter(str)
# Parts of pages that are the same for every shopper (the home page's shelves) are kept
# rendered. Product events drop them all at once (the cache-invalidation function); the TTL
# bounds what stock changes leave stale (a shelf shows only products in stock).
SHELVES_KEY = "shelves"
FRAGMENT_TTL = 30.0
# Every page shows the departments: the tree is kept decoded in the process for a few seconds
# rather than read from the catalog's cache and validated on each page.
DEPARTMENTS_SECONDS = 5.0


@dataclass(frozen=True)
class StorefrontConfig:
    """The settings the pages need (built from `Settings` at the entry point)."""

    secret_key: str = field(repr=False)
    cookie_secure: bool = False  # also Secure whenever the request came over https
    session_ttl_seconds: float = 30 * 24 * 3600
    cart_ttl_seconds: float = CART_TTL_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> StorefrontConfig:
        """Pick the storefront's settings; fails by name when the secret key is missing."""
        return cls(secret_key=settings.require_secret_key(),
                   cookie_secure=settings.cookie_secure,
                   session_ttl_seconds=settings.session_ttl_seconds)


class Storefront:
    """What every page handler needs: the peers, templates, static files and CSRF signer."""

    def __init__(self, *, config: StorefrontConfig, peers: Peers,
                 assets: Assets | None = None, fragments: Cache | None = None,
                 clock: Clock = time.monotonic) -> None:
        self.config, self.peers = config, peers
        self.assets = assets or Assets.load(HERE / "static")
        self.pages = Pages(HERE / "templates", self.assets)
        self.csrf = CsrfSigner(secret_key=config.secret_key)
        self.fragments = fragments
        self._clock = clock
        self._departments: tuple[float, list[CategoryNode]] = (float("-inf"), [])

    async def departments(self) -> list[CategoryNode]:
        """The category tree for the navigation (kept `DEPARTMENTS_SECONDS`)."""
        read_at, tree = self._departments
        if self._clock() - read_at >= DEPARTMENTS_SECONDS:
            tree = await self.peers.catalog.list_categories()
            self._departments = (self._clock(), tree)
        return tree

    async def fragment(self, name: str, render: Callable[[], Awaitable[str]]) -> Markup:
        """The HTML `render()` makes, kept for every shopper until the shelves change."""
        if self.fragments is None:
            return Markup(await render())  # our own autoescaping templates
        key = await self.fragments.in_generation(SHELVES_KEY, name)
        html = await self.fragments.get_or_load(key, render, adapter=HTML, ttl=FRAGMENT_TTL)
        return Markup(html)  # rendered by our own autoescaping templates


def build(resources: Resources, peers: Peers) -> Storefront:
    """Assemble the storefront from the process's settings and its peers."""
    return Storefront(config=StorefrontConfig.from_settings(resources.settings), peers=peers,
                      fragments=resources.cache("storefront"))
