"""Browsing pages: home, category listings, search with autocomplete, product, pictures."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from orchid.kit.errors import NotFound, OrchidError
from orchid.services.catalog.schemas import SLUG_PATTERN, CategoryNode, ProductRead
from orchid.services.inventory.schemas import Availability
from orchid.services.search.schemas import SearchPage, SearchQuery, SuggestPage
from orchid.services.storefront import delivery, images
from orchid.services.storefront.deps import StorefrontDep, VisitorDep, departments, page
from orchid.services.storefront.forms import check_pincode
from orchid.services.storefront.listing import SORTS, Filters
from orchid.services.storefront.render import PageRoute
from orchid.services.storefront.service import Storefront

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=160)]
Text = Annotated[str, Query(max_length=200)]
# Department → the category whose pack stands for it on the home page's tiles.
DEPARTMENT_ICONS = {"makeup": ("lipstick", "#C2185B"), "skincare": ("serums", "#D98C6C"),
                    "haircare": ("shampoo", "#5E9C8F"), "fragrance": ("perfumes", "#B58B5A"),
                    "bath-body": ("body-butter", "#E7A0B0"), "men": ("beard-oil", "#4F6D8A"),
                    "wellness": ("herbal-supplements", "#7BAE7F")}
FEATURED_BRANDS = 10


async def _search(storefront: Storefront, query: SearchQuery) -> SearchPage | None:
    try:
        return await storefront.peers.search.search(query=query)
    except NotFound:
        raise
    except OrchidError:
        return None  # the page still shows, saying search is unavailable


@router.get("/")
async def home(storefront: StorefrontDep, visitor: VisitorDep) -> Response:
    """The home page: departments, featured brands, bestsellers and new arrivals."""
    return await page(storefront, visitor, "home.html",
                      shelves=await storefront.fragment("home", lambda: _home(storefront)))


async def _home(storefront: Storefront) -> str:
    """The home page's shelves, the same for every shopper."""
    bestsellers, newest, brands, tree = await asyncio.gather(
        _search(storefront, SearchQuery(sort="popular", in_stock=True, limit=8, facets=False)),
        _search(storefront, SearchQuery(sort="newest", in_stock=True, limit=4, facets=False)),
        storefront.peers.catalog.list_brands(), departments(storefront))
    return storefront.pages.html(
        "home_shelves.html", icons=DEPARTMENT_ICONS, departments=tree,
        bestsellers=bestsellers.items if bestsellers else [],
        newest=newest.items if newest else [],
        brands=sorted(brands, key=lambda b: b.name)[:FEATURED_BRANDS], brand_count=len(brands))


def _find(nodes: list[CategoryNode], slug: str,
          path: tuple[CategoryNode, ...] = ()) -> tuple[CategoryNode, ...] | None:
    for node in nodes:
        if node.slug == slug:
            return (*path, node)
        found = _find(node.children, slug, (*path, node))
        if found:
            return found
    return None


@router.get("/c/{slug}")
async def category(slug: SlugPath, storefront: StorefrontDep, visitor: VisitorDep,
                   brand: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006
                   price: Text = "", sort: Text = "popular", in_stock: Text = "",
                   cursor: Annotated[str | None, Query(max_length=512)] = None) -> Response:
    """A category's products, with brand, price and stock filters and a sort."""
    path = _find(await departments(storefront), slug)
    if path is None:
        raise NotFound("There is no such category.")
    filters = Filters(brands=brand, price=price, sort=sort, in_stock=bool(in_stock),
                      cursor=cursor)
    results = await _search(storefront, filters.query(category=slug))
    return await page(storefront, visitor, "listing.html", results=results, filters=filters,
                      sorts={k: v for k, v in SORTS.items() if k != "relevance"},
                      base=f"/c/{slug}", trail=path, heading=path[-1].name,
                      children=path[-1].children)


