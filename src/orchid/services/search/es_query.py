"""Elasticsearch request bodies for a search and a suggestion, and reading the answers back.

The query mirrors the embedded engine's: every word must match some field (its stem, or a
term within `fuzziness: AUTO:4,7`, scored lower), the last word may also be an unfinished
prefix; when nothing matches that way, any word may. Popularity is added in tiny amounts to
break near-ties.
"""

from __future__ import annotations

from typing import Any

from orchid.services.search.engine import PRICE_BANDS, SORTS, effective_sort
from orchid.services.search.schemas import FacetValue, SearchQuery
from orchid.services.search.text import STOP_WORDS, stem, words

FIELDS = ["name^10", "brand^6", "category^4", "extra^2", "description^1"]
POPULARITY_WEIGHT = 1e-7
FUZZINESS = "AUTO:4,7"  # as typo.max_edits: 3-letter words are never fuzzy
FUZZY_BOOST = 0.2
PREFIX_BOOST = 5.0  # constant score of an unfinished word: about one name-word match
FACET_SIZE = 50
CATEGORY_FACET_SIZE = 200


def text_query(q: str, *, strict: bool) -> dict[str, Any] | None:
    """Return the scoring part of a search for `q`, or None when `q` has no searchable word."""
    raw = words(q)
    clauses: list[dict[str, Any]] = []
    for position, word in enumerate(raw):
        if word in STOP_WORDS:
            continue
        exact = {"query": stem(word), "fields": FIELDS, "type": "best_fields",
                 "tie_breaker": 0.3}
        # Typo matches count for a fifth of an exact match: a neighbour word ("sunset" for
        # "sunscr…") must not outrank the word meant.
        options: list[dict[str, Any]] = [
            {"multi_match": exact},
            {"multi_match": {**exact, "fuzziness": FUZZINESS, "prefix_length": 1,
                             "boost": FUZZY_BOOST}}]
        if position == len(raw) - 1 and len(word) >= 2:
            options.append({"prefix": {"plain": {"value": word, "boost": PREFIX_BOOST}}})
        clauses.append({"bool": {"should": options, "minimum_should_match": 1}})
    if not clauses:
        return None
    words_part = ({"bool": {"must": clauses}} if strict
                  else {"bool": {"should": clauses, "minimum_should_match": 1}})
    return with_popularity(words_part)


def with_popularity(query: dict[str, Any]) -> dict[str, Any]:
    """Add a tiny popularity term to every score."""
    return {"function_score": {"query": query, "boost_mode": "sum", "functions": [
        {"field_value_factor": {"field": "popularity", "factor": POPULARITY_WEIGHT,
                                "missing": 0}}]}}


def filters(query: SearchQuery) -> list[dict[str, Any]]:
    """Return the filters every facet shares (all but brand)."""
    out: list[dict[str, Any]] = []
    if query.category is not None:
        out.append({"term": {"category_path": query.category}})
    if query.price_min is not None or query.price_max is not None:
        bounds = {"gte": query.price_min, "lte": query.price_max}
        out.append({"range": {"price_paise": {k: v for k, v in bounds.items() if v is not None}}})
    if query.in_stock is not None:
        out.append({"term": {"in_stock": query.in_stock}})
    return out


def sort_clause(query: SearchQuery) -> list[dict[str, str]]:
    """Return the sort of a search: its field, then product id."""
    spec = SORTS[effective_sort(query)]
    field = "_score" if spec.field == "score" else spec.field
    return [{field: "desc" if spec.descending else "asc"},
            {"id": "desc" if spec.id_descending else "asc"}]


def aggregations(query: SearchQuery) -> dict[str, Any]:
    """Facets: brand ignores the brand filter; the others count only the chosen brands."""
    chosen = {"terms": {"brand_slug": query.brand}} if query.brand else {"match_all": {}}
    order = [{"_count": "desc"}, {"_key": "asc"}]
    return {
        "brand": {"terms": {"field": "brand_slug", "size": FACET_SIZE, "order": order}},
        "chosen": {"filter": chosen, "aggs": {
            "category": {"terms": {"field": "category_path", "size": CATEGORY_FACET_SIZE,
                                   "order": order}},
            "price": {"range": {"field": "price_paise", "keyed": True, "ranges": [
                {"key": b.key, "from": b.low, **({"to": b.high} if b.high else {})}
                for b in PRICE_BANDS]}},
            "attributes": {"nested": {"path": "attributes"}, "aggs": {"key": {
                "terms": {"field": "attributes.key", "size": 30, "order": {"_key": "asc"}},
                "aggs": {"value": {"terms": {"field": "attributes.value", "size": FACET_SIZE,
                                             "order": order}}}}}},
        }},
    }


def read_facets(aggs: dict[str, Any]) -> dict[str, Any]:
    """Turn the aggregations of a search answer into facet lists."""
    chosen = aggs["chosen"]
    bands = chosen["price"]["buckets"]
    return {
        "brand": _values(aggs["brand"]["buckets"]),
        "category": _values(chosen["category"]["buckets"]),
        "price": [FacetValue(value=b.key, label=b.label, count=bands[b.key]["doc_count"])
                  for b in PRICE_BANDS if bands[b.key]["doc_count"]],
        "attributes": {k["key"]: _values(k["value"]["buckets"])
                       for k in chosen["attributes"]["key"]["buckets"]},
    }


def _values(buckets: list[dict[str, Any]]) -> list[FacetValue]:
    return [FacetValue(value=b["key"], label=b["key"], count=b["doc_count"]) for b in buckets]


def suggest_query(q: str) -> dict[str, Any] | None:
    """Return a query for names whose words start with `q`'s words, or None for no words."""
    folded = " ".join(words(q))
    if not folded:
        return None
    return with_popularity(
        {"match_bool_prefix": {"plain": {"query": folded, "operator": "and"}}})
