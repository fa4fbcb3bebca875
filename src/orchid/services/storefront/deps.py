"""FastAPI dependencies and small helpers every page module shares."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from orchid.kit.errors import OrchidError
from orchid.services.accounts.errors import NotAuthenticated
from orchid.services.catalog.schemas import CategoryNode
from orchid.services.storefront.forms import Form, read_form
from orchid.services.storefront.service import Storefront
from orchid.services.storefront.session import Visitor, count_bag, find_visitor


async def get_storefront(request: Request) -> Storefront:
    """Return the storefront of this process."""
    storefront: Storefront = request.app.state.services.storefront
    return storefront


StorefrontDep = Annotated[Storefront, Depends(get_storefront)]


async def get_visitor(request: Request, storefront: StorefrontDep) -> Visitor:
    """Return this request's shopper."""
    return await find_visitor(request, storefront)


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


def customer_id(visitor: Visitor) -> str:
    """Return the signed-in shopper's id, or send them to sign in (401 → login page)."""
    if visitor.user is None:
        raise NotAuthenticated("Sign in to continue.")
    return visitor.user.customer_id


async def departments(storefront: Storefront) -> list[CategoryNode]:
    """Return the top-level categories for the navigation (none while the catalog is down)."""
    try:
        return await storefront.departments()
    except OrchidError:
        return []


async def page(storefront: Storefront, visitor: Visitor, template: str, *, status: int = 200,
               cache: str = "private, no-cache", **context: Any) -> Response:
    """Render a page for `visitor`, with the shop's navigation, and set their cookies."""
    context.setdefault("query", "")
    if visitor.bag_unknown:
        visitor.cart_count, visitor.bag_unknown = await count_bag(visitor, storefront), False
    response = storefront.pages.render(template, status=status, cache=cache, visitor=visitor,
                                       departments=await departments(storefront), **context)
    return visitor.finish(response)


def redirect(visitor: Visitor, url: str) -> Response:
    """Answer a form with 303 See Other to `url` (post/redirect/get), setting cookies."""
    return visitor.finish(RedirectResponse(url, status_code=303))


def safe_next(value: str | None, default: str = "/") -> str:
    """Return a same-site path to go back to; anything else (//evil, https://…) → default."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


async def posted(request: Request, storefront: Storefront, visitor: Visitor) -> Form:
    """Read a POSTed form and check its CSRF token (403 page when it is not this visitor's)."""
    form = await read_form(request)
    visitor.check_csrf(form, storefront)
    return form
