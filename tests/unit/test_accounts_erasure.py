"""An admin erases a customer: the profile, password, addresses and consents go in one
transaction with a `customer.erased` event carrying the id only; the customer's sessions end
and they cannot sign in again; nobody else may erase, nor an admin themselves."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from orchid.kit.db import Database
from orchid.kit.outbox import MainOutbox
from orchid.services.accounts.models import Address, Consent, Customer
from tests.support.problems import assert_problem
from tests.unit.test_accounts_api import BASE, HOME, PASSWORD, sign_in_as, sign_up


async def test_an_admin_erases_a_customer(app: FastAPI, api: httpx.AsyncClient,
                                          db: Database) -> None:
    customer = await sign_up(api, "meera@example.in")
    me = (await api.get(f"{BASE}/me", headers=customer)).json()["public_id"]
    assert (await api.post(f"{BASE}/me/addresses", json=HOME, headers=customer)
            ).status_code == 201
    assert (await api.put(f"{BASE}/me/consents/cart_reminders", json={"granted": True},
                          headers=customer)).status_code == 200
    admin = await sign_in_as(app, api, "admin")

    erased = await api.post(f"{BASE}/admin/customers/{me}/erase", headers=admin)

    assert erased.status_code == 200, erased.text
    assert {k: erased.json()[k] for k in ("email", "phone", "name", "is_active")} == {
        "email": None, "phone": None, "name": "", "is_active": False}
    assert (await api.get(f"{BASE}/me", headers=customer)).status_code == 401  # session over
    login = await api.post(f"{BASE}/login", json={"email": "meera@example.in",
                                                  "password": PASSWORD})
    assert login.status_code == 401
    async with db.write() as session:
        row = await session.scalar(select(Customer).where(Customer.public_id == me))
        assert row is not None and row.password_hash is None
        assert (await session.scalars(select(Address).where(Address.customer_id == row.id))
                ).all() == []
        assert (await session.scalars(select(Consent).where(Consent.customer_id == row.id))
                ).all() == []
        [event] = (await session.scalars(select(MainOutbox).where(
            MainOutbox.type == "customer.erased"))).all()
    assert (event.aggregate_id, event.payload) == (me, {"customer_id": me})


async def test_only_another_admin_may_erase(app: FastAPI, api: httpx.AsyncClient,
                                            staff_headers: dict[str, str]) -> None:
    customer = await sign_up(api, "asha@example.in")
    me = (await api.get(f"{BASE}/me", headers=customer)).json()["public_id"]
    url = f"{BASE}/admin/customers/{me}/erase"
    assert_problem(await api.post(url, headers=customer), 403, "admin_only")
    assert_problem(await api.post(url, headers=staff_headers), 403, "admin_only")
    admin = await sign_in_as(app, api, "admin")
    own = (await api.get(f"{BASE}/me", headers=admin)).json()["public_id"]
    assert_problem(await api.post(f"{BASE}/admin/customers/{own}/erase", headers=admin), 403,
                   "own_erasure")
    assert_problem(await api.post(f"{BASE}/admin/customers/nobody/erase", headers=admin), 404,
                   "customer_not_found")
    assert (await api.get(f"{BASE}/me", headers=customer)).json()["email"] == "asha@example.in"
