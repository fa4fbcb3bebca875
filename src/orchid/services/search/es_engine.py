"""The Elasticsearch engine: versioned indexes behind the `orchid-products` alias.

    engine = EsEngine("http://127.0.0.1:9200")
    await engine.rebuild(batches, watermark=lambda: mark)   # new index, bulk, atomic alias swap
    page = await engine.search(SearchQuery(q="lipstick"))

A rebuild puts the index template `orchid-products` (settings and mapping of every
`orchid-products-*`, see es_mapping.py), creates `orchid-products-<UTC timestamp>`, loads it
with refreshes off, stores the watermark in its `_meta`, then moves the alias in one
`update_aliases` call and deletes the old indexes: readers see the old index or the new one,
never none. Transport failures, timeouts and 5xx answers become `EngineUnavailable`, which the
service answers from the fallback.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from elastic_transport import HttpxAsyncHttpNode
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError, TransportError

from orchid.services.search import es_mapping, es_query
from orchid.services.search.engine import (
    EngineName,
    EngineUnavailable,
    Progress,
    make_cursor,
    read_cursor,
)
from orchid.services.search.es_mapping import ALIAS
from orchid.services.search.schemas import (
    Facets,
    IndexDoc,
    SearchHit,
    SearchPage,
    SearchQuery,
    Suggestion,
    SuggestPage,
    Watermark,
)

T = TypeVar("T")
BULK_TIMEOUT = 120.0
# Creating an index or a template, moving the alias and deleting old indexes wait for the
# master's cluster-state update: seconds on a busy node, not the 2 s a search may take.
ADMIN_TIMEOUT = 60.0


def versioned_name(alias: str) -> str:
    """Return a new index name for `alias`: `<alias>-<UTC timestamp to the microsecond>`."""
    return f"{alias}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"


class EsEngine:
    """Search over Elasticsearch through the official async client."""

    name: EngineName = "elasticsearch"

    def __init__(self, url: str, *, alias: str = ALIAS, timeout: float = 2.0,
                 client: AsyncElasticsearch | None = None) -> None:
        self.alias = alias
        # httpx transport: already a dependency, so no aiohttp; no retries, the fallback is faster.
        self.client = client or AsyncElasticsearch(
            url, node_class=HttpxAsyncHttpNode, request_timeout=timeout, max_retries=0,
            retry_on_timeout=False)
        self._admin = self.client.options(request_timeout=ADMIN_TIMEOUT)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except NotFoundError as exc:
            raise EngineUnavailable(f"index {self.alias} not found") from exc
        except ApiError as exc:
            if exc.meta.status >= 500 or exc.meta.status == 429:
                raise EngineUnavailable(f"elasticsearch answered {exc.meta.status}") from exc
            raise
        except TransportError as exc:
            raise EngineUnavailable(f"elasticsearch unreachable: {exc}") from exc

    async def search(self, query: SearchQuery) -> SearchPage:
        """Return one page of hits with facets; all words must match, else any word may."""
        after = read_cursor(query, self.name)
        page = await self._search(query, after, strict=True)
        if page is None:
            page = await self._search(query, after, strict=False)
        return page or SearchPage(items=[], total=0, facets=Facets(), next_cursor=None,
                                  engine=self.name)

    async def _search(self, query: SearchQuery, after: list[Any] | None, *,
                      strict: bool) -> SearchPage | None:
        scoring = es_query.text_query(query.q, strict=strict) if query.q else None
        if query.q and scoring is None:
            return None
        body: dict[str, Any] = {
            "query": {"bool": {"must": [scoring or {"match_all": {}}],
                               "filter": es_query.filters(query)}},
            "sort": es_query.sort_clause(query), "size": query.limit + 1,
            "track_total_hits": True,
        }
        if query.facets:
            body["aggs"] = es_query.aggregations(query)
        if query.brand:
            body["post_filter"] = {"terms": {"brand_slug": query.brand}}
        if after is not None:
            body["search_after"] = after
        answer = await self._call(lambda: self.client.search(
            index=self.alias, source_includes=["hit"], **body))
        total = int(answer["hits"]["total"]["value"])
        if total == 0 and strict and query.q:
            return None  # let the relaxed query try
        hits = answer["hits"]["hits"]
        items = [SearchHit.model_validate(h["_source"]["hit"]) for h in hits[:query.limit]]
        next_cursor = (make_cursor(query, self.name, list(hits[query.limit - 1]["sort"]))
                       if len(hits) > query.limit else None)
        facets = (Facets(**es_query.read_facets(answer["aggregations"])) if query.facets
                  else Facets())
        return SearchPage(items=items, total=total, facets=facets, next_cursor=next_cursor,
                          engine=self.name)

    async def suggest(self, *, q: str, limit: int) -> SuggestPage:
        """Return product names whose words start with the words of `q`."""
        body = es_query.suggest_query(q)
        if body is None:
            return SuggestPage(items=[], engine=self.name)
        answer = await self._call(lambda: self.client.search(
            index=self.alias, query=body, size=limit * 3, source_includes=["slug", "hit.name"]))
        seen: dict[str, Suggestion] = {}
        for hit in answer["hits"]["hits"]:
            name = hit["_source"]["hit"]["name"]
            seen.setdefault(name.lower(), Suggestion(text=name, kind="product",
                                                     slug=hit["_source"]["slug"]))
        return SuggestPage(items=list(seen.values())[:limit], engine=self.name)

    async def upsert(self, docs: list[IndexDoc]) -> None:
        """Add or replace documents, by product id."""
        operations: list[dict[str, Any]] = []
        for doc in docs:
            operations += [{"index": {"_id": str(doc.id)}}, es_mapping.source(doc)]
        await self._bulk(self.alias, operations)

    async def delete(self, ids: list[int]) -> None:
        """Remove documents by product id."""
        await self._bulk(self.alias, [{"delete": {"_id": str(i)}} for i in ids])

    async def _bulk(self, index: str, operations: list[dict[str, Any]]) -> None:
        if not operations:
            return
        answer = await self._call(lambda: self.client.options(
            request_timeout=BULK_TIMEOUT).bulk(index=index, operations=operations))
        if answer["errors"]:
            failed = [item for item in answer["items"]
                      if next(iter(item.values())).get("status", 200) >= 300
                      and next(iter(item.values())).get("status") != 404]
            if failed:
                raise RuntimeError(f"bulk failed for {len(failed)} items: {failed[:3]}")

    async def find_id(self, slug: str) -> int | None:
        """Return the product id indexed under `slug`."""
        answer = await self._call(lambda: self.client.search(
            index=self.alias, query={"term": {"slug": slug}}, size=1, source_includes=["id"]))
        hits = answer["hits"]["hits"]
        return int(hits[0]["_source"]["id"]) if hits else None

    async def rebuild(self, batches: AsyncIterator[list[IndexDoc]], *,
                      watermark: Callable[[], Watermark | None],
                      progress: Progress | None = None) -> str:
        """Build a new versioned index, then swap the alias to it atomically."""
        index = versioned_name(self.alias)
        await self.ensure_template()
        # Settings and mapping come from the template; only the bulk-load refresh differs.
        await self._call(lambda: self._admin.indices.create(
            index=index, settings={"refresh_interval": "-1"}))
        try:
            async for batch in batches:
                operations: list[dict[str, Any]] = []
                for doc in batch:
                    operations += [{"index": {"_id": str(doc.id)}}, es_mapping.source(doc)]
                await self._bulk(index, operations)
                if progress is not None:
                    progress(len(batch))
            await self._store_watermark(index, watermark())
            refresh = {"refresh_interval": es_mapping.SETTINGS["refresh_interval"]}
            await self._call(lambda: self._admin.indices.put_settings(index=index,
                                                                      settings=refresh))
            await self._call(lambda: self._admin.indices.refresh(index=index))
            await self._swap(index)
        except BaseException:
            await self._admin.options(ignore_status=404).indices.delete(index=index)
            raise
        return index

    async def ensure_template(self) -> None:
        """Create or replace the index template of this alias's versioned indexes."""
        body = es_mapping.template(self.alias)
        found = await self._call(lambda: self.client.options(
            ignore_status=404).indices.get_index_template(name=self.alias))
        if [t["index_template"].get("version") for t in found.get("index_templates", [])] \
                == [body["version"]]:
            return  # already current: no cluster-state update
        await self._call(lambda: self._admin.indices.put_index_template(name=self.alias, **body))

    async def _swap(self, index: str) -> None:
        old = await self._indexes()
        actions: list[dict[str, Any]] = [{"add": {"index": index, "alias": self.alias}}]
        actions += [{"remove": {"index": name, "alias": self.alias}}
                    for name, aliased in old.items() if aliased and name != index]
        await self._call(lambda: self._admin.indices.update_aliases(actions=actions))
        stale = [name for name in old if name != index]
        if stale:  # older versions and leftovers of failed rebuilds
            await self._call(lambda: self._admin.options(ignore_status=404).indices.delete(
                index=",".join(stale)))

    async def _indexes(self) -> dict[str, bool]:
        """Return the versioned indexes of this alias and whether each carries it."""
        found = await self._call(lambda: self.client.indices.get_alias(
            index=f"{self.alias}-*", ignore_unavailable=True))
        version = re.compile(rf"^{re.escape(self.alias)}-\d{{20}}$")  # not another alias's
        return {name: self.alias in body.get("aliases", {}) for name, body in found.items()
                if version.match(name)}

    async def _store_watermark(self, index: str, mark: Watermark | None) -> None:
        if mark is None:
            return
        meta = {"watermark": mark.to_json()}
        await self._call(lambda: self.client.indices.put_mapping(index=index, meta=meta))

    async def watermark(self) -> Watermark | None:
        """Return the watermark stored with the current index (None before the first build)."""
        try:
            answer = await self._call(lambda: self.client.indices.get_mapping(index=self.alias))
        except EngineUnavailable as exc:
            if isinstance(exc.__cause__, NotFoundError):
                return None
            raise
        for body in answer.values():
            data = body["mappings"].get("_meta", {}).get("watermark")
            if data:
                return Watermark.from_json(data)
        return None

    async def set_watermark(self, mark: Watermark) -> None:
        """Store the watermark with the current index."""
        await self._store_watermark(self.alias, mark)

    async def stock_slice(self, *, after_id: int, limit: int) -> list[tuple[int, list[str], bool]]:
        """Return (id, skus, in_stock) of the next documents by id."""
        answer = await self._call(lambda: self.client.search(
            index=self.alias, query={"range": {"id": {"gt": after_id}}}, sort=[{"id": "asc"}],
            size=limit, source_includes=["id", "skus", "in_stock"]))
        return [(int(h["_source"]["id"]), list(h["_source"]["skus"]),
                 bool(h["_source"]["in_stock"])) for h in answer["hits"]["hits"]]

    async def set_stock(self, changes: dict[int, bool]) -> None:
        """Set in_stock on documents (and on the hit they show)."""
        operations: list[dict[str, Any]] = []
        for doc_id, in_stock in changes.items():
            operations += [{"update": {"_id": str(doc_id)}},
                           {"doc": {"in_stock": in_stock, "hit": {"in_stock": in_stock}}}]
        await self._bulk(self.alias, operations)

    async def count(self) -> int:
        """Return how many documents are searchable."""
        answer = await self._call(lambda: self.client.count(index=self.alias))
        return int(answer["count"])

    async def refresh(self) -> None:
        """Make recent writes searchable now (tests; production waits for the 1 s refresh)."""
        await self._call(lambda: self.client.indices.refresh(index=self.alias))

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.close()
