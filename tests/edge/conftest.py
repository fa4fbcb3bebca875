"""The edge tests run a real nginx (+ ModSecurity and CRS) in front of a real `orchid serve`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchid.edge.geo import GeoDataMissing, resolve_source
from orchid.edge.waf import find_module
from orchid.stack.servers import ServerMissing, binary
from tests.edge.ftw import WAF_SCORE
from tests.edge.running import EdgeFactory, RunningEdge, test_plan
from tests.support.processes import OrchidProcess, seeded_env

STAFF_EMAIL, STAFF_PASSWORD = "staff@orchid.test", "marigold-ledger-93"
INSTALL = "apt-get install nginx libnginx-mod-http-modsecurity modsecurity-crs"


@pytest.fixture(scope="session")
def edge_servers() -> None:
    """Fail (not skip) with the install command when nginx, the module or geo data is missing."""
    try:
        binary("nginx")
        if find_module() is None:
            raise ServerMissing(f"the ModSecurity nginx module is missing: {INSTALL}")
        resolve_source("auto")
    except (ServerMissing, GeoDataMissing) as missing:
        pytest.fail(f"{missing} (the edge tests need: {INSTALL} tor-geoipdb)")


@pytest.fixture(scope="session")
def upstream(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[OrchidProcess]:
    """One embedded `orchid serve` with a small seeded catalog, trusting the edge's address."""
    folder = tmp_path_factory.mktemp("edge-app")
    env = seeded_env(migrated_template, folder, products=30, customers=2,
                     ORCHID_TRUSTED_PROXIES="127.0.0.1")
    subprocess.run([sys.executable, "-m", "orchid", "user", "create", "--email", STAFF_EMAIL,
                    "--role", "staff"], check=True, capture_output=True,
                   env={**os.environ, **env, "ORCHID_NEW_USER_PASSWORD": STAFF_PASSWORD})
    process = OrchidProcess(env, folder / "orchid.log")
    try:
        yield process.wait_ready()
    finally:
        process.stop()


@pytest.fixture
def start_edge(edge_servers: None, upstream: OrchidProcess, tmp_path: Path
               ) -> Iterator[EdgeFactory]:
    """Start edges in front of the test app; every one is stopped after the test."""
    started: list[RunningEdge] = []

    def start(**overrides: Any) -> RunningEdge:
        prefix = tmp_path / f"edge{len(started)}"
        edge = RunningEdge(test_plan(prefix, f"127.0.0.1:{upstream.port}", **overrides))
        started.append(edge)
        return edge

    yield start
    for edge in started:
        edge.stop()


@pytest.fixture(scope="session")
def shop_edge(edge_servers: None, upstream: OrchidProcess,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEdge]:
    """The default policy (WAF, India only, default limits) shared by read-only tests."""
    edge = RunningEdge(test_plan(tmp_path_factory.mktemp("shop-edge"),
                                 f"127.0.0.1:{upstream.port}"))
    yield edge
    edge.stop()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the WAF corpus score however pytest was invoked (with or without -s)."""
    lines = config.stash.get(WAF_SCORE, None)
    if lines:
        terminalreporter.section("edge WAF corpus (go-ftw format)")
        for line in lines:
            terminalreporter.write_line(line)
