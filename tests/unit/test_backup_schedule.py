"""The nightly backup's clock: 02:00 in Asia/Kolkata, whatever the machine's zone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from orchid.ops.schedule import next_run, parse_at, run_forever

IST = ZoneInfo("Asia/Kolkata")


def test_next_run_is_the_coming_two_oclock_indian_time() -> None:
    two = time(2, 0)
    # 10:00 UTC is 15:30 IST: next is 02:00 IST tomorrow = 20:30 UTC today.
    assert next_run(datetime(2026, 12, 2, 10, 0, tzinfo=UTC), two, IST) == \
        datetime(2026, 12, 2, 20, 30, tzinfo=UTC)
    # 20:29 UTC is 01:59 IST: one minute to go.
    assert next_run(datetime(2026, 12, 2, 20, 29, tzinfo=UTC), two, IST) == \
        datetime(2026, 12, 2, 20, 30, tzinfo=UTC)
    # Exactly at 02:00 IST: that run is now, the next is a day later.
    assert next_run(datetime(2026, 12, 2, 20, 30, tzinfo=UTC), two, IST) == \
        datetime(2026, 12, 3, 20, 30, tzinfo=UTC)


def test_at_must_be_hours_and_minutes() -> None:
    assert parse_at("02:00") == time(2, 0)
    with pytest.raises(ValueError, match="HH:MM"):
        parse_at("2am")


class SteppingClock:
    """A clock that moves forward each time it is read, and a stop after `runs` jobs."""

    def __init__(self, start: datetime, step_seconds: float) -> None:
        self.now, self.step = start, step_seconds

    def __call__(self) -> datetime:
        from datetime import timedelta

        self.now += timedelta(seconds=self.step)
        return self.now


class Instant(threading.Event):
    """A stop event whose waits return at once, noting how long they would have been."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return super().wait(0)


def test_the_loop_runs_the_job_once_a_night_until_stopped() -> None:
    clock = SteppingClock(datetime(2026, 12, 2, 10, 0, tzinfo=UTC), step_seconds=600)
    stop = Instant()
    ran: list[datetime] = []

    def job() -> None:
        ran.append(clock.now)
        if len(ran) == 3:
            stop.set()

    run_forever(job, at=time(2, 0), zone=IST, stop=stop, clock=clock)
    assert len(ran) == 3
    days = [r.astimezone(IST).date() for r in ran]
    assert len(set(days)) == 3  # one run per Indian night
    # Run at the first reading past 02:00 IST: within one step of it.
    assert all(time(2, 0) <= r.astimezone(IST).time() <= time(2, 20) for r in ran)
    assert all(w is not None and w <= 60 for w in stop.waits)  # SIGTERM is heard within 60 s
