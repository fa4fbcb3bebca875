"""Render an edge plan into an nginx prefix, and the command line that runs it.

    plan = EdgePlan(prefix=root / "edge", http_port=8080, upstreams={"app": ["127.0.0.1:8000"]},
                    routes={"/": "app"})
    render(plan)                      # prefix/conf/nginx.conf and its includes
    subprocess.Popen(nginx_argv(plan))  # foreground; the caller owns the process

The instance is self-contained: listeners on 127.0.0.1 only, and every file nginx writes (pid,
logs, temp bodies, ModSecurity state) inside the prefix. /etc/nginx is never read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from orchid.edge.geo import render_geo_map
from orchid.edge.pages import write_pages
from orchid.edge.plan import Bots, EdgePlan, Geo, Hosts, Limit, RateLimits, Tls
from orchid.edge.policy import http_policy
from orchid.edge.sites import MICROCACHE, security_headers, servers, tls_paths
from orchid.edge.tls import ensure_self_signed
from orchid.edge.waf import find_module, write_waf
from orchid.stack.servers import ServerMissing, binary

__all__ = ["Bots", "EdgePlan", "Geo", "Hosts", "Limit", "RateLimits", "Tls", "nginx_argv",
           "render"]

TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
_SIZE = re.compile(r"^(\d+)([kKmM]?)$")


def _bytes(size: str) -> int:
    match = _SIZE.match(size)
    if match is None:
        raise ValueError(f"size {size!r} is not nginx syntax like '1m'")
    return int(match[1]) * {"": 1, "k": 1024, "m": 1024 * 1024}[match[2].lower()]


def _upstreams(plan: EdgePlan) -> str:
    blocks = []
    for group, addresses in sorted(plan.upstreams.items()):
        servers_ = "\n".join(
            f"    server {address} max_fails={plan.max_fails} fail_timeout={plan.fail_timeout}s;"
            for address in addresses)
        # The zone shares passive health state between workers.
        blocks.append(f"upstream {group} {{\n    zone upstream_{group} 64k;\n{servers_}\n"
                      f"    keepalive {plan.keepalive};\n    keepalive_timeout 60s;\n}}")
    return "\n\n".join(blocks)


def _http(plan: EdgePlan, geo_file: str | None, waf_rules: Path | None) -> str:
    temp = plan.prefix / "temp"
    logs = plan.prefix / "logs"
    real_ip = [f"set_real_ip_from {cidr};" for cidr in plan.real_ip_from]
    if real_ip:
        real_ip += ["real_ip_header X-Forwarded-For;", "real_ip_recursive on;"]
    parts = [
        "# Rendered by orchid.edge; edit the plan and render again instead.",
        "default_type application/octet-stream;",
        "server_tokens off;",
        "sendfile on;",
        "keepalive_timeout 65s;",
        f"client_max_body_size {plan.max_body};",
        *(f"{name}_temp_path {temp / name};" for name in TEMP_DIRS),
        "log_format edge escape=json '{\"time\":\"$time_iso8601\",\"request_id\":"
        "\"$edge_request_id\",\"client\":\"$remote_addr\",\"host\":\"$host\","
        "\"method\":\"$request_method\",\"uri\":\"$request_uri\",\"status\":$status,"
        "\"bytes\":$body_bytes_sent,\"request_time\":$request_time,\"upstream\":"
        "\"$upstream_addr\",\"upstream_status\":\"$upstream_status\",\"upstream_time\":"
        "\"$upstream_response_time\",\"block\":\"$edge_block\",\"bot_score\":"
        "\"$edge_bot_score\",\"cache\":\"$upstream_cache_status\",\"agent\":"
        "\"$http_user_agent\"}';",
        f"access_log {logs / 'access.log'} edge buffer=64k flush=1s;",
        # The microcache (sites.py): what the app marks public, kept seconds, for anyone.
        f"proxy_cache_path {plan.prefix / 'cache'} levels=1:2 keys_zone={MICROCACHE}:10m "
        "max_size=256m inactive=2m use_temp_path=off;",
        *real_ip,
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "ssl_prefer_server_ciphers off;",
        "ssl_session_cache shared:edge_tls:10m;",
        "ssl_session_timeout 1h;",
        # A client's request id is kept when it looks like one, else nginx makes one.
        'map $http_x_request_id $edge_request_id { "~^[A-Za-z0-9._:-]{8,128}$" '
        "$http_x_request_id; default $request_id; }",
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        "proxy_set_header Host $host;",
        # The edge is the first hop the app trusts: the client's own X-Forwarded-For is dropped.
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $host;",
        'proxy_set_header Forwarded "";',
        "proxy_set_header X-Request-ID $edge_request_id;",
        "proxy_set_header X-Edge-Bot-Score $edge_bot_score;",
        *_trace_context(plan),
        *(f"proxy_hide_header {name};" for name in (
            "X-Request-ID", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
            "Permissions-Policy", "Strict-Transport-Security")),
        "proxy_connect_timeout 2s;",
        "proxy_send_timeout 30s;",
        "proxy_read_timeout 60s;",
        # Retries: nginx never re-sends a POST/PATCH that reached a server (no non_idempotent),
        # so a second try happens for those only when the first could not connect.
        "proxy_next_upstream error timeout http_502 http_503 http_504;",
        "proxy_next_upstream_tries 3;",
        "proxy_next_upstream_timeout 10s;",
    ]
    if waf_rules is not None:
        parts += ["modsecurity off;  # on in dynamic locations only",
                  f"modsecurity_rules_file {waf_rules};"]
    return "\n".join(parts) + "\n\n" + http_policy(plan, geo_file) + "\n\n" + \
        _upstreams(plan) + "\n\n" + servers(plan) + "\n"


def _trace_context(plan: EdgePlan) -> list[str]:
    """W3C trace context passes only the internal listener (one service calling another): a
    client's `traceparent` would choose the shop's trace ids and force sampling."""
    lines = []
    for name in ("traceparent", "tracestate"):
        keep = f" {plan.internal_port} $http_{name};" if plan.internal_port else ""
        lines += [f'map $server_port $edge_{name} {{ default "";{keep} }}',
                  f"proxy_set_header {name} $edge_{name};"]
    return lines


def _main(plan: EdgePlan, module: Path | None) -> str:
    user = plan.worker_user or ("root" if os.geteuid() == 0 else None)
    workers = plan.workers or "auto"
    lines = [
        "# Rendered by orchid.edge; edit the plan and render again instead.",
        f"load_module {module};" if module else "",
        f"user {user};" if user else "",
        f"worker_processes {workers};",
        f"pid {plan.pid_file};",
        f"error_log {plan.error_log} warn;",
        "events { worker_connections 4096; }",
        f"http {{\n    include {plan.conf_dir / 'orchid' / 'http.conf'};\n}}",
    ]
    return "\n".join(line for line in lines if line) + "\n"


def render(plan: EdgePlan) -> Path:
    """Write prefix/conf/nginx.conf and its includes for `plan`; return nginx.conf's path."""
    module = find_module() if plan.waf else None
    if plan.waf and module is None:
        raise ServerMissing("the ModSecurity nginx module is missing: apt-get install nginx "
                            "libnginx-mod-http-modsecurity modsecurity-crs")
    include = plan.conf_dir / "orchid"
    include.mkdir(parents=True, exist_ok=True)
    for folder in (plan.prefix / "logs", plan.prefix / "cache",
                   *(plan.prefix / "temp" / n for n in TEMP_DIRS)):
        folder.mkdir(parents=True, exist_ok=True)
    write_pages(plan.prefix / "html" / "__edge")
    geo_file = None
    if plan.geo.enabled:
        geo_path = include / "geo-countries.conf"
        render_geo_map(plan.geo.countries, plan.geo.source, geo_path)
        geo_file = str(geo_path)
    if plan.https_port is not None and plan.tls.cert is None:
        cert, key = tls_paths(plan)
        ensure_self_signed(Path(cert), Path(key))
    waf_rules = (write_waf(plan.prefix, plan.conf_dir, max_body_bytes=_bytes(plan.max_body))
                 if plan.waf else None)
    (include / "headers.conf").write_text(security_headers(plan, tls=False))
    (include / "headers-tls.conf").write_text(security_headers(plan, tls=True))
    (include / "http.conf").write_text(_http(plan, geo_file, waf_rules))
    main = plan.conf_dir / "nginx.conf"
    main.write_text(_main(plan, module))
    return main


def nginx_argv(plan: EdgePlan) -> list[str]:
    """nginx in the foreground on the rendered prefix (the caller owns the process)."""
    return [*base_argv(plan), "-g", "daemon off;"]


def base_argv(plan: EdgePlan) -> list[str]:
    """nginx with its prefix, configuration and early error log all inside the prefix."""
    return [binary("nginx"), "-p", f"{plan.prefix}/", "-c", str(plan.conf_dir / "nginx.conf"),
            "-e", str(plan.error_log)]
