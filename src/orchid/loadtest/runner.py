"""The two ways to run the mix: one fixed offered rate, or a bounded ramp to saturation.

Each step runs in a fresh generator process (`python -m orchid.loadtest.generator`), so this
module never imports locust. The saturation search is pure: it takes the step function, which
the tests replace with a fake.

    step = Stepper(target, world_file, folder, warmup=3)
    result = step(rate=50, duration=20)                     # fixed rate
    found = saturate(lambda r: step(rate=r, duration=10), Ramp(start=20), step_seconds=13)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from orchid.loadtest.plan import StepPlan, load_for
from orchid.loadtest.stats import StepResult, summarise
from orchid.loadtest.target import Target, restarts

GENERATOR_GRACE = 60.0  # seconds a generator may take beyond its load to start and stop
MAX_SPAWN_RATE = 100  # users started per second (Locust warns above this)


class StepFailed(RuntimeError):
    """The generator process did not produce a result."""


class Judged(Protocol):
    """A step outcome the search can judge."""

    def verdict(self, *, p99_ms: float, tolerance: float = ...) -> str | None: ...


S = TypeVar("S", bound=Judged)


@dataclass
class Stepper:
    """Runs one step at a time against a target, in a folder of plans, results and logs."""

    target: Target
    world_file: Path
    folder: Path
    warmup: float = 3.0
    users: int | None = None
    user_rate: float = 1.0
    seed: int = 1
    count: int = 0

    def __call__(self, *, rate: float, duration: float) -> StepResult:
        """Offer `rate` requests/s for `duration` s after the warm-up; return the figures."""
        self.count += 1
        current = self.target.refreshed()
        changed = restarts(self.target, current)
        self.target = current
        load = load_for(rate, users=self.users, user_rate=self.user_rate)
        plan = StepPlan(base_url=current.base_url, load=load, duration=duration,
                        warmup=self.warmup, world_file=str(self.world_file),
                        roots=current.roots, seed=self.seed + self.count,
                        spawn_seconds=max(1.0, load.users / MAX_SPAWN_RATE))
        name = f"step-{self.count:02d}"
        plan_file, result_file = self.folder / f"{name}.plan.json", self.folder / f"{name}.json"
        plan.save(plan_file)
        log_file = self.folder / f"{name}.log"
        limit = duration + self.warmup + plan.spawn_seconds + 1 / load.task_rate
        try:
            with log_file.open("wb") as log:
                done = subprocess.run(
                    [sys.executable, "-m", "orchid.loadtest.generator", str(plan_file),
                     str(result_file)], stdout=log, stderr=subprocess.STDOUT,
                    timeout=limit + GENERATOR_GRACE)
        except subprocess.TimeoutExpired as error:  # run() has killed the generator
            raise StepFailed(f"the generator ran over {limit + GENERATOR_GRACE:.0f} s; see "
                             f"{log_file}") from error
        if done.returncode != 0 or not result_file.exists():
            raise StepFailed(f"the generator exited with {done.returncode}; see {log_file}")
        result = summarise(json.loads(result_file.read_text()), load, current.kinds)
        result.restarts = changed
        return result


@dataclass(frozen=True)
class Ramp:
    """Bounds of a saturation search: start × factor each step, then bisection."""

    start: float = 20.0
    factor: float = 1.5
    max_rate: float = 5000.0
    max_steps: int = 8
    max_seconds: float = 120.0  # of load (warm-up included), over all steps
    refine: int = 2  # bisection steps after the first failing rate
    p99_ms: float = 50.0
    tolerance: float = 0.9  # achieved throughput ≥ tolerance × offered


@dataclass
class Saturation(Generic[S]):
    """Every step tried, and the highest offered rate that held."""

    steps: list[tuple[float, S]]  # (rate, result) in the order tried
    best: float | None
    stopped: str  # why the search ended


def saturate(step: Callable[[float], S], ramp: Ramp, *,
             step_seconds: float) -> Saturation[S]:
    """Find the highest rate whose step passes (p99, errors, throughput), within the bounds."""
    tried: list[tuple[float, S]] = []
    good: float | None = None
    bad: float | None = None
    refined = 0
    rate = ramp.start
    while True:
        if len(tried) >= ramp.max_steps:
            return Saturation(tried, good, f"max steps ({ramp.max_steps})")
        if (len(tried) + 1) * step_seconds > ramp.max_seconds:
            return Saturation(tried, good, f"time budget ({ramp.max_seconds:g} s of load)")
        result = step(rate)
        tried.append((rate, result))
        if result.verdict(p99_ms=ramp.p99_ms, tolerance=ramp.tolerance) is None:
            good = rate if good is None else max(good, rate)
        else:
            bad = rate if bad is None else min(bad, rate)
        if bad is None:
            if rate >= ramp.max_rate:
                return Saturation(tried, good, f"max rate ({ramp.max_rate:g}/s) held")
            rate = min(ramp.max_rate, rate * ramp.factor)
            continue
        if refined >= ramp.refine:
            return Saturation(tried, good, "bisection done")
        low = good or 0.0
        if bad - low <= 0.05 * bad:
            return Saturation(tried, good, "bracket within 5 %")
        refined += 1
        rate = round((low + bad) / 2, 1)
