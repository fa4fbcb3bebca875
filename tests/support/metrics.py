"""Read this process's Prometheus samples, so a test asserts what it changed.

The registry lives as long as the test process: a series another test created is already there,
so `'name{labels}' in text` alone can pass without the code under test doing anything.

    before = sample("orchid_db_sessions_total", database="main", node="primary", role="primary")
    ...
    assert sample("orchid_db_sessions_total", ...) > before
"""

from __future__ import annotations

from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """Return the current value of one series (0 before it exists)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
