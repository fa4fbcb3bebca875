"""HTTP routes of the orders service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
