import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db.base import Base, JSONDoc, one_of, utcnow


class OrderStatus(StrEnum):
    ACCEPTED = "accepted"  # stock reserved, the push to the ERP pending
    CONFIRMED = "confirmed"  # the ERP has the sales order
    FAILED = "failed"  # the ERP refused it for good; its units were given back
    CANCELLED = "cancelled"  # an operator cancelled it; its units were given back


class PushStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    DONE = "done"
    FAILED = "failed"  # given up on
    WITHDRAWN = "withdrawn"  # the order was cancelled before anything reached the ERP


class PushAction(StrEnum):
    CREATE = "create"  # create the sales order (and confirm it)
    VOID = "void"  # void it: the order was cancelled after its sales order may have been created


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    customer_name: Mapped[str] = mapped_column(String(255))
    customer_email: Mapped[str] = mapped_column(String(320))
    customer_phone: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal]
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id"))
    erp_salesorder_id: Mapped[str | None] = mapped_column(String(64))
    erp_salesorder_number: Mapped[str | None] = mapped_column(String(64))
    erp_contact_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Set once our reservation is returned: on failure, cancellation, or when the ERP's own
    # figures (read after confirmation) include the order.
    reservation_released_at: Mapped[datetime | None]

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.line_no", lazy="raise"
    )

    __table_args__ = (
        Index("ix_orders_status_created", "status", "created_at"),
        one_of("status", OrderStatus),
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    erp_item_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(512))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]
    # Set once this line's reserved units are given back (see Order.reservation_released_at).
    reservation_released_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise")

    __table_args__ = (
        Index("ix_order_lines_product_id", "product_id"),
        # The lines still holding units, found by item when a sync brings the ERP's new figures.
        Index(
            "ix_order_lines_unreleased",
            "erp_item_id",
            postgresql_where=text("reservation_released_at IS NULL"),
            sqlite_where=text("reservation_released_at IS NULL"),
        ),
    )


class OrderPush(Base):
    """The intent to create the order in the ERP, written with the order in one transaction."""

    __tablename__ = "order_pushes"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=PushStatus.PENDING)
    action: Mapped[str] = mapped_column(
        String(16), default=PushAction.CREATE, server_default=PushAction.CREATE
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_order_pushes_due", "status", "next_attempt_at"),
        one_of("status", PushStatus),
        one_of("action", PushAction),
    )


class ErpContact(Base):
    """The ERP contact of a shopper's email (lower-cased): a known shopper costs no ERP call."""

    __tablename__ = "erp_contacts"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    # Set instead of a stored answer when the key placed an order: its answer is that order as
    # accepted, under the id of the request that placed it. Written with the order.
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)
