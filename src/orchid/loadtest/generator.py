"""The load generator process: one step of the mix with Locust, recorded request by request.

    python -m orchid.loadtest.generator plan.json result.json

Run as its own process (`runner.run_step` starts it): importing locust monkey-patches the
interpreter for gevent. It spawns the users, lets them warm up (connections, caches), then
records every answer's latency (ms, unrounded), status and outcome for `duration` seconds and
samples the CPU of the target's processes, of itself and of the machine at both ends of that
window. The raw record goes to result.json; `stats` turns it into figures.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from locust.env import Environment

from orchid.loadtest import cpu
from orchid.loadtest.mix import user_class
from orchid.loadtest.plan import StepPlan
from orchid.loadtest.world import World

SAMPLES = 5  # error messages kept per request type


@dataclass
class Record:
    """What was answered to one request type inside the window."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)  # not Counter: asdict breaks it
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)


class Recorder:
    """Listens to Locust's request and user-error events while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.records: dict[str, Record] = {}
        self.task_errors: list[str] = []

    def request(self, *, name: str, response_time: float, response: Any = None,
                context: dict[str, Any] | None = None, exception: Any = None,
                **_: Any) -> None:
        """Record one answer (or connection failure)."""
        if not self.on:
            return
        record = self.records.setdefault(name, Record())
        record.latencies_ms.append(round(response_time, 3))
        status = str(getattr(response, "status_code", 0) or 0)
        record.statuses[status] = record.statuses.get(status, 0) + 1
        if exception is not None:
            record.errors += 1
            if len(record.error_samples) < SAMPLES:
                record.error_samples.append(str(exception)[:300])
        outcome = (context or {}).get("outcome")
        if outcome:
            record.outcomes[str(outcome)] = record.outcomes.get(str(outcome), 0) + 1

    def user_error(self, *, exception: BaseException, **_: Any) -> None:
        """Record an exception raised inside a task (a bug of the mix, or a lease timeout)."""
        if self.on:
            self.task_errors.append(f"{type(exception).__name__}: {exception}"[:300])


def run(plan: StepPlan) -> dict[str, Any]:
    """Run the step; return the raw record."""
    random.seed(plan.seed)  # Locust picks each task with the global random
    world = World.load_from(Path(plan.world_file))
    shopper = user_class(world, task_rate=plan.load.task_rate, seed=plan.seed)
    env = Environment(user_classes=[shopper], host=plan.base_url)
    recorder = Recorder()
    # Locust's EventHook is untyped.
    env.events.request.add_listener(recorder.request)  # type: ignore[no-untyped-call]
    env.events.user_error.add_listener(recorder.user_error)  # type: ignore[no-untyped-call]
    runner = env.create_local_runner()
    users = plan.load.users
    runner.start(users, spawn_rate=users / plan.spawn_seconds)
    # Every user has started (spawn, then a random phase within its period) before the window.
    time.sleep(max(plan.warmup, plan.spawn_seconds + 1 / plan.load.task_rate))  # gevent's sleep
    own = os.getpid()
    before, own_before, machine_before = cpu.sample(plan.roots), cpu.tree_seconds(own), \
        cpu.machine_times()
    started, recorder.on = time.perf_counter(), True
    time.sleep(plan.duration)
    recorder.on, seconds = False, time.perf_counter() - started
    after, own_after, machine_after = cpu.sample(plan.roots), cpu.tree_seconds(own), \
        cpu.machine_times()
    spawned = runner.user_count
    runner.quit()
    machine = machine_after - machine_before
    return {"seconds": seconds, "users": spawned,
            "requests": {name: asdict(r) for name, r in recorder.records.items()},
            "task_errors": recorder.task_errors,
            "cpu": cpu.delta(before, after),
            "generator_cpu": (own_after or 0.0) - (own_before or 0.0),
            "machine": {"busy": machine.busy, "total": machine.total}}


def main() -> None:
    """Entry point: plan file in, result file out."""
    plan_file, result_file = sys.argv[1:3]
    result = run(StepPlan.load_from(Path(plan_file)))
    Path(result_file).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
