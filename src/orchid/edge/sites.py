"""The server{} blocks: the shop host, the management host and the internal listener.

Locations are plain prefixes (no regex locations), so nginx picks the longest match exactly as
`EdgePlan.group_for` does. Each public location tests the policy variables (see policy.py)
with `if (...) { return ...; }` only — the one use of `if` nginx guarantees.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchid.edge.plan import EdgePlan, Limit

HEALTH = ("/healthz", "/readyz")
# A microcache on the shop host: nginx keeps an answer only when the app said so (Cache-Control
# public with a max-age: the catalog's and search's reads), never one that sets a cookie, and
# never for a request that carries a session — a signed-in page or a bag is not cacheable by
# the app's own headers, and the bypass makes that a second, independent rule. A burst for one
# product waits for one upstream request (the lock) and is served the stale copy meanwhile.
MICROCACHE = "edge_micro"
MICROCACHE_RULES = (
    f"proxy_cache {MICROCACHE};",
    "proxy_cache_key $scheme$host$request_uri;",
    "proxy_cache_lock on;",
    "proxy_cache_lock_timeout 2s;",
    "proxy_cache_use_stale updating error timeout http_502 http_503 http_504;",
    "proxy_cache_background_update on;",
    "proxy_cache_bypass $http_authorization $cookie_orchid_session;",
    "proxy_no_cache $http_authorization $cookie_orchid_session;",
)
HIDDEN = ("/internal/", "/metrics")  # never on a public listener


@dataclass(frozen=True)
class Location:
    """One public location: what it serves and how it is guarded."""

    path: str
    kind: str  # "dynamic", "static", "hidden"
    group: str | None = None
    zone: tuple[str, Limit] | None = None  # the stricter zone of login/OTP/checkout paths


def public_locations(plan: EdgePlan, *, manage: bool) -> list[Location]:
    """The locations of the shop host (manage=False) or the management host (manage=True)."""
    table: dict[str, Location] = {}
    for path, group in plan.routes.items():
        table[path] = Location(path, "dynamic", group)
    if plan.limits is not None:
        for path, zone in plan.limits.special().items():
            table[path] = Location(path, "dynamic", plan.group_for(path), zone)
    for path in plan.static_prefixes:
        table[path] = Location(path, "static", plan.group_for(path))
    hidden = HIDDEN if manage else HIDDEN + plan.hosts.manage_prefixes
    for path in hidden:
        table[path] = Location(path, "hidden")
    return [loc for _, loc in sorted(table.items()) if loc.kind == "hidden" or loc.group]


def _limits(plan: EdgePlan, location: Location) -> list[str]:
    limits = plan.limits
    if limits is None:
        return []
    if location.kind == "static":
        return [f"limit_req zone=static burst={limits.static.burst} nodelay;"]
    lines = [f"limit_req zone=general burst={limits.general.burst} nodelay;",
             f"limit_req zone=suspect burst={limits.suspect.burst} nodelay;",
             f"limit_req zone=crawler burst={limits.crawler.burst} nodelay;"]
    if location.zone is not None:
        name, limit = location.zone
        lines.append(f"limit_req zone={name} burst={limit.burst} nodelay;")
    return lines


def _guards(plan: EdgePlan, location: Location, *, manage: bool) -> list[str]:
    if not manage:
        return ["if ($edge_block) { return 403; }"]
    guards = ["if ($edge_manage_ip_ok = 0) { return 403; }",
              "if ($edge_agent = bad) { return 403; }"]
    if location.kind == "dynamic" and location.path not in plan.hosts.manage_open_paths:
        guards.append("if ($edge_has_credential = 0) { return 401; }")
    return guards


def _location(plan: EdgePlan, location: Location, *, manage: bool) -> str:
    if location.kind == "hidden":
        return f"    location {location.path} {{ return 404; }}"
    body = _guards(plan, location, manage=manage) + _limits(plan, location)
    if location.kind == "static":
        body += ["modsecurity off;" if plan.waf else "",
                 "limit_except GET HEAD { deny all; }"]
    elif plan.waf:
        body.append("modsecurity on;")
    if location.kind == "dynamic" and not manage:
        body += MICROCACHE_RULES
    body.append(f"proxy_pass http://{location.group};")
    inner = "\n".join(f"        {line}" for line in body if line)
    return f"    location {location.path} {{\n{inner}\n    }}"


def _common(plan: EdgePlan, *, tls: bool, manage: bool) -> list[str]:
    """Health probes, error pages and security headers, shared by every public server."""
    headers = plan.conf_dir / "orchid" / ("headers-tls.conf" if tls else "headers.conf")
    page_403 = "$edge_manage_403" if manage else "$edge_page_403"
    lines = [
        f"    include {headers};",
        f"    error_page 403 /__edge/{page_403}.$edge_format;",
        "    error_page 401 /__edge/staff.$edge_format;",
        "    error_page 404 /__edge/404.$edge_format;",
        "    error_page 429 /__edge/429.$edge_format;",
        "    error_page 502 503 504 /__edge/5xx.$edge_format;",
        *_pages(plan, "/__edge/", headers, waf="off"),
        # The WAF's own page runs ModSecurity again: nginx drops the blocked request's
        # transaction at the redirect, and only a transaction alive at the end is audit-logged.
        *(_pages(plan, "/__edge/waf.", headers, waf="on") if plan.waf else []),
    ]
    for path in HEALTH:
        group = plan.group_for(path)
        if group:
            waf = " modsecurity off;" if plan.waf else ""
            lines.append(f"    location = {path} {{{waf} proxy_pass http://{group}; }}")
    return [line for line in lines if line]


def _pages(plan: EdgePlan, path: str, headers: Path, *, waf: str) -> list[str]:
    """The internal location serving the edge's own error pages."""
    return [
        f"    location ^~ {path} {{",
        "        internal;",
        "        etag off;",
        f"        root {plan.prefix / 'html'};",
        "        types { text/html html; application/problem+json json; }",
        f"        modsecurity {waf};" if plan.waf else "",
        f"        include {headers};",
        "        add_header Retry-After $edge_retry_after always;" if plan.limits else "",
        "        add_header Cache-Control no-store always;",
        "    }",
    ]


