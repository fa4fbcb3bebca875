"""The saturation search, on a fake step function (pure logic, no load)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from orchid.loadtest.runner import Ramp, saturate


@dataclass
class FakeStep:
    """A step that holds up to `capacity` requests/s."""

    rate: float
    capacity: float

    def verdict(self, *, p99_ms: float, tolerance: float = 0.9) -> str | None:
        return None if self.rate <= self.capacity else f"p99 > {p99_ms} ms"


class Shop:
    """A fake target: records the rates it was offered."""

    def __init__(self, capacity: float) -> None:
        self.capacity = capacity
        self.offered: list[float] = []

    def step(self, rate: float) -> FakeStep:
        self.offered.append(rate)
        return FakeStep(rate, self.capacity)


def test_ramps_up_then_bisects_towards_the_capacity() -> None:
    shop = Shop(capacity=100)
    found = saturate(shop.step, Ramp(start=20, factor=1.5, refine=2), step_seconds=10)
    assert shop.offered == [20, 30, 45, 67.5, 101.25, 84.4, 92.8]
    assert found.best == 92.8
    assert found.stopped == "bisection done"
    assert [rate for rate, _ in found.steps] == shop.offered


def test_a_failing_first_step_bisects_below_it() -> None:
    shop = Shop(capacity=12)
    found = saturate(shop.step, Ramp(start=20, refine=3), step_seconds=10)
    assert shop.offered == [20, 10, 15, 12.5]
    assert found.best == 10


def test_nothing_holds() -> None:
    found = saturate(Shop(capacity=0).step, Ramp(start=20, refine=2), step_seconds=10)
    assert found.best is None
    assert len(found.steps) == 3


@pytest.mark.parametrize(("ramp", "stopped", "steps"), [
    (Ramp(start=10, max_steps=4, max_seconds=1000), "max steps (4)", 4),
    (Ramp(start=10, max_steps=50, max_seconds=65), "time budget (65 s of load)", 5),
    (Ramp(start=10, factor=2, max_rate=50, max_seconds=1000), "max rate (50/s) held", 4),
])
def test_the_search_is_bounded(ramp: Ramp, stopped: str, steps: int) -> None:
    shop = Shop(capacity=10_000)
    found = saturate(shop.step, ramp, step_seconds=13)
    assert found.stopped == stopped
    assert len(shop.offered) == steps
    assert found.best == max(shop.offered)


def test_bisection_stops_when_the_bracket_is_narrow() -> None:
    shop = Shop(capacity=99)
    found = saturate(shop.step, Ramp(start=95, factor=1.04, refine=5), step_seconds=10)
    assert shop.offered == [95, 98.8, 102.752]
    assert found.best == 98.8
    assert found.stopped == "bracket within 5 %"
