"""Blocking queries of the embedded index: match expressions, a result page and its facets.

A search first copies every match (ignoring the brand filter) into a per-connection temporary
table; the page, the total and each facet are then small queries over that table. The brand
facet counts the rows the brand filter dropped too, so a shopper can pick a second brand.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from orchid.services.search.engine import PRICE_BANDS, SortSpec
from orchid.services.search.schemas import FacetValue, SearchQuery
from orchid.services.search.text import STOP_WORDS, stem, words
from orchid.services.search.typo import Vocabulary

# bm25 weights per fts column: name > brand > category > extra > description, plain for prefixes.
WEIGHTS = "10.0, 6.0, 4.0, 1.0, 2.0, 1.0"
TEXT = "{name brand category description extra}"
POPULARITY_WEIGHT = 1e-7  # breaks near-ties by popularity without outweighing any text match
FACET_LIMIT = 50
HITS_TABLE = """CREATE TEMP TABLE IF NOT EXISTS hits (
  id INTEGER PRIMARY KEY, brand_slug TEXT, price_paise INTEGER, popularity INTEGER,
  created_us INTEGER, score REAL, chosen INTEGER)"""


def match_expression(q: str, vocab: Vocabulary | None, *, strict: bool) -> str | None:
    """Build an FTS5 MATCH for `q`: typo alternatives per word, the last word also as a prefix."""
    raw = words(q)
    groups: list[str] = []
    for position, word in enumerate(raw):
        if word in STOP_WORDS:
            continue
        term = stem(word)
        last = position == len(raw) - 1 and len(word) >= 2
        # An unfinished last word that completes to indexed words is not a typo.
        typo = vocab is not None and not (last and vocab.completes(word))
        alternatives = dict.fromkeys([term, *(stem(c) for c in (
            vocab.corrections(term) if vocab is not None and typo else []))])
        quoted = " OR ".join(f'"{a}"' for a in alternatives)
        group = f"{TEXT} : ({quoted})"
        if last:
            group = f"({group} OR {{plain}} : \"{word}\"*)"  # the word may be unfinished
        groups.append(group)
    if not groups:
        return None
    return (" AND " if strict else " OR ").join(groups)


def _filters(query: SearchQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if query.category is not None:
        where.append("d.id IN (SELECT doc_id FROM doc_categories WHERE slug = ?)")
        args.append(query.category)
    if query.price_min is not None:
        where.append("d.price_paise >= ?")
        args.append(query.price_min)
    if query.price_max is not None:
        where.append("d.price_paise <= ?")
        args.append(query.price_max)
    if query.in_stock is not None:
        where.append("d.in_stock = ?")
        args.append(int(query.in_stock))
    return where, args


def collect(conn: sqlite3.Connection, query: SearchQuery, match: str | None) -> int:
    """Fill the temporary `hits` table with every match; return how many pass all filters."""
    conn.execute(HITS_TABLE)
    conn.execute("DELETE FROM temp.hits")
    where, args = _filters(query)
    chosen = "1"
    brand_args: list[Any] = list(query.brand)
    if query.brand:
        chosen = f"d.brand_slug IN ({', '.join('?' * len(query.brand))})"
    if match is not None:
        source = "fts JOIN docs d ON d.id = fts.rowid"
        score = f"-bm25(fts, {WEIGHTS}) + d.popularity * {POPULARITY_WEIGHT}"
        where.insert(0, "fts MATCH ?")
        args.insert(0, match)
    else:
        source, score = "docs d", "0.0"
    conn.execute(
        f"INSERT INTO temp.hits SELECT d.id, d.brand_slug, d.price_paise, d.popularity,"
        f" d.created_us, {score}, {chosen} FROM {source}"
        f" WHERE {' AND '.join(where) or '1'}", [*brand_args, *args])
    total: int = conn.execute("SELECT count(*) FROM temp.hits WHERE chosen").fetchone()[0]
    return total


def page(conn: sqlite3.Connection, spec: SortSpec, after: list[Any] | None,
         limit: int) -> list[tuple[str, list[Any]]]:
    """Return up to `limit` (hit json, sort key) rows of `hits` after the keyset `after`."""
    field = spec.field
    direction = "DESC" if spec.descending else "ASC"
    id_direction = "DESC" if spec.id_descending else "ASC"
    where, args = ["h.chosen"], []
    if after is not None:
        beyond, id_beyond = ("<" if spec.descending else ">"), ("<" if spec.id_descending else ">")
        where.append(f"(h.{field} {beyond} ? OR (h.{field} = ? AND h.id {id_beyond} ?))")
        args += [after[0], after[0], after[1]]
    rows = conn.execute(
        f"SELECT d.hit, h.{field}, h.id FROM temp.hits h CROSS JOIN docs d ON d.id = h.id"
        f" WHERE {' AND '.join(where)} ORDER BY h.{field} {direction}, h.id {id_direction}"
        f" LIMIT ?", [*args, limit]).fetchall()
    return [(hit, [value, doc_id]) for hit, value, doc_id in rows]


def facets(conn: sqlite3.Connection) -> dict[str, Any]:
    """Count the collected hits by brand, category, price band and attribute value."""
    # CROSS JOIN pins the join order: SQLite has no statistics on the temporary table and
    # would otherwise scan every category/attribute row and probe the hits (6x slower).
    brands = conn.execute(
        "SELECT brand_slug, count(*) FROM temp.hits GROUP BY brand_slug"
        " ORDER BY count(*) DESC, brand_slug LIMIT ?", (FACET_LIMIT,)).fetchall()
    categories = conn.execute(
        "SELECT c.slug, count(*) FROM temp.hits h"
        " CROSS JOIN doc_categories c ON c.doc_id = h.id"
        " WHERE h.chosen GROUP BY c.slug ORDER BY count(*) DESC, c.slug").fetchall()
    bands = ", ".join(
        f"coalesce(sum(price_paise >= {b.low}"
        + (f" AND price_paise < {b.high}" if b.high is not None else "") + "), 0)"
        for b in PRICE_BANDS)
    band_counts = conn.execute(f"SELECT {bands} FROM temp.hits WHERE chosen").fetchone()
    attributes: dict[str, list[FacetValue]] = {}
    for key, value, count in conn.execute(
            "SELECT a.key, a.value, count(*) FROM temp.hits h"
            " CROSS JOIN doc_attributes a ON a.doc_id = h.id WHERE h.chosen"
            " GROUP BY a.key, a.value ORDER BY a.key, count(*) DESC, a.value"):
        attributes.setdefault(key, []).append(FacetValue(value=value, label=value, count=count))
    return {
        "brand": [FacetValue(value=s, label=s, count=n) for s, n in brands],
        "category": [FacetValue(value=s, label=s, count=n) for s, n in categories],
        "price": [FacetValue(value=b.key, label=b.label, count=n)
                  for b, n in zip(PRICE_BANDS, band_counts, strict=True) if n],
        "attributes": {k: v[:FACET_LIMIT] for k, v in attributes.items()},
    }


def suggest(conn: sqlite3.Connection, q: str, limit: int) -> list[tuple[str, str]]:
    """Return (slug, name) of products whose name and brand words start with `q`'s words."""
    raw = words(q)
    if not raw:
        return []
    parts = [f'"{w}"' for w in raw[:-1]] + [f'"{raw[-1]}"*']
    rows = conn.execute(
        "SELECT d.slug, json_extract(d.hit, '$.name') FROM fts JOIN docs d ON d.id = fts.rowid"
        f" WHERE fts MATCH ? ORDER BY bm25(fts, 0, 0, 0, 0, 0, 1.0)"
        f" - d.popularity * {POPULARITY_WEIGHT} LIMIT ?",
        ("{plain} : " + " AND ".join(parts), limit * 3)).fetchall()
    return [(slug, name) for slug, name in rows]


def vocabulary(conn: sqlite3.Connection) -> Vocabulary:
    """Load every indexed term with its document frequency."""
    return Vocabulary(dict(conn.execute("SELECT term, doc FROM fts_vocab_row")))
