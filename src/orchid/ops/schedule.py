"""The nightly backup: when it next runs, and a loop that runs it then.

    orchid ops schedule --at 02:00 --zone Asia/Kolkata

runs under `orchid up`'s supervisor; on VMs the same job is a systemd timer or a cron line
(deploy/vm/), in Kubernetes a CronJob. The loop waits on an event, so SIGTERM ends it at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_at(text: str) -> time:
    """'02:00' → 02:00."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except ValueError as exc:
        raise ValueError(f"--at takes HH:MM, got {text!r}") from exc


def next_run(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first moment after `now` whose wall clock in `zone` reads `at`, in UTC."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate.astimezone(UTC)


def run_forever(job: Callable[[], None], *, at: time, zone: ZoneInfo, stop: threading.Event,
                clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                announce: Callable[[datetime], None] = lambda _: None) -> None:
    """Run `job` at every `at` in `zone` until `stop` is set; a failed job waits for the next
    night (the failure is the job's to report)."""
    while not stop.is_set():
        due = next_run(clock(), at, zone)
        announce(due)
        while not stop.is_set() and clock() < due:
            stop.wait(min((due - clock()).total_seconds(), 60.0))
        if stop.is_set():
            return
        job()
