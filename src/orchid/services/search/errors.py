"""Search domain errors, each with a stable code.

    NotFound      └── UnknownCategory      404 category_not_found
    Unavailable   └── EngineUnavailable    503 search_unavailable  (engine.py; the fallback
                                                answers instead, so clients rarely see it)
"""

from __future__ import annotations

from orchid.kit.errors import NotFound


class UnknownCategory(NotFound):
    """The category filter names no category."""

    code, title = "category_not_found", "Category not found"
