"""The edge's decision maps: bot score, suspicion threshold, zones and exemptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchid.edge.plan import Bots, EdgePlan, RateLimits
from orchid.edge.policy import SIGNALS, bot_score, http_policy


def _plan(**overrides: Any) -> EdgePlan:
    return EdgePlan(prefix=Path("/tmp/edge"), http_port=8080,
                    upstreams={"app": ["127.0.0.1:8000"]}, routes={"/": "app"}, **overrides)


def test_bot_score_weights() -> None:
    names = [name for name, _ in SIGNALS]

    def score(*present: str) -> int:
        return bot_score(tuple(int(name in present) for name in names))

    assert score() == 0                                   # a browser
    assert score("tool_agent", "no_language") == 3        # curl, python-httpx
    assert score("no_agent", "no_accept", "no_language", "no_encoding") == 6
    assert score("no_language") == 1                      # an app that sends no language


def test_every_flag_combination_is_mapped_and_suspects_start_at_the_threshold() -> None:
    text = http_policy(_plan(bots=Bots(suspect_score=4)), geo_file=None)
    assert sum(1 for line in text.splitlines() if line.strip().startswith('"0')
               or line.strip().startswith('"1')) == 2 ** len(SIGNALS)
    assert '":4" 1;' in text and '":3" 1;' not in text


def test_zones_and_exemptions() -> None:
    text = http_policy(_plan(limits=RateLimits(exempt=("10.1.0.0/16",))), geo_file=None)
    assert "limit_req_zone $edge_limit_key zone=login:10m rate=30r/m;" in text
    assert "    10.1.0.0/16 1;" in text
    assert '"~^/api/v1/accounts/otp/" 3;' in text  # Retry-After of the OTP zone


def test_without_limits_there_are_no_zones_and_geo_can_be_off() -> None:
    text = http_policy(_plan(limits=None), geo_file=None)
    assert "limit_req_zone" not in text
    assert "geo $edge_geo_ok { default 1; }" in text


def test_geo_map_includes_countries_then_overrides() -> None:
    text = http_policy(_plan(), geo_file="/tmp/edge/geo.conf")
    assert text.index("include /tmp/edge/geo.conf;") < text.index("127.0.0.0/8 1;  # allowlist")
