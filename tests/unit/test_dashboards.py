"""The dashboards: unique, complete, reading only metrics the code exports, a row per journey and
a dashboard per service, and deploy/monitoring/dashboards written from them."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any, cast

import pytest
from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric

import orchid.kit.metrics  # noqa: F401  (registers the app's metrics)
import orchid.services.search.fallback  # noqa: F401  (registers orchid_search_fallbacks_total)
from orchid.monitoring import probe
from orchid.monitoring.dashboards import all_dashboards, panel_queries, service_routes
from orchid.monitoring.rules import rule_files
from orchid.monitoring.slos import JOURNEYS
from orchid.services.registry import SERVICE_NAMES, specs
from orchid.stack.supervisor import StackCollector, Supervisor

DASHBOARDS = Path(__file__).resolve().parents[2] / "deploy" / "monitoring" / "dashboards"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
            "summary": ("_count", "_sum")}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


@pytest.fixture(scope="module")
def boards() -> dict[str, dict[str, Any]]:
    return all_dashboards()


def exposed(families: list[Metric]) -> set[str]:
    """The series names Prometheus sees of these families (a counter's `_total` …)."""
    return {family.name + suffix for family in families
            for suffix in SUFFIXES.get(family.type, ("",))}


class NoComponents:
    """A supervisor with nothing running: its collector still declares every family."""

    def components(self) -> list[object]:
        return []


def known_metrics() -> set[str]:
    """Every series name the app, the probe, the stack supervisor and the rules export."""
    names = exposed(list(REGISTRY.collect()))
    names |= exposed(list(StackCollector(cast(Supervisor, NoComponents())).collect()))
    names |= {metric for metric, _ in (*probe.DB_STATUS.values(), *probe.REDIS_INFO.values())}
    # The probe's readers name the rest in calls like reading.add("orchid_redis_up", …).
    names |= set(re.findall(r'"(orchid_[a-z_]+)"', inspect.getsource(probe)))
    names |= {rule["record"] for content in rule_files().values()
              for group in content["groups"] for rule in group["rules"] if "record" in rule}
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not its functions, labels or keywords)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = set()
    for match in re.finditer(r"(?<![\w.$])[a-zA-Z_:][\w:]*", text):
        if not text[match.end():].lstrip().startswith("(") and match.group() not in KEYWORDS:
            found.add(match.group())
    return found


def test_metric_names_skips_functions_labels_and_windows() -> None:
    expr = ('sum by (route) (rate(a_total{route=~"/x|y",status="5xx"}[$__rate_interval])) '
            "/ ignoring(le) histogram_quantile(0.9, b_bucket offset 5m) or vector(0)")
    assert metric_names(expr) == {"a_total", "b_bucket"}


def test_uids_and_titles_are_unique(boards: dict[str, dict[str, Any]]) -> None:
    uids = [board["uid"] for board in boards.values()]
    titles = [board["title"] for board in boards.values()]
    assert len(set(uids)) == len(uids) and len(set(titles)) == len(titles)
    assert all(uid.startswith("orchid-") for uid in uids)
    assert boards["overview"]["uid"] == "orchid-overview"


def test_every_panel_has_a_title_and_a_query(boards: dict[str, dict[str, Any]]) -> None:
    for name, board in boards.items():
        panels = [p for p in board["panels"] if p["type"] != "row"]
        ids = [p["id"] for p in board["panels"]]
        assert len(set(ids)) == len(ids), name
        assert [v["name"] for v in board["templating"]["list"]] == ["datasource"], name
        for panel in panels:
            where = f"{name}: {panel.get('title')!r}"
            assert panel.get("title") and panel.get("description"), where
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
            targets = panel.get("targets", [])
            assert targets and all(t.get("expr") for t in targets), where
            assert len({t["refId"] for t in targets}) == len(targets), where
        titles = [p["title"] for p in panels]
        assert len(set(titles)) == len(titles), name


def test_every_query_reads_only_metrics_that_exist(boards: dict[str, dict[str, Any]]) -> None:
    known = known_metrics()
    unknown = []
    for name, board in boards.items():
        for title, expr in panel_queries(board):
            names = metric_names(expr)
            assert names, f"{name}: {title}: no metric in {expr}"
            unknown += [f"{name}: {title}: {metric}" for metric in sorted(names - known)]
    assert unknown == []


def test_every_journey_has_its_row(boards: dict[str, dict[str, Any]]) -> None:
    overview = boards["overview"]
    rows = {p["title"] for p in overview["panels"] if p["type"] == "row"}
    for journey in JOURNEYS:
        assert f"Journey: {journey.name}" in rows
        queries = [expr for _, expr in panel_queries(overview)
                   if f'journey="{journey.name}"' in expr]
        assert len(queries) == 4, journey.name  # traffic, errors, latency, budget left


def test_every_service_has_its_red_dashboard(boards: dict[str, dict[str, Any]]) -> None:
    for name in SERVICE_NAMES:
        board = boards[f"service-{name}"]
        assert board["uid"] == f"orchid-service-{name}"
        queries = [expr for _, expr in panel_queries(board)]
        on_routes = [expr for expr in queries if "route=~" in expr]
        assert len(on_routes) == 6, name  # rate, 5xx share, statuses, p50, p99, p99 by route
        assert any(f'orchid_remote_calls_total{{service="{name}"}}' in e for e in queries), name


def test_each_route_is_on_its_own_services_dashboard_only() -> None:
    regexes = {name: re.compile(service_routes(name)) for name in SERVICE_NAMES}
    for name, spec in specs().items():
        paths = [getattr(route, "path", "") for route in spec.router.routes]
        for path in [*paths, f"/internal/v1/{name}/get"]:
            matched = [other for other, regex in regexes.items() if regex.fullmatch(path)]
            assert matched == [name], path


def test_the_business_dashboard_has_its_panels(boards: dict[str, dict[str, Any]]) -> None:
    titles = {title for title, _ in panel_queries(boards["business"])}
    assert {"Orders per minute", "GMV", "Conversion", "Payment mix", "COD share"} <= titles
    cod = dict(panel_queries(boards["business"]))["COD share"]
    assert 'payment_method="cod"' in cod


def test_the_written_files_are_the_dashboards(boards: dict[str, dict[str, Any]]) -> None:
    written = {path.stem: json.loads(path.read_text()) for path in DASHBOARDS.glob("*.json")}
    assert sorted(written) == sorted(boards), "run `orchid monitoring generate`"
    stale = [name for name, board in boards.items() if written[name] != board]
    assert stale == [], "run `orchid monitoring generate`"
