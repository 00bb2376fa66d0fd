"""Zoho item webhooks: verify the signature, keep the delivery in an inbox, sync the named items.

Deliveries come as JSON or form-encoded bodies; unsigned ones are refused unless
STOREFRONT_ZOHO_WEBHOOK_ALLOW_UNSIGNED is set. The inbox forgets deliveries after
STOREFRONT_ZOHO_WEBHOOK_RETENTION_DAYS.

Webhooks are hints: they get lost, repeat and arrive out of order. A delivery is identified by
the hash of its body, so a repeat of one that was processed (or is being processed) does
nothing; a repeat of one whose sync failed is processed again. The items are read fresh from
the ERP, never taken from the body.
"""

import hashlib
import hmac
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from pydantic import SecretStr
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.db.base import utcnow
from storefront.db.dialect import upsert_insert
from storefront.db.engine import Database
from storefront.db.session import commit
from storefront.events.bus import record
from storefront.events.names import EventName
from storefront.sync.models import DeliveryStatus, WebhookDelivery
from storefront.sync.schemas import ITEM_ID_PATTERN, SyncRequest, SyncRunView
from storefront.sync.service import SyncInProgress, SyncService
from storefront.web.errors import BadRequest, ServiceUnavailable, Unauthorized, Unprocessable

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
# How long a delivery waits for a running sync before it is left to the next scheduled one.
WAIT_FOR_RUNNING_SYNC_SECONDS = 10.0
PURGE_INTERVAL_SECONDS = 60.0


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


def _signed_pairs(pairs: list[tuple[str, str]]) -> str:
    return "".join(key + value for key, value in sorted(pairs, key=lambda pair: pair[0]))


def expected_signatures(
    secret: SecretStr, body: bytes, query: list[tuple[str, str]], form: list[tuple[str, str]] | None
) -> list[str]:
    """The two forms a delivery may be signed in, lowercase hex HMAC-SHA256 with the secret:
    of the raw body; and Zoho Billing's, of the query pairs sorted by key, each key followed by its
    value, then the raw JSON body, or for a form body its decoded pairs sorted and written the same way.
    """
    key = secret.get_secret_value().encode()
    zoho = _signed_pairs(query).encode() + (body if form is None else _signed_pairs(form).encode())
    return [hmac.new(key, signed, hashlib.sha256).hexdigest() for signed in (body, zoho)]


def verify_signature(
    secret: SecretStr | None,
    allow_unsigned: bool,
    signature: str | None,
    body: bytes,
    query: list[tuple[str, str]],
    form: list[tuple[str, str]] | None,
) -> None:
    """A signature is checked against the secret in constant time; a delivery that cannot be checked
    (no signature, or no secret to check it with) is refused unless unsigned ones are allowed."""
    given = (signature or "").strip().lower().encode()
    if secret is None or not given:
        if allow_unsigned:
            return
        raise InvalidWebhookSignature()
    matches = [
        hmac.compare_digest(expected.encode(), given)
        for expected in expected_signatures(secret, body, query, form)
    ]
    if not any(matches):
        raise InvalidWebhookSignature()


class InvalidItemId(Unprocessable):
    code = "invalid_item_id"
    message = "The webhook names an item id that is not an ERP item id (letters, digits, _ and - only)."


def _item_id(value: Any) -> str | None:
    """The id a candidate names; None when it names none; InvalidItemId when it names a bad one."""
    if isinstance(value, dict):
        value = value.get("item_id")
        if value is None:
            return None
    if isinstance(value, int | str) and not isinstance(value, bool):
        text = str(value).strip()
        if re.fullmatch(ITEM_ID_PATTERN, text):
            return text
    raise InvalidItemId(details={"item_id": str(value)[:64]})