@router.get("/search")
async def search(storefront: StorefrontDep, visitor: VisitorDep, q: Text = "",
                 brand: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006
                 price: Text = "", sort: Text = "relevance", in_stock: Text = "",
                 cursor: Annotated[str | None, Query(max_length=512)] = None) -> Response:
    """Search results with facets; no words lists everything by popularity."""
    filters = Filters(q=q.strip(), brands=brand, price=price, sort=sort,
                      in_stock=bool(in_stock), cursor=cursor)
    results = await _search(storefront, filters.query(category=None))
    heading = f"Results for “{filters.q}”" if filters.q else "All products"
    return await page(storefront, visitor, "listing.html", results=results, filters=filters,
                      sorts=SORTS, base="/search", trail=(), heading=heading, children=[],
                      query=filters.q)


@router.get("/search/suggest")
async def suggest(storefront: StorefrontDep,
                  q: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Autocomplete entries as an HTML fragment (brands first, then products)."""
    found = SuggestPage(items=[], engine="fts5")
    if q.strip():
        try:
            found = await storefront.peers.search.suggest(q=q, limit=8)
        except OrchidError:
            pass  # no suggestions while search is down; the form still submits
    response = storefront.pages.render("suggest.html", items=found.items, q=q,
                                       cache="public, max-age=60")
    return response


def _selected(product: ProductRead, sku: str | None,
              stock: dict[str, Availability] | None) -> str:
    skus = [v.sku for v in product.variants]
    if sku in skus:
        return sku
    if stock:
        return next((s for s in skus if stock.get(s) and stock[s].in_stock), skus[0])
    return skus[0]


@router.get("/p/{slug}")
async def product(slug: SlugPath, storefront: StorefrontDep, visitor: VisitorDep,
                  sku: Annotated[str | None, Query(max_length=40)] = None,
                  pincode: Annotated[str | None, Query(max_length=12)] = None) -> Response:
    """A product: pictures, shade or size picker, price, delivery to a pincode, add to bag."""
    peers = storefront.peers
    item = await peers.catalog.get_product(slug=slug)
    stock: dict[str, Availability] | None
    try:
        found = await peers.inventory.availability(skus=[v.sku for v in item.variants])
        stock = {a.sku: a for a in found}
    except OrchidError:
        stock = None  # stock unknown: the page says so, and the cart still takes it
    chosen = _selected(item, sku, stock)
    estimate, pincode_error = None, None
    if pincode:
        try:
            code = check_pincode(pincode)
            in_stock = stock is None or (chosen in stock and stock[chosen].in_stock)
            estimate = delivery.estimate(pincode=code, in_stock=in_stock)
        except OrchidError as exc:
            pincode_error = exc.detail
    similar = await _search(storefront, SearchQuery(category=item.category, in_stock=True,
                                                    sort="popular", limit=5, facets=False))
    variant = next(v for v in item.variants if v.sku == chosen)
    return await page(storefront, visitor, "product.html", product=item, stock=stock,
                      variant=variant, estimate=estimate, pincode=pincode or "",
                      pincode_error=pincode_error,
                      similar=[h for h in (similar.items if similar else [])
                               if h.slug != slug][:4])


def _svg(body: str) -> Response:
    return Response(body, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/img/p/{slug}.svg")
async def product_image(slug: SlugPath, storefront: StorefrontDep,
                        sku: Annotated[str | None, Query(max_length=40)] = None,
                        view: Annotated[int, Query(ge=1, le=4)] = 1) -> Response:
    """Draw a product's picture in the chosen shade (or its own colour)."""
    item = await storefront.peers.catalog.get_product(slug=slug)
    variant = next((v for v in item.variants if v.sku == sku), None)
    shaded = variant or next((v for v in item.variants if v.shade_hex), None)
    colour = (shaded.shade_hex if shaded and shaded.shade_hex
              else images.tone_for(slug=slug, category=item.category))
    if view == 2:
        return _svg(images.swatch_svg(colour=colour, title=item.name))
    return _svg(images.product_svg(category=item.category, colour=colour,
                                   brand=item.brand.name, title=item.name))


@router.get("/img/c/{slug}.svg")
async def category_image(slug: SlugPath) -> Response:
    """Draw a department's tile."""
    category, colour = DEPARTMENT_ICONS.get(slug, (slug, "#C2185B"))
    return _svg(images.product_svg(category=category, colour=colour, brand="Orchid"))
