import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from storefront.db.session import ReadSession, WriteSession
from storefront.orders.errors import (
    PLACEMENT_ERRORS,
    InsufficientStock,
    OrderNotFound,
    OrderNotRetryable,
)
from storefront.orders.idempotency import Answer, OfferedKey, order_once
from storefront.orders.repository import ACCEPTED, CANCELLED, CONFIRMED, FAILED
from storefront.orders.schemas import Order, OrderWithPush, PlaceOrderIn
from storefront.orders.service import OrderLimits, OrderService, order_hooks
from storefront.web.auth import require_admin
from storefront.web.contract import raises
from storefront.web.edge import EdgeRoute, edge
from storefront.web.envelope import PageMeta, envelope
from storefront.web.errors import ServiceUnavailable
from storefront.web.pagination import Page, page_meta, page_params
from storefront.web.ratelimit import limit_orders
from storefront.web.responses import JSONResponse, success, success_body

# Committed before the response is sent: an accepted order is durable before the shopper hears of it.
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$"),
]

# PostgreSQL deadlock and serialization failures; SQLite's lock wait running out.
_CONTENTION_SQLSTATES = frozenset({"40P01", "40001"})


def _is_contention(exc: Exception) -> bool:
    # Through SQLAlchemy the driver's error is `exc.orig`; statements sent to asyncpg raise it as is.
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate in _CONTENTION_SQLSTATES or "database is locked" in str(cause)


@contextmanager
def contention_is_unavailable() -> Iterator[None]:
    """A transaction the database aborted for contention changed nothing: answer 503, retry later."""
    try:
        yield
    except (DBAPIError, asyncpg.PostgresError) as exc:
        if _is_contention(exc):
            raise ServiceUnavailable("The shop is busy; nothing was changed. Please retry.") from None
        raise


consumer_router = APIRouter(route_class=EdgeRoute, tags=["orders"])
tds_router = APIRouter(route_class=EdgeRoute, tags=["orders"], dependencies=[Depends(require_admin)])


def _service(request: Request, session: AsyncSession) -> OrderService:
    settings = request.app.state.settings
    return OrderService(
        session, settings.price_list, order_hooks(request.app), OrderLimits.from_settings(settings)
    )


@consumer_router.post(
    "/orders",
    status_code=201,
    summary="Place an order (stock reserved, sent to the ERP)",
    dependencies=[Depends(limit_orders)],
    response_model=envelope(Order),
    responses=raises(*PLACEMENT_ERRORS),
)
@edge(body_limit="max_order_body_bytes")
async def place_order(
    request: Request,
    order_in: PlaceOrderIn,
    session: WriteSession,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    service = _service(request, session)

    async def place(key: OfferedKey | None) -> Answer:
        order = await service.place(order_in, key=key)
        return 201, success_body(order.to_dict())

    async def replay(order_id: uuid.UUID, request_id: str | None) -> Answer:
        order = await service.as_accepted(order_id)
        meta = {"request_id": request_id} if request_id is not None else None
        return 201, success_body(order.to_dict(), meta)

    with contention_is_unavailable():
        status_code, body = await order_once(
            session, "consumer.orders", idempotency_key, order_in, place, replay
        )
    return JSONResponse(body, status_code=status_code)


@consumer_router.get(
    "/orders/{order_id}",
    summary="One order, by its id",
    response_model=envelope(Order),
    responses=raises(OrderNotFound),
)
async def get_order(request: Request, session: ReadSession, order_id: str) -> Response:
    order = await _service(request, session).get(order_id)
    return success(order.to_dict())


@tds_router.get(
    "/orders",
    summary="Orders with their ERP push progress (operator)",
    response_model=envelope(list[OrderWithPush], PageMeta, "OrderWithPushPage"),
)
async def list_orders(
    request: Request,
    session: ReadSession,
    page: Annotated[Page, Depends(page_params)],
    status: Annotated[str | None, Query(pattern=f"^({ACCEPTED}|{CONFIRMED}|{FAILED}|{CANCELLED})$")] = None,
) -> Response:
    views, has_more = await _service(request, session).repository.list_with_pushes(
        status, page.skip, page.limit
    )
    return success([view.to_dict() for view in views], page_meta(page, len(views), has_more))


@tds_router.post(
    "/orders/{order_id}/retry",
    summary="Send a failed order to the ERP again (operator)",
    response_model=envelope(Order),
    responses=raises(OrderNotFound, OrderNotRetryable, InsufficientStock, ServiceUnavailable),
)
async def retry_order(request: Request, session: WriteSession, order_id: str) -> Response:
    with contention_is_unavailable():
        order = await _service(request, session).retry(order_id)
    return success(order.to_dict())
