"""What differs between PostgreSQL and SQLite in the SQL we write, in one place."""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, String, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

# Rows or ids per statement on SQLite, under its bound-parameter limit.
SQLITE_CHUNK = 500
_T = TypeVar("_T")


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def driver_connection(session: AsyncSession) -> Any:
    """The session's asyncpg connection, for what SQLAlchemy would only add CPU to (COPY, the
    hottest hand-written statements). It runs in the session's transaction once that has begun."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    return driver


def upsert_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT that understands ON CONFLICT on the session's backend."""
    if is_postgres(session):
        return postgresql.insert(model)
    return sqlite.insert(model)


def chunks(values: Sequence[_T], size: int = SQLITE_CHUNK) -> Iterable[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def id_batches(session: AsyncSession, ids: Sequence[_T]) -> Iterable[Sequence[_T]]:
    """All ids at once on PostgreSQL (see `string_in`); SQLITE_CHUNK at a time on SQLite."""
    return [ids] if is_postgres(session) else chunks(ids)


def string_in(
    session: AsyncSession, column: InstrumentedAttribute[str], values: Sequence[str]
) -> ColumnElement[bool]:
    """`column IN (...)`: on PostgreSQL one array parameter, however many values."""
    if is_postgres(session):
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String)))
    return column.in_(values)
