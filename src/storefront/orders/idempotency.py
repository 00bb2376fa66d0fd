"""Idempotency keys: a retried order gets the first answer, never a second order.

A key is recorded with the order it placed, in the statement (PostgreSQL) or transaction (SQLite)
that places it, keeping the order's id and the id of the request that placed it: the first answer
is the order as it was accepted, under that request's id. The table's primary key decides
between concurrent requests with one key: the later placement fails whole (`KeyTaken`), writes
nothing, and the recorded key answers. A refused request records nothing, so its retry is judged
anew. Keys recorded before orders named their key hold a copy of their answer (`response_body`),
which a replay returns as it was.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.orders.models import IdempotencyRecord

KEY_LIFETIME = timedelta(hours=24)
# The status of a key whose order was placed: 201 Created, answered with the order.
ORDER_PLACED = 201


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


@dataclass(frozen=True, slots=True)
class RecordedKey:
    request_hash: str
    status_code: int
    # A key recorded before orders named their key: the answer as it was sent.
    response_body: dict[str, Any]
    expires_at: datetime
    order_id: uuid.UUID | None
    request_id: str | None


class KeyTaken(Exception):
    """The offered key is already recorded: the placement failed whole and wrote nothing."""


def fingerprint(payload: Any) -> str:
    """A hash of the request's meaning: the same JSON in any key order hashes the same."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


class IdempotencyKeys:
    def __init__(self, session: AsyncSession, scope: str) -> None:
        self.session = session
        self.scope = scope

    async def find(self, key: str) -> RecordedKey | None:
        query = select(
            IdempotencyRecord.request_hash,
            IdempotencyRecord.status_code,
            IdempotencyRecord.response_body,
            IdempotencyRecord.expires_at,
            IdempotencyRecord.order_id,
            IdempotencyRecord.request_id,
        ).where(IdempotencyRecord.scope == self.scope, IdempotencyRecord.key == key)
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        return RecordedKey(
            request_hash=row.request_hash,
            status_code=row.status_code,
            response_body=row.response_body,
            expires_at=row.expires_at,
            order_id=row.order_id,
            request_id=row.request_id,
        )

    async def free_if_expired(self, key: str, now: datetime) -> None:
        """Delete the key if it is past its lifetime, in the caller's transaction: it is free again."""
        await self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == self.scope,
                IdempotencyRecord.key == key,
                IdempotencyRecord.expires_at < now,
            )
        )

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


async def purge_expired_keys(session: AsyncSession, now: datetime) -> int:
    """Delete every key past its lifetime, in every scope."""
    result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))
    return int(result.rowcount)  # type: ignore[attr-defined]
