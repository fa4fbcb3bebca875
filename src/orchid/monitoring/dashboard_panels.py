"""The dashboards' vocabulary: Grafana panels and dashboards built with grafana-foundation-sdk,
every query on the Prometheus picked by the dashboard's `datasource` variable.

    board("orchid-redis", "Orchid Redis", "…", [
        ("Server", [series("Commands per second", "…", query("rate(x[$__rate_interval])"))]),
    ])                                   # → the dashboard as JSON-able data
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from string import ascii_uppercase
from typing import Any, TypeVar

from grafana_foundation_sdk.builders import dashboard, piechart, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    StackingConfig,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.common import (
    BigValueTextMode,
    GraphThresholdsStyleMode,
    LegendPlacement,
    StackingMode,
)
from grafana_foundation_sdk.models.piechart import PieChartLegendValues

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "$__rate_interval"  # Grafana's rate window: at least 4 scrape intervals
RANGE = "$__range"  # the dashboard's whole time range, for "in the range" totals
UP_DOWN = [model.ValueMap({"0": model.ValueMappingResult(text="down", color="red"),
                           "1": model.ValueMappingResult(text="up", color="green")})]
Panel = timeseries.Panel | stat.Panel | piechart.Panel
Row = tuple[str, Sequence[Panel]]
P = TypeVar("P", timeseries.Panel, stat.Panel, piechart.Panel)


def query(expr: str, legend: str = "") -> prometheus.Dataquery:
    """A Prometheus range query; `legend` names each series (e.g. "{{route}}")."""
    target = prometheus.Dataquery().expr(expr)
    return target.legend_format(legend) if legend else target


def steps(*pairs: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    """Absolute thresholds: (from value, colour) pairs, the first from None (−∞)."""
    return (dashboard.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE)
            .steps([model.Threshold(value, color) for value, color in pairs]))


def series(title: str, description: str, *queries: prometheus.Dataquery, unit: str = "short",
           width: int = 12, stacked: bool = False,
           limit: float | None = None) -> timeseries.Panel:
    """A time series panel; `limit` draws a red dashed line there (an SLO's threshold)."""
    panel = (timeseries.Panel().title(title).description(description).datasource(DATASOURCE)
             .unit(unit).span(width).height(8).fill_opacity(10))
    if stacked:
        panel = panel.stacking(StackingConfig().mode(StackingMode.NORMAL)).fill_opacity(40)
    if limit is not None:
        panel = (panel.thresholds(steps((None, "transparent"), (limit, "red")))
                 .thresholds_style(GraphThresholdsStyleConfig()
                                   .mode(GraphThresholdsStyleMode.DASHED)))
    return _with_targets(panel, queries)


def single(title: str, description: str, *queries: prometheus.Dataquery, unit: str = "short",
           width: int = 6, thresholds: dashboard.ThresholdsConfig | None = None,
           mappings: list[model.ValueMapping] | None = None,
           text_mode: BigValueTextMode = BigValueTextMode.AUTO) -> stat.Panel:
    """A stat panel showing each series' latest value."""
    panel = (stat.Panel().title(title).description(description).datasource(DATASOURCE)
             .unit(unit).span(width).height(8).text_mode(text_mode)
             .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False)))
    if thresholds is not None:
        panel = panel.thresholds(thresholds)
    if mappings is not None:
        panel = panel.mappings(mappings)
    return _with_targets(panel, queries)


def up_down(title: str, description: str, expr: str, legend: str) -> stat.Panel:
    """A stat panel of 0/1 series shown as down (red) or up (green)."""
    return single(title, description, query(expr, legend), mappings=list(UP_DOWN),
                  thresholds=steps((None, "red"), (1, "green")),
                  text_mode=BigValueTextMode.VALUE_AND_NAME)


def pie(title: str, description: str, *queries: prometheus.Dataquery, unit: str = "short",
        width: int = 6) -> piechart.Panel:
    """A pie chart of each series' latest value (shares of a whole)."""
    panel = (piechart.Panel().title(title).description(description).datasource(DATASOURCE)
             .unit(unit).span(width).height(8)
             .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
             .legend(piechart.PieChartLegendOptions().show_legend(True)
                     .placement(LegendPlacement.BOTTOM)
                     .values([PieChartLegendValues.PERCENT, PieChartLegendValues.VALUE])))
    return _with_targets(panel, queries)


def _with_targets(panel: P, queries: Sequence[prometheus.Dataquery]) -> P:
    for ref, target in zip(ascii_uppercase, queries, strict=False):
        panel = panel.with_target(target.ref_id(ref))
    return panel


def board(uid: str, title: str, description: str, rows: Sequence[Row]) -> dict[str, Any]:
    """A dashboard of rows of panels, numbered in order, as JSON-able data."""
    built = (dashboard.Dashboard(title).uid(uid).description(description)
             .tags(["orchid"]).time("now-6h", "now").refresh("1m").timezone("browser")
             .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus")
                            .type("prometheus")))
    number = 0
    for row_title, panels in rows:
        number += 1
        built = built.with_row(dashboard.Row(row_title).id(number))
        for panel in panels:
            number += 1
            built = built.with_panel(panel.id(number))
    data: dict[str, Any] = json.loads(json.dumps(built.build(), cls=JSONEncoder))
    return data


def route_regex(prefixes: Sequence[str], exact: Sequence[str] = ()) -> str:
    """A regex over route templates for URL path prefixes and exact paths: "/p/" covers
    "/p/…"; "/cart" covers "/cart" and "/cart/…"."""
    parts = [re.escape(prefix) + (".*" if prefix.endswith("/") else "(/.*)?")
             for prefix in prefixes if not (prefix.endswith("/") and prefix[:-1] in prefixes)]
    return "|".join(parts + [re.escape(path) for path in exact])


def promql_string(text: str) -> str:
    """`text` inside a PromQL double-quoted string (which unescapes backslashes once)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')
