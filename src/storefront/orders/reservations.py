"""Reserved units: taken atomically when an order is placed, given back when it fails or settles.

Sellable stock is `catalog.models.SELLABLE`. A reservation is one
conditional UPDATE per product, so the check and the write are one atomic step; products are
updated in id order so two orders over the same products lock them in the same order and
cannot deadlock. None of these functions commit: the caller's transaction decides.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import SELLABLE, Product
from storefront.db.base import utcnow
from storefront.db.dialect import id_batches, string_in
from storefront.orders.models import Order, OrderLine, OrderStatus

_RESERVE = (
    update(Product)
    .where(
        Product.id == bindparam("product_id"),
        Product.is_active,
        bindparam("quantity") <= SELLABLE,
    )
    .values(reserved_stock=Product.reserved_stock + bindparam("quantity"))
    .execution_options(synchronize_session=False)
)


async def reserve(session: AsyncSession, quantities: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Reserve each product's quantity; return the products that fell short with their sellable units.

    When the answer is not empty some units may already be reserved: the caller must roll back.
    """
    short: list[uuid.UUID] = []
    connection = await session.connection()  # Core level: see pricing.load_products
    for product_id in sorted(quantities):
        result = await connection.execute(
            _RESERVE, {"product_id": product_id, "quantity": quantities[product_id]}
        )
        if result.rowcount != 1:
            short.append(product_id)
    if not short:
        return {}
    rows = await session.execute(select(Product.id, SELLABLE).where(Product.id.in_(short)))
    return {product_id: max(int(available), 0) for product_id, available in rows.all()}


async def release(session: AsyncSession, quantities: Mapping[uuid.UUID, int]) -> None:
    """Give reserved units back, never below zero."""
    for product_id in sorted(quantities):
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(reserved_stock=_minus_floor_zero(quantities[product_id]))
            .execution_options(synchronize_session=False)
        )


def _minus_floor_zero(quantity: int) -> ColumnElement[int]:
    return case(
        (Product.reserved_stock >= quantity, Product.reserved_stock - quantity),
        else_=0,
    )


async def _release_lines(
    session: AsyncSession, lines: ColumnElement[bool], now: datetime
) -> tuple[set[uuid.UUID], int]:
    """Mark the selected unreleased lines released and give their units back.

    Returns the orders touched and the number of lines released.
    """
    result = await session.execute(
        update(OrderLine)
        .where(lines, OrderLine.reservation_released_at.is_(None))
        .values(reservation_released_at=now)
        .returning(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity)
        .execution_options(synchronize_session=False)
    )
    rows = result.all()
    totals: dict[uuid.UUID, int] = {}
    for _, product_id, quantity in rows:
        totals[product_id] = totals.get(product_id, 0) + quantity
    await release(session, totals)
    return {order_id for order_id, _, _ in rows}, len(rows)


async def _mark_orders_released(session: AsyncSession, order_ids: set[uuid.UUID], now: datetime) -> None:
    if not order_ids:
        return
    unreleased = (
        select(OrderLine.order_id)
        .where(OrderLine.order_id == Order.id, OrderLine.reservation_released_at.is_(None))
        .exists()
    )
    await session.execute(
        update(Order)
        .where(Order.id.in_(order_ids), Order.reservation_released_at.is_(None), ~unreleased)
        .values(reservation_released_at=now)
        .execution_options(synchronize_session=False)
    )


async def release_order(session: AsyncSession, order_id: uuid.UUID, now: datetime) -> None:
    """Give back every unit an order still holds (it failed or was cancelled)."""
    orders, _ = await _release_lines(session, OrderLine.order_id == order_id, now)
    await _mark_orders_released(session, orders, now)


async def unmark_released(session: AsyncSession, order_id: uuid.UUID) -> None:
    """The order holds its units again (a failed order retried after `reserve` succeeded)."""
    await session.execute(
        update(OrderLine)
        .where(OrderLine.order_id == order_id)
        .values(reservation_released_at=None)
        .execution_options(synchronize_session=False)
    )


async def release_settled_reservations(
    session: AsyncSession, erp_item_ids: Iterable[str], figures_read_at: datetime
) -> int:
    """Release confirmed orders' units on these items once the ERP's figures include them.

    Call it in the transaction that writes the ERP figures of these items, read no earlier than
    `figures_read_at`. A line is released when its order was confirmed before that instant, so
    its sales order already counts in the ERP's available stock: released now, the units are not
    counted twice; released no earlier, they are never given back while the ERP does not yet
    count them. Returns the number of lines released.
    """
    now = utcnow()
    settled_orders = select(Order.id).where(
        Order.status == OrderStatus.CONFIRMED, Order.confirmed_at < figures_read_at
    )
    # Few lines hold units at any time: find theirs, then keep the items this sync brought.
    holding = (
        select(OrderLine.erp_item_id)
        .distinct()
        .where(OrderLine.reservation_released_at.is_(None), OrderLine.order_id.in_(settled_orders))
    )
    brought = set(erp_item_ids)
    due = [erp_id for erp_id in await session.scalars(holding) if erp_id in brought]
    if not due:
        return 0
    orders: set[uuid.UUID] = set()
    released = 0
    for batch in id_batches(session, due):
        lines = string_in(session, OrderLine.erp_item_id, batch) & OrderLine.order_id.in_(settled_orders)
        touched, count = await _release_lines(session, lines, now)
        orders |= touched
        released += count
    await _mark_orders_released(session, orders, now)
    return released
