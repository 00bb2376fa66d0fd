"""The cart and checkout screens, through the same pricing and order service as the Consumer API."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from storefront.bff.schemas import CartIn, CartQuote, Checkout
from storefront.db.session import ReadSession, WriteSession
from storefront.orders.endpoints import IdempotencyKey, contention_is_unavailable
from storefront.orders.errors import PLACEMENT_ERRORS
from storefront.orders.idempotency import answer_once
from storefront.orders.pricing import quote
from storefront.orders.schemas import PlaceOrderIn
from storefront.orders.service import OrderLimits, OrderService, order_hooks
from storefront.web.contract import raises
from storefront.web.edge import EdgeRoute, edge
from storefront.web.envelope import envelope
from storefront.web.ratelimit import limit_orders, limit_quotes
from storefront.web.responses import JSONResponse, success, success_body

router = APIRouter(route_class=EdgeRoute, tags=["bff-mobile"])


@router.post(
    "/cart/quote",
    summary="Cart screen: today's prices, availability, totals, a problem per line",
    dependencies=[Depends(limit_quotes)],
    response_model=envelope(CartQuote),
)
@edge(body_limit="max_order_body_bytes")
async def cart_quote(request: Request, cart: CartIn, session: ReadSession) -> Response:
    basket = await quote(session, request.app.state.settings.price_list, cart.lines)
    return success(basket.to_dict())


@router.post(
    "/checkout",
    status_code=201,
    summary="Place the order; answers the order and its quote",
    dependencies=[Depends(limit_orders)],
    response_model=envelope(Checkout),
    responses=raises(*PLACEMENT_ERRORS),
)
@edge(body_limit="max_order_body_bytes")
async def checkout(
    request: Request,
    order_in: PlaceOrderIn,
    session: WriteSession,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    price_list = request.app.state.settings.price_list
    service = OrderService(
        session, price_list, order_hooks(request.app), OrderLimits.from_settings(request.app.state.settings)
    )

    async def place() -> tuple[int, dict[str, Any]]:
        # Quoted in the order's own transaction, before its units are reserved.
        basket = await quote(session, price_list, order_in.lines)
        order = await service.place(order_in, channel="bff")
        return 201, success_body({"order": order.to_dict(), "quote": basket.to_dict()})

    with contention_is_unavailable():
        status_code, body = await answer_once(session, "bff.checkout", idempotency_key, order_in, place)
    return JSONResponse(body, status_code=status_code)
