"""FastAPI dependencies: the accounts service, the caller's session, and role checks.

    @router.get("/orders")
    async def my_orders(user: CurrentUser) -> ...: ...      # 401 without a valid session

    @router.post("/admin/products")
    async def create(user: StaffUser) -> ...: ...            # 403 for customers

Other services import `CurrentUser` / `StaffUser` from here; authentication goes through
`AccountsService.authenticate`, which may run in another process. `Token` declares both ways of
sending a session (the cookie and a bearer header) as OpenAPI security schemes, so every route
that reads one says so in the document.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol

import structlog
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from orchid.services.accounts.errors import AdminOnly, NotAuthenticated, StaffOnly
from orchid.services.accounts.schemas import Principal

__all__ = [
    "DEVICE_COOKIE", "DEVICE_COOKIE_MAX_AGE", "OPTIONAL_SESSION", "SESSION_COOKIE", "Accounts",
    "AdminUser", "Authenticator", "ClientIp", "CurrentUser", "Principal", "StaffUser", "Token",
    "caller_token",
    "client_ip", "current_user", "device_token", "get_accounts", "require_admin",
    "require_staff", "session_token",
]

SESSION_COOKIE = "orchid_session"
# The device token of the last password sign-in from this browser; it outlives sign-out on
# purpose, since it vouches for the device, not for a session.
DEVICE_COOKIE = "orchid_device"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
# Documentation only (auto_error=False: neither ever refuses a request); `session_token` reads.
COOKIE_SCHEME = APIKeyCookie(name=SESSION_COOKIE, scheme_name="session", auto_error=False,
                             description="The session cookie a sign-in sets (browsers).")
BEARER_SCHEME = HTTPBearer(scheme_name="bearer", auto_error=False,
                           description="The `token` a sign-in returns (API clients).")


class Authenticator(Protocol):
    """The one accounts method every service with signed-in routes calls (declared as a peer)."""

    async def authenticate(self, *, token: str) -> Principal | None: ...


async def get_accounts(request: Request) -> Authenticator:
    """Return this process's way to accounts' `authenticate` (local, or a remote peer)."""
    accounts: Authenticator = request.app.state.authenticator
    return accounts


def session_token(request: Request) -> str | None:
    """Return the session token: `Authorization: Bearer …` first, else the session cookie."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE) or None


def device_token(request: Request) -> str | None:
    """Return the device token the client presents (its orchid_device cookie), if any."""
    return request.cookies.get(DEVICE_COOKIE) or None


def client_ip(request: Request) -> str:
    """Return the client's address (from X-Forwarded-For when the edge is a trusted proxy)."""
    return request.client.host if request.client else "unknown"


async def caller_token(request: Request,
                 _cookie: Annotated[str | None, Security(COOKIE_SCHEME)],
                 _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)],
                 ) -> str | None:
    """Return the caller's session token, if any (see `session_token`)."""
    return session_token(request)


async def caller_ip(request: Request) -> str:
    """`client_ip` as a dependency (FastAPI runs a plain `def` dependency in a worker thread)."""
    return client_ip(request)


Accounts = Annotated[Authenticator, Depends(get_accounts)]
ClientIp = Annotated[str, Depends(caller_ip)]
Token = Annotated[str | None, Depends(caller_token)]
# For routes that read a session when there is one (a guest's cart, sign-out): `{}` tells
# OpenAPI clients that calling without one is fine too (FastAPI appends it to the schemes).
OPTIONAL_SESSION: dict[str, Any] = {"security": [{}]}


async def current_user(token: Token, accounts: Accounts) -> Principal:
    """Return the signed-in caller, or fail with 401."""
    principal = await accounts.authenticate(token=token) if token else None
    if principal is None:
        raise NotAuthenticated("Sign in to continue.")
    # Every later log line of this request then says whose it was.
    structlog.contextvars.bind_contextvars(customer_id=principal.customer_id)
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


async def require_staff(user: CurrentUser) -> Principal:
    """Return the caller if they are staff or admin, else fail with 403."""
    if not user.is_staff:
        raise StaffOnly("This needs a staff account.")
    return user


async def require_admin(user: CurrentUser) -> Principal:
    """Return the caller if they are an admin, else fail with 403."""
    if user.role != "admin":
        raise AdminOnly("This needs an admin account.")
    return user


StaffUser = Annotated[Principal, Depends(require_staff)]
AdminUser = Annotated[Principal, Depends(require_admin)]
