"""One session per request, committed once at the edge; services never commit.

Work that must only happen once the transaction is durable (cache invalidation, waking a
worker) is queued with `after_commit(session, callback)` and run by whoever commits, through
`commit(session)`.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.db.engine import Database
from storefront.logging import get_logger

AfterCommit = Callable[[], Awaitable[object]]
_AFTER_COMMIT = "storefront.after_commit"
log = get_logger(__name__)


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


async def commit(session: AsyncSession) -> None:
    """Commit, then run the callbacks queued for this transaction (in order)."""
    await session.commit()
    callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            log.exception("after_commit_callback_failed")


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).sessionmaker() as session:
        yield session


async def catalog_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read session for what the catalog shows, on a caught-up replica when there is one."""
    async with get_database(request).catalog_sessionmaker() as session:
        yield session


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).write_sessionmaker() as session:
        try:
            yield session
        except BaseException:
            discard_after_commit(session)
            await session.rollback()
            raise
        await commit(session)


ReadSession = Annotated[AsyncSession, Depends(read_session)]
CatalogSession = Annotated[AsyncSession, Depends(catalog_session)]
# Function scope: the transaction commits when the endpoint returns, before the response is sent,
# so an answered write is durable (the default request scope would commit after sending).
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
