"""Elasticsearch CPU per search, as the shop asks it, on a running stack's Elasticsearch.

    .venv/bin/python -m bench.es_cost --state-dir /tmp/stack-s --queries 60

Sends the stack's product index the bodies the search service sends (es_query's text query,
filters, sort and facet aggregations, `_source` limited to the hit) for `--queries` of the
shopping mix's queries (orchid.loadtest.world.search_queries), one at a time, with the shard
request cache off so every one is computed; then the same without the facets, without the
fuzzy clauses, and a bare one-field `match` (the engine's own floor here). CPU is the
Elasticsearch process tree's, from /proc, over each pass. Writes bench/results/es_cost.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.edge import commit, machine, publish
from orchid.loadtest import cpu
from orchid.loadtest.world import search_queries
from orchid.services.search import es_query
from orchid.services.search.schemas import SearchQuery
from orchid.stack.state import read_state

RESULTS = Path(__file__).parent / "results" / "es_cost.md"


def without_fuzzy(node: Any) -> Any:
    """The query with every fuzzy clause left out."""
    if isinstance(node, list):
        return [without_fuzzy(item) for item in node
                if not (isinstance(item, dict) and "fuzziness" in item.get("multi_match", {}))]
    if isinstance(node, dict):
        return {key: without_fuzzy(value) for key, value in node.items()}
    return node


def as_sent(q: str, *, facets: bool = True, fuzzy: bool = True) -> dict[str, Any]:
    query = SearchQuery(q=q, limit=24, facets=facets)
    text = es_query.text_query(q, strict=True) or {"match_all": {}}
    body: dict[str, Any] = {
        "query": {"bool": {"must": [text if fuzzy else without_fuzzy(text)],
                           "filter": es_query.filters(query)}},
        "sort": es_query.sort_clause(query), "size": query.limit + 1,
        "track_total_hits": True, "_source": ["hit"]}
    if facets:
        body["aggs"] = es_query.aggregations(query)
    return body


PASSES: dict[str, Callable[[str], dict[str, Any]]] = {
    "as the shop sends it (facets, fuzzy)": as_sent,
    "without facets": lambda q: as_sent(q, facets=False),
    "without fuzzy clauses": lambda q: as_sent(q, fuzzy=False),
    "a bare `match` on the name (the floor)": lambda q: {
        "query": {"match": {"name": q}}, "size": 25, "_source": ["hit"]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".orchid/stack"))
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    state = read_state(args.state_dir / "state.json") or {}
    es = next((c for c in state.get("components", []) if c["name"] == "elasticsearch"), None)
    if es is None:
        raise SystemExit(f"no Elasticsearch in {args.state_dir}: start `orchid up` first")
    queries = search_queries(args.seed)[:args.queries]
    rows = []
    with httpx.Client(base_url=f"http://127.0.0.1:{es['port']}", timeout=30) as client:
        alias = next(iter(client.get("/_alias").raise_for_status().json()))
        for name, body_of in PASSES.items():
            before = cpu.sample({"es": es["pid"]})
            for q in queries:
                client.post(f"/{alias}/_search", params={"request_cache": "false"},
                            content=json.dumps(body_of(q)),
                            headers={"content-type": "application/json"}).raise_for_status()
            spent = cpu.delta(before, cpu.sample({"es": es["pid"]}))["es"] or 0.0
            rows.append(f"| {name} | {1000 * spent / len(queries):.1f} |")
    publish(RESULTS, "\n".join([
        f"Date {datetime.date.today()}, commit {commit()}.",
        f"Machine: {machine()}.",
        "",
        f"Method: `.venv/bin/python -m bench.es_cost --state-dir {args.state_dir} --queries "
        f"{args.queries}` (bench/es_cost.py's docstring): {len(queries)} of the mix's queries, "
        "one at a time, shard request cache off; CPU of the Elasticsearch process tree.",
        "",
        "| search | Elasticsearch CPU ms per search |",
        "|---|---|",
        *rows,
    ]) + "\n")


if __name__ == "__main__":
    main()
