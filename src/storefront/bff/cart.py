"""The cart and checkout screens, through the same pricing and order service as the Consumer API."""

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from storefront.bff.schemas import CartIn, CartQuote, Checkout, checkout_screen
from storefront.db.session import ReadSession, WriteSession
from storefront.orders.endpoints import IdempotencyKey, contention_is_unavailable, placed_answer
from storefront.orders.errors import PLACEMENT_ERRORS
from storefront.orders.pricing import quote
from storefront.orders.schemas import PlaceOrderIn
from storefront.orders.service import Channel, OrderLimits, OrderService, order_hooks
from storefront.web.contract import raises
from storefront.web.edge import EdgeRoute, edge
from storefront.web.envelope import envelope
from storefront.web.ratelimit import limit_orders, limit_quotes
from storefront.web.responses import success

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
    summary="Place the order; answers the order and the prices it was placed at",
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
    settings = request.app.state.settings
    service = OrderService(
        session, settings.price_list, order_hooks(request.app), OrderLimits.from_settings(settings)
    )
    with contention_is_unavailable():
        placed = await service.place(order_in, Channel.BFF, idempotency_key)
    return placed_answer(placed, checkout_screen)
