"""The sweeper: the clean-up that makes a crashed or abandoned checkout consistent again.

    report = await sweep_once(orders)                    # `orchid sweep`
    await run_sweeper(orders, settings)                  # for the life of a process with orders

Order matters: inventory first lets lapsed holds go; payments re-sends settlements orders did
not take; then orders cancels what stayed unpaid past its expiry and finishes what a crash left
half done (allocations, stock returns).
Every step is idempotent and may run in several processes at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from orchid.kit.clock import Sleep
from orchid.kit.orm import utcnow

if TYPE_CHECKING:
    from orchid.config import Settings
    from orchid.services.orders.service import OrdersService

log = structlog.get_logger("orchid.sweeper")


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    reservations_expired: list[str] = field(default_factory=list)
    settlements_retried: int = 0
    orders_cancelled: list[str] = field(default_factory=list)
    allocations_finished: list[str] = field(default_factory=list)
    returns_finished: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the sweep changed anything."""
        return bool(self.reservations_expired or self.settlements_retried or self.orders_cancelled
                    or self.allocations_finished or self.returns_finished)


async def sweep_once(orders: OrdersService, *, now: datetime | None = None) -> SweepReport:
    """Run every clean-up step once; `now` lets tests (and catch-up runs) sweep as of a time."""
    moment = now or utcnow()
    expired = await orders.peers.inventory.expire_reservations(now=moment)
    settled = await orders.peers.payments.retry_settlements()
    cancelled = await orders.cancel_expired(now=moment)
    allocated = await orders.finish_allocations()
    returned = await orders.finish_returns()
    report = SweepReport(reservations_expired=expired, settlements_retried=settled,
                         orders_cancelled=cancelled,
                         allocations_finished=allocated, returns_finished=returned)
    if report.changed:
        log.info("sweep_done", reservations_expired=len(expired), settlements_retried=settled,
                 orders_cancelled=len(cancelled), allocations_finished=len(allocated),
                 returns_finished=len(returned))
    return report


async def run_sweeper(orders: OrdersService, settings: Settings, *,
                      sleep: Sleep = asyncio.sleep) -> None:
    """Sweep every `sweep_interval_seconds` (0: never) until cancelled, logging failures."""
    interval = settings.sweep_interval_seconds
    if interval <= 0:
        return
    while True:
        await sleep(interval)
        try:
            await sweep_once(orders)
        except Exception:  # a dependency down now is likely up by the next round
            log.exception("sweep_failed")
