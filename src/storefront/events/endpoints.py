"""GET /api/tds/events: the event store for operators."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from storefront.db.session import ReadSession
from storefront.events.repository import EventRepository
from storefront.events.schemas import EventPageMeta, EventView
from storefront.web.auth import require_admin
from storefront.web.edge import EdgeRoute
from storefront.web.envelope import envelope
from storefront.web.pagination import Page, page_meta, page_params
from storefront.web.responses import JSONResponse, success

# Event ids are BIGINT (SQLite INTEGER): a larger `after` could not be sent to the database.
MAX_EVENT_ID = 2**63 - 1
router = APIRouter(route_class=EdgeRoute, tags=["tds"], dependencies=[Depends(require_admin)])


@router.get("/events", response_model=envelope(list[EventView], EventPageMeta, "EventPage"))
async def list_events(
    session: ReadSession,
    page: Annotated[Page, Depends(page_params)],
    name: Annotated[str | None, Query(max_length=128, description="Only events with this name.")] = None,
    correlation_id: Annotated[str | None, Query(max_length=64, description="Only this run's events.")] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="Only events after this event id.")
    ] = None,
) -> JSONResponse:
    events, has_more = await EventRepository(session).page(
        name=name, correlation_id=correlation_id, after=after, skip=page.skip, limit=page.limit
    )
    data = [EventView.of(event).model_dump(mode="json") for event in events]
    meta = page_meta(page, len(data), has_more)
    meta["last_id"] = events[-1].id if events else after
    return success(data, meta)
