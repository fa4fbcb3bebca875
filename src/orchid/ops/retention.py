"""Which backups to keep: the newest of each of the last N days, weeks and months.

Days, weeks and months are the shop's (Asia/Kolkata): a backup at 02:00 IST belongs to that
Indian day, not to the UTC day before. As in restic's `forget`, a period counts only when it has
a backup, so a week without backups does not use up one of the weeks kept; one backup may be
kept for several reasons (the newest of a day, its week and its month). The newest is always kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

SHOP_ZONE = ZoneInfo("Asia/Kolkata")


@dataclass(frozen=True)
class Policy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12


def _day(at: datetime) -> Hashable:
    return at.date()


def _week(at: datetime) -> Hashable:
    year, week, _ = at.isocalendar()
    return (year, week)


def _month(at: datetime) -> Hashable:
    return (at.year, at.month)


def keep(backups: Sequence[tuple[str, datetime]], policy: Policy,
         zone: ZoneInfo = SHOP_ZONE) -> dict[str, list[str]]:
    """backup id → why it is kept (e.g. ["daily", "monthly"]); ids not in the answer go."""
    newest_first = sorted(backups, key=lambda b: b[1], reverse=True)
    reasons: dict[str, list[str]] = {}
    periods: list[tuple[str, int, Callable[[datetime], Hashable]]] = [
        ("daily", policy.daily, _day), ("weekly", policy.weekly, _week),
        ("monthly", policy.monthly, _month)]
    for name, count, period in periods:
        seen: set[Hashable] = set()
        for backup_id, at in newest_first:
            if len(seen) >= count:
                break
            bucket = period(at.astimezone(zone))
            if bucket not in seen:
                seen.add(bucket)
                reasons.setdefault(backup_id, []).append(name)
    if newest_first:
        reasons.setdefault(newest_first[0][0], []).append("newest")
    return reasons
