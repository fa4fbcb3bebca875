"""A pool of registered shoppers with an address, kept in a file and reused run after run.

Every simulated shopper comes from 127.0.0.1, and sign-ups are limited per address
(`AccountsConfig.registrations_per_ip`, 100 an hour): registering one account per simulated
shopper per run would hit the limit after a couple of runs. Shoppers browse as guests instead;
at checkout one leases an account from this pool for the duration of the checkout (a guest who
signs in to pay), so a pool of ~20 serves any number of users. The pool's session tokens are
saved (owner-only file) and checked at the start of the next run; only the missing accounts
are registered. The limiter is never bypassed: when it refuses, the run goes on with the
accounts it has, or stops saying why.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from pathlib import Path

import httpx

from orchid.loadtest.world import Shopper
from orchid.seed.vocabulary import CITIES

ACCOUNTS = "/api/v1/accounts"


class PoolUnavailable(RuntimeError):
    """No shopper account could be kept or registered."""


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def still_valid(client: httpx.Client, shopper: Shopper) -> Shopper | None:
    """Return the shopper with its current default address if its session still works."""
    answer = client.get(f"{ACCOUNTS}/me/addresses", headers=_bearer(shopper.token))
    if answer.status_code == 401:
        answer = client.post(f"{ACCOUNTS}/login", json={"email": shopper.email,
                                                         "password": shopper.password})
        client.cookies.clear()
        if answer.status_code != 200:
            return None
        shopper = Shopper(shopper.email, shopper.password, answer.json()["token"],
                          shopper.address_id)
        answer = client.get(f"{ACCOUNTS}/me/addresses", headers=_bearer(shopper.token))
    if answer.status_code != 200 or not answer.json():
        return None
    return Shopper(shopper.email, shopper.password, shopper.token, answer.json()[0]["public_id"])


def register(client: httpx.Client, number: int) -> Shopper | None:
    """Sign up one shopper with an address; None when sign-ups are being refused (429)."""
    email = f"shopper-{secrets.token_hex(5)}@bench.orchid.test"
    password = secrets.token_urlsafe(18)
    answer = client.post(f"{ACCOUNTS}/register", json={
        "email": email, "password": password, "name": f"Bench Shopper {number}"})
    client.cookies.clear()  # the bearer token is used from here on, not the session cookie
    if answer.status_code == 429:
        return None
    if answer.status_code != 201:
        raise PoolUnavailable(f"registration answered {answer.status_code}: {answer.text[:300]}")
    token = answer.json()["token"]
    city, state, first, last, _ = CITIES[number % len(CITIES)]
    created = client.post(f"{ACCOUNTS}/me/addresses", headers=_bearer(token), json={
        "name": f"Bench Shopper {number}", "phone": f"98{number % 10**8:08d}",
        "line1": f"Flat {number % 90 + 1}, 2nd Cross", "city": city, "state": state,
        "pincode": str(first + number % (last - first + 1)), "is_default": True})
    if created.status_code != 201:
        raise PoolUnavailable(f"adding an address answered {created.status_code}: "
                              f"{created.text[:300]}")
    return Shopper(email, password, token, created.json()["public_id"])


def load_pool(path: Path) -> list[Shopper]:
    """Read the saved pool; an absent or unreadable file is an empty pool."""
    try:
        raw = json.loads(path.read_text())
        return [Shopper(**row) for row in raw["shoppers"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def save_pool(path: Path, base_url: str, shoppers: list[Shopper]) -> None:
    """Write the pool (session tokens and passwords: owner-only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"base_url": base_url,
                                "shoppers": [asdict(s) for s in shoppers]}, indent=1))
    path.chmod(0o600)


def ensure_pool(client: httpx.Client, path: Path, *, size: int) -> tuple[list[Shopper], str]:
    """Return `size` signed-in shoppers with empty carts (fewer if sign-ups are refused), and a
    note on what was reused and registered."""
    kept = [s for s in (still_valid(client, s) for s in load_pool(path)[:size]) if s is not None]
    registered, refused = 0, False
    while len(kept) < size:
        shopper = register(client, len(kept) + 1)
        if shopper is None:
            refused = True
            break
        kept.append(shopper)
        registered += 1
        save_pool(path, str(client.base_url), kept)  # a crash later keeps the new accounts
    save_pool(path, str(client.base_url), kept)
    if not kept:
        raise PoolUnavailable(
            "sign-ups from 127.0.0.1 are rate limited (registrations_per_ip per hour) and no "
            f"saved shopper in {path} still signs in; wait for the window or reuse that file")
    for shopper in kept:  # leftovers of an interrupted run would skew the first checkouts
        client.delete("/api/v1/cart", headers=_bearer(shopper.token))
    note = f"{len(kept) - registered} shoppers reused from {path}, {registered} registered"
    if refused:
        note += f"; sign-ups refused (429) after that, so the pool has {len(kept)} of {size}"
    return kept, note
