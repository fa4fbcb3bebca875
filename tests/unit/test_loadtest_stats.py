"""A step's figures from the generator's raw record: percentiles, errors, CPU per request."""

from __future__ import annotations

from typing import Any

import pytest

from orchid.loadtest.plan import REQUEST_TYPES, Load
from orchid.loadtest.stats import latency, percentile, summarise


def record(latencies: list[float], *, status: str = "200", errors: int = 0,
           outcomes: dict[str, int] | None = None) -> dict[str, Any]:
    """One request type's raw record, as the generator writes it."""
    return {"latencies_ms": latencies, "statuses": {status: len(latencies)},
            "outcomes": outcomes or {}, "errors": errors,
            "error_samples": ["GET product answered 500: boom"] if errors else []}


def raw_step(**overrides: Any) -> dict[str, Any]:
    """A 10-second window of 200 answers: 100 product, 50 search, 50 checkout."""
    raw: dict[str, Any] = {
        "seconds": 10.0, "users": 20,
        "requests": {"product": record([float(i) for i in range(1, 101)]),
                     "search": record([20.0] * 50),
                     "checkout": record([40.0] * 49 + [90.0], status="201",
                                        outcomes={"out_of_stock": 2})},
        "task_errors": [],
        "cpu": {"app-1": 1.0, "app-2": 0.6, "main-primary": 0.2, "edge": None},
        "generator_cpu": 0.1,
        "machine": {"busy": 4.0, "total": 20.0},
    }
    raw.update(overrides)
    return raw


KINDS = {"app-1": "app", "app-2": "app", "main-primary": "mariadb", "edge": "edge"}
LOAD = Load(users=20, task_rate=0.96, offered_rps=20.0)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7
    figures = latency([3.0, 1.0, 2.0, 10.0])
    assert figures is not None
    assert (figures.p50, figures.p99, figures.mean, figures.max) == (2.0, 10.0, 4.0, 10.0)
    assert latency([]) is None


def test_throughput_and_per_type_figures() -> None:
    step = summarise(raw_step(), LOAD, KINDS)
    assert step.requests == 200 and step.throughput == 20.0 and step.errors == 0
    assert list(step.types) == ["product", "search", "checkout"]  # the mix's order
    product = step.types["product"]
    assert product.requests == 100 and product.rps == 10.0
    assert product.latency is not None and product.latency.p95 == 95
    assert step.types["checkout"].outcomes == {"out_of_stock": 2}
    assert step.overall is not None and (step.overall.p99, step.overall.max) == (98, 100)
    assert step.missing_types == [t for t in REQUEST_TYPES
                                  if t not in ("product", "search", "checkout")]


def test_cpu_per_request_by_component_and_kind() -> None:
    cpu = summarise(raw_step(), LOAD, KINDS).cpu
    assert cpu.us_per_request["app-1"] == pytest.approx(5000)  # 1 s over 200 requests
    assert cpu.us_per_request["edge"] is None  # its process was gone at one end
    assert cpu.by_kind_us == pytest.approx({"app": 8000, "mariadb": 1000})
    assert list(cpu.by_kind_us) == ["app", "mariadb"]
    assert cpu.target_us == pytest.approx(9000)
    assert cpu.generator_us == pytest.approx(500)
    assert cpu.machine_busy_cores == pytest.approx(0.4)
    assert cpu.other_busy_cores == pytest.approx((4.0 - 1.8 - 0.1) / 10)


def test_errors_count_failed_requests_and_task_exceptions() -> None:
    raw = raw_step(task_errors=["RuntimeError: no shopper account came free in 10 s"])
    raw["requests"]["product"] = record([1.0] * 100, status="500", errors=3)
    step = summarise(raw, LOAD, KINDS)
    assert step.errors == 4
    assert step.types["product"].error_samples
    assert step.verdict(p99_ms=1000) == "4 errors"


def test_verdict_needs_p99_and_throughput() -> None:
    step = summarise(raw_step(), LOAD, KINDS)
    assert step.verdict(p99_ms=98) is None
    assert step.verdict(p99_ms=50) == "p99 98.0 ms > 50 ms"
    short = summarise(raw_step(seconds=20.0), LOAD, KINDS)  # 10/s of 20 offered
    assert short.verdict(p99_ms=100) == "throughput 10.0/s < 90% of offered"
    assert short.verdict(p99_ms=100, tolerance=0.5) is None
    empty = summarise(raw_step(requests={}), LOAD, KINDS)
    assert empty.verdict(p99_ms=50) == "no answers"
