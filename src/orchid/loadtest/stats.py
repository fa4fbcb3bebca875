"""Figures of one step from the generator's raw record: throughput, percentiles, CPU per request.

Percentiles are nearest-rank over every recorded latency (no histogram rounding). CPU per
request is the CPU time a process tree spent in the window divided by the requests answered in
the window, in microseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from orchid.loadtest.plan import REQUEST_TYPES, Load

KIND_ORDER = ("app", "edge", "mariadb", "redis", "elasticsearch", "prometheus", "supervisor")


@dataclass(frozen=True)
class Latency:
    """Latency percentiles, mean and max of a set of answers, in milliseconds."""

    p50: float
    p95: float
    p99: float
    mean: float
    max: float


def percentile(ordered: list[float], share: float) -> float:
    """Return the nearest-rank `share` quantile of sorted values."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def latency(values: list[float]) -> Latency | None:
    """Summarise latencies (ms); None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return Latency(percentile(ordered, 0.50), percentile(ordered, 0.95),
                   percentile(ordered, 0.99), sum(ordered) / len(ordered), ordered[-1])


@dataclass
class TypeFigures:
    """One request type in one step."""

    requests: int
    rps: float
    errors: int
    latency: Latency | None
    statuses: dict[str, int]
    outcomes: dict[str, int]
    error_samples: list[str]


@dataclass
class CpuFigures:
    """CPU seconds and microseconds per request, per component, per kind and for the rest."""

    seconds: dict[str, float | None]  # component name → seconds (None: it was not running)
    us_per_request: dict[str, float | None]
    kinds: dict[str, str]  # component name → kind
    by_kind_us: dict[str, float]
    target_us: float  # every measured component
    generator_us: float
    machine_busy_cores: float  # the whole machine, averaged over the window
    other_busy_cores: float  # busy CPU neither the target nor the generator used


@dataclass
class StepResult:
    """Everything measured in one step at one offered rate."""

    offered_rps: float
    users: int
    task_rate: float
    seconds: float
    requests: int
    throughput: float
    errors: int  # failed requests + exceptions inside tasks
    overall: Latency | None
    types: dict[str, TypeFigures]
    cpu: CpuFigures
    task_errors: list[str] = field(default_factory=list)
    missing_types: list[str] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)

    def verdict(self, *, p99_ms: float, tolerance: float = 0.9) -> str | None:
        """Why this step does not sustain its rate, or None when it does."""
        if self.errors:
            return f"{self.errors} errors"
        if self.overall is None:
            return "no answers"
        if self.overall.p99 > p99_ms:
            return f"p99 {self.overall.p99:.1f} ms > {p99_ms:g} ms"
        if self.throughput < tolerance * self.offered_rps:
            return f"throughput {self.throughput:.1f}/s < {tolerance:.0%} of offered"
        return None


def _per_request(seconds: float | None, requests: int) -> float | None:
    return None if seconds is None else seconds * 1e6 / max(requests, 1)


def cpu_figures(raw: dict[str, Any], kinds: dict[str, str], requests: int,
                seconds: float) -> CpuFigures:
    """CPU figures of a step from the generator's samples."""
    spent: dict[str, float | None] = raw["cpu"]
    by_kind: dict[str, float] = {}
    for name, value in spent.items():
        if value is not None:
            kind = kinds.get(name, "other")
            by_kind[kind] = by_kind.get(kind, 0.0) + value
    ordered = sorted(by_kind, key=lambda k: (KIND_ORDER + (k,)).index(k))
    target = sum(by_kind.values())
    generator = float(raw["generator_cpu"])
    busy = float(raw["machine"]["busy"])
    return CpuFigures(
        seconds=spent, us_per_request={n: _per_request(v, requests) for n, v in spent.items()},
        kinds=kinds, by_kind_us={k: by_kind[k] * 1e6 / max(requests, 1) for k in ordered},
        target_us=target * 1e6 / max(requests, 1), generator_us=generator * 1e6 / max(requests, 1),
        machine_busy_cores=busy / seconds, other_busy_cores=max(0.0, busy - target - generator)
        / seconds)


def summarise(raw: dict[str, Any], load: Load, kinds: dict[str, str]) -> StepResult:
    """Turn the generator's raw record into a step's figures."""
    seconds = float(raw["seconds"])
    types: dict[str, TypeFigures] = {}
    every: list[float] = []
    known = [name for name in REQUEST_TYPES if name in raw["requests"]]
    for name in known + sorted(set(raw["requests"]) - set(known)):
        record = raw["requests"][name]
        values = record["latencies_ms"]
        every += values
        types[name] = TypeFigures(
            requests=len(values), rps=len(values) / seconds, errors=record["errors"],
            latency=latency(values), statuses=dict(record["statuses"]),
            outcomes=dict(record["outcomes"]), error_samples=list(record["error_samples"]))
    requests = len(every)
    task_errors = list(raw["task_errors"])
    return StepResult(
        offered_rps=load.offered_rps, users=int(raw["users"]), task_rate=load.task_rate,
        seconds=seconds, requests=requests, throughput=requests / seconds,
        errors=sum(t.errors for t in types.values()) + len(task_errors), overall=latency(every),
        types=types, cpu=cpu_figures(raw, kinds, requests, seconds), task_errors=task_errors,
        missing_types=[t for t in REQUEST_TYPES if t not in types])
