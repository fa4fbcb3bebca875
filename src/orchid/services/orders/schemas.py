"""Orders request and response bodies; inputs are validated strictly here, once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orchid.kit.numbers import QueryInt
from orchid.kit.pagination import Cursor
from orchid.services.orders.states import OrderStatus
from orchid.services.payments.schemas import PaymentMethod

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
MAX_PAGE = 50

IdempotencyKey = Annotated[str, StringConstraints(pattern=IDEMPOTENCY_KEY_PATTERN)]
AddressId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE), QueryInt]


class Strict(BaseModel):
    """Refuse unknown fields: a misspelt field must not be silently dropped."""

    model_config = ConfigDict(extra="forbid")


class CheckoutRequest(Strict):
    """What the customer sends to place an order: where to deliver and how they pay."""

    address_id: AddressId
    payment: PaymentMethod


class TransitionRequest(Strict):
    """A staff move of an order to another status."""

    to: OrderStatus
    reason: Reason = ""


class OrderQuery(BaseModel):
    """One page of orders, newest first, optionally of one status."""

    status: OrderStatus | None = None
    cursor: Cursor | None = None
    limit: PageSize = 20


class OrderAddress(BaseModel):
    """The delivery address as it was at checkout."""

    name: str
    phone: str
    line1: str
    line2: str | None = None
    landmark: str | None = None
    city: str
    state: str
    pincode: str


class OrderLineRead(BaseModel):
    """One line of an order, priced at checkout."""

    model_config = ConfigDict(from_attributes=True)

    sku: str
    product_slug: str
    product_name: str
    variant_name: str
    quantity: int
    unit_price_paise: int
    unit_mrp_paise: int
    gst_rate_bp: int
    gst_paise: int
    line_total_paise: int


class GstShare(BaseModel):
    """The GST contained in an order at one rate."""

    rate_bp: int
    gst_paise: int


class OrderEventRead(BaseModel):
    """One status change."""

    model_config = ConfigDict(from_attributes=True)

    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    reason: str
    created_at: datetime


class OrderRead(BaseModel):
    """An order with its lines, money, delivery address and status history."""

    number: str
    status: OrderStatus
    customer_id: str
    payment_method: str
    currency: str
    subtotal_paise: int
    mrp_total_paise: int
    savings_paise: int
    gst_paise: int
    gst_breakdown: list[GstShare]
    shipping_paise: int
    total_paise: int
    address: OrderAddress
    lines: list[OrderLineRead]
    events: list[OrderEventRead]
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


class OrderSummary(BaseModel):
    """An order in a list."""

    number: str
    status: OrderStatus
    customer_id: str
    payment_method: str
    total_paise: int
    currency: str
    item_count: int
    created_at: datetime


class OrderPage(BaseModel):
    """One page of orders and the cursor of the next, if any."""

    items: list[OrderSummary]
    next_cursor: str | None


class PaymentInfo(BaseModel):
    """Where the order's payment stands; `next_action_url` is set for 3-D Secure."""

    status: str
    provider: str
    next_action_url: str | None = None
    card_last4: str | None = None


class CheckoutResult(BaseModel):
    """The placed order and its payment."""

    order: OrderRead
    payment: PaymentInfo | None
