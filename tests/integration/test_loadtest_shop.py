"""`orchid bench` (run as `python -m orchid.loadtest`) against a real embedded `orchid serve`.

The bench runs in a subprocess: its generator imports locust, which monkey-patches the
interpreter for gevent and must never be imported into the test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchid.loadtest.plan import REQUEST_TYPES
from orchid.loadtest.shoppers import ensure_pool, load_pool, save_pool
from orchid.loadtest.world import BROWSER, Shopper
from tests.support.processes import OrchidProcess, seeded_env


@pytest.fixture(scope="module")
def shop(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[OrchidProcess]:
    """One embedded `orchid serve` with 200 seeded products."""
    folder = tmp_path_factory.mktemp("bench-shop")
    env = seeded_env(migrated_template, folder, products=200, customers=10)
    process = OrchidProcess(env, folder / "orchid.log")
    try:
        yield process.wait_ready(timeout=60)
    finally:
        process.stop()


def test_the_shopper_pool_is_registered_once_then_reused(shop: OrchidProcess,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "shoppers.json"
    with httpx.Client(base_url=shop.url, headers=BROWSER, timeout=30) as client:
        first, note = ensure_pool(client, path, size=3)
        assert len(first) == 3 and note == f"0 shoppers reused from {path}, 3 registered"
        expired = Shopper(first[0].email, first[0].password, "not-a-token", first[0].address_id)
        save_pool(path, shop.url, [expired, *first[1:]])
        again, note = ensure_pool(client, path, size=3)  # the first one signs in again
        assert note == f"3 shoppers reused from {path}, 0 registered"
        assert [s.email for s in again] == [s.email for s in first]
        assert again[0].token != "not-a-token" and load_pool(path) == again
        more, note = ensure_pool(client, path, size=4)
        assert len(more) == 4 and note.endswith("1 registered")


def test_a_short_fixed_rate_run_measures_every_request_type(shop: OrchidProcess,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "orchid.loadtest", "--url", shop.url, "--app-pid",
         str(shop.proc.pid), "--rate", "25", "--duration", "6", "--warmup", "2",
         "--products", "100", "--shoppers", "5", "--shoppers-file",
         str(tmp_path / "shoppers.json"), "--out", str(out)],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "report.json").read_text())
    [step] = report["steps"]
    assert step["errors"] == 0, json.dumps(step["types"], indent=1) + str(step["task_errors"])
    assert set(REQUEST_TYPES) <= set(step["types"]), sorted(step["types"])
    assert step["throughput"] > 15
    assert all(t["statuses"].keys() <= {"200", "201", "409"} for t in step["types"].values())
    assert step["cpu"]["by_kind_us"]["app"] > 0
    assert step["cpu"]["us_per_request"]["app"] > 0
    assert step["cpu"]["generator_us"] > 0
    assert report["target"]["components"] == [
        {"name": "app", "kind": "app", "pid": shop.proc.pid, "restarts": 0}]
    assert report["machine"]["cores"] >= 1 and "commit" in report["git"]
    assert "| app µs/req |" in (out / "report.md").read_text()
    assert "overall" in done.stdout
    assert not (out / "world.json").exists()  # the session tokens stay in the pool file only
