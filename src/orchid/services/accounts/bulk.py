"""Bulk loading of customers for seeding: multi-row inserts, batch by batch.

Seeded customers get no usable password (a hash of a random secret nobody keeps): they sign in
by phone OTP, whose code the dev SMS sender writes to the log.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from argon2 import PasswordHasher
from sqlalchemy import func, insert, select

from orchid.kit.db import Database
from orchid.kit.orm import utcnow
from orchid.services.accounts.models import Address, Customer, new_public_id


class CustomerLike(Protocol):
    @property
    def email(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def pincode(self) -> str: ...


async def insert_customers(db: Database, customers: Iterable[CustomerLike], *,
                           batch_size: int = 2000,
                           on_batch: Callable[[int], None] | None = None) -> int:
    """Insert customers, each with one default address; return how many were inserted."""
    unusable_hash = PasswordHasher().hash(secrets.token_urlsafe(32))
    async with db.write() as session:
        next_id = int((await session.execute(select(func.coalesce(func.max(Customer.id), 0)))
                       ).scalar_one()) + 1
    inserted = 0
    batch: list[CustomerLike] = []

    async def flush() -> None:
        nonlocal next_id, inserted
        now = utcnow()
        people: list[dict[str, Any]] = []
        addresses: list[dict[str, Any]] = []
        for row in batch:
            people.append({"id": next_id, "public_id": new_public_id(), "email": row.email,
                           "phone": row.phone, "password_hash": unusable_hash, "name": row.name,
                           "role": "customer", "is_active": True, "created_at": now})
            addresses.append({"public_id": new_public_id(), "customer_id": next_id,
                              "name": row.name, "phone": row.phone,
                              "line1": f"Flat {next_id % 400 + 1}, {row.city} Residency",
                              "line2": None, "landmark": None, "city": row.city,
                              "state": row.state, "pincode": row.pincode, "is_default": True,
                              "created_at": now, "updated_at": now})
            next_id += 1
        async with db.write() as session:
            await session.execute(insert(Customer), people)
            await session.execute(insert(Address), addresses)
        inserted += len(people)
        if on_batch:
            on_batch(len(people))
        batch.clear()

    for customer in customers:
        batch.append(customer)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return inserted
