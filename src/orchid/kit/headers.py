"""Security headers on every answer of the app, not only where the edge adds them.

    app.add_middleware(SecurityHeadersMiddleware)
    HTMLResponse(page, headers={"Content-Security-Policy": content_policy(
        style_src=(source_hash(STYLE),))})                     # a page with its own policy

Every response gets X-Content-Type-Options nosniff and Referrer-Policy
strict-origin-when-cross-origin. HTML pages also get the page policy — scripts, styles and
images from this origin only (no inline script or style: the shop's behaviour lives in /static),
no framing, no plugins — and a Permissions-Policy that switches off the device APIs no shop page
uses. Anything else (JSON, images, scripts) gets `default-src 'none'`, so an answer opened as a
document can run nothing. A route that sets its own Content-Security-Policy keeps it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ALWAYS", "API_POLICY", "PAGE_HEADERS", "PAGE_POLICY", "SecurityHeadersMiddleware",
           "content_policy", "headers_for", "source_hash"]

ALWAYS = {"X-Content-Type-Options": "nosniff",
          "Referrer-Policy": "strict-origin-when-cross-origin"}
PAGE_HEADERS = {
    "Permissions-Policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                          "magnetometer=(), microphone=(), payment=(), usb=()",
    "X-Frame-Options": "DENY",  # for browsers older than frame-ancestors
}


def content_policy(*, script_src: Iterable[str] = ("'self'",),
                   style_src: Iterable[str] = ("'self'",),
                   img_src: Iterable[str] = ("'self'", "data:"),
                   connect_src: Iterable[str] = ("'self'",),
                   **more: Iterable[str]) -> str:
    """Build a Content-Security-Policy denying all but the sources given (`font_src=…` too)."""
    directives = {"default-src": ["'none'"], "script-src": script_src, "style-src": style_src,
                  "img-src": img_src, "connect-src": connect_src, "form-action": ["'self'"],
                  "frame-ancestors": ["'none'"], "base-uri": ["'none'"]}
    directives.update({name.replace("_", "-"): sources for name, sources in more.items()})
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def source_hash(text: str) -> str:
    """The CSP source that allows exactly this inline <script> or <style> body."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


PAGE_POLICY = content_policy()
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def headers_for(content_type: str) -> dict[str, str]:
    """The security headers an answer of `content_type` carries."""
    if content_type.split(";")[0].strip().lower() == "text/html":
        return {**ALWAYS, **PAGE_HEADERS, "Content-Security-Policy": PAGE_POLICY}
    return {**ALWAYS, "Content-Security-Policy": API_POLICY}


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (a route's own values win)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in headers_for(headers.get("content-type", "")).items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
