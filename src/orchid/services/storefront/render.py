"""Rendering pages with Jinja2, and answering every failure of a page with an HTML page.

    pages = Pages(templates_dir, assets)
    return pages.render("product.html", visitor=visitor, product=product)

`PageRoute` is the storefront router's route class: a domain error, bad input or an HTTP
error inside a page handler becomes a readable HTML page with the right 4xx/5xx status (never
the API's problem+json), and "sign in first" becomes a redirect to the login page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException

from orchid.kit.errors import OrchidError, Unauthorized
from orchid.services.orders.pricing import FREE_SHIPPING_FROM_PAISE
from orchid.services.storefront import images
from orchid.services.storefront.assets import Assets
from orchid.services.storefront.money import discount_percent, group_indian, inr, percent_label

log = structlog.get_logger("orchid.storefront")
IST = timezone(timedelta(hours=5, minutes=30), "IST")  # India has one zone and no DST
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
TITLES = {400: "Please check that", 403: "That did not come from this page",
          404: "We could not find that", 405: "Not here", 409: "That changed meanwhile",
          413: "That was too much", 422: "Please check that", 429: "Slow down a little",
          503: "Back in a moment", 500: "Something went wrong"}
HINTS = {403: "For your safety the form was refused. Go back, reload the page and try again.",
         404: "The page or product may have moved. Try searching for it.",
         503: "Part of the shop is not answering right now. Please try again shortly.",
         500: "It was our fault, not yours. Please try again in a moment."}


class Pages:
    """The Jinja2 environment of the shop's templates."""

    def __init__(self, folder: Path, assets: Assets) -> None:
        self.env = Environment(loader=FileSystemLoader(folder),
                               autoescape=select_autoescape(["html"]),
                               undefined=StrictUndefined, trim_blocks=True,
                               lstrip_blocks=True, auto_reload=False)
        self.env.filters.update(inr=inr, grouped=group_indian, percent=percent_label,
                                ist=in_india, phone=phone_display)
        self.env.globals.update(asset=assets.url, off=_off, shape_of=images.shape_of,
                                free_delivery_from=inr(FREE_SHIPPING_FROM_PAISE))

    def html(self, template: str, **context: Any) -> str:
        """Render a template to text."""
        return self.env.get_template(template).render(**context)

    def render(self, template: str, *, status: int = 200, cache: str = "private, no-cache",
               **context: Any) -> HTMLResponse:
        """Render a template as an HTML response."""
        response = HTMLResponse(self.html(template, **context), status_code=status)
        response.headers["Cache-Control"] = cache
        return response


def in_india(moment: datetime, *, with_time: bool = True) -> str:
    """Show a moment in Indian Standard Time: "24 Nov 2026, 4:30 pm"."""
    local = moment.astimezone(IST)
    day = f"{local.day} {local:%b %Y}"
    if not with_time:
        return day
    return f"{day}, {local.hour % 12 or 12}:{local:%M} {'am' if local.hour < 12 else 'pm'}"


def phone_display(phone: str) -> str:
    """Show an E.164 Indian mobile number as people write it: +91 98123 45678."""
    if phone.startswith("+91") and len(phone) == 13:
        return f"+91 {phone[3:8]} {phone[8:]}"
    return phone


def _off(price_paise: int, mrp_paise: int) -> int:
    return discount_percent(price_paise=price_paise, mrp_paise=mrp_paise)


def error_page(request: Request, status: int, detail: str | None = None) -> HTMLResponse:
    """Render the shop's error page for `status`."""
    pages: Pages = request.app.state.services.storefront.pages
    title = TITLES.get(status, "Something went wrong" if status >= 500 else "Please check that")
    return pages.render(
        "error.html", status=status, cache="no-store", visitor=None, status_code=status,
        title=title, detail=detail, hint=HINTS.get(status), query="",
        departments=[])


def login_redirect(request: Request) -> RedirectResponse:
    """Send the shopper to sign in, and back here afterwards."""
    target = request.url.path if request.method == "GET" else "/"
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


class PageRoute(APIRoute):
    """A route whose failures are answered with HTML pages."""

    def get_route_handler(self) -> Handler:
        """Wrap FastAPI's handler so errors become pages."""
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthorized:
                return login_redirect(request)
            except RequestValidationError:
                return error_page(request, 400, "Part of the address you opened is not valid.")
            except HTTPException as exc:
                detail = exc.detail if isinstance(exc.detail, str) else None
                return error_page(request, exc.status_code, detail)
            except OrchidError as exc:
                if exc.status >= 500:
                    log.warning("storefront_page_failed", path=request.url.path,
                                code=exc.code, error=str(exc))
                    return error_page(request, exc.status if exc.status == 503 else 500)
                return error_page(request, exc.status, exc.detail)
            except Exception:
                log.exception("storefront_page_crashed", path=request.url.path)
                return error_page(request, 500)

        return page_handler
