"""What one edge instance is: its folder, listeners, upstreams, routes and filtering policy.

    plan = EdgePlan(prefix=Path(".orchid/edge"), http_port=8080,
                    upstreams={"app": ["127.0.0.1:8000"]}, routes={"/": "app"})

Every policy has a default an operator of an Indian shop would start from; tests and the stack
override what they need. Nothing here touches the disk: `config.render` writes the files.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

# Addresses that are never foreign: the machine itself and the private ranges (office, VPN).
LOCAL_NETWORKS = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                  "fc00::/7")
LOOPBACK = ("127.0.0.0/8", "::1/128")
_RATE = re.compile(r"^(\d+)r/([sm])$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

PID_FILE = Path("logs") / "nginx.pid"  # under the prefix


@dataclass(frozen=True)
class Limit:
    """One limit_req budget: a steady rate in nginx syntax ("50r/s", "10r/m") and a burst."""

    rate: str
    burst: int

    def __post_init__(self) -> None:
        if not _RATE.match(self.rate):
            raise ValueError(f"rate {self.rate!r} is not nginx syntax like '50r/s' or '10r/m'")

    def retry_after(self) -> int:
        """Seconds until one more request fits the steady rate (for the Retry-After header)."""
        match = _RATE.match(self.rate)
        assert match is not None
        count, unit = int(match[1]), match[2]
        return max(1, math.ceil((60 if unit == "m" else 1) / count))


@dataclass(frozen=True, kw_only=True)
class RateLimits:
    """Per-IP budgets. Generous by default: Indian mobile carriers put thousands behind one IP
    (CGNAT), so the edge only stops floods; per-account limits live in the app."""

    general: Limit = Limit("50r/s", 100)
    static: Limit = Limit("200r/s", 400)
    login: Limit = Limit("30r/m", 20)
    otp: Limit = Limit("20r/m", 10)
    checkout: Limit = Limit("30r/m", 20)
    suspect: Limit = Limit("5r/s", 10)   # clients the bot score marks (see Bots)
    crawler: Limit = Limit("5r/s", 20)   # search-engine crawlers
    # Never limited: the local stack, its probes and benchmarks run from loopback.
    exempt: tuple[str, ...] = LOOPBACK
    login_paths: tuple[str, ...] = ("/api/v1/accounts/login", "/api/v1/accounts/register")
    otp_paths: tuple[str, ...] = ("/api/v1/accounts/otp/",)
    checkout_paths: tuple[str, ...] = ("/api/v1/checkout",)

    def special(self) -> dict[str, tuple[str, Limit]]:
        """Path prefix → (zone name, limit) of the stricter zones."""
        zones = (("login", self.login, self.login_paths), ("otp", self.otp, self.otp_paths),
                 ("checkout", self.checkout, self.checkout_paths))
        return {path: (name, limit) for name, limit, paths in zones for path in paths}


@dataclass(frozen=True, kw_only=True)
class Geo:
    """Country filter: only addresses registered in `countries` (plus `allow`) get in."""

    enabled: bool = True
    countries: tuple[str, ...] = ("IN",)
    allow: tuple[str, ...] = LOCAL_NETWORKS  # CIDRs let in from anywhere (partners, office)
    deny: tuple[str, ...] = ()                # CIDRs kept out even inside an allowed country
    source: str = "auto"                      # "tor-geoipdb", "iptocc" or "auto" (the first found)


@dataclass(frozen=True, kw_only=True)
class Bots:
    """Scanner blocking, the header-based suspicion score, and read-only access for crawlers."""

    enabled: bool = True
    # Blocked outright (403): vulnerability scanners and brute-forcers announce themselves.
    bad_agents: tuple[str, ...] = (
        "nikto", "sqlmap", "nmap", "masscan", "zgrab", "nuclei", "dirbuster", "gobuster",
        "wfuzz", "ffuf", "feroxbuster", "wpscan", "acunetix", "netsparker", "w3af", "havij",
        "openvas", "nessus", "jorgee", "zmeu", "fimap", "arachni", "skipfish", "whatweb",
        "commix", "hydra", "morfeus", "dotdotpwn", "paros", "webinspect", "appscan")
    # Well-known search engines: allowed on `crawler_paths` (GET/HEAD) from any country.
    crawlers: tuple[str, ...] = (
        "googlebot", "google-inspectiontool", "bingbot", "duckduckbot", "yandexbot",
        "applebot", "slurp")
    crawler_paths: tuple[str, ...] = ("/api/v1/catalog", "/api/v1/search", "/static/",
                                      "/robots.txt", "/sitemap",
                                      # the storefront's product, category and search pages
                                      "/p/", "/c/", "/search", "/img/")
    # Scripted clients: a few points toward suspicion, never blocked (integrations use them).
    tool_agents: tuple[str, ...] = (
        "curl", "wget", "python-", "go-http-client", "java/", "libwww", "httpclient",
        "scrapy", "aiohttp", "axios", "node-fetch", "php", "ruby", "perl")
    suspect_score: int = 3  # at or above: the stricter `suspect` rate applies


@dataclass(frozen=True, kw_only=True)
class Hosts:
    """Host routing: the shop host (also the default) and the management host."""

    shop: tuple[str, ...] = ("shop.orchid.localhost", "localhost")
    manage: tuple[str, ...] = ("manage.orchid.localhost",)
    manage_allow: tuple[str, ...] = LOOPBACK  # CIDRs that may reach the management host
    # Answered only on the management host (404 on the shop host).
    manage_prefixes: tuple[str, ...] = ("/api/v1/admin", "/api/v1/accounts/admin")
    # Reachable on the management host without a credential: staff sign in there.
    manage_open_paths: tuple[str, ...] = ("/api/v1/accounts/login",)


@dataclass(frozen=True, kw_only=True)
class Tls:
    """Certificate paths; both None means a self-signed pair generated in the prefix."""

    cert: Path | None = None
    key: Path | None = None
    hsts_seconds: int = 365 * 24 * 3600

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            # One without the other would quietly fall back to the self-signed pair.
            raise ValueError("give both a certificate and its key, or neither")


@dataclass(frozen=True, kw_only=True)
class EdgePlan:
    """One nginx instance: its own prefix, 127.0.0.1 listeners, upstreams and policy."""

    prefix: Path                      # conf/, logs/, temp/, html/, tls/ and the pid file
    http_port: int                    # 127.0.0.1 listener
    https_port: int | None = None     # TLS listener; http then redirects (except health)
    internal_port: int | None = None  # /internal/v1/<svc>/... → that service's upstream
    upstreams: dict[str, list[str]]   # group → ["127.0.0.1:8101", ...]
    routes: dict[str, str]            # public path prefix → group; longest wins; "/" fallback
    internal_routes: dict[str, str] = field(default_factory=dict)
    waf: bool = True                  # ModSecurity + CRS on dynamic requests
    geo: Geo = Geo()
    limits: RateLimits | None = RateLimits()
    bots: Bots = Bots()
    hosts: Hosts = Hosts()
    tls: Tls = Tls()
    # Addresses of a load balancer in front whose X-Forwarded-For names the real client.
    real_ip_from: tuple[str, ...] = ()
    # Served without ModSecurity (GET/HEAD only): files, not code paths.
    static_prefixes: tuple[str, ...] = ("/static/", "/favicon.ico", "/robots.txt")
    max_fails: int = 3                # passive health check: failures within fail_timeout ...
    fail_timeout: int = 10            # ... take a server out for fail_timeout seconds
    keepalive: int = 32               # idle upstream connections kept per worker and group
    workers: int | None = None        # nginx worker processes; None = one per core
    max_body: str = "1m"              # matches the app's max_body_bytes
    worker_user: str | None = None    # None: root when run as root, else nginx's own choice

    def __post_init__(self) -> None:
        if not self.upstreams:
            raise ValueError("an edge needs at least one upstream group")
        for group, servers in self.upstreams.items():
            if not _NAME.match(group) or not servers:
                raise ValueError(f"upstream group {group!r} needs a plain name and a server")
        for table in (self.routes, self.internal_routes):
            for path, group in table.items():
                if group not in self.upstreams:
                    raise ValueError(f"route {path!r} names unknown upstream group {group!r}")
                if not path.startswith("/") or any(c in path for c in " ;{}'\"\\"):
                    raise ValueError(f"route {path!r} is not a plain URL path prefix")

    def group_for(self, path: str) -> str | None:
        """The upstream group of `path` by longest matching route prefix."""
        matches = [prefix for prefix in self.routes if path.startswith(prefix)]
        return self.routes[max(matches, key=len)] if matches else None

    @property
    def conf_dir(self) -> Path:
        return self.prefix / "conf"

    @property
    def pid_file(self) -> Path:
        return self.prefix / PID_FILE

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"
