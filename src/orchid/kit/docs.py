"""/docs (Swagger UI) and /redoc (ReDoc), each with a Content-Security-Policy that lets it run.

    app = FastAPI(docs_url=None, redoc_url=None)
    app.include_router(docs_router(title="Orchid"))

FastAPI's pages load their viewer from the jsDelivr CDN and start it with an inline script, so
the shop's page policy (scripts from this origin only) would leave them blank. They get their
own: scripts from the CDN plus the inline script by its hash, never 'unsafe-inline'; styles from
the CDN and inline, because ReDoc writes its styles into <style> elements as it runs (with no
way to inject a script, an inline style can restyle the page but not act); ReDoc's search worker
from a blob:. Swagger UI's online validator is switched off: it would send our spec's address to
a third party and load its badge from there.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from orchid.kit.headers import content_policy, source_hash

__all__ = ["CDN", "docs_router", "inline_scripts"]

CDN = "https://cdn.jsdelivr.net"
FAVICON_HOST = "https://fastapi.tiangolo.com"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)  # no src attribute


def inline_scripts(html: str) -> list[str]:
    """The bodies of the page's inline <script> elements."""
    return _INLINE_SCRIPT.findall(html)


def _with_policy(page: HTMLResponse, **extra: tuple[str, ...]) -> HTMLResponse:
    html = bytes(page.body).decode()
    hashes = tuple(source_hash(script) for script in inline_scripts(html))
    page.headers["Content-Security-Policy"] = content_policy(
        script_src=(CDN, *hashes), style_src=(CDN, "'unsafe-inline'", *extra.pop("style", ())),
        img_src=("'self'", "data:", FAVICON_HOST, *extra.pop("img", ())), **extra)
    page.headers["Cache-Control"] = "no-cache"
    return page


def docs_router(*, title: str, openapi_url: str = "/openapi.json") -> APIRouter:
    """The two documentation pages of the OpenAPI document at `openapi_url`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url=openapi_url, title=f"{title} - Swagger UI",
                                   swagger_ui_parameters={"validatorUrl": None})
        return _with_policy(page)

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(openapi_url=openapi_url, title=f"{title} - ReDoc")
        return _with_policy(page, style=("https://fonts.googleapis.com",),
                            img=("https://cdn.redoc.ly",),  # its "API docs by Redocly" logo
                            font_src=("https://fonts.gstatic.com",), worker_src=("blob:",))

    return router
