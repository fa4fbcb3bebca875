"""Password sign-in limits on the accounts service: guessing is slowed, the customer not locked
out (OWASP device cookies), on a migrated SQLite database and the in-memory store."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher

from orchid.kit.db import Database
from orchid.kit.errors import RateLimited
from orchid.kit.kv import MemoryStore
from orchid.kit.ratelimit import RateLimiter
from orchid.services.accounts import errors
from orchid.services.accounts.passwords import (
    Passwords,
    device_nonce,
    new_device_token,
)
from orchid.services.accounts.schemas import Registration, SessionRead
from orchid.services.accounts.service import AccountsConfig, AccountsService
from orchid.services.accounts.sms import DevSmsSender
from orchid.services.accounts.throttle import SignInLimits

SECRET = "unit-test-secret-key-0123456789"
EMAIL, PASSWORD = "asha@example.in", "kajal-and-kohl"
HOME, ATTACKER = "203.0.113.7", "198.51.100.66"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_accounts(db: Database, store: MemoryStore, **limits: Any) -> AccountsService:
    """The service as `build` makes it, with cheap hashes and the given sign-in limits."""
    return AccountsService(db=db, store=store, limiter=RateLimiter(store), sms=DevSmsSender(),
                           config=AccountsConfig(secret_key=SECRET,
                                                 sign_in=SignInLimits(**limits)),
                           passwords=Passwords(FAST))


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


async def signed_up(accounts: AccountsService, email: str = EMAIL) -> SessionRead:
    return await accounts.register(
        data=Registration(email=email, password=PASSWORD, name="Asha"), client_ip=HOME)


async def fail(accounts: AccountsService, *, client_ip: str, device: str | None = None,
               email: str = EMAIL) -> None:
    """Try a wrong password and check it is answered as one (not refused as too many)."""
    with pytest.raises(errors.InvalidCredentials):
        await accounts.login(email=email, password="wrong-guess-1", client_ip=client_ip,
                             device=device)


async def refused(accounts: AccountsService, *, client_ip: str, device: str | None = None,
                  password: str = PASSWORD) -> RateLimited:
    """Try to sign in and check it is refused as too many attempts; return the refusal."""
    with pytest.raises(RateLimited) as caught:
        await accounts.login(email=EMAIL, password=password, client_ip=client_ip, device=device)
    return caught.value


def flood_address(n: int) -> str:
    return f"10.66.{n // 250}.{n % 250 + 1}"


# -- the outside probe -----------------------------------------------------------------------------

async def test_failures_from_one_address_do_not_refuse_the_customer_at_another(
        db: Database, store: MemoryStore) -> None:
    accounts = make_accounts(db, store)
    await signed_up(accounts)
    for _ in range(10):
        await fail(accounts, client_ip=ATTACKER)
    assert (await refused(accounts, client_ip=ATTACKER)).status == 429  # the attacker is slowed
    # No device token, a new address: still the customer's own bucket, not the attacker's.
    session = await accounts.login(email=EMAIL, password=PASSWORD, client_ip=HOME)
    assert session.customer.email == EMAIL and session.device_token


async def test_an_attacker_who_keeps_trying_drains_nothing_of_the_customers(
        db: Database, store: MemoryStore) -> None:
    # The probe's "one try every 90 s" kept the one shared bucket empty. Now the attacker's
    # address runs dry, and every try after that, whenever it comes, is refused without
    # spending from the account's bucket for new devices.
    accounts = make_accounts(db, store, untrusted_failures_per_account=15)
    await signed_up(accounts)
    for _ in range(10):
        await fail(accounts, client_ip=ATTACKER)
    for _ in range(200):
        await refused(accounts, client_ip=ATTACKER, password="wrong-guess-2")
    assert await accounts.login(email=EMAIL, password=PASSWORD, client_ip=HOME)
    for n in range(5):  # 10 spent by the attacker, 5 left for the account's new devices
        await fail(accounts, client_ip=flood_address(n))
    await refused(accounts, client_ip=flood_address(5))


async def test_a_flood_from_many_addresses_refuses_new_devices_but_not_a_known_one(
        db: Database, store: MemoryStore) -> None:
    accounts = make_accounts(db, store, untrusted_failures_per_account=20)
    device = (await signed_up(accounts)).device_token  # the customer's phone, from sign-up
    for n in range(20):
        await fail(accounts, client_ip=flood_address(n))
    # Every untrusted client is refused now, even with the right password...
    refusal = await refused(accounts, client_ip="192.0.2.10")
    assert refusal.detail == ("Too many sign-in attempts for this account from new devices; "
                              "try again later.")
    assert 1 <= refusal.retry_after <= 3600
    # ...but the customer's device gets in, from any address (say, the mobile network's).
    session = await accounts.login(email=EMAIL, password=PASSWORD, client_ip="192.0.2.99",
                                   device=device)
    assert session.customer.email == EMAIL
    # The new token it got works the same way.
    assert await accounts.login(email=EMAIL, password=PASSWORD, client_ip=flood_address(3),
                                device=session.device_token)


async def test_a_device_token_only_vouches_for_its_own_account(
        db: Database, store: MemoryStore) -> None:
    accounts = make_accounts(db, store, untrusted_failures_per_account=3)
    await signed_up(accounts)
    own = (await signed_up(accounts, "mallory@example.in")).device_token
    for n in range(3):
        await fail(accounts, client_ip=flood_address(n))
    forged = new_device_token(key="another-secret-key-0123456789", email=EMAIL)
    for token in (own, forged, "x.y", "junk" * 50, ""):
        await refused(accounts, client_ip=ATTACKER, device=token)  # treated as a new device


async def test_a_known_device_is_slowed_by_its_own_bucket(db: Database,
                                                          store: MemoryStore) -> None:
    accounts = make_accounts(db, store, failures_per_device=3)
    device = (await signed_up(accounts)).device_token
    for _ in range(3):
        await fail(accounts, client_ip=ATTACKER, device=device)  # a copied cookie, say
    refusal = await refused(accounts, client_ip=HOME, device=device)
    assert refusal.detail.startswith("Too many sign-in attempts from this device")
    # The customer elsewhere is unaffected: the device bucket is that device's alone.
    assert await accounts.login(email=EMAIL, password=PASSWORD, client_ip=HOME)


# -- only failures count ---------------------------------------------------------------------------

async def test_successful_sign_ins_spend_nothing(db: Database, store: MemoryStore) -> None:
    accounts = make_accounts(db, store, failures_per_account_and_address=2,
                             failures_per_address=3, untrusted_failures_per_account=3,
                             failures_per_device=2)
    device = (await signed_up(accounts)).device_token
    for _ in range(12):  # a whole office behind one address, say, or one shopper many times
        assert await accounts.login(email=EMAIL, password=PASSWORD, client_ip=HOME)
        assert await accounts.login(email=EMAIL, password=PASSWORD, client_ip=HOME,
                                    device=device)
    for _ in range(2):
        await fail(accounts, client_ip=HOME)
    await refused(accounts, client_ip=HOME)  # failures still count, exactly two of them
    for _ in range(2):
        await fail(accounts, client_ip=HOME, device=device)
    await refused(accounts, client_ip=HOME, device=device)


async def test_a_refused_try_spends_nothing_from_the_other_buckets(
        db: Database, store: MemoryStore) -> None:
    accounts = make_accounts(db, store, untrusted_failures_per_account=1,
                             failures_per_address=3, failures_per_account_and_address=3)
    await signed_up(accounts)
    await signed_up(accounts, "ravi@example.in")  # the same household, the same address
    await fail(accounts, client_ip=ATTACKER)  # Asha's account is out of untrusted tries
    for _ in range(5):
        await refused(accounts, client_ip=HOME)  # Asha retrying from home without her device
    # Had those refusals spent from the address's bucket, Ravi would be refused too.
    assert await accounts.login(email="ravi@example.in", password=PASSWORD, client_ip=HOME)


async def test_failures_per_address_cover_many_accounts(db: Database,
                                                        store: MemoryStore) -> None:
    accounts = make_accounts(db, store, failures_per_address=3)
    for n in range(3):  # one address spraying guesses across accounts
        await fail(accounts, client_ip=ATTACKER, email=f"user{n}@example.in")
    with pytest.raises(RateLimited) as caught:
        await accounts.login(email="user9@example.in", password="wrong-guess-1",
                             client_ip=ATTACKER)
    assert caught.value.detail.startswith("Too many sign-in attempts from your network")


# -- device tokens ------------------------------------------------------------------

def test_device_tokens_bind_the_email_and_a_fresh_nonce() -> None:
    token = new_device_token(key=SECRET, email=EMAIL)
    nonce = device_nonce(key=SECRET, email=EMAIL, token=token)
    assert nonce is not None and token.startswith(f"{nonce}.") and EMAIL not in token
    assert new_device_token(key=SECRET, email=EMAIL) != token  # a new nonce each time
    assert device_nonce(key=SECRET, email="mallory@example.in", token=token) is None
    assert device_nonce(key="another-secret-key-0123456789", email=EMAIL, token=token) is None
    nonce_part, _, mac = token.partition(".")
    for tampered in (f"{nonce_part}x.{mac}", f"{nonce_part}.{mac[:-1]}", nonce_part, None, ""):
        assert device_nonce(key=SECRET, email=EMAIL, token=tampered) is None
