"""What a run offers: the shopping mix, the users that offer a rate, and one step's plan.

The mix is Online Boutique's locustfile (browse 10, view cart 3, add to cart 2, set currency 2,
home 1, checkout 1) plus search 3. As in Online Boutique, a checkout first adds an item to the
cart, so one checkout task is two requests; every other task is one.

Locust is closed-loop per user: a user sends its next request only after the previous answered.
Each user starts a task every 1/r s (Locust's `constant_throughput(r)`, but at a random phase of
its own: users started together would otherwise fire together) while answers come back in under
1/r s, so many users at a low rate each approximate an open-loop (fixed arrival rate) load.

    load_for(100)                 # 96 users at ~1 task/s each (100 / (23/22) tasks/s)
    load_for(100, users=10)       # 10 users at ~9.6 tasks/s each
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

TASK_WEIGHTS: dict[str, int] = {"product": 10, "cart": 3, "add_to_cart": 2, "preferences": 2,
                                "listing": 1, "checkout": 1, "search": 3}
REQUESTS_PER_TASK: dict[str, int] = {"checkout": 2}  # add_to_cart (signed in), then checkout
REQUEST_TYPES = ("product", "cart", "add_to_cart", "preferences", "listing", "search",
                 "checkout")
# After a 409 at checkout the shopper empties the account's cart ("clear_cart"): rare, so it is
# left out of the rate arithmetic.
DEFAULT_USER_RATE = 1.0  # tasks per second per user: a second of slack for every answer
MAX_USERS = 1000


def requests_per_task(weights: dict[str, int] | None = None,
                      per_task: dict[str, int] | None = None) -> float:
    """Return the mean number of requests one task of the mix sends."""
    weights = TASK_WEIGHTS if weights is None else weights
    per_task = REQUESTS_PER_TASK if per_task is None else per_task
    total = sum(weights.values())
    return sum(w * per_task.get(name, 1) for name, w in weights.items()) / total


@dataclass(frozen=True)
class Load:
    """Users and the task rate of each, offering `offered_rps` requests per second in all."""

    users: int
    task_rate: float
    offered_rps: float


def load_for(rate: float, *, users: int | None = None, user_rate: float = DEFAULT_USER_RATE,
             max_users: int = MAX_USERS) -> Load:
    """Return the users × per-user task rate that offer `rate` requests per second.

    Without `users`, as many users as keep each at `user_rate` tasks/s (at most `max_users`).
    """
    if rate <= 0:
        raise ValueError("the rate must be positive")
    tasks = rate / requests_per_task()
    if users is None:
        users = min(max_users, max(1, math.ceil(tasks / user_rate)))
    if users < 1:
        raise ValueError("at least one user")
    return Load(users=users, task_rate=tasks / users, offered_rps=rate)


@dataclass
class StepPlan:
    """Everything the generator process needs for one step (written as JSON for it)."""

    base_url: str
    load: Load
    duration: float
    warmup: float
    world_file: str
    roots: dict[str, int] = field(default_factory=dict)  # component name → pid to measure
    seed: int = 1
    spawn_seconds: float = 1.0
    timeout: float = 10.0  # per request

    def save(self, path: Path) -> None:
        """Write the plan as JSON."""
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load_from(cls, path: Path) -> StepPlan:
        """Read a plan written by `save`."""
        raw: dict[str, Any] = json.loads(path.read_text())
        raw["load"] = Load(**raw["load"])
        return cls(**raw)
