"""JSON answers that are the same for every caller, sent as stored and revalidated by ETag.

    body = await catalog.product_json(slug)                     # bytes from the cache
    return shared_json(request, body)                           # 200 with an ETag, or 304

The ETag is a digest of the body, so a client (or the edge's cache) that already holds this
answer gets 304 Not Modified without it. `Cache-Control` lets shared caches keep it briefly and
serve it stale while they revalidate: the data behind these answers is invalidated by events,
so a few seconds of staleness at the edge is the whole cost.
"""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

__all__ = ["SHARED", "shared_json"]

SHARED = "public, max-age=10, stale-while-revalidate=60"


def etag_of(body: bytes) -> str:
    """A strong validator of `body`."""
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def shared_json(request: Request, body: bytes, *, cache_control: str = SHARED) -> Response:
    """`body` as application/json with its ETag, or 304 when the caller holds it already."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    asked = request.headers.get("if-none-match")
    if asked is not None and (asked.strip() == "*" or etag in
                              (tag.strip().removeprefix("W/") for tag in asked.split(","))):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
