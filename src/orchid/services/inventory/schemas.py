"""Inventory request and response bodies; inputs are validated strictly here, once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from orchid.kit.errors import InvalidInput
from orchid.kit.numbers import JsonInt, QueryInt
from orchid.services.inventory.models import MovementKind, ReservationStatus

MAX_QUANTITY, MAX_LINES, MAX_SKUS = 100, 50, 100
MAX_TTL_SECONDS, MAX_RESTOCK, MAX_ON_HAND = 7 * 24 * 3600, 100_000, 1_000_000

# The catalog's SKU rule; inventory keeps its own copy so it needs nothing from the catalog.
Sku = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{3,40}$")]
ReservationKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
WarehouseCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$",
                                                 max_length=20)]
Pincode = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{5}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Actor = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY), JsonInt]
M = TypeVar("M", bound=BaseModel)


def _split_csv(value: Any) -> Any:
    # `?skus=A,B` and `?skus=A&skus=B` both arrive here as a list of strings.
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


class Strict(BaseModel):
    """Refuse unknown fields: a typo in a staff payload must not be silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ReserveLine(Strict):
    """Units of one SKU to hold for a checkout."""

    model_config = ConfigDict(frozen=True)

    sku: Sku
    quantity: Quantity


class ReserveRequest(Strict):
    """The arguments of `reserve`, checked as a whole."""

    key: ReservationKey
    lines: Annotated[list[ReserveLine], Field(min_length=1, max_length=MAX_LINES)]
    ttl_seconds: Annotated[int, Field(ge=1, le=MAX_TTL_SECONDS), JsonInt]

    @property
    def wanted(self) -> dict[str, int]:
        """Units per SKU, duplicate SKUs summed, in SKU order."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.sku] = totals.get(line.sku, 0) + line.quantity
        return dict(sorted(totals.items()))

    @model_validator(mode="after")
    def _summed_within_limit(self) -> Self:
        over = [sku for sku, quantity in self.wanted.items() if quantity > MAX_QUANTITY]
        if over:
            raise ValueError(f"at most {MAX_QUANTITY} units per SKU: {', '.join(over)}")
        return self


class Availability(BaseModel):
    """Units of a SKU that can still be promised, summed over active warehouses."""

    sku: str
    available: int
    in_stock: bool


class AvailabilityQuery(BaseModel):
    """The SKUs of an availability request, comma-separated or repeated."""

    skus: Annotated[list[Sku], BeforeValidator(_split_csv),
                    Field(min_length=1, max_length=MAX_SKUS)]


class ReservationLineRead(BaseModel):
    """Units of a SKU a reservation holds in one warehouse."""

    sku: str
    quantity: int
    warehouse_code: str


class ReservationRead(BaseModel):
    """A reservation and where its units are held."""

    key: str
    status: ReservationStatus
    expires_at: datetime
    lines: list[ReservationLineRead]

    def totals(self) -> dict[str, int]:
        """Units per SKU over every warehouse, in SKU order."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.sku] = totals.get(line.sku, 0) + line.quantity
        return dict(sorted(totals.items()))


class WarehouseCreate(Strict):
    """A new warehouse."""

    code: WarehouseCode
    name: Name
    city: City
    pincode: Pincode
    active: bool = True


class WarehouseRead(BaseModel):
    """A warehouse."""

    code: str
    name: str
    city: str
    pincode: str
    active: bool


class Restock(Strict):
    """Units received into a warehouse."""

    warehouse_code: WarehouseCode
    sku: Sku
    quantity: Annotated[int, Field(ge=1, le=MAX_RESTOCK), JsonInt]
    note: Note = ""


class Adjustment(Strict):
    """A counted stock level replacing the recorded one; the note says why."""

    warehouse_code: WarehouseCode
    sku: Sku
    on_hand: Annotated[int, Field(ge=0, le=MAX_ON_HAND), JsonInt]
    note: Annotated[Note, StringConstraints(min_length=1)]


class StockRead(BaseModel):
    """One SKU's stock in one warehouse."""

    warehouse_code: str
    sku: str
    on_hand: int
    reserved: int
    available: int


class MovementRead(BaseModel):
    """One entry of a SKU's stock audit trail."""

    id: int
    sku: str
    warehouse_code: str
    kind: MovementKind
    delta_on_hand: int
    delta_reserved: int
    reference: str
    actor: str
    created_at: datetime


class MovementQuery(BaseModel):
    """Which SKU's movements to list, newest first."""

    sku: Sku
    limit: Annotated[int, Field(ge=1, le=500), QueryInt] = 100


def parse(model: type[M], **fields: Any) -> M:
    """Validate service arguments with `model`, failing with InvalidInput naming each field."""
    try:
        return model(**fields)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
                  for err in exc.errors()]
        raise InvalidInput("The input did not validate.", code="validation_failed",
                           errors=errors) from exc
