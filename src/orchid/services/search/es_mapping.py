"""The Elasticsearch index: settings, mapping, and a product document's source.

Text arrives analysed by `text.py` (folded, stemmed), so the built-in `standard` analyzer is
all the index needs; the integ-test distribution lacks `analysis-common`. For the same reason
there is no `search_as_you_type` (module `mapper-extras`): `plain` carries `index_prefixes`
instead, which is the prefix half of what that field type builds, and suggestions query it with
`match_bool_prefix`.

Settings and mapping live in a composable index template, one per alias (`<alias>-*`), so every
index created under the pattern gets them, by a rebuild or by hand. (A snapshot restore is not
a creation: the restored index keeps the mapping it was snapshotted with.) The template is put
again before each rebuild, so a changed mapping ships with the code that needs it.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from orchid.services.search.fts5_store import micros
from orchid.services.search.schemas import IndexDoc

ALIAS = "orchid-products"
TEXT = {"type": "text", "analyzer": "standard"}
KEYWORD = {"type": "keyword"}
STORED_ONLY = {"type": "keyword", "index": False, "doc_values": False}

SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "refresh_interval": "1s",
}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "long"},
        "slug": KEYWORD,
        "in_stock": {"type": "boolean"},
        "price_paise": {"type": "integer"},
        "rating": {"type": "float"},
        "popularity": {"type": "integer"},
        "created_us": {"type": "long"},
        "brand_slug": KEYWORD,
        "category_path": KEYWORD,
        "attributes": {"type": "nested", "properties": {"key": KEYWORD, "value": KEYWORD}},
        "skus": STORED_ONLY,
        "name": TEXT,
        "brand": TEXT,
        "category": TEXT,
        "description": TEXT,
        "extra": TEXT,
        "plain": {**TEXT, "index_prefixes": {"min_chars": 1, "max_chars": 10}},
        "hit": {"type": "object", "enabled": False},
    },
}


TEMPLATE_PRIORITY = 200  # above the built-in templates (100); none of them matches our pattern


def template(alias: str) -> dict[str, Any]:
    """Return the body of the composable index template for the versioned indexes of `alias`.

    Its `version` is a checksum of the body, so a reader can tell the stored one is current.
    """
    body: dict[str, Any] = {"index_patterns": [f"{alias}-*"], "priority": TEMPLATE_PRIORITY,
                            "template": {"settings": SETTINGS, "mappings": MAPPINGS},
                            "meta": {"managed_by": "orchid", "alias": alias}}
    return {**body, "version": zlib.crc32(json.dumps(body, sort_keys=True).encode())}


def source(doc: IndexDoc) -> dict[str, Any]:
    """Return the `_source` of a product document."""
    return {
        "id": doc.id, "slug": doc.slug, "in_stock": doc.in_stock,
        "price_paise": doc.price_paise, "rating": doc.rating, "popularity": doc.popularity,
        "created_us": micros(doc.created_at), "brand_slug": doc.brand_slug,
        "category_path": doc.category_path,
        "attributes": [{"key": k, "value": v} for k, v in doc.attributes],
        "skus": doc.skus, "name": doc.name, "brand": doc.brand, "category": doc.category,
        "description": doc.description, "extra": doc.extra, "plain": doc.plain,
        "hit": doc.hit.model_dump(mode="json"),
    }
