"""Rendering a plan: everything inside the prefix, 127.0.0.1 only, the internal API hidden."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from orchid.edge.config import nginx_argv, render
from orchid.edge.pages import PAGES, write_pages
from orchid.edge.plan import EdgePlan, Geo


def _render(tmp_path: Path, **overrides: Any) -> str:
    plan = EdgePlan(prefix=tmp_path / "edge", http_port=8080,
                    internal_port=8081, upstreams={"app": ["127.0.0.1:8000"],
                                                   "orders": ["127.0.0.1:8005"]},
                    routes={"/": "app", "/api/v1/checkout": "orders"},
                    internal_routes={"/internal/v1/orders": "orders"}, waf=False,
                    geo=Geo(enabled=False), **overrides)
    render(plan)
    return "\n".join(p.read_text() for p in sorted((tmp_path / "edge" / "conf").rglob("*.conf")))


def test_every_listener_is_loopback_and_every_path_inside_the_prefix(tmp_path: Path) -> None:
    text = _render(tmp_path)
    listens = re.findall(r"^\s*listen (\S+)", text, flags=re.M)
    assert listens and all(addr.startswith("127.0.0.1:") for addr in listens)
    for line in re.findall(r"(?:_path|pid|error_log|access_log|root) (/\S+)", text):
        assert line.startswith(str(tmp_path / "edge")), line
    assert "/etc/nginx" not in text


def test_internal_api_only_on_the_internal_listener(tmp_path: Path) -> None:
    text = _render(tmp_path)
    assert "location /internal/ { return 404; }" in text
    assert "location /internal/v1/orders/ { proxy_pass http://orders; }" in text
    assert "location /api/v1/admin { return 404; }" in text  # management host only


def test_upstreams_keep_alive_with_passive_health_checks(tmp_path: Path) -> None:
    text = _render(tmp_path, max_fails=2, fail_timeout=7)
    assert "server 127.0.0.1:8005 max_fails=2 fail_timeout=7s;" in text
    assert "keepalive 32;" in text
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in text
    assert "non_idempotent" not in text


def test_tls_generates_a_certificate_and_redirects(tmp_path: Path) -> None:
    text = _render(tmp_path, https_port=8443)
    assert (tmp_path / "edge" / "tls" / "edge.crt").exists()
    assert "listen 127.0.0.1:8443 ssl http2 default_server;" in text
    assert "return 301 https://$host:8443$request_uri;" in text
    assert "Strict-Transport-Security" in text


def test_nginx_runs_in_the_foreground_on_its_prefix(tmp_path: Path) -> None:
    plan = EdgePlan(prefix=tmp_path, http_port=1, upstreams={"a": ["127.0.0.1:2"]},
                    routes={"/": "a"})
    argv = nginx_argv(plan)
    assert argv[-2:] == ["-g", "daemon off;"]
    assert argv[argv.index("-p") + 1] == f"{tmp_path}/"
    assert argv[argv.index("-e") + 1] == str(tmp_path / "logs" / "error.log")


def test_pages_are_problem_json_and_html(tmp_path: Path) -> None:
    write_pages(tmp_path)
    geo = json.loads((tmp_path / "geo.json").read_text())
    assert geo == {**geo, "status": 403, "code": "geo_blocked"}
    assert "India" in (tmp_path / "geo.html").read_text()
    assert len(list(tmp_path.iterdir())) == 2 * len(PAGES)
