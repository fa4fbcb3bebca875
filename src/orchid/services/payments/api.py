"""HTTP routes of the payments service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
