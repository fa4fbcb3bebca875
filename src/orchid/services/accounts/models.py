"""Accounts tables: customers (and staff, by role), their delivery addresses and consents."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orchid.kit.orm import MainBase, UTCDateTime, utcnow

PUBLIC_ID_LENGTH, EMAIL_LENGTH, PHONE_LENGTH, NAME_LENGTH = 32, 254, 16, 100
LINE_LENGTH, CITY_LENGTH, STATE_LENGTH, PINCODE_LENGTH = 200, 100, 64, 6
PURPOSE_LENGTH = 32  # of a consent
# Hindi, Tamil, … names need 4-byte-safe text whatever the server's default charset is.
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


def new_public_id() -> str:
    """Return a random 128-bit id for clients (26 lower-case base32 characters)."""
    # Lower case only: MariaDB's *_ci collations would otherwise treat "aB" and "Ab" as one id.
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


class Customer(MainBase):
    """A person who can sign in: a shopper, or staff/admin by role."""

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("role IN ('customer', 'staff', 'admin')", name="role"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(PUBLIC_ID_LENGTH), unique=True,
                                           default=new_public_id)
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH), unique=True)
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    role: Mapped[str] = mapped_column(String(16), default="customer")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Address(MainBase):
    """A delivery address; exactly one of a customer's addresses is the default."""

    __tablename__ = "addresses"
    __table_args__ = (TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(PUBLIC_ID_LENGTH), unique=True,
                                           default=new_public_id)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    phone: Mapped[str] = mapped_column(String(PHONE_LENGTH))
    line1: Mapped[str] = mapped_column(String(LINE_LENGTH))
    line2: Mapped[str | None] = mapped_column(String(LINE_LENGTH))
    landmark: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    city: Mapped[str] = mapped_column(String(CITY_LENGTH))
    state: Mapped[str] = mapped_column(String(STATE_LENGTH))
    pincode: Mapped[str] = mapped_column(String(PINCODE_LENGTH))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Consent(MainBase):
    """A customer's yes or no to one use of their contact details (cart reminders, …); no row
    means never asked, which counts as no."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("customer_id", "purpose", name="uq_consents_customer_id_purpose"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(PURPOSE_LENGTH))
    granted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
