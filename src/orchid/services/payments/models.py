"""Payments tables: one intent per order, the provider events applied to it, and refunds."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from orchid.kit.orm import MainBase, UTCDateTime, utcnow

PUBLIC_ID_LENGTH, ORDER_NUMBER_LENGTH, CUSTOMER_ID_LENGTH = 32, 32, 32
PROVIDER_REF_LENGTH, URL_LENGTH, CODE_LENGTH, EVENT_ID_LENGTH = 64, 255, 64, 64
REASON_LENGTH = 200
INTENT_STATUSES = ("pending", "requires_action", "cod_pending", "succeeded", "failed",
                   "cancelled", "refunded")
REFUND_STATUSES = ("pending", "succeeded", "failed")
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


def new_public_id(prefix: str) -> str:
    """Return `prefix` and 128 random bits as 26 lower-case base32 characters."""
    # Lower case only: MariaDB's *_ci collations would otherwise treat "aB" and "Ab" as one id.
    return prefix + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PaymentIntent(MainBase):
    """How one order is paid: provider, state, amount; for cards only the brand and last 4."""

    __tablename__ = "payment_intents"
    __table_args__ = (
        CheckConstraint(_one_of("status", INTENT_STATUSES), name="status"),
        CheckConstraint("amount_paise > 0", name="amount_positive"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(PUBLIC_ID_LENGTH), unique=True,
                                           default=lambda: new_public_id("pi_"))
    order_number: Mapped[str] = mapped_column(String(ORDER_NUMBER_LENGTH), unique=True)
    customer_id: Mapped[str] = mapped_column(String(CUSTOMER_ID_LENGTH), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    amount_paise: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    provider_ref: Mapped[str | None] = mapped_column(String(PROVIDER_REF_LENGTH))
    card_brand: Mapped[str | None] = mapped_column(String(16))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    next_action_url: Mapped[str | None] = mapped_column(String(URL_LENGTH))
    failure_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PaymentEvent(MainBase):
    """A verified provider event; its unique `event_id` is what refuses replays."""

    __tablename__ = "payment_events"
    __table_args__ = (TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    intent_id: Mapped[int] = mapped_column(ForeignKey("payment_intents.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # NULL while orders has not yet taken the settlement this event caused (retried later).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Refund(MainBase):
    """Money returned on a succeeded intent; several partial refunds may add up to its amount."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(_one_of("status", REFUND_STATUSES), name="status"),
        CheckConstraint("amount_paise > 0", name="amount_positive"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Our reference, sent to the provider and echoed in its refund events.
    public_id: Mapped[str] = mapped_column(String(PUBLIC_ID_LENGTH), unique=True,
                                           default=lambda: new_public_id("re_"))
    intent_id: Mapped[int] = mapped_column(ForeignKey("payment_intents.id"), index=True)
    amount_paise: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    provider_ref: Mapped[str | None] = mapped_column(String(PROVIDER_REF_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
