"""Accounts HTTP routes: thin wrappers over `AccountsService`, mounted at /api/v1/accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from orchid.kit.cookies import drop_cookie, is_secure, set_cookie
from orchid.kit.errors import problems
from orchid.services.accounts.deps import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE,
    OPTIONAL_SESSION,
    SESSION_COOKIE,
    AdminUser,
    ClientIp,
    CurrentUser,
    StaffUser,
    Token,
    device_token,
)
from orchid.services.accounts.schemas import (
    AddressCreate,
    AddressRead,
    AddressUpdate,
    ConsentPurpose,
    ConsentRead,
    ConsentUpdate,
    CustomerAdminRead,
    CustomerRead,
    CustomerUpdate,
    Login,
    OtpSend,
    OtpSent,
    OtpVerify,
    PreferencesRead,
    PreferencesUpdate,
    Registration,
    RoleUpdate,
    SessionRead,
)
from orchid.services.accounts.service import AccountsService

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])
PREFERENCES_COOKIE = "orchid_prefs"
PREFERENCES_MAX_AGE = 365 * 24 * 3600
PublicId = Annotated[str, Path(min_length=1, max_length=64)]


async def get_accounts(request: Request) -> AccountsService:
    """Return the accounts service of this process (its routes are only mounted where it runs)."""
    accounts: AccountsService = request.app.state.services.accounts
    return accounts


Accounts = Annotated[AccountsService, Depends(get_accounts)]


SIGNED_IN = {401: "No valid session", 422: "The input did not validate"}
ADDRESS = problems(SIGNED_IN | {404: "No such address of yours"})
STORE = {503: "Session store or SMS gateway unavailable"}


def _secure(request: Request, accounts: AccountsService) -> bool:
    return is_secure(request.scope, always=accounts.config.cookie_secure)


def _signed_in(request: Request, response: Response, accounts: AccountsService,
               session: SessionRead) -> SessionRead:
    """Set the session (and device) cookie for browsers; API clients use the token in the body."""
    secure = _secure(request, accounts)
    set_cookie(response, SESSION_COOKIE, session.token,
               max_age=int(accounts.config.session_ttl_seconds), secure=secure)
    if session.device_token:
        set_cookie(response, DEVICE_COOKIE, session.device_token,
                   max_age=DEVICE_COOKIE_MAX_AGE, secure=secure)
    response.headers["Cache-Control"] = "no-store"  # the body carries a bearer token
    return session


@router.post("/register", status_code=201, responses=problems(
    {409: "Email already registered", 422: "The input did not validate",
     429: "Too many sign-ups"} | STORE))
async def register(data: Registration, request: Request, response: Response,
                   accounts: Accounts, ip: ClientIp) -> SessionRead:
    """Create an account with email and password, and sign in."""
    session = await accounts.register(data=data, client_ip=ip)
    return _signed_in(request, response, accounts, session)


@router.post("/login", responses=problems(
    {401: "Wrong email or password", 429: "Too many attempts"} | STORE))
async def login(data: Login, request: Request, response: Response, accounts: Accounts,
                ip: ClientIp) -> SessionRead:
    """Sign in with email and password; the orchid_device cookie of an earlier sign-in keeps
    this device apart from a flood of guesses on the account."""
    session = await accounts.login(email=data.email, password=data.password, client_ip=ip,
                                   device=device_token(request))
    return _signed_in(request, response, accounts, session)


@router.post("/logout", status_code=204, openapi_extra=OPTIONAL_SESSION)
async def logout(request: Request, response: Response, accounts: Accounts,
                 token: Token) -> None:
    """End the current session (always succeeds)."""
    if token:
        await accounts.logout(token=token)
    drop_cookie(response, SESSION_COOKIE, secure=_secure(request, accounts))


@router.post("/otp/send", status_code=202, responses=problems(
    {422: "Not an Indian mobile number", 429: "Too many codes requested"} | STORE))
async def send_otp(data: OtpSend, accounts: Accounts, ip: ClientIp) -> OtpSent:
    """Text a sign-in code to an Indian mobile number."""
    return await accounts.send_otp(phone=data.phone, client_ip=ip)


@router.post("/otp/verify", responses=problems(
    {401: "Wrong or expired code", 429: "Too many wrong codes"} | STORE))
async def verify_otp(data: OtpVerify, request: Request, response: Response,
                     accounts: Accounts) -> SessionRead:
    """Sign in (signing up on first use) with the code that was texted."""
    session = await accounts.verify_otp(phone=data.phone, code=data.code)
    return _signed_in(request, response, accounts, session)


@router.get("/preferences")
async def get_preferences(request: Request, response: Response) -> PreferencesRead:
    """Return the caller's display currency and pincode (INR and none until set)."""
    response.headers["Cache-Control"] = "private, no-store"  # one shopper's cookie
    return PreferencesRead.from_cookie(request.cookies.get(PREFERENCES_COOKIE))


