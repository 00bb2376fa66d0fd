"""Orders: placing them (server-side prices, atomic reservations, the push intent and the
Idempotency-Key, in one statement or transaction), failing, retrying and cancelling them.

The service never commits. The caller's write session commits once, at the edge; what must only
happen after that (fresh catalog reads, waking the push worker) is queued with `after_commit`.
"""

import secrets
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cache import Cache
from storefront.cache.namespaces import CATALOG
from storefront.config import Settings
from storefront.db.base import utcnow
from storefront.db.session import after_commit
from storefront.events.bus import record
from storefront.events.names import EventName
from storefront.metrics.registry import ORDERS_PLACED
from storefront.orders.errors import (
    IdempotencyKeyReused,
    InsufficientStock,
    OrderNotCancellable,
    OrderNotFound,
    OrderNotRetryable,
    OrderTooLarge,
    PriceChanged,
    UnsellableLines,
)
from storefront.orders.idempotency import IdempotencyKeys, KeyTaken, OfferedKey, RecordedKey, fingerprint
from storefront.orders.models import OrderStatus, PushStatus
from storefront.orders.placement import NewOrder, Placement, line_rows, order_row, place
from storefront.orders.pricing import UNSELLABLE, Quote, QuotedLine
from storefront.orders.repository import OrderRepository, PushRepository
from storefront.orders.reservations import release_order, reserve, unmark_released
from storefront.orders.schemas import OrderLineView, OrderView, PlaceOrderIn
from storefront.web.errors import ServiceUnavailable, StorefrontError
from storefront.web.request_context import current_request_id

_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_order_number() -> str:
    """Our order number, also the ERP sales order number: SF-YYMMDD-<10 random characters>."""
    # 32 letters divide 256 evenly, so each random byte picks one without bias.
    suffix = "".join(_NUMBER_ALPHABET[byte % 32] for byte in secrets.token_bytes(10))
    return f"SF-{utcnow():%y%m%d}-{suffix}"


