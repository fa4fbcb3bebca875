"""Where an incremental search sync starts reading the catalog's change feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchid.services.search.schemas import Watermark
from orchid.services.search.sync import OVERLAP, resume_from

LOADED = datetime(2026, 11, 30, 3, 0, 0, tzinfo=UTC)  # the last product a bulk load stamped


def test_nothing_applied_yet_reads_from_the_beginning() -> None:
    start = Watermark(datetime(1970, 1, 1, tzinfo=UTC), 0)
    assert resume_from(start, None) == start


def test_after_a_restart_the_overlap_is_measured_from_the_watermark() -> None:
    assert resume_from(Watermark(LOADED, 9_999), None) == Watermark(LOADED - OVERLAP, 0)


def test_a_recent_previous_read_re_reads_what_may_have_committed_late() -> None:
    read = LOADED + timedelta(seconds=2)  # within OVERLAP of the watermark
    assert resume_from(Watermark(LOADED, 9_999), read) == Watermark(read - OVERLAP, 0)


def test_an_old_watermark_is_not_re_read_on_every_sync() -> None:
    # A bulk load's last seconds are re-indexed once, not every few seconds for ever.
    mark = Watermark(LOADED, 9_999)
    assert resume_from(mark, LOADED + OVERLAP + timedelta(seconds=1)) == mark
