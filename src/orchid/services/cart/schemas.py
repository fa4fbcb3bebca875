"""Cart bodies: what is stored per cart, what the API accepts, and the priced cart it returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orchid.kit.numbers import JsonInt

MAX_QUANTITY, MAX_LINES = 10, 50
SKU_PATTERN = r"^[A-Z0-9-]{3,40}$"

Sku = Annotated[str, StringConstraints(pattern=SKU_PATTERN)]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY), JsonInt]


class CartLine(BaseModel):
    """A SKU and how many of it, as the orders service reads a cart (no prices)."""

    sku: str
    quantity: int
    added_at: datetime


class StoredLine(CartLine):
    """A line as kept in the store."""

    # The price last shown to the shopper, only to say "price changed"; never used to charge.
    seen_price_paise: int | None = None


class StoredCart(BaseModel):
    """The JSON value of one `cart:<id>` key."""

    lines: list[StoredLine] = []
    updated_at: datetime | None = None


class IdleCart(BaseModel):
    """A signed-in customer's cart and when it last changed (from the activity index)."""

    cart_id: str
    customer_id: str  # the customer's public id
    changed_at: datetime


class CartItemAdd(BaseModel):
    """Put `quantity` more of a SKU into the cart."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: Quantity = 1


class CartItemUpdate(BaseModel):
    """Set a line's quantity (remove a line with DELETE, not with 0)."""

    model_config = ConfigDict(extra="forbid")

    quantity: Quantity


class CartLineRead(BaseModel):
    """A line priced from the catalog now, with the stock the inventory reports."""

    sku: str
    product_slug: str
    product_name: str
    variant_name: str
    image: str | None
    quantity: int
    unit_price_paise: int
    unit_mrp_paise: int
    line_total_paise: int
    available: int | None  # None: the inventory could not be asked
    in_stock: bool | None
    purchasable: bool  # published, and not known to be short of stock


class CartRead(BaseModel):
    """A priced cart; totals cover the purchasable lines only (what checkout would charge)."""

    lines: list[CartLineRead]
    item_count: int  # every unit in the cart, purchasable or not (the header badge)
    subtotal_paise: int
    mrp_total_paise: int
    savings_paise: int
    currency: Literal["INR"] = "INR"
    notices: list[str] = []
