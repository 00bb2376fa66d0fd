"""Idempotency keys: a retried request gets the first answer, never a second effect.

The key row is inserted first, in the same transaction as the work it guards. A concurrent
request with the same key waits on that row (PostgreSQL blocks the conflicting insert until the
first transaction ends; SQLite writers are serialized), then reads the stored answer. Only a
successful answer is kept: a refused request rolls back with its key, so a retry is judged anew.
"""

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.db.base import utcnow
from storefront.db.dialect import upsert_insert
from storefront.orders.errors import IdempotencyKeyReused
from storefront.orders.models import IdempotencyRecord
from storefront.web.responses import dumps

KEY_LIFETIME = timedelta(hours=24)
IN_PROGRESS = 0


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


def fingerprint(payload: Any) -> str:
    """A hash of the request's meaning: the same JSON in any key order hashes the same."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
            await self.session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.scope == self.scope, IdempotencyRecord.key == key
                )
            )
            if await self._insert(key, request_hash, now):
                return None
            row = await self._find(key)
        if row.request_hash != request_hash:
            raise IdempotencyKeyReused(details={"idempotency_key": key})
        return StoredAnswer(status_code=row.status_code, body=row.response_body)

    async def _insert(self, key: str, request_hash: str, now: datetime) -> bool:
        inserted = await self.session.execute(
            upsert_insert(self.session, IdempotencyRecord)
            .values(
                scope=self.scope,
                key=key,
                request_hash=request_hash,
                status_code=IN_PROGRESS,
                response_body={},
                created_at=now,
                expires_at=now + KEY_LIFETIME,
            )
            .on_conflict_do_nothing(index_elements=["scope", "key"])
            .returning(IdempotencyRecord.key)
        )
        return inserted.first() is not None

    async def _find(self, key: str) -> Any:
        query = select(
            IdempotencyRecord.request_hash,
            IdempotencyRecord.status_code,
            IdempotencyRecord.response_body,
            IdempotencyRecord.expires_at,
        ).where(IdempotencyRecord.scope == self.scope, IdempotencyRecord.key == key)
        return (await self.session.execute(query)).one()

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
