"""Retention: 7 daily, 4 weekly, 12 monthly, in the shop's days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchid.ops.retention import SHOP_ZONE, Policy, keep

START = datetime(2026, 1, 1, 20, 30, tzinfo=UTC)  # 02:00 IST on 2 January


def nightly(days: int) -> list[tuple[str, datetime]]:
    return [(f"b{i:03d}", START + timedelta(days=i)) for i in range(days)]


def test_a_year_of_nightly_backups_keeps_7_days_4_weeks_12_months() -> None:
    backups = nightly(365)
    kept = keep(backups, Policy())
    daily = [b for b, why in kept.items() if "daily" in why]
    weekly = [b for b, why in kept.items() if "weekly" in why]
    monthly = [b for b, why in kept.items() if "monthly" in why]
    assert daily == [f"b{i:03d}" for i in range(364, 357, -1)]
    assert len(weekly) == 4 and len(monthly) == 12
    assert kept["b364"] == ["daily", "weekly", "monthly", "newest"]
    # Each kept month is represented by its last backup, in Indian days.
    at = dict(backups)
    for backup_id in monthly[1:]:  # the first is the newest, mid-month
        tomorrow = (at[backup_id] + timedelta(days=1)).astimezone(SHOP_ZONE)
        assert tomorrow.day == 1, backup_id
    assert len(kept) < 7 + 4 + 12  # overlaps are kept once


def test_days_are_indian_days() -> None:
    # 20:00 and 21:00 UTC on 1 March are 01:30 and 02:30 IST on 2 March: one shop day.
    late = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    backups = [("first", late), ("second", late + timedelta(hours=1))]
    assert set(keep(backups, Policy(daily=7, weekly=0, monthly=0))) == {"second"}
    # 18:00 UTC is 23:30 IST on 1 March: another day.
    backups.append(("evening", datetime(2026, 3, 1, 18, 0, tzinfo=UTC)))
    assert set(keep(backups, Policy(daily=7, weekly=0, monthly=0))) == {"second", "evening"}


def test_periods_without_backups_do_not_count() -> None:
    # Backups only every 10th day: 7 daily periods reach back 60 days.
    backups = [(f"b{i}", START + timedelta(days=10 * i)) for i in range(20)]
    kept = keep(backups, Policy(daily=7, weekly=0, monthly=0))
    assert set(kept) == {f"b{i}" for i in range(13, 20)}


def test_the_newest_backup_is_kept_even_by_an_empty_policy() -> None:
    backups = nightly(3)
    assert keep(backups, Policy(0, 0, 0)) == {"b002": ["newest"]}
    assert keep([], Policy()) == {}
