"""The edge in front of the stack's app processes: nginx routing to the process groups."""

from __future__ import annotations

from orchid.stack.components import Component, http_ready
from orchid.stack.plan import Layout, StackOptions, app_groups, upstreams


def edge_component(layout: Layout, options: StackOptions) -> Component:
    """Render the edge's configuration for this topology and describe its nginx process."""
    from orchid.edge.config import EdgePlan, nginx_argv, render
    from orchid.services.registry import public_path_prefixes

    groups = app_groups(options)
    if options.topology == "all-in-one":
        routes = {"/": "app"}
        internal = {f"/internal/v1/{service}": "app" for service in groups["app"]}
    else:
        # The shop host's home page, and any path no service claims, is the storefront's.
        routes = {"/": "storefront", **public_path_prefixes()}
        internal = {f"/internal/v1/{service}": service for service in groups}
    plan = EdgePlan(prefix=layout.root / "edge", http_port=layout.port("edge"),
                    internal_port=layout.port("edge-internal"),
                    upstreams=upstreams(layout, options), routes=routes,
                    internal_routes=internal, waf=options.waf)
    render(plan)
    return Component("edge", "edge", plan.http_port, nginx_argv(plan),
                     http_ready(f"http://127.0.0.1:{plan.http_port}/healthz"),
                     layout.logs / "edge.log")
