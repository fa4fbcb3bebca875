"""Password sign-in limits on a real Redis, shared by two app processes: a guesser is slowed
everywhere, the customer is not locked out anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from argon2 import PasswordHasher

from orchid.kit.db import Database
from orchid.kit.errors import RateLimited
from orchid.kit.kv import RedisStore
from orchid.kit.ratelimit import RateLimiter
from orchid.services.accounts import errors
from orchid.services.accounts.passwords import Passwords
from orchid.services.accounts.schemas import Registration
from orchid.services.accounts.service import AccountsConfig, AccountsService
from orchid.services.accounts.sms import DevSmsSender
from orchid.services.accounts.throttle import SignInLimits
from tests.support.servers import Redis

SECRET = "integration-secret-key-0123456789"
EMAIL, PASSWORD = "asha.redis@example.in", "kajal-and-kohl"
HOME, ATTACKER = "203.0.113.7", "198.51.100.66"


@pytest.fixture
async def processes(redis_server: Redis,
                    db: Database) -> AsyncIterator[tuple[AccountsService, AccountsService]]:
    """Two accounts services, as two app processes would run them, on one Redis."""
    stores = [RedisStore.from_url(redis_server.url(), timeout=2.0) for _ in range(2)]
    config = AccountsConfig(secret_key=SECRET,
                            sign_in=SignInLimits(untrusted_failures_per_account=15))
    cheap = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    first, second = (AccountsService(db=db, store=store, limiter=RateLimiter(store),
                                     sms=DevSmsSender(), config=config, passwords=cheap)
                     for store in stores)
    yield first, second
    for store in stores:
        await store.close()


async def test_the_probe_and_a_flood_on_redis(
        processes: tuple[AccountsService, AccountsService]) -> None:
    first, second = processes
    device = (await first.register(data=Registration(email=EMAIL, password=PASSWORD,
                                                     name="Asha"), client_ip=HOME)).device_token
    # Ten wrong passwords from one address, spread over both processes, then refusals there.
    for n in range(10):
        with pytest.raises(errors.InvalidCredentials):
            await (first, second)[n % 2].login(email=EMAIL, password="wrong-guess-1",
                                               client_ip=ATTACKER)
    for service in (first, second):
        with pytest.raises(RateLimited):
            await service.login(email=EMAIL, password=PASSWORD, client_ip=ATTACKER)
    # The customer, at another address and with no device cookie, signs in through either.
    assert await second.login(email=EMAIL, password=PASSWORD, client_ip=HOME)
    assert await first.login(email=EMAIL, password=PASSWORD, client_ip=HOME)
    # A flood from many addresses spends the account's other 5 tries for new devices...
    for n in range(5):
        with pytest.raises(errors.InvalidCredentials):
            await second.login(email=EMAIL, password="wrong-guess-1", client_ip=f"10.66.0.{n}")
    with pytest.raises(RateLimited) as refused:
        await first.login(email=EMAIL, password=PASSWORD, client_ip="192.0.2.10")
    assert "from new devices" in refused.value.detail and refused.value.retry_after >= 1
    # ...while her device gets in through either process, from anywhere.
    session = await second.login(email=EMAIL, password=PASSWORD, client_ip="192.0.2.10",
                                 device=device)
    assert session.customer.email == EMAIL
    assert await first.login(email=EMAIL, password=PASSWORD, client_ip=ATTACKER,
                             device=session.device_token)
