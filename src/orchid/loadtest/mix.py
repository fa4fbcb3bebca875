"""The shopping mix as Locust users: each one a shopper browsing Orchid's API as a guest.

Imported only by the generator process: importing locust monkey-patches the interpreter for
gevent. The weights live in `plan.TASK_WEIGHTS`; requests are named by type so the stats are per
type. Any answer a shopper should not get (a 5xx, a 4xx other than the business ones, a
connection error) is a failure; a checkout refused for stock (409 `out_of_stock`,
`items_unavailable`, `reservation_lapsed`) or above the cash cap is a business outcome.

    user_class(world, task_rate=1.0, seed=7)   # a FastHttpUser subclass ready to spawn
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser
from locust.contrib.fasthttp import ResponseContextManager

from orchid.loadtest.plan import TASK_WEIGHTS
from orchid.loadtest.world import BROWSER, Shopper, World

CART, CART_ITEMS = "/api/v1/cart", "/api/v1/cart/items"
COD_SAFE_PAISE = 450_000  # under the ₹5,000 COD cap with room for shipping; above it, a card
BUSINESS_CONFLICTS = frozenset({"out_of_stock", "items_unavailable", "reservation_lapsed"})
LEASE_WAIT_SECONDS = 10.0
_numbers = itertools.count()


def _card() -> dict[str, str]:
    year = (date.today().year + 4) % 100
    return {"type": "card", "card_number": "4111 1111 1111 1111", "expiry": f"12/{year:02d}",
            "cvv": "123"}


def _code(response: ResponseContextManager) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


Outcome = Callable[[ResponseContextManager], str | None]


def checkout_outcome(response: ResponseContextManager) -> str | None:
    """Name a refused checkout that is the shop working as intended, else None (an error)."""
    code = _code(response)
    if response.status_code == 409 and code in BUSINESS_CONFLICTS:
        return code
    if response.status_code == 422 and code == "cod_limit_exceeded":
        return code
    return None


class ShopUser(FastHttpUser):
    """A guest shopper; `user_class` makes the configured subclass that is spawned."""

    abstract = True
    world: World
    accounts: deque[Shopper]
    seed = 1
    period = 1.0  # seconds between the starts of a user's tasks
    default_headers = BROWSER
    network_timeout = 10.0
    connection_timeout = 5.0

    def on_start(self) -> None:
        """Give each shopper its own random stream and a random phase in its period."""
        self.rng = random.Random(f"{self.seed}-{next(_numbers)}")
        # Locust starts a second's worth of users at the same instant; without a random phase
        # they would all fire together every period (bursts, not a rate).
        time.sleep(self.rng.uniform(0, self.period))
        self.next_start = time.perf_counter()

    def wait_time(self) -> float:
        """Locust's constant_throughput, but kept to this user's phase: the next task starts a
        period after the last one started, or at once (no catch-up burst) when it ran late."""
        now = time.perf_counter()
        self.next_start = max(self.next_start + self.period, now)
        return self.next_start - now

    def fetch(self, method: str, path: str, name: str, *, ok: tuple[int, ...] = (200,),
              business: Outcome | None = None, outcome: str | None = None,
              **kwargs: Any) -> ResponseContextManager:
        """Send one request named `name`; anything but `ok` or a business outcome fails it."""
        context: dict[str, Any] = {"outcome": outcome}
        answer = self.client.request(method, path, name=name, catch_response=True,
                                     context=context, **kwargs)
        with answer as response:
            if response.status_code in ok:
                response.success()
            elif business is not None and (named := business(response)) is not None:
                context["outcome"] = named
                response.success()
            else:
                response.failure(f"{method} {name} answered {response.status_code}: "
                                 f"{(response.text or '')[:200]}")
        return answer

    def lease(self) -> Shopper:
        """Take a registered shopper from the pool (waiting while all are checking out)."""
        deadline = time.monotonic() + LEASE_WAIT_SECONDS
        while not self.accounts:
            if time.monotonic() > deadline:
                raise RuntimeError("no shopper account came free in 10 s")
            time.sleep(0.01)  # gevent has patched sleep: other shoppers run meanwhile
        return self.accounts.popleft()

    def forget_guest_cart(self) -> None:
        """Drop the guest cart cookie: after checkout the shopper starts a new guest cart."""
        for cookie in list(self.client.cookiejar):
            if cookie.name == "orchid_cart":
                self.client.cookiejar.clear(cookie.domain, cookie.path, cookie.name)


def product(user: ShopUser) -> None:
    """Open a product page."""
    user.fetch("GET", f"/api/v1/catalog/products/{user.rng.choice(user.world.products).slug}",
               "product")


def cart(user: ShopUser) -> None:
    """Look at the cart."""
    user.fetch("GET", CART, "cart")


def add_to_cart(user: ShopUser) -> None:
    """Put one unit of an in-stock SKU in the guest cart."""
    user.fetch("POST", CART_ITEMS, "add_to_cart", ok=(200, 201),
               json={"sku": user.rng.choice(user.world.cart_skus), "quantity": 1})


def preferences(user: ShopUser) -> None:
    """Pick a display currency (mostly rupees) and a delivery pincode."""
    world = user.world
    currency = "INR" if user.rng.random() < 0.6 else user.rng.choice(world.currencies)
    user.fetch("PUT", "/api/v1/accounts/preferences", "preferences",
               json={"currency": currency, "pincode": user.rng.choice(world.pincodes)})


def listing(user: ShopUser) -> None:
    """The home page's listing, or a category's."""
    params: dict[str, str | int] = {"limit": 24}
    if user.rng.random() < 0.7:
        params["category"] = user.rng.choice(user.world.categories)
    user.fetch("GET", f"/api/v1/catalog/products?{urlencode(params)}", "listing")


def search(user: ShopUser) -> None:
    """Search the catalog for words from the seed vocabulary."""
    query = urlencode({"q": user.rng.choice(user.world.queries)})
    user.fetch("GET", f"/api/v1/search?{query}", "search")


def checkout(user: ShopUser) -> None:
    """Sign in with a pooled account, add an item (merging the guest cart), pay on delivery."""
    shopper = user.lease()
    try:
        auth = {"Authorization": f"Bearer {shopper.token}"}
        added = user.fetch("POST", CART_ITEMS, "add_to_cart", ok=(200, 201), headers=auth,
                           json={"sku": user.rng.choice(user.world.cart_skus), "quantity": 1})
        if added.status_code not in (200, 201):
            return
        cod = added.json()["subtotal_paise"] <= COD_SAFE_PAISE
        answer = user.fetch(
            "POST", "/api/v1/checkout", "checkout", ok=(201,), business=checkout_outcome,
            outcome=None if cod else "card", headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            json={"address_id": shopper.address_id, "payment": {"type": "cod"} if cod else _card()})
        if answer.status_code != 201:  # the items stay in the account's cart: empty it
            user.fetch("DELETE", CART, "clear_cart", headers=auth)
    finally:
        user.accounts.append(shopper)
        user.forget_guest_cart()


TASKS: dict[str, Callable[[ShopUser], None]] = {
    "product": product, "cart": cart, "add_to_cart": add_to_cart, "preferences": preferences,
    "listing": listing, "checkout": checkout, "search": search}


def user_class(world: World, *, task_rate: float, seed: int) -> type[ShopUser]:
    """Return a spawnable shopper class: `task_rate` tasks per second each, the mix's weights."""
    return type("Shopper", (ShopUser,), {
        "abstract": False, "world": world, "accounts": deque(world.shoppers), "seed": seed,
        "period": 1 / task_rate,
        "tasks": {TASKS[name]: weight for name, weight in TASK_WEIGHTS.items()}})
