"""`orchid ops backup`, `orchid ops backups list|prune`, `orchid ops restore`."""

from __future__ import annotations

from orchid.ops.cli import ops_app

__all__ = ["ops_app"]
