"""Catalog: brands, categories, products and their variants.

Revision ID: 0001_catalog
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_catalog"
down_revision = None
branch_labels = None
depends_on = None

# Hindi and Tamil names need 4-byte-safe text whatever the server's default charset is.
# UTC without a zone; microseconds kept on MariaDB (its DATETIME drops them by default).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(160), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("slug", name=op.f("uq_brands_slug")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(160), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
        sa.ForeignKeyConstraint(["parent_id"], ["categories.id"],
                                name=op.f("fk_categories_parent_id_categories")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_categories_parent_id"), "categories", ["parent_id"])
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(160), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("rating_x10", sa.Integer(), nullable=False),
        sa.Column("price_paise", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("slug", name=op.f("uq_products_slug")),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"],
                                name=op.f("fk_products_brand_id_brands")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_products_category_id_categories")),
        sa.CheckConstraint("price_paise > 0", name=op.f("ck_products_price_positive")),
        sa.CheckConstraint("rating_x10 >= 0 AND rating_x10 <= 50",
                           name=op.f("ck_products_rating_range")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_products_brand_id"), "products", ["brand_id"])
    op.create_index(op.f("ix_products_category_id"), "products", ["category_id"])
    # One index per listing sort, each led by `published`.
    op.create_index(op.f("ix_products_published_created_at"), "products",
                    ["published", "created_at", "id"])
    op.create_index(op.f("ix_products_published_price_paise"), "products",
                    ["published", "price_paise", "id"])
    op.create_index(op.f("ix_products_published_name"), "products", ["published", "name", "id"])
    op.create_table(
        "product_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("shade_hex", sa.String(7), nullable=True),
        sa.Column("size", sa.String(40), nullable=True),
        sa.Column("mrp_paise", sa.Integer(), nullable=False),
        sa.Column("price_paise", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_variants")),
        sa.UniqueConstraint("sku", name=op.f("uq_product_variants_sku")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE",
                                name=op.f("fk_product_variants_product_id_products")),
        sa.CheckConstraint("price_paise > 0 AND price_paise <= mrp_paise",
                           name=op.f("ck_product_variants_price_within_mrp")),
        **TABLE_OPTIONS,
    )
    # Serves "variants of a product" and "its cheapest variant" without a sort.
    op.create_index(op.f("ix_product_variants_product_id"), "product_variants",
                    ["product_id", "price_paise"])


def downgrade() -> None:
    op.drop_table("product_variants")
    op.drop_table("products")
    op.drop_table("categories")
    op.drop_table("brands")
