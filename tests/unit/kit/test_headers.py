"""Security headers: every answer is nosniff with a Referrer-Policy; pages get a CSP without
inline script or style, the documentation pages a CSP that lets their CDN viewer run."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from orchid.kit.docs import CDN, inline_scripts
from orchid.kit.errors import install_error_handlers
from orchid.kit.headers import (
    API_POLICY,
    PAGE_POLICY,
    SecurityHeadersMiddleware,
    content_policy,
    source_hash,
)

TEMPLATES = Path(__file__).resolve().parents[3] / "src/orchid/services/storefront/templates"


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as directive → sources."""
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_always(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def assert_page(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert_always(response)
    policy = directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_the_page_policy_allows_no_inline_code() -> None:
    policy = directives(PAGE_POLICY)
    assert not any("unsafe" in source for sources in policy.values() for source in sources)
    assert directives(content_policy(font_src=("https://fonts.example",)))["font-src"] == [
        "https://fonts.example"]
    # The hash of "" as every CSP validator computes it.
    assert source_hash("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


async def test_the_middleware_adds_headers_and_keeps_a_routes_own_policy() -> None:
    app = FastAPI()
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)

    @app.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse("<p>hi</p>")

    @app.get("/own")
    async def own() -> HTMLResponse:
        return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "default-src 'self'"})

    @app.get("/json")
    async def json() -> dict[str, str]:
        return {"a": "b"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    # Starlette re-raises an unhandled error after answering it; the answer is what counts here.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert_page(await client.get("/page"))
        assert (await client.get("/own")).headers["content-security-policy"] == "default-src 'self'"
        for path in ("/json", "/missing", "/boom"):
            response = await client.get(path)
            assert_always(response)
            assert response.headers["content-security-policy"] == API_POLICY
        assert (await client.get("/boom")).status_code == 500


def test_templates_have_no_inline_script_style_or_handler() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:",
                        re.IGNORECASE)
    found = {path.name: inline.findall(path.read_text()) for path in TEMPLATES.glob("*.html")}
    assert len(found) > 10
    assert {name: hits for name, hits in found.items() if hits} == {}


async def test_shop_pages_and_errors_carry_the_page_policy(api: httpx.AsyncClient) -> None:
    html = {"accept": "text/html"}
    home = await api.get("/", headers=html)
    assert home.status_code == 200
    assert_page(home)
    missing = await api.get("/no-such-page", headers=html)
    assert missing.status_code == 404
    assert_page(missing)
    for path in ("/api/v1/catalog/brands", "/api/v1/catalog/products/nope", "/healthz"):
        response = await api.get(path)
        assert_always(response)
        assert response.headers["content-security-policy"] == API_POLICY
    huge = await api.post("/api/v1/accounts/login", content=b"x" * (2 << 20),
                          headers={"content-type": "application/json"})
    assert huge.status_code == 413
    assert_always(huge)


async def test_docs_pages_may_run_their_cdn_viewer_and_nothing_else(
        api: httpx.AsyncClient) -> None:
    for path, inline in (("/docs", 1), ("/redoc", 0)):
        response = await api.get(path)
        assert response.status_code == 200
        assert_always(response)
        policy = directives(response.headers["content-security-policy"])
        scripts = inline_scripts(response.text)
        assert len(scripts) == inline
        assert policy["script-src"] == [CDN, *(source_hash(s) for s in scripts)]
        for src in re.findall(r'<script src="([^"]+)"', response.text):
            assert src.startswith(CDN + "/"), src
        for href in re.findall(r'<link[^>]*href="(https://[^"/]+)', response.text):
            assert href in policy["style-src"] + policy["img-src"], href
        assert "validator" not in response.text or "validatorUrl\": null" in response.text
