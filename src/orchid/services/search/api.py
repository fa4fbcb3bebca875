"""Search HTTP routes: full-text search with facets, and autocomplete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from orchid.kit.errors import problems
from orchid.kit.numbers import QueryInt
from orchid.services.search.schemas import MAX_SUGGESTIONS, SearchPage, SearchQuery, SuggestPage
from orchid.services.search.service import SearchService

router = APIRouter(prefix="/api/v1/search", tags=["search"])


def get_search(request: Request) -> SearchService:
    """Return the search service as placed in this process (local or remote)."""
    search: SearchService = request.app.state.services.search
    return search


SearchDep = Annotated[SearchService, Depends(get_search)]


@router.get("", responses=problems({404: "Unknown category", 422: "The input did not validate"}))
async def search(service: SearchDep, query: Annotated[SearchQuery, Query()]) -> SearchPage:
    """Search published products: words, filters, facets, sort and a cursor for the next page."""
    return await service.search(query=query)


@router.get("/suggest", responses=problems({422: "The input did not validate"}))
async def suggest(service: SearchDep,
                  q: Annotated[str, Query(min_length=1, max_length=100)],
                  limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS),
                                   QueryInt] = MAX_SUGGESTIONS,
                  ) -> SuggestPage:
    """Complete a prefix with brands and product names (at most 10)."""
    return await service.suggest(q=q, limit=limit)
