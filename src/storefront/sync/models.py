import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.base import Base, BigIntPK, JSONDoc, one_of, utcnow


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    # Stopped by a spent ERP quota or a shutdown: a full listing resumes where it stopped.
    INTERRUPTED = "interrupted"


class DeliveryStatus(StrEnum):
    RECEIVED = "received"  # stored, its items being synced
    PROCESSED = "processed"
    FAILED = "failed"  # its sync failed: the same delivery sent again is processed
    DEFERRED = "deferred"  # another sync was running: left to the next scheduled one


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(32), default="api")
    item_ids: Mapped[list[str] | None] = mapped_column(JSONDoc)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deactivated: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    high_water_mark: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # A full listing may span runs (it resumes after a restart or a spent quota): they share this id.
    listing_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Where the listing stands: items modified after `cursor_mark` are still to read, from `cursor_page`.
    cursor_mark: Mapped[datetime | None]
    cursor_page: Mapped[int | None] = mapped_column(Integer)
    expected_items: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_sync_runs_status_started", "status", "started_at"),
        one_of("status", RunStatus),
    )


class ListingSeen(Base):
    """An item a full listing has read: items it never saw are asked for one by one at its end."""

    __tablename__ = "sync_listing_seen"

    listing_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    erp_item_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class WebhookDelivery(Base):
    __tablename__ = "webhook_inbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(32), default="zoho")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.RECEIVED)
    error: Mapped[str | None] = mapped_column(Text)

    # Deliveries are purged after the retention period (storefront.sync.webhooks).
    __table_args__ = (
        Index("ix_webhook_inbox_received_at", "received_at"),
        one_of("status", DeliveryStatus),
    )
