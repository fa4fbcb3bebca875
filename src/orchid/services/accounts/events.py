"""The accounts service's events (docs/events.md): a customer registered or changed, an
address added, changed, made the default or deleted. They name the customer by public id and
the fields that changed, never their values: the bus and the outbox keep events for days, so
personal data stays in accounts, which subscribers ask."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.outbox import MainOutbox, record
from orchid.services.accounts.models import Address, Customer

AGGREGATE = "customer"


def registered(session: AsyncSession, customer: Customer, *, via: str) -> None:
    record(session, MainOutbox, "customer.registered", AGGREGATE, customer.public_id,
           {"customer_id": customer.public_id, "via": via, "role": customer.role})


def changed(session: AsyncSession, customer: Customer, *, fields: list[str]) -> None:
    record(session, MainOutbox, "customer.changed", AGGREGATE, customer.public_id,
           {"customer_id": customer.public_id, "fields": sorted(fields)})


def address_changed(session: AsyncSession, customer: Customer, address: Address, *,
                    action: str) -> None:
    record(session, MainOutbox, "customer.address_changed", AGGREGATE, customer.public_id,
           {"customer_id": customer.public_id, "address_id": address.public_id,
            "action": action, "pincode": address.pincode, "is_default": address.is_default})
