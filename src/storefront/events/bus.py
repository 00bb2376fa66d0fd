"""A small event bus whose store is the events table: an event is recorded in the caller's
transaction, so it exists exactly when the change it reports was committed."""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.db.base import utcnow
from storefront.db.session import after_commit
from storefront.events.models import Event
from storefront.events.names import EventName

Subscriber = Callable[[Event], Awaitable[None]]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Call `subscriber` for every event, after the transaction that recorded it commits."""
    _subscribers.append(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def record(
    session: AsyncSession, name: EventName, *, correlation_id: str | None = None, **payload: Any
) -> Event:
    event = Event(name=name, correlation_id=correlation_id, payload=payload, created_at=utcnow())
    session.add(event)
    for subscriber in list(_subscribers):
        after_commit(session, _deliver(subscriber, event))
    return event


def _deliver(subscriber: Subscriber, event: Event) -> Callable[[], Awaitable[None]]:
    async def deliver() -> None:
        await subscriber(event)

    return deliver
