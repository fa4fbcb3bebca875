"""Rate → users arithmetic of the bench, and a step's plan file."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from orchid.loadtest.plan import (
    REQUEST_TYPES,
    TASK_WEIGHTS,
    Load,
    StepPlan,
    load_for,
    requests_per_task,
)


def test_the_mix_is_online_boutiques_plus_search() -> None:
    assert TASK_WEIGHTS == {"product": 10, "cart": 3, "add_to_cart": 2, "preferences": 2,
                            "listing": 1, "checkout": 1, "search": 3}
    assert set(REQUEST_TYPES) == set(TASK_WEIGHTS)


def test_a_checkout_task_is_two_requests() -> None:
    assert requests_per_task() == pytest.approx(23 / 22)
    assert requests_per_task({"a": 1, "b": 1}, {}) == 1
    assert requests_per_task({"a": 3, "b": 1}, {"b": 5}) == 2


@pytest.mark.parametrize("rate", [1, 20, 55.5, 300, 4000])
def test_users_times_their_rate_offer_the_rate(rate: float) -> None:
    load = load_for(rate)
    assert load.users * load.task_rate * requests_per_task() == pytest.approx(rate)
    assert load.offered_rps == rate
    assert load.task_rate <= 1.0 or load.users == 1000  # one task/s each, up to the cap


def test_default_users_are_one_per_task_per_second() -> None:
    assert load_for(20).users == math.ceil(20 / (23 / 22)) == 20
    assert load_for(100).users == 96
    assert load_for(0.5).users == 1
    assert load_for(100, user_rate=4).users == 24


def test_given_users_share_the_rate() -> None:
    load = load_for(100, users=10)
    assert load.users == 10
    assert load.task_rate == pytest.approx(100 / (23 / 22) / 10)


def test_the_user_cap_raises_each_users_rate() -> None:
    load = load_for(5000, max_users=100)
    assert load.users == 100
    assert load.task_rate == pytest.approx(5000 / (23 / 22) / 100)


@pytest.mark.parametrize("rate", [0, -5])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError):
        load_for(rate)


def test_at_least_one_user() -> None:
    with pytest.raises(ValueError):
        load_for(10, users=0)


def test_plan_round_trips_through_json(tmp_path: Path) -> None:
    plan = StepPlan(base_url="http://127.0.0.1:8000", load=Load(20, 0.95, 20.0), duration=5,
                    warmup=2, world_file="/tmp/world.json", roots={"app": 4242}, seed=3)
    plan.save(tmp_path / "plan.json")
    assert StepPlan.load_from(tmp_path / "plan.json") == plan


def test_the_cli_does_not_import_locust() -> None:
    # Locust monkey-patches the interpreter for gevent on import; only the generator may.
    code = ("import sys, orchid.loadtest.cli, orchid.loadtest.session; "
            "assert 'locust' not in sys.modules and 'gevent' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
