"""Zoho item webhooks: verify the signature, keep the delivery in an inbox, sync the named items.

Webhooks are hints: they get lost, repeat and arrive out of order. A delivery is identified by
the hash of its body, so a repeat of one that was processed (or is being processed) does
nothing; a repeat of one whose sync failed is processed again. The items are read fresh from
the ERP, never taken from the body.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.db.base import utcnow
from storefront.db.dialect import upsert_insert
from storefront.db.engine import Database
from storefront.db.session import commit
from storefront.events.bus import record
from storefront.sync.models import WebhookDelivery
from storefront.sync.schemas import MAX_ITEMS_PER_REQUEST, SyncRequest, SyncRunView
from storefront.sync.service import SyncInProgress, SyncService
from storefront.web.errors import BadRequest, ServiceUnavailable, Unauthorized, Unprocessable

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
WEBHOOK_RECEIVED = "tds.zoho.webhook.received"
WEBHOOK_PROCESSED = "tds.zoho.webhook.processed"
# How long a delivery waits for a running sync before it is left to the next scheduled one.
WAIT_FOR_RUNNING_SYNC_SECONDS = 10.0

RECEIVED = "received"
PROCESSED = "processed"
FAILED = "failed"
DEFERRED = "deferred"


class InvalidWebhookSignature(Unauthorized):
    code = "invalid_signature"
    message = "A valid X-Zoho-Webhook-Signature is required."


class WebhookProcessingFailed(ServiceUnavailable):
    code = "webhook_processing_failed"
    message = "The items could not be synced now; send the delivery again later."


@dataclass(frozen=True)
class WebhookOutcome:
    delivery_id: int
    duplicate: bool
    status: str
    item_ids: list[str]
    run: SyncRunView | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "duplicate": self.duplicate,
            "status": self.status,
            "item_ids": self.item_ids,
            "run": self.run.model_dump(mode="json") if self.run else None,
        }


def verify_signature(secret: SecretStr | None, body: bytes, signature: str | None) -> None:
    """Hex HMAC-SHA256 of the raw body, compared in constant time; no secret set: not checked."""
    if secret is None:
        return
    if not signature:
        raise InvalidWebhookSignature()
    expected = hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise InvalidWebhookSignature()


def _item_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("item_id")
    if isinstance(value, int | str) and not isinstance(value, bool):
        text = str(value).strip()
        if 0 < len(text) <= 64:
            return text
    return None


def parse_item_ids(body: bytes) -> tuple[dict[str, Any], list[str]]:
    """The payload and the item ids it names ({"item": {...}}, {"items": [...]} or {"item_id": ...})."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("The webhook body is not JSON.") from exc
    if not isinstance(payload, dict):
        raise BadRequest("The webhook body must be a JSON object.")
    candidates: list[Any] = [payload.get("item"), payload.get("item_id")]
    if isinstance(payload.get("items"), list):
        candidates.extend(payload["items"])
    ids = list(dict.fromkeys(i for i in map(_item_id, candidates) if i is not None))
    if not ids:
        raise Unprocessable("The webhook names no item (expected item.item_id).")
    if len(ids) > MAX_ITEMS_PER_REQUEST:
        raise Unprocessable(f"A webhook may name at most {MAX_ITEMS_PER_REQUEST} items.")
    return payload, ids


class WebhookProcessor:
    def __init__(self, database: Database, service: SyncService) -> None:
        self.database = database
        self.service = service

    async def handle(self, body: bytes) -> WebhookOutcome:
        """Store the delivery (or recognise a repeat), then sync the items it names."""
        payload, item_ids = parse_item_ids(body)
        run_id = uuid.uuid4()
        content_hash = hashlib.sha256(body).hexdigest()
        async with self.database.write_sessionmaker() as session:
            delivery_id, fresh = await self._claim(session, content_hash, payload)
            if fresh:
                record(
                    session,
                    WEBHOOK_RECEIVED,
                    correlation_id=str(run_id),
                    delivery_id=delivery_id,
                    item_ids=item_ids,
                )
            await commit(session)
        if not fresh:
            return WebhookOutcome(delivery_id, duplicate=True, status="duplicate", item_ids=item_ids)

        try:
            begun = await self.service.begin_when_free(
                SyncRequest(item_ids=item_ids),
                trigger="webhook",
                run_id=run_id,
                wait_seconds=WAIT_FOR_RUNNING_SYNC_SECONDS,
            )
        except SyncInProgress:
            await self._settle(delivery_id, DEFERRED, None, item_ids, run_id)
            return WebhookOutcome(delivery_id, duplicate=False, status=DEFERRED, item_ids=item_ids)
        except BaseException:
            await self._settle(delivery_id, FAILED, None, item_ids, run_id)
            raise
        run = await self.service.execute(begun)
        status = PROCESSED if run.status == "completed" else FAILED
        await self._settle(delivery_id, status, run, item_ids, run_id)
        if status == FAILED:
            raise WebhookProcessingFailed(details={"delivery_id": delivery_id, "run_id": str(run.id)})
        return WebhookOutcome(delivery_id, duplicate=False, status=status, item_ids=item_ids, run=run)

    async def _claim(
        self, session: AsyncSession, content_hash: str, payload: dict[str, Any]
    ) -> tuple[int, bool]:
        """The delivery's inbox id, and whether this call is to process it."""
        insert = upsert_insert(session, WebhookDelivery)
        inserted = await session.scalar(
            insert.values(
                content_hash=content_hash,
                source="zoho",
                payload=payload,
                received_at=utcnow(),
                status=RECEIVED,
            )
            .on_conflict_do_nothing(index_elements=["content_hash"])
            .returning(WebhookDelivery.id)
        )
        if inserted is not None:
            return inserted, True
        retried = await session.scalar(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.content_hash == content_hash, WebhookDelivery.status.in_((FAILED, DEFERRED))
            )
            .values(status=RECEIVED, error=None)
            .returning(WebhookDelivery.id)
        )
        if retried is not None:
            return retried, True
        existing = await session.scalar(
            select(WebhookDelivery.id).where(WebhookDelivery.content_hash == content_hash)
        )
        assert existing is not None
        return existing, False

    async def _settle(
        self,
        delivery_id: int,
        status: str,
        run: SyncRunView | None,
        item_ids: list[str],
        run_id: uuid.UUID,
    ) -> None:
        async with self.database.write_sessionmaker() as session:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(
                    status=status,
                    processed_at=utcnow() if status == PROCESSED else None,
                    error=run.error if run is not None else None,
                )
            )
            record(
                session,
                WEBHOOK_PROCESSED,
                correlation_id=str(run_id),
                delivery_id=delivery_id,
                item_ids=item_ids,
                status=status,
                run_status=run.status if run else None,
                counts=run.counts.model_dump() if run else None,
            )
            await commit(session)
