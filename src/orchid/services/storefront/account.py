"""Signing in (email and password, or a code by SMS), signing out, profile and addresses."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import ValidationError

from orchid.kit.errors import InvalidInput, RateLimited, Unauthorized
from orchid.services.accounts.deps import SESSION_COOKIE, client_ip, device_token
from orchid.services.accounts.errors import EmailTaken
from orchid.services.accounts.schemas import CustomerUpdate, Registration
from orchid.services.storefront.addresses import LABELS, REGIONS, AddressForm, read_address
from orchid.services.storefront.checkout import checkout_page
from orchid.services.storefront.deps import (
    StorefrontDep,
    VisitorDep,
    customer_id,
    page,
    posted,
    redirect,
    safe_next,
)
from orchid.services.storefront.forms import BadForm, field_messages
from orchid.services.storefront.render import PageRoute
from orchid.services.storefront.service import Storefront
from orchid.services.storefront.session import Visitor, sign_in, sign_out

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Next = Annotated[str, Query(max_length=300)]
AddressId = Annotated[str, Path(min_length=1, max_length=64)]


async def _login_page(storefront: Storefront, visitor: Visitor, *, next_url: str,
                      status: int = 200, error: str | None = None, tab: str = "otp",
                      email: str = "", phone: str = "") -> Response:
    return await page(storefront, visitor, "login.html", status=status, cache="no-store",
                      next_url=next_url, error=error, tab=tab, email=email, phone=phone)


@router.get("/login")
async def login(storefront: StorefrontDep, visitor: VisitorDep, next: Next = "/") -> Response:
    """Sign in by a code sent to a mobile number, or by email and password."""
    next_url = safe_next(next)
    if visitor.signed_in:
        return redirect(visitor, next_url)
    return await _login_page(storefront, visitor, next_url=next_url)


@router.post("/login/password")
async def login_password(request: Request, storefront: StorefrontDep,
                         visitor: VisitorDep) -> Response:
    """Sign in with email and password."""
    form = await posted(request, storefront, visitor)
    next_url, email = safe_next(form.get("next")), form.text("email", max_length=254,
                                                             required=False)
    try:
        session = await storefront.peers.accounts.login(
            email=email, password=form.text("password", max_length=256, label="Password"),
            client_ip=client_ip(request), device=device_token(request))
    except (Unauthorized, RateLimited, BadForm) as exc:
        status = 401 if isinstance(exc, Unauthorized) else exc.status
        return await _login_page(storefront, visitor, next_url=next_url, status=status,
                                 error=exc.detail, tab="email", email=email)
    sign_in(visitor, storefront, session)
    return redirect(visitor, next_url)


@router.post("/login/otp")
async def send_code(request: Request, storefront: StorefrontDep,
                    visitor: VisitorDep) -> Response:
    """Text a sign-in code to the mobile number, then ask for it."""
    form = await posted(request, storefront, visitor)
    next_url, phone = safe_next(form.get("next")), form.text("phone", max_length=24,
                                                             required=False)
    try:
        sent = await storefront.peers.accounts.send_otp(phone=phone,
                                                           client_ip=client_ip(request))
    except (InvalidInput, RateLimited) as exc:
        message = ("Enter a 10-digit Indian mobile number, e.g. 98123 45678."
                   if isinstance(exc, InvalidInput) else exc.detail)
        return await _login_page(storefront, visitor, next_url=next_url, status=exc.status,
                                 error=message, phone=phone)
    return redirect(visitor, f"/login/otp?phone={quote(sent.phone)}&next={quote(next_url)}")


@router.get("/login/otp")
async def enter_code(storefront: StorefrontDep, visitor: VisitorDep,
                     phone: Annotated[str, Query(max_length=24)], next: Next = "/") -> Response:
    """Ask for the code that was texted."""
    return await page(storefront, visitor, "otp.html", cache="no-store", phone=phone,
                      next_url=safe_next(next), error=None)


@router.post("/login/otp/verify")
async def verify_code(request: Request, storefront: StorefrontDep,
                      visitor: VisitorDep) -> Response:
    """Sign in (signing up on first use) with the texted code."""
    form = await posted(request, storefront, visitor)
    next_url, phone = safe_next(form.get("next")), form.text("phone", max_length=24)
    code = form.text("code", max_length=12, required=False).replace(" ", "")
    try:
        if not (len(code) == 6 and code.isdigit()):
            raise BadForm("Enter the 6-digit code from the SMS.")
        session = await storefront.peers.accounts.verify_otp(phone=phone, code=code)
    except (Unauthorized, RateLimited, InvalidInput) as exc:
        status = 401 if isinstance(exc, Unauthorized) else exc.status
        return await page(storefront, visitor, "otp.html", status=status, cache="no-store",
                          phone=phone, next_url=next_url, error=exc.detail)
    sign_in(visitor, storefront, session)
    return redirect(visitor, next_url)


@router.get("/register")
async def register_form(storefront: StorefrontDep, visitor: VisitorDep,
                        next: Next = "/") -> Response:
    """Create an account with email and password."""
    return await page(storefront, visitor, "register.html", cache="no-store",
                      next_url=safe_next(next), error=None, values={})


@router.post("/register")
async def register(request: Request, storefront: StorefrontDep, visitor: VisitorDep) -> Response:
    """Create the account and sign in."""
    form = await posted(request, storefront, visitor)
    next_url = safe_next(form.get("next"))
    values = {name: form.text(name, max_length=254, required=False)
              for name in ("name", "email")}
    try:
        data = Registration.model_validate(
            {**values, "password": form.text("password", max_length=256, required=False)})
        session = await storefront.peers.accounts.register(data=data,
                                                              client_ip=client_ip(request))
    except (ValueError, EmailTaken, RateLimited) as exc:  # pydantic's ValidationError too
        message = (exc.detail if isinstance(exc, EmailTaken | RateLimited)
                   else _first_message(exc))
        status = exc.status if isinstance(exc, EmailTaken | RateLimited) else 400
        return await page(storefront, visitor, "register.html", status=status,
                          cache="no-store", next_url=next_url, error=message, values=values)
    sign_in(visitor, storefront, session)
    return redirect(visitor, next_url)


def _first_message(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        field, message = field_messages(exc)[0]
        return f"{field.capitalize()}: {message}"
    return "Please check the form."


@router.post("/logout")
async def logout(request: Request, storefront: StorefrontDep, visitor: VisitorDep) -> Response:
    """End the session and go home."""
    await posted(request, storefront, visitor)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await storefront.peers.accounts.logout(token=token)
    sign_out(visitor)
    return redirect(visitor, "/")


async def _account_page(storefront: Storefront, visitor: Visitor, *, status: int = 200,
                        address: AddressForm | None = None, saved: str = "") -> Response:
    owner = customer_id(visitor)
    accounts = storefront.peers.accounts
    profile = await accounts.get_profile(customer_id=owner)
    addresses = await accounts.list_addresses(customer_id=owner)
    return await page(storefront, visitor, "account.html", status=status, cache="no-store",
                      profile=profile, addresses=addresses, address=address or AddressForm(),
                      regions=REGIONS, labels=LABELS, saved=saved)


@router.get("/account")
async def account(storefront: StorefrontDep, visitor: VisitorDep,
                  saved: Annotated[str, Query(max_length=20)] = "") -> Response:
    """Profile and addresses."""
    return await _account_page(storefront, visitor, saved=saved)


@router.post("/account/profile")
async def update_profile(request: Request, storefront: StorefrontDep,
                         visitor: VisitorDep) -> Response:
    """Change the shopper's name."""
    owner = customer_id(visitor)
    form = await posted(request, storefront, visitor)
    try:
        data = CustomerUpdate(name=form.text("name", max_length=100, label="Name"))
    except ValueError as exc:
        raise BadForm(_first_message(exc)) from exc
    await storefront.peers.accounts.update_profile(customer_id=owner, data=data)
    return redirect(visitor, "/account?saved=profile")