def _form_payload(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """A form delivery: Zoho's default payload in a JSONString field, or fields named like the JSON's."""
    fields: dict[str, Any] = {}
    for key, value in pairs:
        if key == "item_id":
            fields.setdefault("item_id", []).append(value)
        else:
            fields[key] = value
    if "JSONString" in fields:
        return _json_payload(str(fields["JSONString"]).encode())
    return fields


def _json_payload(body: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("The webhook body is not JSON.") from exc
    if not isinstance(payload, dict):
        raise BadRequest("The webhook body must be a JSON object.")
    return payload


def parse_delivery(
    body: bytes, form: list[tuple[str, str]] | None, max_items: int
) -> tuple[dict[str, Any], list[str]]:
    """The payload and the item ids it names ({"item": {...}}, {"items": [...]}, {"item_id": ...}
    in JSON, or the same in a form), at most `max_items` of them."""
    payload = _json_payload(body) if form is None else _form_payload(form)
    item_id = payload.get("item_id")
    candidates: list[Any] = [payload.get("item"), *(item_id if isinstance(item_id, list) else [item_id])]
    if isinstance(payload.get("items"), list):
        candidates.extend(payload["items"])
    ids = list(dict.fromkeys(i for i in (_item_id(c) for c in candidates if c is not None) if i is not None))
    if not ids:
        raise Unprocessable("The webhook names no item (expected item.item_id).")
    if len(ids) > max_items:
        raise Unprocessable(f"A webhook may name at most {max_items} items.", details={"items": len(ids)})
    return payload, ids


class WebhookProcessor:
    def __init__(self, database: Database, service: SyncService, retention: timedelta) -> None:
        self.database = database
        self.service = service
        self.retention = retention
        self._next_purge = 0.0

    async def handle(self, body: bytes, payload: dict[str, Any], item_ids: list[str]) -> WebhookOutcome:
        """Store the delivery (or recognise a repeat), then sync the items it names."""
        await self._purge_expired()
        run_id = uuid.uuid4()
        content_hash = hashlib.sha256(body).hexdigest()
        async with self.database.write_sessionmaker() as session:
            delivery_id, fresh = await self._claim(session, content_hash, payload)
            if fresh:
                record(
                    session,
                    EventName.WEBHOOK_RECEIVED,
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
            await self._settle(delivery_id, DeliveryStatus.DEFERRED, None, item_ids, run_id)
            return WebhookOutcome(
                delivery_id, duplicate=False, status=DeliveryStatus.DEFERRED, item_ids=item_ids
            )
        except BaseException:
            await self._settle(delivery_id, DeliveryStatus.FAILED, None, item_ids, run_id)
            raise
        run = await self.service.execute(begun)
        status = DeliveryStatus.PROCESSED if run.status == "completed" else DeliveryStatus.FAILED
        await self._settle(delivery_id, status, run, item_ids, run_id)
        if status == DeliveryStatus.FAILED:
            raise WebhookProcessingFailed(details={"delivery_id": delivery_id, "run_id": str(run.id)})
        return WebhookOutcome(delivery_id, duplicate=False, status=status, item_ids=item_ids, run=run)

    async def _purge_expired(self) -> None:
        """Forget deliveries older than the retention period (at most once a minute per process)."""
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_INTERVAL_SECONDS
        async with self.database.write_sessionmaker() as session:
            await session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.received_at < utcnow() - self.retention)
            )
            await commit(session)

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
                status=DeliveryStatus.RECEIVED,
            )
            .on_conflict_do_nothing(index_elements=["content_hash"])
            .returning(WebhookDelivery.id)
        )
        if inserted is not None:
            return inserted, True
        retried = await session.scalar(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.content_hash == content_hash,
                WebhookDelivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.DEFERRED)),
            )
            .values(status=DeliveryStatus.RECEIVED, error=None)
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
                    processed_at=utcnow() if status == DeliveryStatus.PROCESSED else None,
                    error=run.error if run is not None else None,
                )
            )
            record(
                session,
                EventName.WEBHOOK_PROCESSED,
                correlation_id=str(run_id),
                delivery_id=delivery_id,
                item_ids=item_ids,
                status=status,
                run_status=run.status if run else None,
                counts=run.counts.model_dump() if run else None,
            )
            await commit(session)
