"""The accounts service: sign-up, sign-in (password or SMS code), sessions, profile, addresses,
consents.

    accounts = build(resources)
    session = await accounts.login(email="asha@example.in", password="…", client_ip="10.0.0.7",
                                   device=None)      # or the device token of an earlier sign-in
    principal = await accounts.authenticate(token=session.token)

Sessions and one-time codes live in the key-value store, hashed; an unreachable store surfaces
as the kit's `StoreDown` (503), never as a 500.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orchid.kit.db import Database
from orchid.kit.errors import InvalidInput
from orchid.kit.kv import KeyValueStore
from orchid.kit.orm import utcnow
from orchid.kit.placement import exposed
from orchid.kit.ratelimit import RateLimiter
from orchid.services.accounts import erasure, errors, events, repository, validation
from orchid.services.accounts.models import Address, Consent, Customer
from orchid.services.accounts.passwords import (
    Passwords,
    device_nonce,
    new_device_token,
    new_otp_code,
    new_session_token,
    otp_mac,
    same_digest,
    token_digest,
)
from orchid.services.accounts.peers import Peers
from orchid.services.accounts.schemas import (
    CONSENT_PURPOSES,
    AddressCreate,
    AddressRead,
    AddressUpdate,
    ConsentRead,
    CustomerAdminRead,
    CustomerRead,
    CustomerUpdate,
    OtpSent,
    Principal,
    Registration,
    SessionRead,
    SessionRecord,
)
from orchid.services.accounts.sms import SmsSender, sms_sender
from orchid.services.accounts.throttle import SignInLimits, SignInThrottle
from orchid.services.accounts.validation import validated

if TYPE_CHECKING:
    from orchid.config import Settings
    from orchid.platform import Resources

log = structlog.get_logger("orchid.accounts")
_FROM_SETTINGS = ("session_ttl_seconds", "cookie_secure", "otp_ttl_seconds", "otp_max_attempts",
                  "otp_sends_per_phone", "otp_sends_per_ip", "otp_send_window_seconds")
MAX_TOKEN_LENGTH = 128  # real tokens are 43 characters; anything far longer is junk
MAX_CONSENT_LOOKUP = 500  # customers per `list_consenting` call


@dataclass(frozen=True)
class AccountsConfig:
    """The settings the accounts service needs (built from `Settings` at the entry point)."""

    secret_key: str = field(repr=False)
    session_ttl_seconds: float = 30 * 24 * 3600
    cookie_secure: bool = False
    otp_ttl_seconds: float = 300
    otp_max_attempts: int = 5
    otp_sends_per_phone: int = 3
    otp_sends_per_ip: int = 20
    otp_send_window_seconds: float = 900
    sign_in: SignInLimits = field(default_factory=SignInLimits)
    registrations_per_ip: int = 100  # generous: Indian mobile carriers put many users on one IP
    registration_window_seconds: float = 3600
    max_addresses: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountsConfig:
        """Pick the accounts settings; fails by name when the secret key is missing."""
        copied = {name: getattr(settings, name) for name in _FROM_SETTINGS}
        return cls(secret_key=settings.require_secret_key(),
                   sign_in=SignInLimits.from_settings(settings), **copied)


class AccountsService:
    """Customers, credentials, sessions, SMS sign-in, delivery addresses and consents."""

    def __init__(self, *, db: Database, store: KeyValueStore, limiter: RateLimiter,
                 sms: SmsSender, config: AccountsConfig,
                 passwords: Passwords | None = None) -> None:
        self.db, self.store, self.limiter, self.sms = db, store, limiter, sms
        self.config = config
        self.passwords = passwords or Passwords()
        self.throttle = SignInThrottle(limiter, config.sign_in)

    # -- sign-up and sign-in --------------------------------------------------------------

    @exposed()
    async def register(self, *, data: Registration, client_ip: str) -> SessionRead:
        """Create a customer with email and password, and sign them in."""
        cfg = self.config
        # Each sign-up costs an argon2 hash: cap them per address to blunt CPU exhaustion.
        await self.limiter.hit(f"register:ip:{client_ip}", limit=cfg.registrations_per_ip,
                               window=cfg.registration_window_seconds, what="sign-ups")
        customer = await self._create(email=data.email, password=data.password, name=data.name,
                                      role="customer")
        return self._with_device(await self._start_session(customer), data.email)

    async def create_user(self, *, email: str, password: str, name: str,
                          role: str) -> CustomerAdminRead:
        """Create a user of any role (for the CLI); the sign-up rules apply."""
        email = validated("email", validation.normalise_email, email)
        name = validated("name", validation.check_name, name)
        password = validated("password", partial(validation.check_password,
                                                 personal=(email, name)), password)
        customer = await self._create(email=email, password=password, name=name,
                                      role=validated("role", validation.check_role, role))
        return CustomerAdminRead.model_validate(customer)

    async def _create(self, *, email: str, password: str, name: str, role: str) -> Customer:
        password_hash = await self.passwords.hash(password)
        try:
            async with self.db.write() as s:
                customer = await repository.add(s, Customer(
                    email=email, password_hash=password_hash, name=name, role=role))
                events.registered(s, customer, via="email")
                return customer
        except IntegrityError as exc:
            raise errors.EmailTaken("An account with this email already exists.") from exc

    @exposed()
    async def login(self, *, email: str, password: str, client_ip: str,
                    device: str | None = None) -> SessionRead:
        """Sign in with email and password; `device` is the device token of an earlier sign-in."""
        email = email.strip().lower()
        trusted = device_nonce(key=self.config.secret_key, email=email, token=device)
        attempt = await self.throttle.admit(email=email, client_ip=client_ip, device=trusted)
        customer = await self._check_password(email=email, password=password)
        await attempt.succeeded()  # only failures count against the limits
        return self._with_device(await self._start_session(customer), email)

    async def _check_password(self, *, email: str, password: str) -> Customer:
        customer = await self.db.read(lambda s: repository.get_customer_by_email(s, email=email))
        stored = customer.password_hash if customer is not None and customer.is_active else None
        if customer is None or stored is None:
            await self.passwords.verify(None, password)  # same work as a real miss
            raise errors.InvalidCredentials("Email or password is incorrect.")
        # Passwords are hashed NFC-normalised, so "é" typed as one code point or as two match.
        typed, password = password, unicodedata.normalize("NFC", password)
        matched = await self.passwords.verify(stored, password)
        # Hashes made before sign-up normalised hold the password as typed: accept that form
        # once more and store the normalised one.
        legacy = not matched and typed != password and await self.passwords.verify(stored, typed)
        if not (matched or legacy):
            raise errors.InvalidCredentials("Email or password is incorrect.")
        if legacy or self.passwords.needs_rehash(stored):
            await self._rehash(customer_id=customer.id, password=password)
        return customer

    def _with_device(self, session: SessionRead, email: str) -> SessionRead:
        # A fresh nonce on every sign-in, as in OWASP's scheme: the device's bucket starts
        # full, and a copy of an older token no longer shares a bucket with the customer.
        token = new_device_token(key=self.config.secret_key, email=email)
        return session.model_copy(update={"device_token": token})

    async def _rehash(self, *, customer_id: int, password: str) -> None:
        # The hasher's parameters were raised since this hash was made: upgrade it while the
        # plain password is at hand, which is the only time it is.
        password_hash = await self.passwords.hash(password)
        async with self.db.write() as s:
            await repository.set_password_hash(s, customer_id=customer_id,
                                               password_hash=password_hash)

    @exposed()
    async def logout(self, *, token: str) -> None:
        """End the session of `token` (a no-op when it is unknown)."""
        if token and len(token) <= MAX_TOKEN_LENGTH:
            await self.store.delete(_session_key(token))

    # -- sessions ---------------------------------------------------------------------------

    async def _start_session(self, customer: Customer) -> SessionRead:
        token, profile = new_session_token(), CustomerRead.model_validate(customer)
        record = SessionRecord(customer_id=profile.public_id, role=profile.role,
                               created_at=utcnow(),
                               generation=await self._generation(profile.public_id))
        await self.store.set(_session_key(token), record.model_dump_json().encode(),
                             ttl=self.config.session_ttl_seconds)
        return SessionRead(token=token, customer=profile)

    @exposed(idempotent=True)
    async def authenticate(self, *, token: str) -> Principal | None:
        """Return who holds `token`, or None when it is unknown, expired or revoked."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        raw = await self.store.get(_session_key(token))
        if raw is None:
            return None
        try:
            record = SessionRecord.model_validate_json(raw)
        except ValidationError:
            log.warning("session_record_corrupt")
            return None
        if record.generation < await self._generation(record.customer_id):
            return None  # issued before the customer's role changed
        return Principal(customer_id=record.customer_id, role=record.role)

    async def _generation(self, customer_id: str) -> int:
        raw = await self.store.get(_generation_key(customer_id))
        return int(raw) if raw else 0

    async def _revoke_sessions(self, customer_id: str) -> None:
        # Session tokens are stored hashed, so they cannot be listed per customer; a counter
        # bump instead outdates every session issued before it.
        await self.store.incr(_generation_key(customer_id), ttl=self.config.session_ttl_seconds)

    # -- sign-in by SMS code ------------------------------------------------------------------

    @exposed()
    async def send_otp(self, *, phone: str, client_ip: str) -> OtpSent:
        """Text a fresh 6-digit sign-in code to an Indian mobile number."""
        cfg, phone = self.config, validated("phone", validation.normalise_phone, phone)
        window = cfg.otp_send_window_seconds
        await self.limiter.hit(f"otp-send:ip:{client_ip}", limit=cfg.otp_sends_per_ip,
                               window=window, what="codes requested")
        await self.limiter.hit(f"otp-send:phone:{phone}", limit=cfg.otp_sends_per_phone,
                               window=window, what="codes for this phone")
        code = new_otp_code()
        await self.store.set(_otp_key(phone), otp_mac(key=cfg.secret_key, phone=phone,
                                                      code=code).encode(),
                             ttl=cfg.otp_ttl_seconds)
        await self.store.delete(_otp_attempts_key(phone))  # a new code gets a fresh count
        minutes = max(1, round(cfg.otp_ttl_seconds / 60))
        await self.sms.send(phone=phone, text=f"{code} is your Orchid sign-in code. It expires "
                                              f"in {minutes} min. Never share it with anyone.")
        return OtpSent(phone=phone, expires_in=math.ceil(cfg.otp_ttl_seconds))

    @exposed()
    async def verify_otp(self, *, phone: str, code: str) -> SessionRead:
        """Sign in with an SMS code, creating the customer on their first sign-in."""
        cfg, phone = self.config, validated("phone", validation.normalise_phone, phone)
        stored = await self.store.get(_otp_key(phone))
        if stored is None:
            raise errors.OtpExpired("No valid code for this phone; request a new one.")
        # Counting before comparing keeps concurrent guesses within the limit too.
        attempts, ttl_left = await self.store.incr(_otp_attempts_key(phone),
                                                   ttl=cfg.otp_ttl_seconds)
        if attempts > cfg.otp_max_attempts:
            raise errors.OtpAttemptsExceeded("Too many wrong codes; request a new code.",
                                             retry_after=max(1, math.ceil(ttl_left)))
        expected = otp_mac(key=cfg.secret_key, phone=phone, code=code)
        if not same_digest(expected, stored.decode()):
            raise errors.OtpInvalid("The code is incorrect.",
                                    attempts_left=cfg.otp_max_attempts - attempts)
        # The delete is the claim: of two concurrent correct tries only one removes the code.
        if not await self.store.delete(_otp_key(phone)):
            raise errors.OtpExpired("No valid code for this phone; request a new one.")
        await self.store.delete(_otp_attempts_key(phone))
        customer = await self._customer_for_phone(phone)
        if not customer.is_active:
            raise errors.InvalidCredentials("This account is disabled.")
        return await self._start_session(customer)

    async def _customer_for_phone(self, phone: str) -> Customer:
        try:
            return await self._get_or_add_phone(phone)
        except IntegrityError:
            # A concurrent first sign-in inserted the same phone a moment ago: it exists now.
            return await self._get_or_add_phone(phone)

    async def _get_or_add_phone(self, phone: str) -> Customer:
        # On the primary: a lagging replica would miss a customer created seconds ago.
        async with self.db.write() as s:
            customer = await repository.get_customer_by_phone(s, phone=phone)
            if customer is None:
                customer = await repository.add(s, Customer(phone=phone))
                events.registered(s, customer, via="phone")
            return customer

    # -- profile and staff --------------------------------------------------------------------

    @exposed(idempotent=True)
    async def get(self, *, customer_id: str) -> CustomerAdminRead:
        """Return a customer by public id, with the fields staff see."""
        return CustomerAdminRead.model_validate(await self._read_customer(customer_id))

    @exposed(idempotent=True)
    async def get_profile(self, *, customer_id: str) -> CustomerRead:
        """Return the profile a customer sees of themselves."""
        return CustomerRead.model_validate(await self._read_customer(customer_id))

    async def _read_customer(self, customer_id: str) -> Customer:
        return _existing(await self.db.read(
            lambda s: repository.get_customer(s, public_id=customer_id)))

    @exposed()
    async def update_profile(self, *, customer_id: str, data: CustomerUpdate) -> CustomerRead:
        """Change a customer's own profile."""
        async with self.db.write() as s:
            customer = _existing(await repository.get_customer(s, public_id=customer_id))
            customer.name = data.name
            events.changed(s, customer, fields=["name"])
        return CustomerRead.model_validate(customer)

    async def set_role(self, *, customer_id: str, role: str, actor_id: str) -> CustomerAdminRead:
        """Change a customer's role (admins only) and end their sessions."""
        role = validated("role", validation.check_role, role)
        if customer_id == actor_id:
            raise errors.OwnRole("Ask another admin to change your role.")
        # Revoke before the write, so a store outage changes nothing, and again after it, so a
        # sign-in that read the old role while we wrote is revoked too.
        await self._revoke_sessions(customer_id)
        async with self.db.write() as s:
            customer = _existing(await repository.get_customer(s, public_id=customer_id))
            customer.role = role
            events.changed(s, customer, fields=["role"])
        await self._revoke_sessions(customer_id)
        log.info("customer_role_changed", customer_id=customer_id, role=role, by=actor_id)
        return CustomerAdminRead.model_validate(customer)

    async def erase(self, *, customer_id: str, actor_id: str) -> CustomerAdminRead:
        """Erase a customer's personal data (admins; accounts/erasure.py) and end their
        sessions."""
        if customer_id == actor_id:
            raise errors.OwnErasure("Ask another admin to erase your account.")
        await self._revoke_sessions(customer_id)
        async with self.db.write() as s:
            customer = _existing(await repository.lock_customer(s, public_id=customer_id))
            await erasure.erase(s, customer)
        await self._revoke_sessions(customer_id)
        log.info("customer_erased", customer_id=customer_id, by=actor_id)
        return CustomerAdminRead.model_validate(customer)

    # -- addresses ----------------------------------------------------------------------------

    @exposed(idempotent=True)
    async def list_addresses(self, *, customer_id: str) -> list[AddressRead]:
        """Return a customer's addresses, the default first."""
        rows = await self.db.read(
            lambda s: repository.list_addresses(s, customer_public_id=customer_id))
        return [AddressRead.model_validate(row) for row in rows]

    @exposed(idempotent=True)
    async def get_address(self, *, customer_id: str, address_id: str) -> AddressRead:
        """Return one of the customer's addresses; another customer's is not found."""
        row = await self.db.read(lambda s: repository.get_address(
            s, customer_public_id=customer_id, address_public_id=address_id))
        if row is None:
            raise errors.AddressNotFound()
        return AddressRead.model_validate(row)

    @exposed()
    async def create_address(self, *, customer_id: str, data: AddressCreate) -> AddressRead:
        """Add an address; the first one, or one asked to be, becomes the default."""
        async with self.db.write() as s:
            owner = _existing(await repository.lock_customer(s, public_id=customer_id))
            count = await repository.count_addresses(s, customer_id=owner.id)
            if count >= self.config.max_addresses:
                limit = self.config.max_addresses
                raise errors.AddressLimit(f"At most {limit} addresses can be kept.",
                                          max_addresses=limit)
            address = await repository.add(s, Address(
                customer_id=owner.id, is_default=False, **data.model_dump(exclude={"is_default"})))
            if data.is_default or count == 0:
                await repository.set_default_address(s, customer_id=owner.id,
                                                     address_id=address.id)
                address.is_default = True
            events.address_changed(s, owner, address, action="added")
        return AddressRead.model_validate(address)

    async def update_address(self, *, customer_id: str, address_id: str,
                             data: AddressUpdate) -> AddressRead:
        """Change the given fields of one of the customer's addresses."""
        async with self.db.write() as s:
            owner, address = await self._own_address(s, customer_id, address_id)
            for name, value in data.model_dump(exclude_unset=True).items():
                setattr(address, name, value)
            events.address_changed(s, owner, address, action="changed")
        return AddressRead.model_validate(address)

    @exposed()
    async def set_default_address(self, *, customer_id: str, address_id: str) -> AddressRead:
        """Make one address the default and every other one not."""
        async with self.db.write() as s:
            owner, address = await self._own_address(s, customer_id, address_id)
            await repository.set_default_address(s, customer_id=owner.id, address_id=address.id)
            address.is_default = True
            events.address_changed(s, owner, address, action="made_default")
        return AddressRead.model_validate(address)

    @exposed()
    async def delete_address(self, *, customer_id: str, address_id: str) -> None:
        """Delete an address; when it was the default, the newest other one takes over."""
        async with self.db.write() as s:
            owner, address = await self._own_address(s, customer_id, address_id)
            await repository.delete(s, address)
            events.address_changed(s, owner, address, action="deleted")
            successor = (await repository.newest_address(s, customer_id=owner.id)
                         if address.is_default else None)
            if successor is not None:
                await repository.set_default_address(s, customer_id=owner.id,
                                                     address_id=successor.id)

    async def _own_address(self, s: AsyncSession, customer_id: str,
                           address_id: str) -> tuple[Customer, Address]:
        owner = _existing(await repository.lock_customer(s, public_id=customer_id))
        address = await repository.get_own_address(s, customer_id=owner.id,
                                                   address_public_id=address_id)
        if address is None:
            raise errors.AddressNotFound()
        return owner, address

    # -- consents -----------------------------------------------------------------------------

    @exposed(idempotent=True)
    async def list_consents(self, *, customer_id: str) -> list[ConsentRead]:
        """Return the customer's answer for every purpose (no, until they say yes)."""
        rows = await self.db.read(
            lambda s: repository.list_consents(s, customer_public_id=customer_id))
        given = {row.purpose: row for row in rows}
        return [ConsentRead(purpose=p, granted=given[p].granted, updated_at=given[p].updated_at)
                if p in given else ConsentRead(purpose=p) for p in CONSENT_PURPOSES]

    @exposed()
    async def set_consent(self, *, customer_id: str, purpose: str,
                          granted: bool) -> ConsentRead:
        """Record the customer's yes or no to `purpose`."""
        purpose = validated("purpose", _known_purpose, purpose)
        async with self.db.write() as s:
            owner = _existing(await repository.lock_customer(s, public_id=customer_id))
            consent = await repository.get_consent(s, customer_id=owner.id, purpose=purpose)
            if consent is None:
                consent = await repository.add(s, Consent(customer_id=owner.id, purpose=purpose,
                                                          granted=granted))
                events.changed(s, owner, fields=["consents"])
            elif consent.granted != granted:
                consent.granted = granted
                await s.flush()  # sets updated_at
                events.changed(s, owner, fields=["consents"])
        return ConsentRead(purpose=purpose, granted=consent.granted,
                           updated_at=consent.updated_at)

    @exposed(idempotent=True)
    async def list_consenting(self, *, purpose: str,
                              customer_ids: list[str]) -> list[CustomerRead]:
        """Return the active customers among `customer_ids` who said yes to `purpose`."""
        purpose = validated("purpose", _known_purpose, purpose)
        if len(customer_ids) > MAX_CONSENT_LOOKUP:
            raise InvalidInput(f"at most {MAX_CONSENT_LOOKUP} customers per call",
                               code="too_many_customers")
        if not customer_ids:
            return []
        # On the primary: a "no" said a moment ago must stop the next message.
        async with self.db.write() as s:
            rows = await repository.consenting_customers(s, purpose=purpose,
                                                         public_ids=customer_ids)
            return [CustomerRead.model_validate(row) for row in rows]


def _known_purpose(value: str) -> str:
    if value not in CONSENT_PURPOSES:
        raise ValueError(f"must be one of {', '.join(CONSENT_PURPOSES)}")
    return value


def _existing(customer: Customer | None) -> Customer:
    if customer is None:
        raise errors.CustomerNotFound()
    return customer


def _session_key(token: str) -> str:
    return f"session:{token_digest(token)}"


def _generation_key(customer_id: str) -> str:
    return f"session-generation:{customer_id}"


def _otp_key(phone: str) -> str:
    return f"otp:{phone}"


def _otp_attempts_key(phone: str) -> str:
    return f"otp:{phone}:attempts"


def build(resources: Resources, peers: Peers) -> AccountsService:
    """Assemble the accounts service from the process's shared resources."""
    del peers  # accounts calls no other service
    settings = resources.settings
    return AccountsService(db=resources.main_db, store=resources.store, limiter=resources.limiter,
                           sms=sms_sender(settings, http=resources.http),
                           config=AccountsConfig.from_settings(settings))