@router.post("/account/addresses")
async def add_address(request: Request, storefront: StorefrontDep,
                      visitor: VisitorDep) -> Response:
    """Save a new delivery address, then go back where the shopper came from."""
    owner = customer_id(visitor)
    form = await posted(request, storefront, visitor)
    next_url = safe_next(form.get("next"), "/account")
    data, typed = read_address(form)
    if data is None:
        if next_url.startswith("/checkout"):
            return await checkout_page(storefront, visitor, status=400, address=typed)
        return await _account_page(storefront, visitor, status=400, address=typed)
    created = await storefront.peers.accounts.create_address(customer_id=owner, data=data)
    if next_url.startswith("/checkout"):
        return redirect(visitor, f"/checkout?address={quote(created.public_id)}")
    return redirect(visitor, "/account?saved=address")


@router.post("/account/addresses/{address_id}/default")
async def make_default(address_id: AddressId, request: Request, storefront: StorefrontDep,
                       visitor: VisitorDep) -> Response:
    """Deliver to this address unless told otherwise."""
    owner = customer_id(visitor)
    await posted(request, storefront, visitor)
    await storefront.peers.accounts.set_default_address(customer_id=owner,
                                                           address_id=address_id)
    return redirect(visitor, "/account?saved=default")


@router.post("/account/addresses/{address_id}/delete")
async def delete_address(address_id: AddressId, request: Request, storefront: StorefrontDep,
                         visitor: VisitorDep) -> Response:
    """Forget an address."""
    owner = customer_id(visitor)
    await posted(request, storefront, visitor)
    await storefront.peers.accounts.delete_address(customer_id=owner, address_id=address_id)
    return redirect(visitor, "/account?saved=deleted")
