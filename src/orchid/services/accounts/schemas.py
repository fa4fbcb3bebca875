"""Accounts request and response shapes; field rules come from `validation`."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from orchid.services.accounts import models
from orchid.services.accounts.validation import (
    EMAIL_MAX,
    NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    check_name,
    check_password,
    check_pincode,
    clean_text,
    normalise_email,
    normalise_phone,
    normalise_state,
)

Role = Literal["customer", "staff", "admin"]
# Bounds and formats the rules below also check are stated again so the OpenAPI document shows them.
Email = Annotated[str, StringConstraints(min_length=3, max_length=EMAIL_MAX),
                  WithJsonSchema({"type": "string", "format": "email", "maxLength": EMAIL_MAX}),
                  AfterValidator(normalise_email)]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX),
                     AfterValidator(check_password)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX),
                 AfterValidator(check_name)]
Phone = Annotated[str, StringConstraints(max_length=24), AfterValidator(normalise_phone)]
Pincode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=6),
                    AfterValidator(check_pincode)]
State = Annotated[str, StringConstraints(max_length=models.STATE_LENGTH),
                  AfterValidator(normalise_state)]
Line = Annotated[str, StringConstraints(max_length=models.LINE_LENGTH),
                 AfterValidator(partial(clean_text, max_length=models.LINE_LENGTH))]
City = Annotated[str, StringConstraints(max_length=models.CITY_LENGTH),
                 AfterValidator(partial(clean_text, max_length=models.CITY_LENGTH))]
Landmark = Annotated[str, StringConstraints(max_length=models.NAME_LENGTH),
                     AfterValidator(partial(clean_text, max_length=models.NAME_LENGTH))]
OtpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
# Display currencies for shoppers abroad (NRIs in the Gulf, UK, US, Singapore, Canada, Australia).
# Prices stay INR paise in every API; the storefront converts for display only.
DisplayCurrency = Literal["INR", "USD", "AED", "GBP", "SGD", "CAD", "AUD"]
DISPLAY_CURRENCIES: tuple[str, ...] = get_args(DisplayCurrency)
# What a customer may say yes or no to; each purpose's sender asks before it sends.
ConsentPurpose = Literal["cart_reminders"]
CONSENT_PURPOSES: tuple[str, ...] = get_args(ConsentPurpose)


class _Input(BaseModel):
    # Unknown fields are refused: a stray "role" in a registration must not pass silently.
    model_config = ConfigDict(extra="forbid")


class Principal(BaseModel):
    """Who is calling: the customer's public id and role."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    role: Role

    @property
    def is_staff(self) -> bool:
        """True for staff and admins."""
        return self.role in ("staff", "admin")


class Registration(_Input):
    """Sign-up with email and password."""

    email: Email
    name: Name
    password: Password  # last, so that its check sees the email and name it must not be made of

    @field_validator("password")
    @classmethod
    def _not_personal(cls, value: str, info: ValidationInfo) -> str:
        # Fields that failed their own checks are absent from info.data; they are refused anyway.
        return check_password(value, personal=[info.data[name] for name in ("email", "name")
                                               if name in info.data])


class Login(_Input):
    """Sign-in with email and password."""

    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]


class OtpSend(_Input):
    """Ask for a one-time code by SMS."""

    phone: Phone


class OtpVerify(_Input):
    """Sign in with the code that was sent."""

    phone: Phone
    code: OtpCode


class CustomerUpdate(_Input):
    """Profile changes a customer may make."""

    name: Name


class RoleUpdate(_Input):
    """An admin's change of a customer's role."""

    role: Role


class CustomerRead(BaseModel):
    """A customer's profile as the customer sees it."""

    model_config = ConfigDict(from_attributes=True)

    public_id: str
    email: str | None
    phone: str | None
    name: str
    role: Role


class CustomerAdminRead(CustomerRead):
    """A customer as staff see it."""

    is_active: bool
    created_at: datetime


class SessionRecord(BaseModel):
    """What the store keeps under `session:<sha256 of the token>` (never the token itself)."""

    customer_id: str
    role: Role
    created_at: datetime
    generation: int = 0  # sessions older than the customer's current generation are revoked


class SessionRead(BaseModel):
    """A new session: the token (also set as a cookie) and whose it is."""

    token: str
    customer: CustomerRead
    # After a password sign-in or sign-up: this client's device token (also set as the
    # orchid_device cookie), which keeps its sign-ins apart from a flood on the account.
    device_token: str | None = None


class OtpSent(BaseModel):
    """Where the code went and how long it lives."""

    phone: str
    expires_in: int


class AddressCreate(_Input):
    """A new delivery address."""

    name: Name
    phone: Phone
    line1: Line
    line2: Line | None = None
    landmark: Landmark | None = None
    city: City
    state: State
    pincode: Pincode
    is_default: StrictBool = False


class AddressUpdate(_Input):
    """Changes to an address; omitted fields stay. The default is changed by its own route."""

    name: Name | None = None
    phone: Phone | None = None
    line1: Line | None = None
    line2: Line | None = None
    landmark: Landmark | None = None
    city: City | None = None
    state: State | None = None
    pincode: Pincode | None = None

    @field_validator("name", "phone", "line1", "city", "state", "pincode", mode="before")
    @classmethod
    def _required_not_null(cls, value: Any) -> Any:
        # Omit a field to keep it; null would blank a column every address needs.
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class AddressRead(BaseModel):
    """A delivery address."""

    model_config = ConfigDict(from_attributes=True)

    public_id: str
    name: str
    phone: str
    line1: str
    line2: str | None
    landmark: str | None
    city: str
    state: str
    pincode: str
    is_default: bool
    created_at: datetime
    updated_at: datetime


class ConsentUpdate(_Input):
    """A customer's yes or no to one purpose."""

    granted: StrictBool


class ConsentRead(BaseModel):
    """A customer's answer for one purpose (no, and never changed, until they say)."""

    purpose: ConsentPurpose
    granted: bool = False
    updated_at: datetime | None = None


class PreferencesUpdate(_Input):
    """A shopper's display currency and delivery pincode; omitted fields stay, a null pincode
    forgets it."""

    currency: DisplayCurrency | None = None
    pincode: Pincode | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _currency_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class PreferencesRead(BaseModel):
    """The shopper's preferences (defaults: INR, no pincode), kept in a cookie, not the DB.

        PreferencesRead.from_cookie("USD.560034")   # currency USD, pincode 560034
        PreferencesRead(currency="AED").to_cookie() # "AED."
    """

    currency: DisplayCurrency = "INR"
    pincode: str | None = None

    def to_cookie(self) -> str:
        """Return the cookie value: currency and pincode joined by a dot (cookie-safe)."""
        return f"{self.currency}.{self.pincode or ''}"

    @classmethod
    def from_cookie(cls, value: str | None) -> Self:
        """Read a cookie value; anything malformed or tampered with gives the defaults."""
        currency, _, pincode = (value or "").partition(".")
        try:
            return cls.model_validate({"currency": currency,
                                       "pincode": check_pincode(pincode) if pincode else None})
        except ValueError:  # pydantic's ValidationError is a ValueError too
            return cls()

    def updated(self, data: PreferencesUpdate) -> Self:
        """Return these preferences with the fields `data` sets."""
        return self.model_copy(update={name: getattr(data, name)
                                       for name in data.model_fields_set})
