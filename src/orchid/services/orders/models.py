"""Orders tables in the main database: orders, their lines and their status history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from orchid.kit.orm import MainBase, UTCDateTime, utcnow
from orchid.services.orders.states import STATUSES, OrderStatus

NUMBER_LENGTH, PUBLIC_ID_LENGTH, KEY_LENGTH, HASH_LENGTH = 16, 32, 64, 64
SKU_LENGTH, SLUG_LENGTH, NAME_LENGTH, STATUS_LENGTH = 40, 160, 200, 16
ACTOR_LENGTH, REASON_LENGTH = 64, 200
# Hindi and Tamil names need 4-byte-safe text whatever the server's default charset is.
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
# Keys compare byte for byte: under a case-insensitive collation "key-aB" and "key-Ab" would
# be one checkout.
ASCII_BIN = String(KEY_LENGTH).with_variant(
    mysql.VARCHAR(KEY_LENGTH, charset="ascii", collation="ascii_bin"), "mysql", "mariadb")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Order(MainBase):
    """One customer's order, from checkout to delivery (or cancellation)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("customer_id", "idempotency_key"),
        # Order history, newest first, one keyset page at a time.
        Index("ix_orders_customer_id_created_at", "customer_id", "created_at", "id"),
        # Staff queues per status, and the sweeper's "pending past expiry".
        Index("ix_orders_status_created_at", "status", "created_at", "id"),
        Index("ix_orders_status_expires_at", "status", "expires_at"),
        CheckConstraint(_one_of("status", STATUSES), name="status_known"),
        CheckConstraint("payment_method IN ('cod', 'card')", name="payment_method_known"),
        CheckConstraint("subtotal_paise >= 0 AND shipping_paise >= 0 AND gst_paise >= 0 "
                        "AND total_paise = subtotal_paise + shipping_paise", name="money"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(NUMBER_LENGTH), unique=True)
    customer_id: Mapped[str] = mapped_column(String(PUBLIC_ID_LENGTH))
    idempotency_key: Mapped[str] = mapped_column(ASCII_BIN)
    fingerprint: Mapped[str] = mapped_column(String(HASH_LENGTH))
    status: Mapped[OrderStatus] = mapped_column(String(STATUS_LENGTH))
    reservation_key: Mapped[str] = mapped_column(ASCII_BIN)
    payment_method: Mapped[str] = mapped_column(String(8))
    subtotal_paise: Mapped[int] = mapped_column(Integer)
    shipping_paise: Mapped[int] = mapped_column(Integer)
    gst_paise: Mapped[int] = mapped_column(Integer)
    total_paise: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    address: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Stock bookkeeping: `allocated` is set once the reservation's units left on_hand for this
    # order; `stock_returned` once a cancelled order's allocated units were put back (claimed
    # under the row lock, so they are put back at most once).
    allocated: Mapped[bool] = mapped_column(Boolean, default=False)
    stock_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OrderLine(MainBase):
    """One SKU of an order, priced as it was at checkout."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True)
    sku: Mapped[str] = mapped_column(String(SKU_LENGTH))
    product_slug: Mapped[str] = mapped_column(String(SLUG_LENGTH))
    product_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    variant_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_paise: Mapped[int] = mapped_column(Integer)
    unit_mrp_paise: Mapped[int] = mapped_column(Integer)
    gst_rate_bp: Mapped[int] = mapped_column(Integer)
    gst_paise: Mapped[int] = mapped_column(Integer)
    line_total_paise: Mapped[int] = mapped_column(Integer)


class OrderEvent(MainBase):
    """One status change of an order: who moved it, from where to where, and why."""

    __tablename__ = "order_events"
    __table_args__ = (TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True)
    from_status: Mapped[OrderStatus | None] = mapped_column(String(STATUS_LENGTH))
    to_status: Mapped[OrderStatus] = mapped_column(String(STATUS_LENGTH))
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
