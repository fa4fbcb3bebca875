"""`orchid up` brings every tier up on real servers, restarts a crashed process, serves a short
bench with no errors, and `orchid down` leaves no process behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from orchid.functions import FUNCTION_MODULES
from orchid.kit.db import make_engine
from orchid.stack.components import pid_alive
from orchid.stack.plan import MAIN_DB, WAREHOUSE_DB, Layout, StackOptions, app_env
from orchid.stack.servers import redis_ping, replica_status
from orchid.stack.state import is_ours
from tests.support.waiting import until

UP_TIMEOUT = 600
STAFF_PASSWORD = "marigold-ledger-93"


def orchid(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchid", *args], capture_output=True,
                          text=True, timeout=timeout)


def status(state_dir: Path) -> dict[str, Any]:
    done = orchid("status", "--json", "--state-dir", str(state_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    state: dict[str, Any] = json.loads(done.stdout)
    return state


def by_name(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in state["components"]}


@pytest.fixture(scope="module")
def stack() -> Iterator[Path]:
    # Not under pytest's tmp: Elasticsearch runs as `nobody` and must enter the folder.
    state_dir = Path(tempfile.mkdtemp(prefix="orchid-stack-"))
    state_dir.chmod(0o755)
    try:
        done = orchid("up", "--topology", "per-service", "--replicas", "1", "--products", "300",
                      "--customers", "20", "--state-dir", str(state_dir), timeout=UP_TIMEOUT)
        assert done.returncode == 0, (done.stdout + done.stderr
                                      + (state_dir / "logs" / "supervisor.log").read_text())
        yield state_dir
    finally:
        _stop_everything(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


def _stop_everything(state_dir: Path) -> None:
    """Safety net for a failed test: `orchid down`, then SIGKILL any recorded pid still ours."""
    orchid("down", "--state-dir", str(state_dir))
    try:
        state = json.loads((state_dir / "state.json").read_text())
    except (OSError, ValueError):
        return
    for component in state["components"]:
        pid = component.get("pid")
        if pid and is_ours(pid, component, state_dir):
            os.kill(pid, signal.SIGKILL)


def test_every_tier_is_up_and_replicas_follow(stack: Path) -> None:
    state = status(stack)
    assert state["phase"] == "ready"
    components = by_name(state)
    kinds = {c["kind"] for c in components.values()}
    assert {"mariadb", "redis", "elasticsearch", "prometheus", "alertmanager", "monitoring",
            "app", "edge"} <= kinds
    assert {"alert-sink", "probe"} <= set(components)
    assert {"main-primary", "main-replica-1", "main-replica-2", "main-replica-3",
            "warehouse-primary", "warehouse-replica-1"} <= set(components)
    for component in components.values():
        assert component["health"] in ("ok", "running"), component
    for name in ("main-replica-1", "main-replica-2", "main-replica-3", "warehouse-replica-1"):
        assert components[name]["lag"].endswith(" s"), components[name]
    # The shop answers through the edge: a product listing and a search.
    base = state["base_url"]
    listing = httpx.get(f"{base}/api/v1/catalog/products?limit=3", timeout=10)
    assert listing.status_code == 200 and len(listing.json()["items"]) == 3
    found = httpx.get(f"{base}/api/v1/search", params={"q": "lipstick"}, timeout=10)
    assert found.status_code == 200 and found.json()["items"]


def test_backups_are_archived_taken_and_listed(stack: Path) -> None:
    components = by_name(status(stack))
    for name in ("binlog-archiver-main", "binlog-archiver-warehouse", "backup-scheduler"):
        assert components[name]["health"] == "running", components[name]
    archived = sorted((stack / "backups" / "main" / "binlogs" / "main-primary").iterdir())
    assert archived and archived[0].name == "mysql-bin.000001"
    scheduled = (stack / "logs" / "backup-scheduler.log").read_text()
    assert "next backup at" in scheduled and "02:00:00+05:30" in scheduled
    taken = orchid("ops", "backup", "--state-dir", str(stack), timeout=300)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert "search snapshot" in taken.stdout and "redis" in taken.stdout
    listed = orchid("ops", "backups", "list", "--json", "--state-dir", str(stack))
    assert listed.returncode == 0, listed.stdout + listed.stderr
    found = json.loads(listed.stdout)
    assert {b["database"] for b in found["bases"]} == {"main", "warehouse"}
    # Taken on a replica, never on the primary that serves the shop.
    assert all("replica" in b["member"] and b["gtid"] for b in found["bases"])
    assert len(found["redis"]) == 1
    for base in found["bases"]:
        checked = orchid("ops", "backups", "verify", base["id"], "--database", base["database"],
                         "--state-dir", str(stack))
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheus_scrapes_every_app_process(stack: Path) -> None:
    components = by_name(status(stack))
    port = components["prometheus"]["port"]
    apps = [c for c in components.values() if c["kind"] == "app"]
    deadline = time.monotonic() + 30
    while True:
        targets = httpx.get(f"http://127.0.0.1:{port}/api/v1/targets", timeout=5).json()
        healthy = {t["scrapeUrl"] for t in targets["data"]["activeTargets"]
                   if t["health"] == "up"}
        if all(f"http://127.0.0.1:{a['port']}/metrics" in healthy for a in apps):
            break
        assert time.monotonic() < deadline, healthy
        time.sleep(1)
    supervisor = components["supervisor"]["port"]
    metrics = httpx.get(f"http://127.0.0.1:{supervisor}/metrics", timeout=5).text
    assert 'orchid_stack_up{name="main-primary"} 1.0' in metrics
    assert 'orchid_stack_replica_lag_seconds{name="main-replica-1"}' in metrics


def test_prometheus_evaluates_the_rules_and_alerts_alertmanager(stack: Path) -> None:
    components = by_name(status(stack))
    prometheus = f"http://127.0.0.1:{components['prometheus']['port']}"
    groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    alerts = {rule["name"] for group in groups for rule in group["rules"]
              if rule["type"] == "alerting"}
    assert {"DatabasePrimaryDown", "RedisDown", "CheckoutLatencyBudgetBurn"} <= alerts
    managers = httpx.get(f"{prometheus}/api/v1/alertmanagers", timeout=5).json()["data"]
    assert [m["url"] for m in managers["activeAlertmanagers"]] == [
        f"http://127.0.0.1:{components['alertmanager']['port']}/api/v2/alerts"]
    # The probe reports every store; nothing is firing on a healthy stack.
    def writable() -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = httpx.get(f"{prometheus}/api/v1/query", timeout=5, params={
            "query": 'orchid_db_member_writable{member="main-primary"}'}).json()["data"]["result"]
        return result

    until(lambda: bool(writable()), timeout=30, what="the probe scraped")
    assert writable()[0]["value"][1] == "1"
    firing = httpx.get(f"{prometheus}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    assert [a["labels"]["alertname"] for a in firing if a["state"] == "firing"] == []


def test_a_crashed_process_is_restarted(stack: Path) -> None:
    victim = next(c for c in status(stack)["components"] if c["name"] == "cart-1")
    os.kill(victim["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        again = by_name(status(stack))["cart-1"]
        if again["restarts"] == 1 and again["health"] == "ok":
            break
        assert time.monotonic() < deadline, again
        time.sleep(0.5)
    assert again["pid"] != victim["pid"]


def test_the_storefront_answers_through_the_edge(stack: Path) -> None:
    base = status(stack)["base_url"]
    home = httpx.get(f"{base}/", headers={"accept": "text/html"}, timeout=10)
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert 'action="/search"' in home.text
    found = httpx.get(f"{base}/search", params={"q": "kajal"}, timeout=10)
    assert found.status_code == 200 and "text/html" in found.headers["content-type"]


async def test_the_data_servers_take_verified_tls_only(stack: Path) -> None:
    """The shop above works although MariaDB and Redis refuse plain TCP: the app speaks TLS."""
    layout = Layout(stack)
    assert {p.stat().st_mode & 0o777 for p in (stack / "secrets" / "tls").glob("*-key.pem")} \
        == {0o600}
    for db in layout.databases():
        secure_url = layout.db_url(db, MAIN_DB if db.name.startswith("main") else WAREHOUSE_DB)
        plain_url = secure_url.split("&ssl_ca=", 1)[0]
        assert plain_url != secure_url
        for url in (plain_url, secure_url):
            engine = make_engine(url, pool_size=1)
            try:
                if url == plain_url:
                    with pytest.raises(OperationalError, match="Access denied"):
                        async with engine.connect() as conn:
                            await conn.execute(text("SELECT 1"))
                else:
                    async with engine.connect() as conn:
                        cipher = (await conn.execute(text(
                            "SHOW SESSION STATUS LIKE 'Ssl_cipher'"))).one()[1]
                    assert cipher, db.name
            finally:
                await engine.dispose()
        if not db.primary:
            status = replica_status(db.socket)
            assert status["Master_SSL_Verify_Server_Cert"] == "Yes", (db.name, status)
            assert status["Slave_IO_Running"] == "Yes", (db.name, status)
    port = layout.port("redis")
    with redis.Redis(host="127.0.0.1", port=port, socket_timeout=2,
                     retry=Retry(NoBackoff(), 0)) as plain:
        with pytest.raises(redis.ConnectionError):
            plain.ping()
    assert not redis_ping(port) and redis_ping(port, layout.ca_file)


def test_a_short_bench_at_a_low_rate_has_no_errors(stack: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    done = orchid("bench", "--state-dir", str(stack), "--rate", "10", "--duration", "10",
                  "--warmup", "2", "--products", "100", "--shoppers", "5", "--out", str(out),
                  timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [step] = json.loads((out / "report.json").read_text())["steps"]
    assert step["errors"] == 0, json.dumps(step["types"], indent=1) + str(step["task_errors"])
    assert step["requests"] >= 50, step["requests"]
    by_kind = step["cpu"]["by_kind_us"]
    assert by_kind["app"] > 0 and by_kind["mariadb"] > 0 and by_kind["edge"] > 0, by_kind


def test_a_drill_times_a_hung_redis_from_fault_to_page(stack: Path) -> None:
    done = orchid("drill", "redis-down", "--state-dir", str(stack), "--timeout", "240",
                  timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    [saved] = (stack / "drills").glob("redis-down-*.json")
    result = json.loads(saved.read_text())
    assert result["alert"] == "RedisDown" and result["receiver"] == "pager/primary"
    assert 0 < result["firing_after"] <= result["delivered_after"] <= result["restored_after"]
    assert result["cleared_after"] >= result["restored_after"]
    # Redis runs again, and the sink kept the page and its resolution.
    assert redis_ping(by_name(status(stack))["redis"]["port"], Layout(stack).ca_file)
    pages = [json.loads(line) for line in
             (stack / "alerts" / "messages.jsonl").read_text().splitlines()]
    assert any(p["kind"] == "pager" and p["payload"]["status"] == "firing" for p in pages)


def test_the_events_tier_runs_supervised(stack: Path) -> None:
    components = by_name(status(stack))
    names = ["pubsub-emulator", "events-relay", "mail-sink", "scheduler",
             *[f"fn-{name}" for name in FUNCTION_MODULES]]
    assert all(components[name]["pid"] and pid_alive(components[name]["pid"])
               for name in names), {n: components.get(n) for n in names}
    prometheus = components["prometheus"]["port"]

    def scraped() -> bool:
        targets = httpx.get(f"http://127.0.0.1:{prometheus}/api/v1/targets", timeout=5).json()
        up = {t["labels"]["job"] for t in targets["data"]["activeTargets"]
              if t["health"] == "up"}
        return {"orchid-relay", "orchid-functions"} <= up

    until(scraped, timeout=60, what="Prometheus scraping the relay and the functions")

    def scheduled_call() -> bool:
        """The scheduler's first round, at its start, reached abandoned-cart (identity token
        and all)."""
        calls = [json.loads(line) for line in (stack / "logs" / "scheduler.log").read_text()
                 .splitlines() if line.startswith("{")]
        return any(c.get("event") == "scheduled_call" and c.get("function") == "abandoned-cart"
                   and c.get("status") == 200 for c in calls)

    until(scheduled_call, timeout=60, what="the scheduler's call of abandoned-cart")


def test_a_price_change_reaches_search_and_the_catalog_without_the_polling_sync(
        stack: Path) -> None:
    """The stack's searches read the catalog's feed themselves only every 5 minutes
    (ORCHID_SEARCH_AUTO_SYNC_SECONDS): the new price gets there through the outbox, the relay,
    Pub/Sub and the search-index and cache-invalidation functions."""
    base = status(stack)["base_url"]
    env = {**app_env(Layout(stack), StackOptions()), "ORCHID_NEW_USER_PASSWORD": STAFF_PASSWORD}
    email = f"staff-{uuid.uuid4().hex[:8]}@orchid.test"
    made = subprocess.run([sys.executable, "-m", "orchid", "user", "create", "--email", email,
                           "--role", "staff"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stdout + made.stderr
    with httpx.Client(base_url=base, timeout=10) as shop:
        login = shop.post("/api/v1/accounts/login", json={
            "email": email, "password": STAFF_PASSWORD})
        assert login.status_code == 200, login.text
        staff = {"Authorization": f"Bearer {login.json()['token']}"}
        shop.cookies.clear()
        listed = shop.get("/api/v1/catalog/products", params={"limit": 1}).json()["items"][0]
        product = shop.get(f"/api/v1/catalog/products/{listed['slug']}").json()
        cheapest = min(product["variants"], key=lambda v: v["price_paise"])
        new_price = cheapest["price_paise"] - 100
        assert search_price(shop, product) == product["price_paise"]  # indexed, warmed

        changed = shop.put(f"/api/v1/catalog/variants/{cheapest['sku']}/price",
                           json={"price_paise": new_price}, headers=staff)
        assert changed.status_code == 200, changed.text

        until(lambda: search_price(shop, product) == new_price, timeout=20,
              what="the new price in the search results")
        # The edge keeps a public answer for its max-age (10 s): then the new price.
        until(lambda: shop.get(f"/api/v1/catalog/products/{product['slug']}").json()[
            "price_paise"] == new_price, timeout=20, what="the new price on the product")


def search_price(shop: httpx.Client, product: dict[str, Any]) -> int | None:
    """The price search shows for `product` (searched by its name)."""
    found = shop.get("/api/v1/search", params={"q": product["name"], "limit": 50})
    assert found.status_code == 200, found.text
    return next((hit["price_paise"] for hit in found.json()["items"]
                 if hit["slug"] == product["slug"]), None)


def test_down_leaves_no_process(stack: Path) -> None:
    state = status(stack)
    done = orchid("down", "--state-dir", str(stack), timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no process left" in done.stdout
    assert [c["name"] for c in state["components"]
            if c.get("pid") and is_ours(c["pid"], c, stack)] == []
    assert not pid_alive(state["supervisor_pid"])
