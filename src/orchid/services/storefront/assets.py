"""The storefront's own CSS and JS, read once, served with a content hash for long caching.

    assets = Assets.load(Path(__file__).parent / "static")
    assets.url("shop.css")            # "/static/shop.css?v=3f9c2a81d0"
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".svg": "image/svg+xml", ".ico": "image/x-icon"}


@dataclass(frozen=True)
class Asset:
    """One static file in memory."""

    body: bytes
    media_type: str
    version: str


@dataclass(frozen=True)
class Assets:
    """Every file of the static folder, by name."""

    files: dict[str, Asset]

    @classmethod
    def load(cls, folder: Path) -> Assets:
        """Read the folder's files of a known type."""
        files = {}
        for path in sorted(folder.iterdir()):
            if path.suffix in TYPES:
                body = path.read_bytes()
                files[path.name] = Asset(body, TYPES[path.suffix],
                                         hashlib.sha256(body).hexdigest()[:10])
        return cls(files)

    def url(self, name: str) -> str:
        """Return the versioned URL of a file (a changed file gets a new URL)."""
        return f"/static/{name}?v={self.files[name].version}"

    def get(self, name: str) -> Asset | None:
        """Return a file, or None when there is none of that name."""
        return self.files.get(name)
