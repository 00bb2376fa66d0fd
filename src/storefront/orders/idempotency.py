"""Idempotency keys: a retried request gets the first answer, never a second effect.

Only a successful answer is kept: a refused request leaves no key, so a retry is judged anew.
The unique (scope, key) row decides between concurrent requests with one key.

`answer_once` inserts the key row first, in the same transaction as the work it guards: a
concurrent request with the same key waits on that row (PostgreSQL blocks the conflicting insert
until the first transaction ends; SQLite writers are serialized), then reads the stored answer.

`order_once` (orders) records the key with the order itself, in the statement (PostgreSQL) or
transaction (SQLite) that places it, and keeps no copy of the answer but the order's id and the
request id: the first answer is the order as it was accepted. A placement whose key is already
recorded fails whole (`KeyTaken`) and writes nothing; the recorded key then answers.
"""

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.db.base import utcnow
from storefront.orders.errors import IdempotencyKeyReused, InsufficientStock, PriceChanged, UnsellableLines
from storefront.orders.models import IdempotencyRecord
from storefront.web.errors import ServiceUnavailable
from storefront.web.request_context import current_request_id
from storefront.web.responses import dumps

KEY_LIFETIME = timedelta(hours=24)
IN_PROGRESS = 0
# The status of a key whose order was placed: 201 Created, answered with the order.
ORDER_PLACED = 201


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OfferedKey:
    """An Idempotency-Key sent with an order, to be recorded with the order if it is placed."""

    scope: str
    key: str
    request_hash: str
    request_id: str | None
    created_at: datetime

    @property
    def expires_at(self) -> datetime:
        return self.created_at + KEY_LIFETIME


class KeyTaken(Exception):
    """The offered key is already recorded: the placement failed whole and wrote nothing."""


def fingerprint(payload: Any) -> str:
    """A hash of the request's meaning: the same JSON in any key order hashes the same."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _claim_statement(dialect: Any) -> Any:
    """Built once per backend: building an INSERT costs more CPU than running it."""
    table = IdempotencyRecord.__table__
    names = ("scope", "key", "request_hash", "response_body", "created_at", "expires_at")
    return (
        dialect.insert(table)
        .values(
            status_code=IN_PROGRESS, **{name: bindparam(name, type_=table.c[name].type) for name in names}
        )
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(table.c.key)
    )


_CLAIM = {dialect.dialect.name: _claim_statement(dialect) for dialect in (postgresql, sqlite)}


class IdempotencyKeys:
    def __init__(self, session: AsyncSession, scope: str) -> None:
        self.session = session
        self.scope = scope

    async def claim(self, key: str, request_hash: str, now: datetime) -> StoredAnswer | None:
        """None when this request owns the key; the first answer when the key was used with this body.

        Raises IdempotencyKeyReused when the key was used with another body.
        """
        if await self._insert(key, request_hash, now):
            return None
        row = await self._find(key)
        if row.expires_at < now:
            # Expired: the key is free again.
            await self.delete_expired(key, now)
            if await self._insert(key, request_hash, now):
                return None
            row = await self._find(key)
        if row.request_hash != request_hash:
            raise IdempotencyKeyReused(details={"idempotency_key": key})
        return StoredAnswer(status_code=row.status_code, body=row.response_body)

    async def _insert(self, key: str, request_hash: str, now: datetime) -> bool:
        connection = await self.session.connection()  # Core level: see pricing.load_products
        inserted = await connection.execute(
            _CLAIM[connection.dialect.name],
            {
                "scope": self.scope,
                "key": key,
                "request_hash": request_hash,
                "response_body": {},
                "created_at": now,
                "expires_at": now + KEY_LIFETIME,
            },
        )
        return inserted.first() is not None

    async def _find(self, key: str) -> Any:
        row = await self.find(key)
        if row is None:
            raise RuntimeError("an idempotency key vanished while it was being claimed")
        return row

    async def record_order(self, offered: OfferedKey, order_id: uuid.UUID) -> None:
        """Record the key with its order in the caller's transaction; IntegrityError if it exists."""
        await self.session.execute(
            insert(IdempotencyRecord).values(
                scope=offered.scope,
                key=offered.key,
                request_hash=offered.request_hash,
                status_code=ORDER_PLACED,
                response_body={},
                created_at=offered.created_at,
                expires_at=offered.expires_at,
                order_id=order_id,
                request_id=offered.request_id,
            )
        )

    async def find(self, key: str) -> Any | None:
        query = select(
            IdempotencyRecord.request_hash,
            IdempotencyRecord.status_code,
            IdempotencyRecord.response_body,
            IdempotencyRecord.expires_at,
            IdempotencyRecord.order_id,
            IdempotencyRecord.request_id,
        ).where(IdempotencyRecord.scope == self.scope, IdempotencyRecord.key == key)
        return (await self.session.execute(query)).first()

    async def delete_expired(self, key: str, now: datetime) -> None:
        """Free the key if it is still expired: a request that freed it first may hold it anew."""
        await self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == self.scope,
                IdempotencyRecord.key == key,
                IdempotencyRecord.expires_at < now,
            )
        )

    async def save(self, key: str, status_code: int, body: dict[str, Any]) -> None:
        await self.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.scope == self.scope, IdempotencyRecord.key == key)
            .values(status_code=status_code, response_body=body)
        )


