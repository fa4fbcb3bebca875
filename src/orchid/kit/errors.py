"""Domain errors and their one mapping to RFC 9457 problem+json.

The tree::

    OrchidError                 500  generic; never shows its message to clients
    ├── InvalidInput            422  a rule about the input was broken (fields in `data`)
    │                                (a body that is not JSON at all: 400 malformed_json)
    ├── Unauthorized            401  no or bad credentials
    ├── Forbidden               403  authenticated, not allowed
    ├── NotFound                404
    ├── Conflict                409
    ├── PayloadTooLarge         413
    ├── RateLimited             429  `retry_after` seconds
    └── Unavailable             503  a dependency is down

Services raise these; routes never build HTTP errors by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from orchid.kit.headers import headers_for

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("orchid.errors")


class OrchidError(Exception):
    """Base of every domain error: a stable `code`, an HTTP status and client-safe data."""

    status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(self, detail: str | None = None, *, code: str | None = None, **data: Any):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        self.data = data


class InvalidInput(OrchidError):
    status, code, title = 422, "invalid_input", "Invalid input"


class Unauthorized(OrchidError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(OrchidError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(OrchidError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(OrchidError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(OrchidError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class RateLimited(OrchidError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **data: Any):
        super().__init__(detail, retry_after=retry_after, **data)
        self.retry_after = retry_after


class Unavailable(OrchidError):
    status, code, title = 503, "unavailable", "Service unavailable"


_BY_STATUS: dict[int, type[OrchidError]] = {
    cls.status: cls
    for cls in (InvalidInput, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge,
                RateLimited, Unavailable)
}


def error_from_problem(status: int, body: dict[str, Any]) -> OrchidError:
    """Rebuild a domain error from a peer's problem+json body (remote service calls)."""
    cls = _BY_STATUS.get(status, OrchidError)
    data = {k: v for k, v in body.items() if k not in RESERVED_MEMBERS}
    detail = body.get("detail")
    code = body.get("code")
    if cls is RateLimited:
        return RateLimited(detail, retry_after=int(data.pop("retry_after", 1)), code=code, **data)
    return cls(detail, code=code, **data)


def problems(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """Document a route's error responses as problem+json: problems({404: "No such product"})."""
    return {code: {"description": text, "content": {PROBLEM_JSON: {}}}
            for code, text in described.items()}


RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "code", "instance",
                              "request_id"})


def problem(status: int, title: str, *, detail: str | None = None, code: str | None = None,
            request: Request | None = None, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> JSONResponse:
    """Build an RFC 9457 problem response; `extra` members never overwrite the standard ones."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    for key, value in (extra or {}).items():
        body[key if key not in RESERVED_MEMBERS else f"data_{key}"] = value
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        out.append({"field": ".".join(loc), "message": err.get("msg", "invalid"),
                    "type": err.get("type", "invalid")})
    return out


async def _on_orchid_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OrchidError)
    if exc.status >= 500 and type(exc) is OrchidError:
        return await _on_unexpected(request, exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return problem(exc.status, exc.title, detail=exc.detail, code=exc.code, request=request,
                   headers=headers, extra=exc.data)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    if any(error["type"] == "json_invalid" for error in errors):
        # Not a broken rule about the input: there is no input to judge. 400, not 422.
        return problem(400, "Malformed JSON", detail="The request body is not valid JSON.",
                       code="malformed_json", request=request, extra={"errors": errors})
    return problem(422, "Invalid input", detail="The request did not validate.",
                   code="validation_failed", request=request, extra={"errors": errors})


# A page-serving service may answer a browser's 404 and 405 with HTML instead of problem+json.
HtmlErrorPage = Callable[[Request, int], Response]


def wants_html(request: Request) -> bool:
    """True for a browser asking for a page: not the API, and HTML in its Accept header."""
    path = request.url.path
    return (not path.startswith(("/api/", "/internal/"))
            and "text/html" in request.headers.get("accept", ""))


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    # Starlette's 405 names the methods of the first route whose path matched, but a path may
    # have a route per method: ask the router which methods it would take here.
    return ", ".join(method for method in METHODS
                     if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                            for route in request.app.router.routes))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    page: HtmlErrorPage | None = getattr(request.app.state, "html_error_page", None)
    if page is not None and exc.status_code in (404, 405) and wants_html(request):
        response = page(request, exc.status_code)
        response.headers.update(headers)
        return response
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    code = None
    if exc.status_code == 400:
        # FastAPI's one 400: a JSON body past the parser's limits (nesting, a 5000-digit number).
        title, code = "Malformed JSON", "malformed_json"
    return problem(exc.status_code, title, detail=detail, code=code, request=request,
                   headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The stack trace goes to the log with the request id, never to the client.
    log.error("unhandled_error", path=request.url.path, exc_info=exc,
              request_id=getattr(request.state, "request_id", None))
    # Starlette sends this answer from outside every middleware: it brings its own headers.
    return problem(500, "Internal error", detail="Something went wrong on our side.",
                   code="internal_error", request=request, headers=headers_for(PROBLEM_JSON))


def install_error_handlers(app: FastAPI, html_page: HtmlErrorPage | None = None) -> None:
    """Map every error the app can raise to problem+json (or, for a browser's unknown page,
    to `html_page` when this process serves pages)."""
    app.state.html_error_page = html_page
    app.add_exception_handler(OrchidError, _on_orchid_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
