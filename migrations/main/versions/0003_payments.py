"""Payments: payment intents, provider events and refunds.

Revision ID: 0003_payments
Revises: 0002_accounts
Create Date: 2025-01-01
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003_payments"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None

TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
# UTC without a zone (as orchid.kit.orm.UTCDateTime); microseconds kept on MariaDB, whose
# DATETIME drops them by default.
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
INTENT_STATUSES = ("status IN ('pending', 'requires_action', 'cod_pending', 'succeeded', "
                   "'failed', 'cancelled', 'refunded')")
REFUND_STATUSES = "status IN ('pending', 'succeeded', 'failed')"


def upgrade() -> None:
    op.create_table(
        "payment_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("order_number", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount_paise", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("provider_ref", sa.String(64), nullable=True),
        sa.Column("card_brand", sa.String(16), nullable=True),
        sa.Column("card_last4", sa.String(4), nullable=True),
        sa.Column("next_action_url", sa.String(255), nullable=True),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_intents")),
        sa.UniqueConstraint("public_id", name=op.f("uq_payment_intents_public_id")),
        sa.UniqueConstraint("order_number", name=op.f("uq_payment_intents_order_number")),
        sa.CheckConstraint(INTENT_STATUSES, name=op.f("ck_payment_intents_status")),
        sa.CheckConstraint("amount_paise > 0", name=op.f("ck_payment_intents_amount_positive")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_payment_intents_customer_id"), "payment_intents", ["customer_id"])
    op.create_table(
        "payment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("notified_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_payment_events_event_id")),
        sa.ForeignKeyConstraint(["intent_id"], ["payment_intents.id"],
                                name=op.f("fk_payment_events_intent_id_payment_intents")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_payment_events_intent_id"), "payment_events", ["intent_id"])
    op.create_index(op.f("ix_payment_events_notified_at"), "payment_events", ["notified_at"])
    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.Column("amount_paise", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("provider_ref", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("public_id", name=op.f("uq_refunds_public_id")),
        sa.ForeignKeyConstraint(["intent_id"], ["payment_intents.id"],
                                name=op.f("fk_refunds_intent_id_payment_intents")),
        sa.CheckConstraint(REFUND_STATUSES, name=op.f("ck_refunds_status")),
        sa.CheckConstraint("amount_paise > 0", name=op.f("ck_refunds_amount_positive")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_refunds_intent_id"), "refunds", ["intent_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_refunds_intent_id"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index(op.f("ix_payment_events_notified_at"), table_name="payment_events")
    op.drop_index(op.f("ix_payment_events_intent_id"), table_name="payment_events")
    op.drop_table("payment_events")
    op.drop_index(op.f("ix_payment_intents_customer_id"), table_name="payment_intents")
    op.drop_table("payment_intents")
