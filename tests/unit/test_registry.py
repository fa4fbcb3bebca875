"""The registry: peers declared once per service, and what is derived from them.

Derived: which peers a process wires, which caller may call which method with which arguments,
which peer URLs a split process needs. Probed: the internal routes an outside caller tried.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, get_type_hints

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from orchid.app import create_app
from orchid.kit.callers import Credential, key_digest
from orchid.kit.placement import (
    LocalPeer,
    RemoteService,
    Unplaced,
    declared_methods,
    interface_of,
)
from orchid.services.registry import (
    SERVICE_NAMES,
    PlacementError,
    declared_peers,
    grants,
    remote_peers,
    specs,
)
from tests.conftest import Apart, embedded_settings
from tests.support.problems import assert_problem
from tests.support.stack import caller_headers, caller_keys, split_overrides

# What an outside probe called on the default `make run` (each answered before this change).
PROBES: list[tuple[str, dict[str, Any]]] = [
    ("accounts/get", {"customer_id": "x"}),
    ("accounts/list_addresses", {"customer_id": "x"}),
    ("accounts/update_profile", {"customer_id": "x", "data": {"name": "Mallory"}}),
    ("catalog/change_price", {"sku": "KAJAL-1", "data": {"price_paise": 100}}),
    ("payments/refund", {"order_number": "OR-1", "amount_paise": 100, "reason": "x"}),
    ("inventory/adjust", {"warehouse_code": "BLR-1", "sku": "KAJAL-1", "on_hand": 999,
                          "actor": "x", "note": "x"}),
    ("orders/transition", {"number": "OR-1", "to": "packed", "actor": "x"}),
    ("search/reindex", {}),
    ("accounts/login", {"email": "a@b.in", "password": "x", "client_ip": "1.2.3.4"}),
    ("accounts/send_otp", {"phone": "9812345678", "client_ip": "1.2.3.4"}),
]


def signature(fn: Any) -> tuple[list[tuple[str, Any, Any]], Any]:
    hints = get_type_hints(fn)
    params = [(p.name, hints.get(p.name), p.default)
              for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    return params, hints.get("return")


@pytest.mark.parametrize("caller", SERVICE_NAMES)
def test_every_declared_peer_method_is_exposed_with_the_same_signature(caller: str) -> None:
    for peer, protocol in declared_peers(caller).items():
        interface = specs()[peer].interface
        assert interface is not None, f"{caller} declares {peer}, which serves no interface"
        served = interface_of(interface)
        for method, declared in declared_methods(protocol).items():
            assert method in served, f"{caller} calls {peer}.{method}, which is not @exposed"
            assert signature(declared) == signature(served[method]), f"{caller}→{peer}.{method}"


def test_grants_follow_the_declarations() -> None:
    assert grants("payments")["orders"]["refund"] == {"order_number", "amount_paise", "reason"}
    assert "refund" not in grants("payments").get("storefront", {})
    assert "storefront" not in grants("payments")  # the pages never call payments
    # Only the storefront passes a shopper's address to sign-in; no other caller may.
    assert [c for c, g in grants("accounts").items() if "login" in g] == ["storefront"]
    assert grants("accounts")["storefront"]["login"] == {"email", "password", "client_ip",
                                                         "device"}
    assert set(grants("accounts")) == {"catalog", "cart", "inventory", "payments", "orders",
                                       "storefront"}  # every service with signed-in routes


def test_a_split_process_needs_urls_only_for_the_peers_it_calls() -> None:
    assert remote_peers(["inventory"]) == ["accounts"]
    assert remote_peers(["search"]) == ["catalog", "inventory"]
    assert remote_peers(["orders", "payments"]) == ["catalog", "accounts", "cart", "inventory"]
    assert remote_peers(list(SERVICE_NAMES)) == []


async def test_one_process_mounts_no_internal_route(api: httpx.AsyncClient) -> None:
    for path, body in PROBES:
        response = await api.post(f"/internal/v1/{path}", json=body)
        assert response.status_code == 404, path


async def test_every_peer_of_one_process_is_local(app: FastAPI) -> None:
    assembly = app.state.assembly
    assert set(assembly.peers) == set(SERVICE_NAMES)
    for name, peers in assembly.peers.items():
        assert set(vars(peers)) == set(declared_peers(name))
        assert all(isinstance(peer, LocalPeer) for peer in vars(peers).values())


async def test_a_split_process_refuses_every_probe_without_a_key(apart: Apart) -> None:
    internal = await apart(["catalog", "accounts", "payments", "inventory", "orders", "search"])
    for path, body in PROBES:
        service, method = path.split("/")
        # A method no service declares is not even routed; every other one needs a key.
        called = any(method in granted for granted in grants(service).values())
        for headers in ({}, {"x-orchid-caller": "orders", "x-orchid-caller-key": "guessed"}):
            response = await internal.post(f"/internal/v1/{path}", json=body, headers=headers)
            if called:
                assert_problem(response, 403, "caller_refused")
            else:
                assert_problem(response, 404)


async def test_a_caller_may_not_go_beyond_its_grants(apart: Apart) -> None:
    internal = await apart(["payments", "accounts"])
    refund = {"order_number": "OR-1", "amount_paise": 100, "reason": "x"}
    refused = await internal.post("/internal/v1/payments/refund", json=refund,
                                  headers=caller_headers("storefront"))
    assert_problem(refused, 403, "caller_refused")
    assert "not granted" in refused.json()["detail"]
    # The cart may authenticate shoppers, but not sign anyone in with a chosen address.
    login = {"email": "a@b.in", "password": "long enough", "client_ip": "1.2.3.4"}
    as_cart = await internal.post("/internal/v1/accounts/login", json=login,
                                  headers=caller_headers("cart"))
    assert_problem(as_cart, 403, "caller_refused")
    ok = await internal.post("/internal/v1/accounts/authenticate", json={"token": "nope"},
                             headers=caller_headers("cart"))
    assert ok.status_code == 200 and ok.json() == {"result": None}


async def test_a_split_process_wires_remote_peers_with_its_own_key(data_dir: Path) -> None:
    overrides = split_overrides(own=["cart"])
    app = create_app(embedded_settings(data_dir, services=["cart"],
                                       peer_urls={"catalog": "http://catalog.internal"},
                                       **overrides))
    peers = app.state.assembly.peers["cart"]
    assert isinstance(peers.catalog, RemoteService) and isinstance(peers.inventory, Unplaced)
    assert peers.catalog._credential == Credential("cart", caller_keys()["cart"])
    assert app.state.authenticator is peers.accounts
    await app.state.resources.close()


def test_a_split_process_without_its_key_refuses_to_start(data_dir: Path) -> None:
    with pytest.raises(PlacementError, match="cart calls catalog in another process"):
        create_app(embedded_settings(data_dir, services=["cart"],
                                     peer_urls={"catalog": "http://catalog.internal"},
                                     internal_callers={"orders": key_digest("k")}))


def test_a_split_process_that_knows_no_caller_refuses_to_start(data_dir: Path) -> None:
    with pytest.raises(PlacementError, match="catalog serve other processes but know no caller"):
        create_app(embedded_settings(data_dir, services=["catalog"],
                                     internal_keys={"catalog": SecretStr("a-real-key-1")}))


def test_unknown_services_are_named(data_dir: Path) -> None:
    with pytest.raises(PlacementError, match="unknown services \\['wishlist'\\]"):
        create_app(embedded_settings(data_dir, services=["catalog", "wishlist"]))
