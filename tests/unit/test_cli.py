"""The CLI: migrate and seed an embedded data dir, deterministically; destructive commands ask."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchid.cli import app

runner = CliRunner()


def counts(data_dir: Path) -> tuple[int, int, int]:
    with sqlite3.connect(data_dir / "main.db") as conn:
        products = conn.execute("SELECT count(*) FROM products").fetchone()[0]
        variants = conn.execute("SELECT count(*) FROM product_variants").fetchone()[0]
        customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    return products, variants, customers


def first_names(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "main.db") as conn:
        return [r[0] for r in conn.execute("SELECT name FROM products ORDER BY id LIMIT 20")]


def test_upgrade_then_seed_then_seed_if_empty(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHID_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["seed", "--products", "300", "--customers", "40", "--seed", "7"])
    assert result.exit_code == 0, result.output
    products, variants, customers = counts(tmp_path)
    assert (products, customers) == (300, 40) and variants >= 300
    assert (tmp_path / "secrets" / "orchid_secret_key").exists()
    with sqlite3.connect(tmp_path / "warehouse.db") as conn:
        stocked = conn.execute("SELECT count(DISTINCT sku) FROM stock").fetchone()[0]
    assert stocked == variants  # every seeded SKU has stock rows
    again = runner.invoke(app, ["seed", "--if-empty", "--products", "300"])
    assert again.exit_code == 0 and counts(tmp_path)[0] == 300


def test_same_seed_same_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = []
    for run in ("a", "b"):
        monkeypatch.setenv("ORCHID_DATA_DIR", str(tmp_path / run))
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(app, ["seed", "--products", "50", "--customers", "0",
                                   "--seed", "3"]).exit_code == 0
        names.append(first_names(tmp_path / run))
    assert names[0] == names[1] and len(names[0]) == 20


def test_unknown_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHID_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["db", "upgrade", "--database", "nope"]).exit_code != 0


@pytest.mark.parametrize(("password", "reason"), [
    ("password12", "password is too common"),
    ("ops@orchid.test", "password must not be made of your email"),
    ("aaaaaaaaaa", "password must not be a repeated or sequential pattern"),
])
def test_user_create_refuses_a_weak_password_with_its_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str, reason: str) -> None:
    monkeypatch.setenv("ORCHID_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setenv("ORCHID_NEW_USER_PASSWORD", password)
    refused = runner.invoke(app, ["user", "create", "--email", "ops@orchid.test"])
    assert refused.exit_code == 2 and reason in refused.output, refused.output
    monkeypatch.setenv("ORCHID_NEW_USER_PASSWORD", "banyan-shade-17")
    created = runner.invoke(app, ["user", "create", "--email", "ops@orchid.test"])
    assert created.exit_code == 0 and "created staff ops@orchid.test" in created.output


def stack_folder(tmp_path: Path) -> Path:
    """A stack folder with data in it and no stack running."""
    folder = tmp_path / "stack"
    (folder / "mariadb" / "main-primary").mkdir(parents=True)
    (folder / "mariadb" / "main-primary" / "ibdata1").write_bytes(b"orders")
    return folder


def test_down_purge_asks_and_a_no_keeps_the_data(tmp_path: Path) -> None:
    folder = stack_folder(tmp_path)
    refused = runner.invoke(app, ["down", "--purge", "--state-dir", str(folder)], input="n\n")
    assert refused.exit_code == 1 and "Delete" in refused.output
    assert (folder / "mariadb" / "main-primary" / "ibdata1").exists()
    silent = runner.invoke(app, ["down", "--purge", "--state-dir", str(folder)], input="")
    assert silent.exit_code == 1 and folder.exists()  # no terminal to answer: nothing deleted
    agreed = runner.invoke(app, ["down", "--purge", "--state-dir", str(folder)], input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert not folder.exists()


def test_down_purge_yes_deletes_without_asking(tmp_path: Path) -> None:
    folder = stack_folder(tmp_path)
    result = runner.invoke(app, ["down", "--purge", "--yes", "--state-dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Delete" not in result.output and not folder.exists()
    kept = stack_folder(tmp_path)
    assert runner.invoke(app, ["down", "--state-dir", str(kept)]).exit_code == 0
    assert kept.exists()  # without --purge nothing is deleted, and nothing asked


def test_events_tail_prints_the_newest_events_of_both_outboxes(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import json

    from sqlalchemy import update

    from orchid.kit.db import Database
    from orchid.kit.orm import utcnow
    from orchid.kit.outbox import MainOutbox, WarehouseOutbox, record

    async def write() -> None:
        main = Database("main", f"sqlite+aiosqlite:///{data_dir / 'main.db'}")
        warehouse = Database("warehouse", f"sqlite+aiosqlite:///{data_dir / 'warehouse.db'}")
        async with main.write() as session:
            record(session, MainOutbox, "order.placed", "order", "OR-1", {"n": 1})
        async with warehouse.write() as session:
            record(session, WarehouseOutbox, "stock.changed", "stock", "KAJAL-1@1", {"n": 2})
        async with main.write() as session:
            record(session, MainOutbox, "order.cancelled", "order", "OR-1", {"n": 3})
            await session.flush()
            await session.execute(update(MainOutbox).where(MainOutbox.type == "order.placed")
                                  .values(sent_at=utcnow()))
        await main.close()
        await warehouse.close()

    asyncio.run(write())
    monkeypatch.setenv("ORCHID_DATA_DIR", str(data_dir))

    def tail(*args: str) -> list[dict[str, object]]:
        result = runner.invoke(app, ["events", "tail", *args])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines()]

    everything = tail()
    assert [(e["database"], e["type"]) for e in everything] == [
        ("main", "order.placed"), ("warehouse", "stock.changed"), ("main", "order.cancelled")]
    assert everything[0]["sent_at"] is not None and everything[2]["sent_at"] is None
    assert [e["payload"] for e in tail("--limit", "1")] == [{"n": 3}]
    assert [e["type"] for e in tail("--unsent", "--database", "main")] == ["order.cancelled"]
    assert [e["aggregate"] for e in tail("--type", "stock.changed")] == ["stock:KAJAL-1@1"]
    refused = runner.invoke(app, ["events", "tail", "--database", "orders"])
    assert refused.exit_code == 2 and "main or warehouse" in refused.output
