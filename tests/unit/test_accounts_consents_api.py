"""Consents on the embedded app: the signed-in customer's yes or no per purpose, bad input,
the event a real change records, who consents (for senders), and the migration's table."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from orchid.kit.db import Database
from orchid.kit.errors import InvalidInput
from orchid.kit.orm import MainBase
from orchid.kit.outbox import MainOutbox
from orchid.services.accounts.models import Consent, Customer
from tests.support.migrations import schema_differences
from tests.support.problems import assert_problem

BASE = "/api/v1/accounts"
CONSENTS = f"{BASE}/me/consents"
Headers = dict[str, str]


async def sign_up(api: httpx.AsyncClient, email: str) -> tuple[Headers, str]:
    """Register a customer; return their bearer header and public id (cookie jar emptied)."""
    response = await api.post(f"{BASE}/register",
                              json={"email": email, "password": "kajal-and-kohl", "name": "Asha"})
    assert response.status_code == 201, response.text
    api.cookies.clear()
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["customer"]["public_id"]


async def test_a_customer_says_yes_then_no_to_cart_reminders(api: httpx.AsyncClient) -> None:
    me, _ = await sign_up(api, "asha@example.in")
    other, _ = await sign_up(api, "ravi@example.in")
    never = await api.get(CONSENTS, headers=me)
    assert never.status_code == 200, never.text
    assert never.json() == [{"purpose": "cart_reminders", "granted": False, "updated_at": None}]
    yes = await api.put(f"{CONSENTS}/cart_reminders", json={"granted": True}, headers=me)
    assert yes.status_code == 200, yes.text
    assert yes.json()["granted"] is True and yes.json()["updated_at"] is not None
    assert (await api.get(CONSENTS, headers=me)).json() == [yes.json()]
    assert (await api.get(CONSENTS, headers=other)).json()[0]["granted"] is False  # mine only
    no = await api.put(f"{CONSENTS}/cart_reminders", json={"granted": False}, headers=me)
    assert no.json()["granted"] is False and no.json()["updated_at"] >= yes.json()["updated_at"]
    assert (await api.get(CONSENTS, headers=me)).json()[0]["granted"] is False


async def test_consents_need_a_session_and_a_known_purpose(api: httpx.AsyncClient) -> None:
    assert_problem(await api.get(CONSENTS), 401, "not_authenticated")
    assert_problem(await api.put(f"{CONSENTS}/cart_reminders", json={"granted": True}), 401,
                   "not_authenticated")
    me, _ = await sign_up(api, "asha@example.in")
    assert_problem(await api.put(f"{CONSENTS}/newsletters", json={"granted": True},
                                 headers=me), 422, "validation_failed")
    for body in ({"granted": "yes"}, {"granted": 1}, {}, {"granted": True, "channel": "sms"}):
        assert_problem(await api.put(f"{CONSENTS}/cart_reminders", json=body, headers=me),
                       422, "validation_failed")
    assert (await api.get(CONSENTS, headers=me)).json()[0]["granted"] is False


async def test_the_document_describes_both_routes(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    listing, setting = paths[CONSENTS]["get"], paths[f"{CONSENTS}/{{purpose}}"]["put"]
    assert {"200", "401"} <= set(listing["responses"]) and {"200", "401", "422"} <= set(
        setting["responses"])
    schema = next(p for p in setting["parameters"] if p["name"] == "purpose")["schema"]
    assert (schema.get("enum") or [schema["const"]]) == ["cart_reminders"]  # one: a const
    assert setting["security"] and listing["security"]


async def test_a_real_change_records_an_event_without_the_answer(
        app: FastAPI, api: httpx.AsyncClient) -> None:
    me, public_id = await sign_up(api, "asha@example.in")
    for granted in (True, True, False):  # the second says nothing new
        response = await api.put(f"{CONSENTS}/cart_reminders", json={"granted": granted},
                                 headers=me)
        assert response.status_code == 200, response.text
    async with app.state.resources.main_db.write() as session:
        rows = (await session.execute(select(MainOutbox).where(
            MainOutbox.aggregate_id == public_id).order_by(MainOutbox.seq))).scalars().all()
    assert [(r.type, r.payload.get("fields")) for r in rows] == [
        ("customer.registered", None), ("customer.changed", ["consents"]),
        ("customer.changed", ["consents"])]
    assert all("granted" not in str(r.payload) for r in rows)


async def test_senders_learn_who_consented(app: FastAPI, api: httpx.AsyncClient) -> None:
    accounts = app.state.services.accounts
    ids = {}
    for name in ("asha", "ravi", "meera", "kabir"):
        headers, ids[name] = await sign_up(api, f"{name}@example.in")
        if name != "kabir":  # kabir never answers
            await api.put(f"{CONSENTS}/cart_reminders", json={"granted": name != "ravi"},
                          headers=headers)
    async with app.state.resources.main_db.write() as session:
        await session.execute(update(Customer).where(Customer.public_id == ids["meera"])
                              .values(is_active=False))
    found = await accounts.list_consenting(purpose="cart_reminders",
                                           customer_ids=[*ids.values(), "nobody"])
    assert [(c.public_id, c.email) for c in found] == [(ids["asha"], "asha@example.in")]
    assert await accounts.list_consenting(purpose="cart_reminders", customer_ids=[]) == []
    with pytest.raises(InvalidInput):
        await accounts.list_consenting(purpose="newsletters", customer_ids=[ids["asha"]])
    with pytest.raises(InvalidInput):
        await accounts.list_consenting(purpose="cart_reminders", customer_ids=["x"] * 501)


async def test_the_migration_makes_the_table_the_model_describes(db: Database) -> None:
    assert await schema_differences(db, MainBase.metadata, {Consent.__tablename__}) == []
