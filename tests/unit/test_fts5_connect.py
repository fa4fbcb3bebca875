"""Opening the embedded search index from many threads at once never fails on a lock.

A fresh-clone run once answered the storefront's first page with a 500: two connections of the
first search switched a new search.db to WAL together, and SQLite refused one at once with
"database is locked" (a journal-mode switch does not wait for the busy timeout).
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from orchid.services.search import fts5_store

THREADS = 16


def test_connections_opened_together_on_a_new_file_all_succeed(tmp_path: Path) -> None:
    for attempt in range(5):
        path = str(tmp_path / f"search-{attempt}.db")
        start = threading.Barrier(THREADS)

        def open_it(path: str = path, start: threading.Barrier = start) -> sqlite3.Connection:
            start.wait()  # every thread connects at the same moment
            return fts5_store.connect(path)

        with ThreadPoolExecutor(THREADS) as pool:
            conns = list(pool.map(lambda _: open_it(), range(THREADS)))
        try:
            modes = {c.execute("PRAGMA journal_mode").fetchone()[0] for c in conns}
            assert modes == {"wal"}
            tables = conns[0].execute("SELECT count(*) FROM sqlite_master WHERE name = 'docs'")
            assert tables.fetchone()[0] == 1
        finally:
            for conn in conns:
                conn.close()


def test_a_reader_of_another_process_only_delays_the_switch(tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    other = sqlite3.connect(path, isolation_level=None)  # as another process would
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN")
    other.execute("SELECT * FROM t").fetchall()  # holds a shared lock on a rollback journal
    opened: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: opened.append(fts5_store.connect(str(path))))
    thread.start()
    other.execute("COMMIT")  # the moment the other reader lets go, the switch goes through
    other.close()
    thread.join(timeout=fts5_store.SETUP_TIMEOUT + 5)
    assert opened, "connect did not finish"
    try:
        assert opened[0].execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        opened[0].close()
