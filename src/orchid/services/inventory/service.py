"""The inventory's rules and transactions, and the typed interface other services call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import structlog
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError

from orchid.kit.cache import Cache
from orchid.kit.db import Database
from orchid.kit.errors import InvalidInput
from orchid.kit.orm import utcnow
from orchid.kit.placement import exposed
from orchid.platform import Resources
from orchid.services.inventory import repository, reservations
from orchid.services.inventory.errors import (
    OutOfStock,
    ReservationAllocated,
    ReservationNotFound,
    ReservationReleased,
)
from orchid.services.inventory.locking import lock_stock_rows, retry_lock_conflicts
from orchid.services.inventory.models import Reservation, ReservationStatus
from orchid.services.inventory.peers import Peers
from orchid.services.inventory.schemas import (
    MAX_SKUS,
    Availability,
    ReservationRead,
    ReserveLine,
    ReserveRequest,
    parse,
)
from orchid.services.inventory.staff import StaffOperations, available_key

log = structlog.get_logger("orchid.inventory")
MAX_EXPIRE_BATCH = 5000
# What a transition does to a reservation in its current status: move it, leave it, or refuse.
Decide = Callable[[Reservation], bool]
UNITS = TypeAdapter(int)
# Every stock change drops its SKUs' entries as it commits (`writing`); the TTL bounds what a
# change made outside this service (a restore, a seed into a running shop) leaves stale.
AVAILABLE_TTL = 60.0


class InventoryService(StaffOperations):
    """Stock per warehouse and SKU, reservations for checkouts, and the stock audit trail."""

    def __init__(self, *, db: Database, cache: Cache) -> None:
        self.db, self.cache = db, cache

    @exposed(idempotent=True)
    async def availability(self, *, skus: list[str]) -> list[Availability]:
        """Return units available per SKU (each SKU once, in the order asked); unknown → 0."""
        if len(skus) > MAX_SKUS:
            raise InvalidInput(f"at most {MAX_SKUS} SKUs per call", code="too_many_skus")
        unique = list(dict.fromkeys(skus))
        if not unique:
            return []
        keys = {available_key(sku): sku for sku in unique}

        async def load(missing: list[str]) -> dict[str, int]:
            wanted = [keys[key] for key in missing]
            found = await self.db.read(lambda s: repository.available(s, skus=wanted))
            return {available_key(sku): found.get(sku, 0) for sku in wanted}

        units = await self.cache.get_or_load_many(list(keys), load, adapter=UNITS,
                                                  ttl=AVAILABLE_TTL)
        return [Availability(sku=sku, available=max(0, units[key]), in_stock=units[key] > 0)
                for key, sku in keys.items()]

    @exposed(idempotent=True)
    async def reserve(self, *, key: str, lines: list[ReserveLine],
                      ttl_seconds: int = 900) -> ReservationRead:
        """Hold stock for `lines` under `key`, all or nothing; the same key returns the same."""
        request = parse(ReserveRequest, key=key, lines=lines, ttl_seconds=ttl_seconds)
        try:
            return await retry_lock_conflicts(partial(self._reserve, request))
        except (IntegrityError, OutOfStock):
            # A concurrent reserve with this key may have won after our first look; on MariaDB
            # our snapshot could not see it, so look again in a fresh transaction.
            existing = await self._find(request.key)
            if existing is None:
                raise
            return reservations.same_or_mismatch(existing, request)

    async def _reserve(self, request: ReserveRequest) -> ReservationRead:
        async with self.writing() as s:
            existing = await repository.get_reservation(s, key=request.key)
            if existing is not None:
                return reservations.same_or_mismatch(await reservations.read(s, existing),
                                                     request)
            rows = await lock_stock_rows(s, request.wanted)
            warehouses = await repository.warehouses_by_id(s)
            pieces, short = reservations.plan(request.wanted, rows, warehouses)
            if short:
                raise OutOfStock(f"not enough stock for {', '.join(short)}", skus=short)
            return await reservations.write(s, request, pieces, utcnow())

    async def _find(self, key: str) -> ReservationRead | None:
        # On the primary: a replica may not have the reservation that just beat us yet.
        async with self.db.write() as s:
            existing = await repository.get_reservation(s, key=key)
            return await reservations.read(s, existing) if existing is not None else None

    @exposed(idempotent=True)
    async def allocate(self, *, key: str) -> ReservationRead:
        """Ship a reservation's units: they leave on_hand and reserved; repeating is harmless."""

        def decide(r: Reservation) -> bool:
            if r.status in ("released", "expired"):
                raise ReservationReleased(f"reservation {key!r} is {r.status}", key=key,
                                          reservation_status=r.status)
            return r.status == "active"

        result, _ = await self._transition(key, decide, "allocated")
        if result is None:
            raise ReservationNotFound(key=key)
        return result

    @exposed(idempotent=True)
    async def release(self, *, key: str, reason: str) -> ReservationRead | None:
        """Give a reservation's units back; repeating is harmless; unknown key → None."""

        def decide(r: Reservation) -> bool:
            if r.status == "allocated":
                raise ReservationAllocated(f"reservation {key!r} is allocated", key=key)
            return r.status == "active"

        result, changed = await self._transition(key, decide, "released")
        if changed:
            log.info("reservation_released", key=key, reason=reason[:200])
        return result

    @exposed(idempotent=True)
    async def expire_reservations(self, *, now: datetime | None = None,
                                  limit: int = 500) -> list[str]:
        """Expire active reservations past their expiry, oldest first; return their keys."""
        if now is not None and now.utcoffset() != timedelta(0):
            raise InvalidInput("now must be an aware UTC datetime", code="naive_datetime")
        if not 1 <= limit <= MAX_EXPIRE_BATCH:
            raise InvalidInput(f"limit must be 1..{MAX_EXPIRE_BATCH}", code="invalid_limit")
        moment = now or utcnow()
        # The candidates may come from a replica: each is re-checked under its row lock.
        keys = await self.db.read(lambda s: repository.expired_keys(s, now=moment, limit=limit))
        expired: list[str] = []
        for key in keys:
            _, changed = await self._transition(
                key, partial(_past_expiry, moment), "expired")
            if changed:
                expired.append(key)
        if expired:
            log.info("reservations_expired", count=len(expired))
        return expired

    async def _transition(self, key: str, decide: Decide,
                          status: ReservationStatus) -> tuple[ReservationRead | None, bool]:
        """Lock the reservation, ask `decide`, let it go to `status` if told; one transaction."""

        async def attempt() -> tuple[ReservationRead | None, bool]:
            async with self.writing() as s:
                reservation = await repository.get_reservation(s, key=key, lock=True)
                if reservation is None:
                    return None, False
                changed = decide(reservation)
                if changed:
                    await reservations.let_go(s, reservation, status=status, now=utcnow())
                return await reservations.read(s, reservation), changed

        return await retry_lock_conflicts(attempt)


def _past_expiry(now: datetime, reservation: Reservation) -> bool:
    return reservation.status == "active" and reservation.expires_at < now


def build(resources: Resources, peers: Peers) -> InventoryService:
    """Build the inventory service on the warehouse database."""
    del peers  # only inventory's routes call a peer (accounts, to authenticate)
    return InventoryService(db=resources.warehouse_db, cache=resources.cache("inventory"))
