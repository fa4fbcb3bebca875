"""HTTP routes of the search service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/search", tags=["search"])