@router.put("/preferences", responses=problems({422: "Unknown currency or not a pincode"}))
async def set_preferences(data: PreferencesUpdate, request: Request, response: Response,
                          accounts: Accounts) -> PreferencesRead:
    """Set the display currency and/or delivery pincode (signed in or not); prices stay INR."""
    current = PreferencesRead.from_cookie(request.cookies.get(PREFERENCES_COOKIE))
    preferences = current.updated(data)
    set_cookie(response, PREFERENCES_COOKIE, preferences.to_cookie(),
               max_age=PREFERENCES_MAX_AGE, secure=_secure(request, accounts))
    response.headers["Cache-Control"] = "private, no-store"
    return preferences


@router.get("/me", responses=problems(SIGNED_IN))
async def get_me(user: CurrentUser, accounts: Accounts) -> CustomerRead:
    """Return the caller's profile."""
    return await accounts.get_profile(customer_id=user.customer_id)


@router.patch("/me", responses=problems(SIGNED_IN))
async def update_me(data: CustomerUpdate, user: CurrentUser, accounts: Accounts) -> CustomerRead:
    """Change the caller's profile."""
    return await accounts.update_profile(customer_id=user.customer_id, data=data)


@router.get("/me/addresses", responses=problems(SIGNED_IN))
async def list_addresses(user: CurrentUser, accounts: Accounts) -> list[AddressRead]:
    """List the caller's addresses, the default first (at most 20, so no paging)."""
    return await accounts.list_addresses(customer_id=user.customer_id)


@router.post("/me/addresses", status_code=201,
             responses=problems(SIGNED_IN | {409: "Address limit reached"}))
async def create_address(data: AddressCreate, user: CurrentUser,
                         accounts: Accounts) -> AddressRead:
    """Add an address."""
    return await accounts.create_address(customer_id=user.customer_id, data=data)


@router.get("/me/addresses/{address_id}", responses=ADDRESS)
async def get_address(address_id: PublicId, user: CurrentUser, accounts: Accounts) -> AddressRead:
    """Return one of the caller's addresses."""
    return await accounts.get_address(customer_id=user.customer_id, address_id=address_id)


@router.patch("/me/addresses/{address_id}", responses=ADDRESS)
async def update_address(address_id: PublicId, data: AddressUpdate, user: CurrentUser,
                         accounts: Accounts) -> AddressRead:
    """Change some fields of one of the caller's addresses."""
    return await accounts.update_address(customer_id=user.customer_id, address_id=address_id,
                                         data=data)


@router.delete("/me/addresses/{address_id}", status_code=204, responses=ADDRESS)
async def delete_address(address_id: PublicId, user: CurrentUser, accounts: Accounts) -> None:
    """Delete one of the caller's addresses."""
    await accounts.delete_address(customer_id=user.customer_id, address_id=address_id)


@router.post("/me/addresses/{address_id}/default", responses=ADDRESS)
async def set_default_address(address_id: PublicId, user: CurrentUser,
                              accounts: Accounts) -> AddressRead:
    """Make one of the caller's addresses the default."""
    return await accounts.set_default_address(customer_id=user.customer_id,
                                              address_id=address_id)


@router.get("/me/consents", responses=problems(SIGNED_IN))
async def list_consents(user: CurrentUser, accounts: Accounts) -> list[ConsentRead]:
    """List the caller's answer for every purpose we ask consent for (no, until they say yes)."""
    return await accounts.list_consents(customer_id=user.customer_id)


@router.put("/me/consents/{purpose}", responses=problems(SIGNED_IN))
async def set_consent(purpose: ConsentPurpose, data: ConsentUpdate, user: CurrentUser,
                      accounts: Accounts) -> ConsentRead:
    """Say yes or no to one purpose, such as `cart_reminders` (an email about a cart left
    for a few hours); an unknown purpose is refused (422)."""
    return await accounts.set_consent(customer_id=user.customer_id, purpose=purpose,
                                      granted=data.granted)


@router.get("/admin/customers/{customer_id}", responses=problems(
    SIGNED_IN | {403: "Not staff", 404: "No such customer"}))
async def admin_get_customer(customer_id: PublicId, _: StaffUser,
                             accounts: Accounts) -> CustomerAdminRead:
    """Look up a customer (staff)."""
    return await accounts.get(customer_id=customer_id)


@router.post("/admin/customers/{customer_id}/role", responses=problems(
    SIGNED_IN | {403: "Not an admin, or your own role", 404: "No such customer"}))
async def admin_set_role(customer_id: PublicId, data: RoleUpdate, user: AdminUser,
                         accounts: Accounts) -> CustomerAdminRead:
    """Change a customer's role (admins); their sessions end."""
    return await accounts.set_role(customer_id=customer_id, role=data.role,
                                   actor_id=user.customer_id)


@router.post("/admin/customers/{customer_id}/erase", responses=problems(
    SIGNED_IN | {403: "Not an admin, or your own account", 404: "No such customer"}))
async def admin_erase(customer_id: PublicId, user: AdminUser,
                      accounts: Accounts) -> CustomerAdminRead:
    """Erase a customer's personal data (admins): profile, password, addresses and consents;
    their sessions end and the account can no longer sign in."""
    return await accounts.erase(customer_id=customer_id, actor_id=user.customer_id)
