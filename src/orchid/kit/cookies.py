"""The platform's cookies: HttpOnly, SameSite=Lax, path /, and Secure whenever TLS carried them.

    secure = is_secure(request.scope, always=config.cookie_secure)
    set_cookie(response, "orchid_session", token, max_age=30 * 86400, secure=secure)
    drop_cookie(response, "orchid_cart", secure=secure)

Every cookie writer asks `is_secure`, so none can forget the flag. A request came over TLS when
its scheme is https: either the client spoke TLS to this process, or a trusted proxy (the edge,
listed in ORCHID_TRUSTED_PROXIES) said so in X-Forwarded-Proto, which uvicorn's proxy_headers
writes into the scope's scheme. Anyone else's X-Forwarded-Proto is ignored by uvicorn, so a
client cannot talk a process out of (or into) Secure cookies.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope

__all__ = ["cookie_header", "drop_cookie", "is_secure", "set_cookie"]


def is_secure(scope: Scope, *, always: bool = False) -> bool:
    """True when cookies must be Secure: configured so, or the request came over TLS."""
    return always or scope.get("scheme") in ("https", "wss")


def set_cookie(response: Response, name: str, value: str, *, max_age: int,
               secure: bool) -> None:
    """Set a cookie the page's scripts cannot read and other sites cannot send on a POST."""
    response.set_cookie(name, value, max_age=max_age, path="/", secure=secure, httponly=True,
                        samesite="lax")


def drop_cookie(response: Response, name: str, *, secure: bool) -> None:
    """Delete a cookie set by `set_cookie` (the same attributes, or browsers keep it)."""
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")


def cookie_header(name: str, value: str, *, max_age: int, secure: bool) -> str:
    """The Set-Cookie value `set_cookie` would send, for ASGI middleware without a Response."""
    response = Response()
    set_cookie(response, name, value, max_age=max_age, secure=secure)
    return response.headers["set-cookie"]
