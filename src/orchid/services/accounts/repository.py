"""Accounts queries; every function takes the session first and only talks SQL."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.services.accounts.models import Address, Consent, Customer

RowT = TypeVar("RowT", Customer, Address, Consent)


async def get_customer(s: AsyncSession, *, public_id: str) -> Customer | None:
    """Return the customer with this public id."""
    return await s.scalar(select(Customer).where(Customer.public_id == public_id))


async def get_customer_by_email(s: AsyncSession, *, email: str) -> Customer | None:
    """Return the customer with this (lower-cased) email."""
    return await s.scalar(select(Customer).where(Customer.email == email))


async def get_customer_by_phone(s: AsyncSession, *, phone: str) -> Customer | None:
    """Return the customer with this E.164 phone."""
    return await s.scalar(select(Customer).where(Customer.phone == phone))


async def lock_customer(s: AsyncSession, *, public_id: str) -> Customer | None:
    """Return the customer row locked for update: address writes of one customer queue here."""
    # Locking the parent row serialises the count-then-insert of the address limit and the
    # default switch, without locking any other customer's rows.
    query = select(Customer).where(Customer.public_id == public_id).with_for_update()
    return await s.scalar(query)


async def add(s: AsyncSession, row: RowT) -> RowT:
    """Insert `row` now, so constraint violations surface here and its id is known."""
    s.add(row)
    await s.flush()
    return row


async def list_addresses(s: AsyncSession, *, customer_public_id: str) -> list[Address]:
    """Return a customer's addresses, the default first, then the newest."""
    query = (select(Address).join(Customer, Customer.id == Address.customer_id)
             .where(Customer.public_id == customer_public_id)
             .order_by(Address.is_default.desc(), Address.created_at.desc(), Address.id.desc()))
    return list((await s.scalars(query)).all())


async def get_address(s: AsyncSession, *, customer_public_id: str,
                      address_public_id: str) -> Address | None:
    """Return the address only if it belongs to this customer."""
    query = (select(Address).join(Customer, Customer.id == Address.customer_id)
             .where(Customer.public_id == customer_public_id,
                    Address.public_id == address_public_id))
    return await s.scalar(query)


async def get_own_address(s: AsyncSession, *, customer_id: int,
                          address_public_id: str) -> Address | None:
    """Return the address by public id if it belongs to the customer with this internal id."""
    query = select(Address).where(Address.customer_id == customer_id,
                                  Address.public_id == address_public_id)
    return await s.scalar(query)


async def count_addresses(s: AsyncSession, *, customer_id: int) -> int:
    """Return how many addresses the customer has."""
    query = select(func.count()).select_from(Address).where(Address.customer_id == customer_id)
    return int(await s.scalar(query) or 0)


async def newest_address(s: AsyncSession, *, customer_id: int) -> Address | None:
    """Return the customer's most recently created address."""
    query = (select(Address).where(Address.customer_id == customer_id)
             .order_by(Address.created_at.desc(), Address.id.desc()).limit(1))
    return await s.scalar(query)


async def set_default_address(s: AsyncSession, *, customer_id: int, address_id: int) -> None:
    """Make `address_id` the customer's only default, in one statement."""
    await s.execute(update(Address).where(Address.customer_id == customer_id)
                    .values(is_default=case((Address.id == address_id, True), else_=False)))


async def delete(s: AsyncSession, row: Customer | Address) -> None:
    """Delete `row` now."""
    await s.delete(row)
    await s.flush()


async def set_password_hash(s: AsyncSession, *, customer_id: int, password_hash: str) -> None:
    """Replace a customer's password hash."""
    await s.execute(update(Customer).where(Customer.id == customer_id)
                    .values(password_hash=password_hash))


async def list_consents(s: AsyncSession, *, customer_public_id: str) -> list[Consent]:
    """Return the consents a customer has given or refused."""
    query = (select(Consent).join(Customer, Customer.id == Consent.customer_id)
             .where(Customer.public_id == customer_public_id).order_by(Consent.purpose))
    return list((await s.scalars(query)).all())


async def get_consent(s: AsyncSession, *, customer_id: int, purpose: str) -> Consent | None:
    """Return the customer's consent row for `purpose`."""
    query = select(Consent).where(Consent.customer_id == customer_id, Consent.purpose == purpose)
    return await s.scalar(query)


async def consenting_customers(s: AsyncSession, *, purpose: str,
                               public_ids: list[str]) -> list[Customer]:
    """Return the active customers among `public_ids` who granted `purpose`."""
    query = (select(Customer).join(Consent, Consent.customer_id == Customer.id)
             .where(Customer.public_id.in_(public_ids), Customer.is_active.is_(True),
                    Consent.purpose == purpose, Consent.granted.is_(True))
             .order_by(Customer.id))
    return list((await s.scalars(query)).all())
