"""`orchid edge` options become a plan; bad ones are reported, not raised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from orchid.edge.cli import _build


def _options(**overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "prefix": Path("edge"), "http_port": 8080, "https_port": None, "upstream": [],
        "route": [], "waf": True, "countries": "IN", "allow": [], "manage_allow": [],
        "cert": None, "key": None}
    options.update(overrides)
    return options


def test_defaults_front_one_local_app() -> None:
    plan = _build(**_options())
    assert plan.upstreams == {"app": ["127.0.0.1:8000"]}
    assert plan.routes == {"/": "app"}
    assert plan.prefix.is_absolute()


def test_groups_routes_countries_and_allowlists() -> None:
    plan = _build(**_options(
        upstream=["catalog=127.0.0.1:8101", "orders=127.0.0.1:8105", "orders=127.0.0.1:8106"],
        route=["/=catalog", "/api/v1/checkout=orders"], countries="in, np",
        allow=["203.0.113.0/24"], manage_allow=["10.8.0.0/16"]))
    assert plan.upstreams["orders"] == ["127.0.0.1:8105", "127.0.0.1:8106"]
    assert plan.group_for("/api/v1/checkout") == "orders"
    assert plan.geo.countries == ("IN", "NP") and "203.0.113.0/24" in plan.geo.allow
    assert plan.hosts.manage_allow == ("10.8.0.0/16",)


@pytest.mark.parametrize("bad", [{"upstream": ["app"]}, {"route": ["/=missing"]}])
def test_bad_options_are_a_usage_error(bad: dict[str, Any]) -> None:
    with pytest.raises(typer.BadParameter):
        _build(**_options(**bad))
