from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from storefront.db.session import ReadSession, WriteSession
from storefront.orders.errors import (
    PLACEMENT_ERRORS,
    InsufficientStock,
    OrderNotCancellable,
    OrderNotFound,
    OrderNotRetryable,
)
from storefront.orders.models import OrderStatus
from storefront.orders.schemas import Order, OrderView, OrderWithPush, PlaceOrderIn
from storefront.orders.service import (
    Channel,
    OrderLimits,
    OrderService,
    PlacedOrder,
    RecordedAnswer,
    order_hooks,
)
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
    with contention_is_unavailable():
        placed = await _service(request, session).place(order_in, Channel.CONSUMER, idempotency_key)
    return placed_answer(placed, OrderView.to_dict)


def placed_answer(placed: PlacedOrder | RecordedAnswer, data: Callable[[OrderView], Any]) -> Response:
    """201 with the order (`data` renders it), under the id of the request that placed it; a key
    recorded before orders named their key answers what it holds."""
    if isinstance(placed, RecordedAnswer):
        return JSONResponse(placed.body, status_code=placed.status_code)
    meta = {"request_id": placed.request_id} if placed.request_id is not None else None
    return JSONResponse(success_body(data(placed.order), meta), status_code=201)


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
    status: Annotated[OrderStatus | None, Query(description="Only orders in this status.")] = None,
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


@tds_router.post(
    "/orders/{order_id}/cancel",
    summary="Cancel an order; its sales order is voided in the ERP (operator)",
    response_model=envelope(Order),
    responses=raises(OrderNotFound, OrderNotCancellable, ServiceUnavailable),
)
async def cancel_order(request: Request, session: WriteSession, order_id: str) -> Response:
    with contention_is_unavailable():
        order = await _service(request, session).cancel(order_id)
    return success(order.to_dict())
