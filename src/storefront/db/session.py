"""One session per request, committed once at the edge; services never commit."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.db.engine import Database


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).sessionmaker() as session:
        yield session


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_database(request).write_sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


ReadSession = Annotated[AsyncSession, Depends(read_session)]
WriteSession = Annotated[AsyncSession, Depends(write_session)]
