from datetime import datetime
from typing import Any

from pydantic import Field

from storefront.events.models import Event
from storefront.web.envelope import Answer, PageMeta


class EventPageMeta(PageMeta):
    last_id: int | None = Field(
        description="The last event's id on this page: ask `after` it for newer ones."
    )


class EventView(Answer):
    id: int
    name: str
    correlation_id: str | None
    payload: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, event: Event) -> "EventView":
        return cls(
            id=event.id,
            name=event.name,
            correlation_id=event.correlation_id,
            payload=event.payload or {},
            created_at=event.created_at,
        )