async def purge_expired_keys(session: AsyncSession, now: datetime) -> int:
    """Delete every key past its lifetime, in every scope."""
    result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))
    return int(result.rowcount)  # type: ignore[attr-defined]


Answer = tuple[int, dict[str, Any]]


async def answer_once(
    session: AsyncSession,
    scope: str,
    key: str | None,
    request: BaseModel,
    produce: Callable[[], Awaitable[Answer]],
) -> Answer:
    """Run `produce` once per key (in the caller's transaction) and keep its JSON answer for replays.

    `produce` returns (status, JSON-ready body); without a key it simply runs. A body that is not
    plain JSON is normalized first, so a replay is equal to the first answer.
    """
    if key is None:
        return await produce()
    keys = IdempotencyKeys(session, scope)
    stored = await keys.claim(key, fingerprint(request.model_dump(mode="json")), utcnow())
    if stored is not None:
        return stored.status_code, stored.body
    status_code, body = await produce()
    plain: dict[str, Any] = orjson.loads(dumps(body))
    await keys.save(key, status_code, plain)
    return status_code, plain


async def order_once(
    session: AsyncSession,
    scope: str,
    key: str | None,
    request: BaseModel,
    place: Callable[[OfferedKey | None], Awaitable[Answer]],
    replay: Callable[[uuid.UUID, str | None], Awaitable[Answer]],
) -> Answer:
    """Place an order once per key. `place` records the offered key with the order it places and
    raises KeyTaken, having written nothing, when the key is already recorded; a replay answers
    `replay(order_id, request_id)`, the order as it was accepted under the first request's id.

    After a failed or refused placement the session is rolled back before the key is read, so
    nothing of that attempt can be committed with a replay.
    """
    if key is None:
        return await place(None)
    keys = IdempotencyKeys(session, scope)
    offered = OfferedKey(
        scope, key, fingerprint(request.model_dump(mode="json")), current_request_id(), utcnow()
    )
    for _ in range(3):
        try:
            return await place(offered)
        except KeyTaken:
            await session.rollback()
            recorded = await keys.find(key)
        except (UnsellableLines, PriceChanged, InsufficientStock):
            # Refused now; an earlier request with this key may have placed the order.
            await session.rollback()
            recorded = await keys.find(key)
            if recorded is None:
                raise
        if recorded is None:
            # The key was freed meanwhile (an expired key, deleted or purged): judge this one anew.
            await session.rollback()
            continue
        if recorded.expires_at < offered.created_at:
            await keys.delete_expired(key, offered.created_at)
            await session.commit()
            continue
        if recorded.request_hash != offered.request_hash:
            raise IdempotencyKeyReused(details={"idempotency_key": key})
        if recorded.order_id is None:
            return recorded.status_code, recorded.body
        return await replay(recorded.order_id, recorded.request_id)
    raise ServiceUnavailable("The shop is busy; nothing was changed. Please retry.")
