"""ASGI entry for multi-worker servers: `uvicorn orchid.asgi:app --workers N`."""

from __future__ import annotations

from orchid.app import create_app
from orchid.config import load_settings
from orchid.kit.observability import configure_logging

_settings = load_settings()
configure_logging(json=_settings.log_json)
app = create_app(_settings)
