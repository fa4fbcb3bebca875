"""Erasing a customer's personal data from accounts, in one transaction with its
`customer.erased` event: the profile's email, phone, name and password go, as do their
addresses and consents; the account stays (orders and payments refer to its public id) but can
never sign in again. Other services hold copies (an order's address snapshot, a payment's
card digits): the event is what their erasure will react to (the privacy requests)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.outbox import MainOutbox, record
from orchid.services.accounts.events import AGGREGATE
from orchid.services.accounts.models import Address, Consent, Customer


async def erase(s: AsyncSession, customer: Customer) -> None:
    """Clear `customer`'s personal data and write `customer.erased` (its id only)."""
    customer.email = customer.phone = customer.password_hash = None
    customer.name = ""
    customer.is_active = False
    await s.execute(delete(Address).where(Address.customer_id == customer.id))
    await s.execute(delete(Consent).where(Consent.customer_id == customer.id))
    record(s, MainOutbox, "customer.erased", AGGREGATE, customer.public_id,
           {"customer_id": customer.public_id})