def parse_order_id(order_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(order_id)
    except ValueError:
        raise OrderNotFound(details={"order_id": order_id}) from None


@dataclass(frozen=True, slots=True)
class OrderHooks:
    """What to do once an order change is committed: refresh catalog reads, wake the pusher.

    `invalidate_catalog` refreshes every catalog read (a product joined or left the lists);
    `invalidate_products` only the reads that show these products (their stock changed).
    """

    invalidate_catalog: Callable[[], Awaitable[None]] | None = None
    wake_pusher: Callable[[], None] | None = None
    invalidate_products: Callable[[Collection[uuid.UUID]], Awaitable[None]] | None = None


def _schedule(
    session: AsyncSession,
    hooks: OrderHooks,
    *,
    stock_changed: bool,
    push_due: bool,
    only_products: Collection[uuid.UUID] | None = None,
) -> None:
    """Queue the after-commit work; `only_products`: the stock change touched no list's membership."""
    if stock_changed and only_products is not None and hooks.invalidate_products is not None:
        after_commit(session, partial(hooks.invalidate_products, only_products))
    elif stock_changed and hooks.invalidate_catalog is not None:
        after_commit(session, hooks.invalidate_catalog)
    if push_due and hooks.wake_pusher is not None:
        wake = hooks.wake_pusher

        async def wake_after_commit() -> None:
            wake()

        after_commit(session, wake_after_commit)


@dataclass(frozen=True, slots=True)
class OrderLimits:
    """What one order may hold: units per line and per order, and its value in the list's currency."""

    units_per_line: int
    units_per_order: int
    value: Decimal

    @classmethod
    def from_settings(cls, settings: Settings) -> "OrderLimits":
        return cls(
            settings.order_max_units_per_line, settings.order_max_units_per_order, settings.order_max_value
        )

    def refuse_units(self, order_in: PlaceOrderIn) -> None:
        lines = [
            {"line": number, "quantity": line.quantity, "max_units_per_line": self.units_per_line}
            for number, line in enumerate(order_in.lines, start=1)
            if line.quantity > self.units_per_line
        ]
        units = sum(line.quantity for line in order_in.lines)
        if lines or units > self.units_per_order:
            raise OrderTooLarge(
                details={"lines": lines, "units": units, "max_units_per_order": self.units_per_order}
            )

    def value_refusal(self, current: Quote) -> OrderTooLarge:
        return OrderTooLarge(
            details={"total": current.total, "max_value": self.value, "currency": current.currency}
        )


def _line_ref(line: QuotedLine) -> dict[str, Any]:
    return {"line": line.number, "product_id": line.product_ref}


def refusal(placement: Placement, limits: "OrderLimits | None") -> StorefrontError:
    """Why a placement was refused, as the error the shopper gets (the placement decided)."""
    current = placement.quote
    unsellable = current.with_problem(*UNSELLABLE)
    if unsellable:
        return UnsellableLines(
            details={
                "lines": [
                    {**_line_ref(line), "problems": [p for p in line.problems if p in UNSELLABLE]}
                    for line in unsellable
                ]
            }
        )
    changed = current.with_problem("price_changed")
    if changed:
        return PriceChanged(
            details={
                "lines": [
                    {**_line_ref(line), "unit_price": line.given_price, "current_price": line.unit_price}
                    for line in changed
                ],
                "prices": [{**_line_ref(line), "unit_price": line.unit_price} for line in current.lines],
                "currency": current.currency,
            }
        )
    if limits is not None and current.total > limits.value:
        return limits.value_refusal(current)
    return InsufficientStock(
        details={
            "lines": [
                {
                    **_line_ref(line),
                    "requested": line.quantity,
                    "available": placement.shortfalls[line.product.id],
                }
                for line in current.lines
                if line.product is not None and line.product.id in placement.shortfalls
            ]
        }
    )


def _view(order: dict[str, Any], lines: list[dict[str, Any]]) -> OrderView:
    return OrderView(
        id=str(order["id"]),
        number=order["number"],
        status=order["status"],
        customer_name=order["customer_name"],
        customer_email=order["customer_email"],
        customer_phone=order["customer_phone"],
        notes=order["notes"],
        currency=order["currency"],
        total=order["total"],
        lines=[
            OrderLineView(
                line_no=line["line_no"],
                product_id=str(line["product_id"]),
                erp_item_id=line["erp_item_id"],
                sku=line["sku"],
                name=line["name"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                line_total=line["line_total"],
            )
            for line in lines
        ],
        erp_salesorder_id=None,
        erp_salesorder_number=None,
        created_at=order["created_at"],
        confirmed_at=None,
        failed_at=None,
    )


async def _count_placed(channel: "Channel") -> None:
    ORDERS_PLACED.labels(channel).inc()


def _new_order(order_in: PlaceOrderIn) -> NewOrder:
    return NewOrder(
        id=uuid.uuid4(),
        number=new_order_number(),
        customer_name=order_in.customer.name,
        customer_email=str(order_in.customer.email),
        customer_phone=order_in.customer.phone or None,
        notes=order_in.notes or None,
        created_at=utcnow(),
    )


class Channel(StrEnum):
    """Where an order comes from: it labels the orders counter and scopes Idempotency-Keys."""

    CONSUMER = "consumer"
    BFF = "bff"

    @property
    def scope(self) -> str:
        return _KEY_SCOPES[self]


# The scopes keys were recorded under before channels had a name of their own.
_KEY_SCOPES = {Channel.CONSUMER: "consumer.orders", Channel.BFF: "bff.checkout"}
# A placement whose key was freed while it ran goes again, this many times in all.
PLACE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """An accepted order as its placement answers it, and the id of the request that placed it."""

    order: OrderView
    request_id: str | None


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """The answer a key recorded before orders named their key holds, as it was sent."""

    status_code: int
    body: dict[str, Any]


class OrderService:
    def __init__(
        self,
        session: AsyncSession,
        price_list_code: str,
        hooks: OrderHooks | None = None,
        limits: OrderLimits | None = None,
    ) -> None:
        self.session = session
        self.price_list_code = price_list_code
        self.hooks = hooks or OrderHooks()
        self.limits = limits
        self.repository = OrderRepository(session)

    async def place(
        self, order_in: PlaceOrderIn, channel: Channel, idempotency_key: str | None
    ) -> PlacedOrder | RecordedAnswer:
        """Accept the order, or raise without having changed anything; with an Idempotency-Key,
        a retry gets the first answer (the order as it was accepted) and places nothing.

        Refusals, in this order: 422 order_too_large (units), 422 unsellable_lines, 409
        price_changed, 422 order_too_large (value), 409 insufficient_stock; 422
        idempotency_key_reused for a key sent before with another body.
        """
        if self.limits is not None:
            self.limits.refuse_units(order_in)
        offered = self._offered(order_in, channel, idempotency_key)
        keys = IdempotencyKeys(self.session, channel.scope)
        for _ in range(PLACE_ATTEMPTS):
            if offered is not None:
                await keys.free_if_expired(offered.key, offered.created_at)
            order = _new_order(order_in)
            max_value = self.limits.value if self.limits is not None else None
            try:
                placement = await place(
                    self.session, self.price_list_code, order_in.lines, order, offered, max_value
                )
            except KeyTaken:
                placement = None
            if placement is not None and placement.placed:
                _schedule(
                    self.session,
                    self.hooks,
                    stock_changed=True,
                    push_due=True,
                    only_products=None if placement.sells_out else placement.products,
                )
                after_commit(self.session, partial(_count_placed, channel))
                view = _view(order_row(order, placement.quote), line_rows(order, placement.quote))
                return PlacedOrder(view, offered.request_id if offered else current_request_id())
            if offered is None:
                assert placement is not None
                raise refusal(placement, self.limits)
            # Taken, or refused now: an earlier request with this key may have placed the order.
            # Nothing of this attempt may be committed with the answer.
            await self.session.rollback()
            recorded = await keys.find(offered.key)
            if recorded is not None:
                return await self._answer(recorded, offered)
            if placement is not None:
                raise refusal(placement, self.limits)
            # The key was freed meanwhile (it expired and was purged): this request goes again.
        raise ServiceUnavailable("The shop is busy; nothing was changed. Please retry.")

    def _offered(self, order_in: PlaceOrderIn, channel: Channel, key: str | None) -> OfferedKey | None:
        if key is None:
            return None
        request_hash = fingerprint(order_in.model_dump(mode="json"))
        return OfferedKey(channel.scope, key, request_hash, current_request_id(), utcnow())

    async def _answer(self, recorded: RecordedKey, offered: OfferedKey) -> PlacedOrder | RecordedAnswer:
        """The first answer of a key: the order as it was accepted, or the answer a key recorded
        before orders named their key holds."""
        if recorded.request_hash != offered.request_hash:
            raise IdempotencyKeyReused(details={"idempotency_key": offered.key})
        if recorded.order_id is None:
            return RecordedAnswer(recorded.status_code, recorded.response_body)
        return PlacedOrder(await self.as_accepted(recorded.order_id), recorded.request_id)

    async def as_accepted(self, order_id: uuid.UUID) -> OrderView:
        """The order as `place` answered it, whatever has happened to it since."""
        view = await self.repository.get(order_id)
        assert view is not None, "an idempotency key names an order that does not exist"
        return replace(
            view,
            status=OrderStatus.ACCEPTED,
            erp_salesorder_id=None,
            erp_salesorder_number=None,
            confirmed_at=None,
            failed_at=None,
        )

    async def get(self, order_id: str) -> OrderView:
        view = await self.repository.get(parse_order_id(order_id))
        if view is None:
            raise OrderNotFound(details={"order_id": order_id})
        return view

    async def fail(self, order_id: uuid.UUID, reason: str) -> bool:
        """Mark an accepted order failed for good and give its units back. False if it was not accepted.

        The caller (the push worker) marks the push itself failed.
        """
        now = utcnow()
        if not await self.repository.set_status(
            order_id, OrderStatus.ACCEPTED, status=OrderStatus.FAILED, failed_at=now, updated_at=now
        ):
            return False
        await release_order(self.session, order_id, now)
        record(self.session, EventName.ORDER_PUSH_FAILED, correlation_id=str(order_id), error=reason)
        _schedule(self.session, self.hooks, stock_changed=True, push_due=False)
        return True

    async def cancel(self, order_id: str) -> OrderView:
        """Cancel an accepted or confirmed order: its units are given back (once), and its push is
        withdrawn before anything reached the ERP, or turned into the voiding of its sales order
        (durable and retried like any push) once something may have. Cancelling a cancelled order
        answers it as it is; a failed one cannot be cancelled (409)."""
        order_uuid = parse_order_id(order_id)
        order = await self.repository.get_for_update(order_uuid)
        if order is None:
            raise OrderNotFound(details={"order_id": order_id})
        if order.status == OrderStatus.CANCELLED:
            view = await self.repository.get(order_uuid)
            assert view is not None
            return view
        if order.status not in (OrderStatus.ACCEPTED, OrderStatus.CONFIRMED):
            raise OrderNotCancellable(details={"order_id": order_id, "status": order.status})
        now = utcnow()
        pushes = PushRepository(self.session)
        push = await pushes.get_for_update(order_uuid)
        assert push is not None, "every order has its push"
        await release_order(self.session, order_uuid, now)
        await self.repository.set_status(
            order_uuid, order.status, status=OrderStatus.CANCELLED, cancelled_at=now, updated_at=now
        )
        reached_erp = (
            order.erp_salesorder_id is not None or push.attempts > 0 or push.status == PushStatus.DONE
        )
        if reached_erp:
            # A create still in flight holds the push until its lease ends: void after that.
            due = max(now, push.locked_until) if push.locked_until is not None else now
            await pushes.void_after(order_uuid, due, now)
        else:
            await pushes.withdraw(order_uuid, now)
        record(self.session, EventName.ORDER_CANCELLED, correlation_id=order_id, void_in_erp=reached_erp)
        _schedule(self.session, self.hooks, stock_changed=True, push_due=reached_erp)
        view = await self.repository.get(order_uuid)
        assert view is not None
        return view

    async def retry(self, order_id: str) -> OrderView:
        """Put a failed order back in the queue, reserving its units again (409 if they are gone)."""
        order_uuid = parse_order_id(order_id)
        order = await self.repository.get_for_update(order_uuid)
        if order is None:
            raise OrderNotFound(details={"order_id": order_id})
        if order.status != OrderStatus.FAILED:
            raise OrderNotRetryable(details={"order_id": order_id, "status": order.status})
        lines = await self.repository.lines(order_uuid)
        shortfalls = await reserve(self.session, {line.product_id: line.quantity for line in lines})
        if shortfalls:
            raise InsufficientStock(
                details={
                    "lines": [
                        {
                            "line": line.line_no,
                            "product_id": str(line.product_id),
                            "requested": line.quantity,
                            "available": shortfalls[line.product_id],
                        }
                        for line in lines
                        if line.product_id in shortfalls
                    ]
                }
            )
        now = utcnow()
        await self.repository.set_status(
            order_uuid,
            OrderStatus.FAILED,
            status=OrderStatus.ACCEPTED,
            failed_at=None,
            reservation_released_at=None,
            updated_at=now,
        )
        await unmark_released(self.session, order_uuid)
        await PushRepository(self.session).requeue(order_uuid, now)
        _schedule(self.session, self.hooks, stock_changed=True, push_due=True)
        view = await self.repository.get(order_uuid)
        assert view is not None
        return view


def order_hooks(app: Any) -> OrderHooks:
    """Hooks wired to the application's cache and in-process push worker, when it has them."""
    cache: Cache | None = getattr(app.state, "cache", None)
    pusher = getattr(app.state, "order_pusher", None)
    return OrderHooks(
        invalidate_catalog=partial(cache.invalidate, CATALOG) if cache is not None else None,
        wake_pusher=pusher.wake if pusher is not None else None,
        invalidate_products=cache.invalidate_products if cache is not None else None,
    )
