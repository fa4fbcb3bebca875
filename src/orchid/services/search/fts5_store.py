"""The embedded index's tables in `search.db` and the blocking writes on them.

Only published products are stored. `fts` holds the analysed text (see text.py), one column per
field; `docs` the filter and sort fields and the hit to show; `doc_categories` every category on
a product's path (so a category filter includes its descendants); `doc_attributes` one row per
attribute value. A rebuild replaces everything inside one transaction: in WAL mode readers keep
seeing the old index until it commits, so the swap is atomic.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchid.services.search.schemas import IndexDoc, Watermark

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COLUMNS = ("name", "brand", "category", "description", "extra", "plain")
SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
  id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, in_stock INTEGER NOT NULL,
  price_paise INTEGER NOT NULL, popularity INTEGER NOT NULL, created_us INTEGER NOT NULL,
  brand_slug TEXT NOT NULL, skus TEXT NOT NULL, hit TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_docs_brand ON docs (brand_slug, id);
CREATE INDEX IF NOT EXISTS ix_docs_price ON docs (price_paise, id);
CREATE INDEX IF NOT EXISTS ix_docs_popularity ON docs (popularity, id);
CREATE INDEX IF NOT EXISTS ix_docs_created ON docs (created_us, id);
CREATE TABLE IF NOT EXISTS doc_categories (
  slug TEXT NOT NULL, doc_id INTEGER NOT NULL, PRIMARY KEY (slug, doc_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_doc_categories_doc ON doc_categories (doc_id);
CREATE TABLE IF NOT EXISTS doc_attributes (
  key TEXT NOT NULL, value TEXT NOT NULL, doc_id INTEGER NOT NULL,
  PRIMARY KEY (key, value, doc_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_doc_attributes_doc ON doc_attributes (doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
  name, brand, category, description, extra, plain, tokenize = 'unicode61',
  prefix = '2 3 4 5');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab_row USING fts5vocab(fts, 'row');
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


# Connections of one process open in worker threads at once (the readers and the writer of a
# first search); the first of them turns WAL on and creates the tables, the others wait.
_SETUP = threading.Lock()
SETUP_TIMEOUT = 30.0


def connect(path: str) -> sqlite3.Connection:
    """Open `search.db` for use from worker threads, creating the tables if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    with _SETUP:
        # WAL is a property of the file: once on, later connections need not ask. Turning it on
        # takes the file for a moment, and SQLite answers "database is locked" at once (no busy
        # wait) while another process reads it: so ask only when needed, and again if refused.
        _until_unlocked(lambda: conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                        or conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal")
        conn.execute("PRAGMA synchronous=NORMAL")
        _until_unlocked(lambda: conn.executescript(SCHEMA) is not None)
    return conn


def _until_unlocked(step: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SETUP_TIMEOUT
    while True:
        try:
            if step():
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(f"could not set search.db up in {SETUP_TIMEOUT} s")
        time.sleep(0.05)  # another process holds the file for a moment


def micros(moment: datetime) -> int:
    """Return `moment` as integer microseconds since the epoch (a sortable key)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def delete_ids(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    """Remove documents by id from every table (inside the caller's transaction)."""
    rows = [(i,) for i in ids]
    conn.executemany("DELETE FROM fts WHERE rowid = ?", rows)
    conn.executemany("DELETE FROM doc_categories WHERE doc_id = ?", rows)
    conn.executemany("DELETE FROM doc_attributes WHERE doc_id = ?", rows)
    conn.executemany("DELETE FROM docs WHERE id = ?", rows)


def insert_docs(conn: sqlite3.Connection, docs: list[IndexDoc]) -> None:
    """Insert documents whose ids are not stored (inside the caller's transaction)."""
    # A changed slug must not collide with the product's own old row, hence delete by slug too.
    conn.executemany("DELETE FROM docs WHERE slug = ? AND id != ?", [(d.slug, d.id) for d in docs])
    conn.executemany(
        "INSERT INTO docs (id, slug, in_stock, price_paise, popularity, created_us, brand_slug,"
        " skus, hit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(d.id, d.slug, int(d.in_stock), d.price_paise, d.popularity, micros(d.created_at),
          d.brand_slug, json.dumps(d.skus), d.hit.model_dump_json()) for d in docs])
    conn.executemany(
        "INSERT INTO fts (rowid, name, brand, category, description, extra, plain)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(d.id, d.name, d.brand, d.category, d.description, d.extra, d.plain) for d in docs])
    conn.executemany("INSERT OR IGNORE INTO doc_categories (slug, doc_id) VALUES (?, ?)",
                     [(slug, d.id) for d in docs for slug in d.category_path])
    conn.executemany("INSERT OR IGNORE INTO doc_attributes (key, value, doc_id) VALUES (?, ?, ?)",
                     [(k, v, d.id) for d in docs for k, v in d.attributes])


def upsert(conn: sqlite3.Connection, docs: list[IndexDoc]) -> None:
    """Replace documents in one transaction."""
    with transaction(conn):
        delete_ids(conn, [d.id for d in docs])
        insert_docs(conn, docs)


def clear(conn: sqlite3.Connection) -> None:
    """Remove every document (inside the caller's transaction)."""
    for table in ("fts", "doc_categories", "doc_attributes", "docs"):
        conn.execute(f"DELETE FROM {table}")


def get_watermark(conn: sqlite3.Connection) -> Watermark | None:
    """Return the stored watermark."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'watermark'").fetchone()
    if row is None:
        return None
    return Watermark.from_json(json.loads(row[0]))


def put_watermark(conn: sqlite3.Connection, mark: Watermark) -> None:
    """Store the watermark (inside the caller's transaction, if any)."""
    value = json.dumps(mark.to_json())
    conn.execute("INSERT INTO meta (key, value) VALUES ('watermark', ?)"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (value,))


def set_stock(conn: sqlite3.Connection, changes: dict[int, bool]) -> None:
    """Set in_stock on documents, keeping the stored hit in step."""
    with transaction(conn):
        for doc_id, in_stock in changes.items():
            conn.execute("UPDATE docs SET in_stock = ?, hit = json_set(hit, '$.in_stock', json(?))"
                         " WHERE id = ?", (int(in_stock), "true" if in_stock else "false", doc_id))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in BEGIN IMMEDIATE … COMMIT, rolled back on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
