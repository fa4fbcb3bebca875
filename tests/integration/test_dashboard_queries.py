"""Every dashboard panel's PromQL runs on a real Prometheus — the stack's rules loaded, a real
`orchid serve` scraped — without an error, and the app's panels show its traffic."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orchid.monitoring.dashboards import all_dashboards, panel_queries
from tests.support.monitoring import Prometheus
from tests.support.processes import OrchidProcess
from tests.support.stack import TEST_SECRET
from tests.support.waiting import until

RULES = Path(__file__).resolve().parents[2] / "deploy" / "monitoring" / "rules"
# Grafana's variables, as a dashboard over the last few minutes would fill them in.
GRAFANA = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}
TRAFFIC = ("/", "/p/no-such-product", "/api/v1/catalog/products", "/search?q=lip",
           "/api/v1/cart")


def substituted(expr: str) -> str:
    for variable, value in GRAFANA.items():
        expr = expr.replace(variable, value)
    return expr


def wait_for(server: Prometheus, promql: str, timeout: float = 60) -> None:
    """Until `promql` returns a series."""
    until(lambda: bool(server.query(promql)["data"]["result"]), timeout=timeout,
          what=f"data for {promql} (see {server.folder})")


def scrapes(server: Prometheus) -> int:
    """How many times Prometheus has scraped the app in the last five minutes."""
    result = server.query('count_over_time(up{job="orchid-app"}[5m])')["data"]["result"]
    return int(result[0]["value"][1]) if result else 0


def next_scrape(server: Prometheus) -> None:
    """Until Prometheus has scraped the app again."""
    seen = scrapes(server)
    until(lambda: scrapes(server) > seen, timeout=30, what="the next scrape of the app")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory,
               migrated_template: Path) -> Iterator[Prometheus]:
    """A Prometheus with the stack's rules, scraping a real app that has served some pages."""
    folder = tmp_path_factory.mktemp("dashboards")
    shutil.copytree(migrated_template, folder / "data")
    env = {"ORCHID_DATA_DIR": str(folder / "data"), "ORCHID_SECRET_KEY": TEST_SECRET,
           "ORCHID_LOG_JSON": "false"}
    app = OrchidProcess(env, folder / "orchid.log")
    server: Prometheus | None = None
    try:
        app.wait_ready(timeout=60)
        server = Prometheus.start(folder / "prometheus", {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in sorted(RULES.glob("*.rules.yml"))],
            "scrape_configs": [{"job_name": "orchid-app", "static_configs": [
                {"targets": [app.url.removeprefix("http://")]}]}],
        })
        # Prometheus's first scrape comes a few seconds after it starts: traffic before it
        # would be in the first sample already, and rates over it zero.
        wait_for(server, 'up{job="orchid-app"} == 1')
        with httpx.Client(base_url=app.url, timeout=10) as client:
            for _ in range(3):
                for path in TRAFFIC:
                    client.get(path)
                next_scrape(server)  # batches in different scrapes: rates have two samples
        wait_for(server, 'journey:orchid_http_requests:rate5m{journey="browse"} > 0')
        yield server
    finally:
        if server is not None:
            server.stop()
        app.stop()


def test_every_panel_query_runs_without_an_error(prometheus: Prometheus) -> None:
    failing = []
    count = 0
    for name, board in all_dashboards().items():
        for title, expr in panel_queries(board):
            count += 1
            promql = substituted(expr)
            assert "$" not in promql, f"{name}: {title}: a variable left in {promql}"
            answer = prometheus.query(promql)
            if answer.get("status") != "success":
                failing.append(f"{name}: {title}: {answer.get('error')}\n    {promql}")
    assert count > 100
    assert failing == [], f"{len(failing)} of {count} queries failed:\n" + "\n".join(failing)


def test_the_apps_panels_show_its_traffic(prometheus: Prometheus) -> None:
    boards = all_dashboards()
    expected = {("overview", "browse: requests per second"),
                ("overview", "Error budget left, every SLO"),
                ("service-storefront", "storefront: requests per second by route"),
                ("service-storefront", "storefront: duration p50 and p99"),
                ("service-catalog", "catalog: server errors (5xx share)")}
    empty = [f"{name}: {title}" for name, title in sorted(expected)
             for panel, expr in panel_queries(boards[name]) if panel == title
             if not prometheus.query(substituted(expr))["data"]["result"]]
    assert empty == []
