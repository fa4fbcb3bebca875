"""Search HTTP routes: full-text search with facets, and autocomplete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from orchid.kit.errors import problems
from orchid.kit.numbers import QueryInt
from orchid.kit.responses import shared_json
from orchid.services.search.schemas import MAX_SUGGESTIONS, SearchPage, SearchQuery, SuggestPage
from orchid.services.search.service import SearchService

router = APIRouter(prefix="/api/v1/search", tags=["search"])


async def get_search(request: Request) -> SearchService:
    """Return the search service as placed in this process (local or remote)."""
    search: SearchService = request.app.state.services.search
    return search


SearchDep = Annotated[SearchService, Depends(get_search)]


# Answered with the cached JSON as stored, an ETag and a short shared Cache-Control
# (kit/responses.py); `response_model` documents the shape.

@router.get("", response_model=SearchPage,
            responses=problems({404: "Unknown category", 422: "The input did not validate"}))
async def search(request: Request, service: SearchDep,
                 query: Annotated[SearchQuery, Query()]) -> Response:
    """Search published products: words, filters, facets, sort and a cursor for the next page."""
    return shared_json(request, await service.search_json(query))


@router.get("/suggest", response_model=SuggestPage,
            responses=problems({422: "The input did not validate"}))
async def suggest(request: Request, service: SearchDep,
                  q: Annotated[str, Query(min_length=1, max_length=100)],
                  limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS),
                                   QueryInt] = MAX_SUGGESTIONS,
                  ) -> Response:
    """Complete a prefix with brands and product names (at most 10)."""
    return shared_json(request, await service.suggest_json(q, limit))
