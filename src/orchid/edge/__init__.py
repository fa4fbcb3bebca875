"""The edge tier: nginx + ModSecurity/CRS configuration rendered from a plan, and its process."""

from orchid.edge.config import nginx_argv, render
from orchid.edge.plan import Bots, EdgePlan, Geo, Hosts, Limit, RateLimits, Tls
from orchid.edge.process import EdgeError, check, start, stop

__all__ = ["Bots", "EdgeError", "EdgePlan", "Geo", "Hosts", "Limit", "RateLimits", "Tls",
           "check", "nginx_argv", "render", "start", "stop"]
