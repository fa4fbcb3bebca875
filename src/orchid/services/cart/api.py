"""HTTP routes of the cart service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/cart", tags=["cart"])
