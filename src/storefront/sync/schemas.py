"""What the sync endpoints accept and answer."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from storefront.sync.models import RunStatus, SyncRun
from storefront.web.envelope import Answer

SyncMode = Literal["full", "incremental", "items"]
# What a run is doing: reading items, asking about the ones a full listing never saw, pricing.
SyncPhase = Literal["fetching", "confirming", "pricing", "completed", "failed"]
# ERP item ids go into ERP URLs: letters, digits, "_" and "-" only (Zoho's are digits).
ITEM_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ItemId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=ITEM_ID_PATTERN)]
MAX_ITEMS_PER_REQUEST = 500


class SyncRequest(BaseModel):
    """`item_ids` syncs those items only; otherwise `mode` (incremental unless told)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["full", "incremental"] | None = None
    item_ids: Annotated[list[ItemId], Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "SyncRequest":
        if self.mode is not None and self.item_ids is not None:
            raise ValueError("give either mode or item_ids, not both")
        return self

    @property
    def effective_mode(self) -> SyncMode:
        if self.item_ids is not None:
            return "items"
        return self.mode or "incremental"

    @property
    def unique_item_ids(self) -> list[str]:
        return list(dict.fromkeys(self.item_ids or []))


class SyncCounts(Answer):
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    failed: int = 0


class SyncProgressView(Answer):
    """How far a run is: its phase, the items it expects (from the mirror's size) and, while it
    runs, the time left at the pace it has kept so far."""

    phase: str | None
    expected_items: int | None
    eta_seconds: float | None


class SyncRunView(Answer):
    id: uuid.UUID
    mode: str
    status: str
    trigger: str
    item_ids: list[str] | None
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    counts: SyncCounts
    high_water_mark: datetime | None
    error: str | None
    progress: SyncProgressView

    @classmethod
    def of(cls, run: SyncRun) -> "SyncRunView":
        duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        eta = None
        if run.status == RunStatus.RUNNING and run.expected_items and run.fetched:
            elapsed = (datetime.now(UTC) - run.started_at).total_seconds()
            eta = round(max(run.expected_items - run.fetched, 0) * elapsed / run.fetched, 1)
        return cls(
            id=run.id,
            mode=run.mode,
            status=run.status,
            trigger=run.trigger,
            item_ids=run.item_ids,
            started_at=run.started_at,
            finished_at=run.finished_at,
            duration_seconds=duration,
            counts=SyncCounts(
                fetched=run.fetched,
                created=run.created,
                updated=run.updated,
                unchanged=run.unchanged,
                deactivated=run.deactivated,
                failed=run.failed,
            ),
            high_water_mark=run.high_water_mark,
            error=run.error,
            progress=SyncProgressView(phase=run.phase, expected_items=run.expected_items, eta_seconds=eta),
        )


class ProductCounts(Answer):
    total: int
    in_stock: int
    out_of_stock: int


class SyncStatusView(Answer):
    products: ProductCounts
    last_successful_sync_at: datetime | None
    last_run: SyncRunView | None
    running: bool
    running_run_id: uuid.UUID | None


class WebhookReceipt(Answer):
    """What became of a webhook delivery."""

    delivery_id: int
    duplicate: bool = Field(description="The same delivery arrived before; nothing more was done.")
    status: str = Field(
        description="`processed`, `deferred` (a sync was running: the next one reads the items), or `duplicate`."
    )
    item_ids: list[str] = Field(description="The ERP items the delivery names.")
    run: SyncRunView | None = Field(description="The sync of those items, when one ran.")


# The body of Zoho's item webhook as the OpenAPI document describes it, JSON or form-encoded: the
# items it names are synced (their data is read from the ERP, never taken from the body).
_WEBHOOK_PAYLOAD = {
    "type": "object",
    "properties": {
        "item": {"type": "object", "properties": {"item_id": {"type": "string"}}},
        "items": {
            "type": "array",
            "items": {"type": "object", "properties": {"item_id": {"type": "string"}}},
        },
        "item_id": {"type": "string"},
    },
}
WEBHOOK_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": _WEBHOOK_PAYLOAD},
        "application/x-www-form-urlencoded": {"schema": _WEBHOOK_PAYLOAD},
    },
}
