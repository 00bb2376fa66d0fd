"""Reads of the event store, oldest first, so `after=<last id seen>` walks it like a log."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.events.models import Event


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        *,
        name: str | None,
        correlation_id: str | None,
        after: int | None,
        skip: int,
        limit: int,
    ) -> tuple[Sequence[Event], bool]:
        """Up to `limit` events and whether more follow."""
        statement = select(Event).order_by(Event.id)
        if name:
            statement = statement.where(Event.name == name)
        if correlation_id:
            statement = statement.where(Event.correlation_id == correlation_id)
        if after is not None:
            statement = statement.where(Event.id > after)
        rows = (await self.session.scalars(statement.offset(skip).limit(limit + 1))).all()
        return rows[:limit], len(rows) > limit
