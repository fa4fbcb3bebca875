"""Accounts service on a migrated SQLite database, an in-memory store and the dev SMS sender."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from argon2 import PasswordHasher
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from orchid.config import Settings
from orchid.kit.db import Database
from orchid.kit.errors import InvalidInput, RateLimited
from orchid.kit.kv import MemoryStore, StoreDown
from orchid.kit.orm import MainBase
from orchid.kit.ratelimit import RateLimiter
from orchid.services.accounts import errors, repository
from orchid.services.accounts.models import Customer
from orchid.services.accounts.passwords import Passwords, otp_mac
from orchid.services.accounts.schemas import (
    AddressCreate,
    AddressUpdate,
    CustomerUpdate,
    Registration,
    Role,
)
from orchid.services.accounts.service import AccountsConfig, AccountsService
from orchid.services.accounts.sms import DevSmsSender, HttpSmsGateway, sms_sender
from orchid.services.accounts.validation import (
    ROLES,
    STATES,
    UNION_TERRITORIES,
    check_name,
    check_password,
    check_pincode,
    normalise_phone,
    normalise_state,
)
from tests.support.clock import FakeClock

SECRET = "unit-test-secret-key-0123456789"
PHONE = "+919812345678"
IP = "203.0.113.7"
# Cheap argon2 parameters: the tests check behaviour, not the cost of a guess.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)



@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock.monotonic)


@pytest.fixture
def sms() -> DevSmsSender:
    return DevSmsSender()


def make_accounts(db: Database, store: Any, sms: DevSmsSender, *,
                  hasher: PasswordHasher = FAST, **config: Any) -> AccountsService:
    """Build the service the way `build` does, with test-sized settings."""
    return AccountsService(db=db, store=store, limiter=RateLimiter(store), sms=sms,
                           config=AccountsConfig(secret_key=SECRET, **config),
                           passwords=Passwords(hasher))


@pytest.fixture
def accounts(db: Database, store: MemoryStore, sms: DevSmsSender) -> AccountsService:
    return make_accounts(db, store, sms)


def registration(email: str = "asha@example.in", name: str = "आशा शर्मा") -> Registration:
    return Registration(email=email, password="kajal-and-kohl", name=name)


async def customer_row(db: Database, email: str) -> Customer:
    row = await db.read(lambda s: repository.get_customer_by_email(s, email=email))
    assert row is not None
    return row


def code_sent(sms: DevSmsSender, phone: str = PHONE) -> str:
    """Return the code in the last SMS to `phone`."""
    match = re.search(r"\b(\d{6})\b", sms.last_message(phone) or "")
    assert match is not None
    return match.group(1)


# -- registration, login, sessions ------------------------------------------------------------

async def test_register_signs_in_and_stores_only_an_argon2_hash(
        accounts: AccountsService, db: Database) -> None:
    session = await accounts.register(data=registration(email="Asha@Example.IN"), client_ip=IP)
    assert session.customer.email == "asha@example.in"
    assert session.customer.name == "आशा शर्मा" and session.customer.role == "customer"
    principal = await accounts.authenticate(token=session.token)
    assert principal is not None and principal.customer_id == session.customer.public_id
    row = await customer_row(db, "asha@example.in")
    assert row.password_hash is not None and row.password_hash.startswith("$argon2id$")
    assert "kajal-and-kohl" not in row.password_hash
    assert re.fullmatch(r"[a-z2-7]{26}", row.public_id) and row.public_id != str(row.id)


async def test_sessions_are_stored_under_the_tokens_hash_only(
        accounts: AccountsService, store: MemoryStore) -> None:
    session = await accounts.register(data=registration(), client_ip=IP)
    assert await store.get(f"session:{session.token}") is None
    raw = await store.get(f"session:{hashlib.sha256(session.token.encode()).hexdigest()}")
    assert raw is not None and session.token not in raw.decode()
    assert json.loads(raw)["customer_id"] == session.customer.public_id


async def test_login_and_logout(accounts: AccountsService) -> None:
    await accounts.register(data=registration(), client_ip=IP)
    session = await accounts.login(email=" ASHA@example.in ", password="kajal-and-kohl",
                                   client_ip=IP)
    assert await accounts.authenticate(token=session.token) is not None
    await accounts.logout(token=session.token)
    assert await accounts.authenticate(token=session.token) is None
    await accounts.logout(token=session.token)  # twice is fine


@pytest.mark.parametrize(("email", "password"), [
    ("asha@example.in", "wrong-password"),
    ("nobody@example.in", "kajal-and-kohl"),
])
async def test_wrong_credentials_get_one_generic_401(
        accounts: AccountsService, email: str, password: str) -> None:
    await accounts.register(data=registration(), client_ip=IP)
    with pytest.raises(errors.InvalidCredentials) as caught:
        await accounts.login(email=email, password=password, client_ip=IP)
    assert caught.value.status == 401 and caught.value.detail == "Email or password is incorrect."


@pytest.mark.parametrize("token", ["", "x", "y" * 5000])
async def test_unknown_tokens_authenticate_as_nobody(accounts: AccountsService,
                                                     token: str) -> None:
    assert await accounts.authenticate(token=token) is None


async def test_duplicate_email_is_a_conflict(accounts: AccountsService) -> None:
    await accounts.register(data=registration(), client_ip=IP)
    with pytest.raises(errors.EmailTaken) as caught:
        await accounts.register(data=registration(email="ASHA@example.in"), client_ip=IP)
    assert caught.value.status == 409


async def test_login_rehashes_when_parameters_change(
        db: Database, store: MemoryStore, sms: DevSmsSender) -> None:
    await make_accounts(db, store, sms).register(data=registration(), client_ip=IP)
    before = (await customer_row(db, "asha@example.in")).password_hash
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    await make_accounts(db, store, sms, hasher=stronger).login(
        email="asha@example.in", password="kajal-and-kohl", client_ip=IP)
    after = (await customer_row(db, "asha@example.in")).password_hash
    assert before is not None and after is not None and after != before
    assert not stronger.check_needs_rehash(after) and stronger.verify(after, "kajal-and-kohl")


async def test_passwords_are_compared_nfc_normalised_and_old_hashes_upgraded(
        db: Database, accounts: AccountsService) -> None:
    composed = "café-au-lait-42"
    await accounts.register(data=Registration(email="asha@example.in", name="Asha",
                                              password="cafe\u0301-au-lait-42"), client_ip=IP)
    assert await accounts.login(email="asha@example.in", password=composed, client_ip=IP)
    # An account from before normalisation holds the hash of the password as it was typed.
    decomposed = unicodedata.normalize("NFD", composed)
    async with db.write() as s:
        customer = await repository.get_customer_by_email(s, email="asha@example.in")
        assert customer is not None
        customer.password_hash = FAST.hash(decomposed)
    assert await accounts.login(email="asha@example.in", password=decomposed, client_ip=IP)
    row = await customer_row(db, "asha@example.in")
    assert row.password_hash and FAST.verify(row.password_hash, composed)  # upgraded to NFC
    assert await accounts.login(email="asha@example.in", password=composed, client_ip=IP)


async def test_a_lone_surrogate_is_a_wrong_password_not_a_crash(
        accounts: AccountsService) -> None:
    await accounts.register(data=registration(), client_ip=IP)
    with pytest.raises(errors.InvalidCredentials):
        await accounts.login(email="asha@example.in", password="kajal\ud800", client_ip=IP)


async def test_store_outage_is_a_503_not_a_crash(db: Database, sms: DevSmsSender) -> None:
    accounts = make_accounts(db, DownStore(), sms)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: accounts.authenticate(token="t" * 43),
        lambda: accounts.login(email="a@example.in", password="whatever-pass", client_ip=IP),
        lambda: accounts.send_otp(phone=PHONE, client_ip=IP),
    ]
    for call in calls:
        with pytest.raises(StoreDown) as caught:
            await call()
        assert caught.value.status == 503


class DownStore:
    """A key-value store whose server is unreachable."""

    async def get(self, key: str) -> bytes | None:
        raise StoreDown("connection refused")

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        raise StoreDown("connection refused")

    async def delete(self, *keys: str) -> int:
        raise StoreDown("connection refused")

    async def incr(self, key: str, *, ttl: float) -> tuple[int, float]:
        raise StoreDown("connection refused")

    async def gcra(self, key: str, *, limit: int, window: float) -> float:
        raise StoreDown("connection refused")

    async def gcra_refund(self, key: str, *, limit: int, window: float) -> None:
        raise StoreDown("connection refused")

    async def ping(self) -> bool:
        return False

    async def close(self) -> None:
        return None


# -- staff ------------------------------------------------------------------------------------

async def test_create_user_applies_the_signup_rules(accounts: AccountsService) -> None:
    staff = await accounts.create_user(email="Ops@Orchid.test", password="banyan-shade-17",
                                       name="Ops", role="staff")
    assert staff.email == "ops@orchid.test" and staff.role == "staff" and staff.is_active
    for bad in ({"role": "root"}, {"password": "1234567890123"}, {"email": "not-an-email"},
                {"name": " "}, {"password": "xavier@orchid.test"}, {"password": "Xavier-2024"}):
        fields = {"email": "xavier@orchid.test", "password": "banyan-shade-17", "name": "X",
                  "role": "staff", **bad}
        with pytest.raises(InvalidInput) as caught:
            await accounts.create_user(**fields)
        assert caught.value.data["errors"][0]["field"] == next(iter(bad))


async def test_role_change_ends_the_customers_sessions(accounts: AccountsService) -> None:
    admin = await accounts.create_user(email="admin@orchid.test", password="cardamom-pod-tin",
                                       name="Admin", role="admin")
    session = await accounts.register(data=registration(), client_ip=IP)
    customer_id = session.customer.public_id
    changed = await accounts.set_role(customer_id=customer_id, role="staff",
                                      actor_id=admin.public_id)
    assert changed.role == "staff"
    assert await accounts.authenticate(token=session.token) is None
    fresh = await accounts.login(email="asha@example.in", password="kajal-and-kohl", client_ip=IP)
    principal = await accounts.authenticate(token=fresh.token)
    assert principal is not None and principal.role == "staff" and principal.is_staff
    with pytest.raises(errors.OwnRole):
        await accounts.set_role(customer_id=admin.public_id, role="customer",
                                actor_id=admin.public_id)
    with pytest.raises(errors.CustomerNotFound):
        await accounts.set_role(customer_id="nobody", role="staff", actor_id=admin.public_id)


async def test_profile_read_and_update(accounts: AccountsService) -> None:
    session = await accounts.register(data=registration(), client_ip=IP)
    me = session.customer.public_id
    updated = await accounts.update_profile(customer_id=me, data=CustomerUpdate(name="  Asha  S "))
    assert updated.name == "Asha S"
    assert (await accounts.get_profile(customer_id=me)) == updated
    with pytest.raises(errors.CustomerNotFound):
        await accounts.get(customer_id="no-such-customer")


def test_role_literal_matches_the_role_list() -> None:
    assert get_args(Role) == ROLES


# -- sign-in by SMS code ------------------------------------------------------------------------

async def test_otp_signs_up_then_signs_in_the_same_customer(
        accounts: AccountsService, sms: DevSmsSender, store: MemoryStore) -> None:
    sent = await accounts.send_otp(phone="098123-45678", client_ip=IP)
    assert sent.phone == PHONE and sent.expires_in == 300
    code = code_sent(sms)
    stored = await store.get(f"otp:{PHONE}")
    assert stored is not None and code not in stored.decode()
    assert stored.decode() == otp_mac(key=SECRET, phone=PHONE, code=code)
    first = await accounts.verify_otp(phone="+91 98123 45678", code=code)
    assert first.customer.phone == PHONE and first.customer.email is None
    assert await accounts.authenticate(token=first.token) is not None
    with pytest.raises(errors.OtpExpired):  # a code works once
        await accounts.verify_otp(phone=PHONE, code=code)
    await accounts.send_otp(phone=PHONE, client_ip=IP)
    again = await accounts.verify_otp(phone=PHONE, code=code_sent(sms))
    assert again.customer.public_id == first.customer.public_id


async def test_five_wrong_codes_burn_the_code(accounts: AccountsService,
                                              sms: DevSmsSender) -> None:
    await accounts.send_otp(phone=PHONE, client_ip=IP)
    code = code_sent(sms)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(errors.OtpInvalid) as caught:
            await accounts.verify_otp(phone=PHONE, code=wrong)
        assert caught.value.status == 401 and caught.value.data == {"attempts_left": left}
    with pytest.raises(errors.OtpAttemptsExceeded) as burnt:
        await accounts.verify_otp(phone=PHONE, code=code)  # even the right code
    assert burnt.value.status == 429 and burnt.value.code == "otp_attempts_exceeded"
    assert 1 <= burnt.value.retry_after <= 300
    await accounts.send_otp(phone=PHONE, client_ip=IP)  # a new code starts a new count
    assert (await accounts.verify_otp(phone=PHONE, code=code_sent(sms))).customer.phone == PHONE


async def test_expired_code_is_refused(db: Database, store: MemoryStore, sms: DevSmsSender,
                                       clock: FakeClock) -> None:
    accounts = make_accounts(db, store, sms, otp_ttl_seconds=300)
    await accounts.send_otp(phone=PHONE, client_ip=IP)
    clock.advance(299.5)
    with pytest.raises(errors.OtpInvalid):  # still valid: a wrong guess is counted as wrong
        await accounts.verify_otp(phone=PHONE, code=f"{(int(code_sent(sms)) + 1) % 10**6:06d}")
    clock.advance(0.5)
    with pytest.raises(errors.OtpExpired) as caught:
        await accounts.verify_otp(phone=PHONE, code=code_sent(sms))
    assert caught.value.status == 401


async def test_code_sends_are_limited_per_phone_and_per_ip(
        db: Database, store: MemoryStore, sms: DevSmsSender) -> None:
    accounts = make_accounts(db, store, sms, otp_sends_per_phone=2, otp_sends_per_ip=3)
    for _ in range(2):
        await accounts.send_otp(phone=PHONE, client_ip="10.0.0.1")
    with pytest.raises(RateLimited) as caught:
        await accounts.send_otp(phone=PHONE, client_ip="10.0.0.2")
    assert caught.value.retry_after >= 1
    await accounts.send_otp(phone="+919900000001", client_ip="10.0.0.1")
    with pytest.raises(RateLimited):
        await accounts.send_otp(phone="+919900000002", client_ip="10.0.0.1")


async def test_bad_phone_is_invalid_input(accounts: AccountsService) -> None:
    with pytest.raises(InvalidInput) as caught:
        await accounts.send_otp(phone="12345", client_ip=IP)
    assert caught.value.data["errors"][0]["field"] == "phone"


# -- addresses ----------------------------------------------------------------------------------

def address(name: str = "Home", **overrides: Any) -> AddressCreate:
    fields: dict[str, Any] = {"name": name, "phone": "9812345678", "line1": "12 MG Road",
                              "city": "Bengaluru", "state": "karnataka", "pincode": "560001"}
    return AddressCreate(**{**fields, **overrides})


async def signed_up(accounts: AccountsService, email: str = "asha@example.in") -> str:
    """Register a customer and return their public id."""
    session = await accounts.register(data=registration(email=email), client_ip=IP)
    return session.customer.public_id


async def defaults(accounts: AccountsService, me: str) -> list[str]:
    return [a.name for a in await accounts.list_addresses(customer_id=me) if a.is_default]


async def test_address_crud_keeps_exactly_one_default(accounts: AccountsService) -> None:
    me = await signed_up(accounts)
    home = await accounts.create_address(customer_id=me, data=address("Home"))
    assert home.is_default and home.state == "Karnataka" and home.phone == PHONE
    office = await accounts.create_address(customer_id=me, data=address("Office"))
    assert not office.is_default
    mums = await accounts.create_address(customer_id=me, data=address("Mum", is_default=True))
    assert await defaults(accounts, me) == ["Mum"]
    listed = [a.name for a in await accounts.list_addresses(customer_id=me)]
    assert listed == ["Mum", "Office", "Home"]
    await accounts.set_default_address(customer_id=me, address_id=office.public_id)
    assert await defaults(accounts, me) == ["Office"]
    changed = await accounts.update_address(customer_id=me, address_id=home.public_id,
                                            data=AddressUpdate(line2="Near the temple",
                                                               pincode="560002"))
    assert changed.line2 == "Near the temple" and changed.pincode == "560002"
    assert changed.updated_at >= home.updated_at
    assert await accounts.get_address(customer_id=me, address_id=home.public_id) == changed
    await accounts.delete_address(customer_id=me, address_id=office.public_id)
    assert await defaults(accounts, me) == ["Mum"]  # the newest remaining took over
    await accounts.delete_address(customer_id=me, address_id=mums.public_id)
    await accounts.delete_address(customer_id=me, address_id=home.public_id)
    assert await accounts.list_addresses(customer_id=me) == []


async def test_address_limit(db: Database, store: MemoryStore, sms: DevSmsSender) -> None:
    accounts = make_accounts(db, store, sms, max_addresses=2)
    me = await signed_up(accounts)
    for name in ("One", "Two"):
        await accounts.create_address(customer_id=me, data=address(name))
    with pytest.raises(errors.AddressLimit) as caught:
        await accounts.create_address(customer_id=me, data=address("Three"))
    assert caught.value.status == 409 and caught.value.data == {"max_addresses": 2}


async def test_another_customers_address_is_not_found(accounts: AccountsService) -> None:
    owner = await signed_up(accounts, "owner@example.in")
    other = await signed_up(accounts, "other@example.in")
    theirs = (await accounts.create_address(customer_id=owner, data=address())).public_id
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: accounts.get_address(customer_id=other, address_id=theirs),
        lambda: accounts.update_address(customer_id=other, address_id=theirs,
                                        data=AddressUpdate(name="Mine now")),
        lambda: accounts.set_default_address(customer_id=other, address_id=theirs),
        lambda: accounts.delete_address(customer_id=other, address_id=theirs),
    ]
    for call in calls:
        with pytest.raises(errors.AddressNotFound):
            await call()
    assert (await accounts.get_address(customer_id=owner, address_id=theirs)).name == "Home"


@pytest.mark.parametrize(("field", "value"), [
    ("pincode", "012345"), ("pincode", "56001"), ("pincode", "5600011"), ("pincode", 560001),
    ("state", "Bangalore"), ("phone", "12345"), ("name", "x" * 101), ("line1", ""),
    ("city", "Pune\u202e"), ("is_default", "yes"), ("country", "IN"),
])
def test_address_fields_are_validated(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        address(**{field: value})
    assert caught.value.errors()[0]["loc"][0] == field


def test_address_update_refuses_null_for_required_fields() -> None:
    assert AddressUpdate(line2=None).model_dump(exclude_unset=True) == {"line2": None}
    with pytest.raises(ValidationError) as caught:
        AddressUpdate(city=None)
    assert caught.value.errors()[0]["loc"] == ("city",)


# -- validation rules -----------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "9812345678", "+91 98123 45678", "098123-45678", "+919812345678", "919812345678",
    "0091 98123 45678", "(+91) 98123-45678", " 98123.45678 ",
])
def test_indian_mobiles_normalise_to_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+919812345678"


@pytest.mark.parametrize("raw", [
    "", "abc", "5812345678", "+91 58123 45678", "981234567", "98123456789", "+1 9812345678",
    "+92 9812345678", "९८१२३४५६७८", "98123 4567x", "0" * 40,
])
def test_other_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_states_pincodes_and_names() -> None:
    assert len(STATES) == 28 and len(UNION_TERRITORIES) == 8
    assert normalise_state("  tamil   NADU ") == "Tamil Nadu"
    assert normalise_state("delhi") == "Delhi"
    assert check_pincode("110001") == "110001"
    assert check_name(" प्रिया  ") == "प्रिया"
    assert check_name("ശ്രീ\u200d") == "ശ്രീ\u200d"  # ZWJ shapes Malayalam conjuncts
    for bad_name in ("", " ", "a\x00b", "x" * 101):
        with pytest.raises(ValueError):
            check_name(bad_name)
    with pytest.raises(ValueError):
        check_password("12345678901234")
    with pytest.raises(ValueError):
        check_password("short-1")


@pytest.mark.parametrize(("field", "value"), [
    ("email", "not-an-email"), ("email", 42), ("password", "short"), ("password", "1" * 12),
    ("name", "x" * 101), ("role", "admin"),
])
def test_registration_is_validated(field: str, value: object) -> None:
    fields: dict[str, Any] = {"email": "a@example.in", "password": "long-enough-1", "name": "A"}
    with pytest.raises(ValidationError) as caught:
        Registration(**{**fields, field: value})
    assert caught.value.errors()[0]["loc"][0] == field


# -- SMS senders, config, schema ----------------------------------------------------------------

async def test_http_gateway_posts_json_with_the_api_key() -> None:
    seen: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202 if request.headers["authorization"] == "Bearer k-1" else 401)

    async with httpx.AsyncClient(transport=httpx.MockTransport(provider)) as client:
        gateway = HttpSmsGateway(client=client, url="https://sms.example/v1/send", api_key="k-1")
        await gateway.send(phone=PHONE, text="123456 is your code")
        assert json.loads(seen[0].content) == {"to": PHONE, "text": "123456 is your code",
                                               "sender": "ORCHID"}
        with pytest.raises(errors.SmsUnavailable):
            await HttpSmsGateway(client=client, url="https://sms.example/v1/send",
                                 api_key="wrong").send(phone=PHONE, text="x")


async def test_http_gateway_unreachable_is_a_503() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as client:
        gateway = HttpSmsGateway(client=client, url="https://sms.example/v1/send", api_key="k")
        with pytest.raises(errors.SmsUnavailable) as caught:
            await gateway.send(phone=PHONE, text="x")
    assert caught.value.status == 503


async def test_sender_choice_and_config_come_from_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, otp_ttl_seconds=120)
    async with httpx.AsyncClient() as http:
        assert isinstance(sms_sender(settings, http=http), DevSmsSender)
        with pytest.raises(RuntimeError, match="ORCHID_SMS_GATEWAY_URL"):
            sms_sender(Settings(data_dir=tmp_path, env="prod"), http=http)
    config = AccountsConfig.from_settings(settings)
    assert config.otp_ttl_seconds == 120 and config.secret_key == SECRET
    assert SECRET not in repr(config)
    with pytest.raises(RuntimeError, match="ORCHID_SECRET_KEY"):
        AccountsConfig.from_settings(Settings(data_dir=tmp_path))


async def test_migration_matches_the_models(db: Database) -> None:
    def mine(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        # Other services' tables are theirs to check.
        table = item if kind == "table" else getattr(item, "table", None)
        return table is None or table.name in {"customers", "addresses"}

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": mine})
        return list(compare_metadata(context, MainBase.metadata))

    async with db.primary.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


# -- events -------------------------------------------------------------------------------------

async def test_a_customers_changes_are_events_that_carry_no_personal_data(
        accounts: AccountsService, db: Database, sms: DevSmsSender) -> None:
    from sqlalchemy import select

    from orchid.kit.outbox import MainOutbox

    me = await signed_up(accounts)
    await accounts.update_profile(customer_id=me, data=CustomerUpdate(name="Asha S"))
    home = await accounts.create_address(customer_id=me, data=address())
    office = await accounts.create_address(customer_id=me, data=address("Office"))
    await accounts.set_default_address(customer_id=me, address_id=office.public_id)
    await accounts.delete_address(customer_id=me, address_id=home.public_id)
    await accounts.send_otp(phone=PHONE, client_ip="10.0.0.1")
    await accounts.verify_otp(phone=PHONE, code=code_sent(sms))
    async with db.write() as session:
        rows = list((await session.execute(select(MainOutbox).order_by(MainOutbox.seq)))
                    .scalars())
    mine = [(r.type, r.payload.get("via") or r.payload.get("action") or r.payload.get("fields"))
            for r in rows if r.aggregate_id == me]
    assert mine == [("customer.registered", "email"), ("customer.changed", ["name"]),
                    ("customer.address_changed", "added"),
                    ("customer.address_changed", "added"),
                    ("customer.address_changed", "made_default"),
                    ("customer.address_changed", "deleted")]
    assert [r.payload["via"] for r in rows if r.aggregate_id != me] == ["phone"]
    text = " ".join(str(r.payload) for r in rows)
    assert "asha@example.in" not in text and "Asha" not in text and "9812345678" not in text
    assert "MG Road" not in text
