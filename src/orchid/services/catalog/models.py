"""Catalog tables: brands, the category tree, products and their variants."""

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
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orchid.kit.orm import MainBase, UTCDateTime, utcnow

SLUG_LENGTH, NAME_LENGTH, SKU_LENGTH = 160, 200, 40
# Hindi and Tamil names need 4-byte-safe text whatever the server's default charset is.
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


class Brand(MainBase):
    """A brand products are sold under."""

    __tablename__ = "brands"
    __table_args__ = (TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))


class Category(MainBase):
    """A node of the category tree; products usually hang off the leaves."""

    __tablename__ = "categories"
    __table_args__ = (TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(MainBase):
    """A sellable product; `price_paise` is the cheapest variant's price, kept on every write."""

    __tablename__ = "products"
    __table_args__ = (
        # One index per listing sort, each led by `published` so a page is an index range scan.
        Index("ix_products_published_created_at", "published", "created_at", "id"),
        Index("ix_products_published_price_paise", "published", "price_paise", "id"),
        Index("ix_products_published_name", "published", "name", "id"),
        # Search pulls changes by (updated_at, id); without this it scans the table.
        Index("ix_products_updated_at", "updated_at", "id"),
        CheckConstraint("price_paise > 0", name="price_positive"),
        CheckConstraint("rating_x10 >= 0 AND rating_x10 <= 50", name="rating_range"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    rating_x10: Mapped[int] = mapped_column(Integer, default=0)
    price_paise: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    brand: Mapped[Brand] = relationship(lazy="raise")
    category: Mapped[Category] = relationship(lazy="raise")
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", lazy="raise", cascade="all, delete-orphan",
        order_by="Variant.id")


class Variant(MainBase):
    """A shade or size of a product, with its own SKU and price."""

    __tablename__ = "product_variants"
    __table_args__ = (
        # Serves both "variants of a product" and "its cheapest variant" without a sort.
        Index("ix_product_variants_product_id", "product_id", "price_paise"),
        CheckConstraint("price_paise > 0 AND price_paise <= mrp_paise", name="price_within_mrp"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(SKU_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    shade_hex: Mapped[str | None] = mapped_column(String(7))
    size: Mapped[str | None] = mapped_column(String(40))
    mrp_paise: Mapped[int] = mapped_column(Integer)
    price_paise: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="INR")

    product: Mapped[Product] = relationship(back_populates="variants", lazy="raise")
