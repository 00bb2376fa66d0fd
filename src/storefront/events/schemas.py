from datetime import datetime
from typing import Any

from pydantic import BaseModel

from storefront.events.models import Event


class EventView(BaseModel):
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
