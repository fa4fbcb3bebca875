"""The storefront's HTML routes: `/`, /c, /search, /p, /cart, /login, /checkout, /orders,
/account, and its own /static files and /img pictures. The JSON API stays under /api/v1.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from orchid.kit.errors import NotFound
from orchid.services.storefront import account, browse, checkout, shop
from orchid.services.storefront.deps import StorefrontDep
from orchid.services.storefront.render import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/static/{name}")
async def static(name: Annotated[str, Path(pattern=r"^[a-z0-9-]+\.[a-z]+$", max_length=40)],
                 storefront: StorefrontDep,
                 v: Annotated[str, Query(max_length=20)] = "") -> Response:
    """Serve a CSS or JS file; a versioned URL may be cached for a year."""
    asset = storefront.assets.get(name)
    if asset is None:
        raise NotFound("No such file.")
    fresh = v == asset.version
    cache = "public, max-age=31536000, immutable" if fresh else "public, max-age=300"
    return Response(asset.body, media_type=asset.media_type,
                    headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})


# The page modules' routes, flat (no prefix to add): the edge reads their paths from here.
for part in (browse.router, shop.router, account.router, checkout.router):
    router.routes.extend(part.routes)