def _listen(plan: EdgePlan, port: int, *, tls: bool, default: bool) -> str:
    flags = (" ssl http2" if tls else "") + (" default_server" if default else "")
    return f"    listen 127.0.0.1:{port}{flags};"


def _redirect_server(plan: EdgePlan, names: tuple[str, ...], *, default: bool) -> str:
    """Plain HTTP when TLS is on: health probes answer, everything else moves to HTTPS."""
    assert plan.https_port is not None
    port = "" if plan.https_port == 443 else f":{plan.https_port}"
    lines = ["server {", _listen(plan, plan.http_port, tls=False, default=default),
             f"    server_name {' '.join(names)};", *_common(plan, tls=False, manage=False),
             f"    location / {{ return 301 https://$host{port}$request_uri; }}", "}"]
    return "\n".join(lines)


def _site(plan: EdgePlan, names: tuple[str, ...], *, manage: bool) -> list[str]:
    """The site on every listener it serves (HTTPS plus a redirecting HTTP, or HTTP alone)."""
    tls = plan.https_port is not None
    port = plan.https_port if plan.https_port is not None else plan.http_port
    lines = ["server {", _listen(plan, port, tls=tls, default=not manage),
             f"    server_name {' '.join(names)};"]
    if tls:
        lines += [f"    ssl_certificate {tls_paths(plan)[0]};",
                  f"    ssl_certificate_key {tls_paths(plan)[1]};"]
    lines += _common(plan, tls=tls, manage=manage)
    lines += [_location(plan, loc, manage=manage)
              for loc in public_locations(plan, manage=manage)]
    servers = ["\n".join([*lines, "}"])]
    if tls:
        servers.append(_redirect_server(plan, names, default=not manage))
    return servers


def _internal_server(plan: EdgePlan) -> str:
    """Service-to-service calls: /internal/v1/<svc>/... only; no WAF, geo or limits."""
    lines = ["server {", f"    listen 127.0.0.1:{plan.internal_port} default_server;",
             "    modsecurity off;" if plan.waf else "",
             f"    access_log {plan.prefix / 'logs' / 'internal.log'} edge buffer=64k flush=1s;"]
    for path, group in sorted(plan.internal_routes.items()):
        lines.append(f"    location {path.rstrip('/')}/ {{ proxy_pass http://{group}; }}")
    lines += ["    location / { return 404; }", "}"]
    return "\n".join(line for line in lines if line)


def tls_paths(plan: EdgePlan) -> tuple[str, str]:
    """The certificate and key nginx loads: the configured pair, else the generated one."""
    if plan.tls.cert is not None and plan.tls.key is not None:
        return str(plan.tls.cert), str(plan.tls.key)
    folder = plan.prefix / "tls"
    return str(folder / "edge.crt"), str(folder / "edge.key")


def servers(plan: EdgePlan) -> str:
    """Every server{} block of the plan."""
    blocks = _site(plan, plan.hosts.shop, manage=False)
    if plan.hosts.manage:
        blocks += _site(plan, plan.hosts.manage, manage=True)
    if plan.internal_port is not None:
        blocks.append(_internal_server(plan))
    return "\n\n".join(blocks)


def security_headers(plan: EdgePlan, *, tls: bool) -> str:
    """The add_header lines every public response carries."""
    lines = [
        "add_header X-Request-ID $edge_request_id always;",
        "add_header X-Content-Type-Options nosniff always;",
        "add_header X-Frame-Options SAMEORIGIN always;",
        "add_header Referrer-Policy strict-origin-when-cross-origin always;",
        'add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;',
    ]
    if tls:
        lines.append(f'add_header Strict-Transport-Security '
                     f'"max-age={plan.tls.hsts_seconds}; includeSubDomains" always;')
    return "\n".join(lines) + "\n"
