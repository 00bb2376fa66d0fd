"""The SQL of orders, their lines and their pushes to the ERP."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import PriceList
from storefront.db.base import utcnow
from storefront.orders.models import Order, OrderLine, OrderPush, OrderStatus, PushAction, PushStatus
from storefront.orders.schemas import OrderLineView, OrderView, PushView


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: uuid.UUID
    number: str
    status: OrderStatus
    customer_name: str
    customer_email: str
    customer_phone: str | None
    notes: str | None
    currency: str
    total: Decimal
    erp_salesorder_id: str | None
    erp_salesorder_number: str | None
    erp_contact_id: str | None
    created_at: datetime
    confirmed_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None


@dataclass(frozen=True, slots=True)
class OrderLineRow:
    order_id: uuid.UUID
    line_no: int
    product_id: uuid.UUID
    erp_item_id: str
    sku: str | None
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


_ORDER_FIELDS = tuple(field.name for field in fields(OrderRow))


def _order_row(values: Mapping[Any, Any]) -> OrderRow:
    columns = {name: values[name] for name in _ORDER_FIELDS}
    return OrderRow(**{**columns, "status": OrderStatus(columns["status"])})


def _line_row(values: Mapping[Any, Any]) -> OrderLineRow:
    return OrderLineRow(**values)


def _order_view(order: OrderRow, lines: Sequence[OrderLineRow]) -> OrderView:
    return OrderView(
        id=str(order.id),
        number=order.number,
        status=order.status,
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        customer_phone=order.customer_phone,
        notes=order.notes,
        currency=order.currency,
        total=order.total,
        lines=[
            OrderLineView(
                line_no=line.line_no,
                product_id=str(line.product_id),
                erp_item_id=line.erp_item_id,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
            for line in lines
        ],
        erp_salesorder_id=order.erp_salesorder_id,
        erp_salesorder_number=order.erp_salesorder_number,
        created_at=order.created_at,
        confirmed_at=order.confirmed_at,
        failed_at=order.failed_at,
        cancelled_at=order.cancelled_at,
    )


_ORDER_COLUMNS = (
    Order.id,
    Order.number,
    Order.status,
    Order.customer_name,
    Order.customer_email,
    Order.customer_phone,
    Order.notes,
    Order.currency,
    Order.total,
    Order.erp_salesorder_id,
    Order.erp_salesorder_number,
    Order.erp_contact_id,
    Order.created_at,
    Order.confirmed_at,
    Order.failed_at,
    Order.cancelled_at,
)
_LINE_COLUMNS = (
    OrderLine.order_id,
    OrderLine.line_no,
    OrderLine.product_id,
    OrderLine.erp_item_id,
    OrderLine.sku,
    OrderLine.name,
    OrderLine.quantity,
    OrderLine.unit_price,
    OrderLine.line_total,
)


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, order: dict[str, Any], lines: list[dict[str, Any]], now: datetime) -> None:
        """The order, its lines and its push intent, in the caller's transaction (see placement for
        how PostgreSQL writes them)."""
        push = {
            "order_id": order["id"],
            "status": PushStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        await self.session.execute(insert(Order), [order])
        await self.session.execute(insert(OrderLine), lines)
        await self.session.execute(insert(OrderPush), [push])

    async def get(self, order_id: uuid.UUID) -> OrderView | None:
        order = await self.row(order_id)
        if order is None:
            return None
        return _order_view(order, await self.lines(order_id))

    async def row(self, order_id: uuid.UUID) -> OrderRow | None:
        row = (await self.session.execute(select(*_ORDER_COLUMNS).where(Order.id == order_id))).first()
        return _order_row(row._mapping) if row is not None else None

    async def get_for_update(self, order_id: uuid.UUID) -> OrderRow | None:
        query = select(*_ORDER_COLUMNS).where(Order.id == order_id).with_for_update()
        row = (await self.session.execute(query)).first()
        return _order_row(row._mapping) if row is not None else None

    async def lines(self, order_id: uuid.UUID) -> list[OrderLineRow]:
        query = select(*_LINE_COLUMNS).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)
        return [_line_row(row._mapping) for row in (await self.session.execute(query)).all()]

    async def erp_currency_id(self, order_id: uuid.UUID) -> str | None:
        """The ERP's id of the currency of the price list the order was priced from."""
        return await self.session.scalar(
            select(PriceList.erp_currency_id)
            .join(Order, Order.price_list_id == PriceList.id)
            .where(Order.id == order_id)
        )

    async def set_status(self, order_id: uuid.UUID, expected: str, **values: Any) -> bool:
        result = await self.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == expected)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def list_with_pushes(
        self, status: OrderStatus | None, skip: int, limit: int
    ) -> tuple[list[PushView], bool]:
        query = select(
            *_ORDER_COLUMNS,
            OrderPush.status.label("push_status"),
            OrderPush.action.label("push_action"),
            OrderPush.attempts,
            OrderPush.last_error,
            OrderPush.next_attempt_at,
        ).join(OrderPush, OrderPush.order_id == Order.id)
        if status is not None:
            query = query.where(Order.status == status)
        query = query.order_by(Order.created_at.desc(), Order.id).offset(skip).limit(limit + 1)
        rows = (await self.session.execute(query)).all()
        has_more = len(rows) > limit
        rows = rows[:limit]
        ids = [row.id for row in rows]
        lines_by_order: dict[uuid.UUID, list[OrderLineRow]] = {order_id: [] for order_id in ids}
        if ids:
            line_rows = await self.session.execute(
                select(*_LINE_COLUMNS)
                .where(OrderLine.order_id.in_(ids))
                .order_by(OrderLine.order_id, OrderLine.line_no)
            )
            for line in line_rows.all():
                lines_by_order[line.order_id].append(_line_row(line._mapping))
        views = [
            PushView(
                order=_order_view(_order_row(row._mapping), lines_by_order[row.id]),
                push_status=row.push_status,
                push_action=row.push_action,
                attempts=row.attempts,
                last_error=row.last_error,
                next_attempt_at=row.next_attempt_at,
            )
            for row in rows
        ]
        return views, has_more

    async def count(self, status: str | None) -> int:
        query = select(func.count()).select_from(Order)
        if status is not None:
            query = query.where(Order.status == status)
        return int((await self.session.execute(query)).scalar_one())


@dataclass(frozen=True, slots=True)
class Claim:
    order_id: uuid.UUID
    attempts: int
    action: PushAction = PushAction.CREATE


@dataclass(frozen=True, slots=True)
class PushRow:
    status: PushStatus
    action: PushAction
    attempts: int
    locked_until: datetime | None


class PushRepository:
    """Claims on pending pushes. A claim is a lease: `locked_by` holds it until `locked_until`,
    after which another worker may take the push over (its first holder was presumably killed)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_due(self, worker_id: str, now: datetime, lease: timedelta, limit: int) -> list[Claim]:
        due = (
            (OrderPush.status == PushStatus.PENDING)
            & (OrderPush.next_attempt_at <= now)
            & (OrderPush.locked_until.is_(None) | (OrderPush.locked_until < now))
        )
        # PostgreSQL: rows another worker is claiming right now are skipped, not waited for.
        # SQLite ignores FOR UPDATE; its writers are serialized (BEGIN IMMEDIATE) instead.
        candidates = (
            select(OrderPush.order_id)
            .where(due)
            .order_by(OrderPush.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.execute(
            update(OrderPush)
            .where(OrderPush.order_id.in_(candidates.scalar_subquery()), due)
            .values(
                locked_by=worker_id,
                locked_until=now + lease,
                attempts=OrderPush.attempts + 1,
                updated_at=now,
            )
            .returning(OrderPush.order_id, OrderPush.attempts, OrderPush.action)
            .execution_options(synchronize_session=False)
        )
        return [Claim(order_id, attempts, PushAction(action)) for order_id, attempts, action in result.all()]

    async def get_for_update(self, order_id: uuid.UUID) -> PushRow | None:
        query = (
            select(OrderPush.status, OrderPush.action, OrderPush.attempts, OrderPush.locked_until)
            .where(OrderPush.order_id == order_id)
            .with_for_update()
        )
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        return PushRow(PushStatus(row.status), PushAction(row.action), row.attempts, row.locked_until)

    async def withdraw(self, order_id: uuid.UUID, now: datetime) -> None:
        """The order was cancelled before anything reached the ERP: nothing is to be sent."""
        await self.session.execute(
            update(OrderPush)
            .where(OrderPush.order_id == order_id)
            .values(status=PushStatus.WITHDRAWN, locked_by=None, locked_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def void_after(self, order_id: uuid.UUID, due: datetime, now: datetime) -> None:
        """The order was cancelled after its sales order may have been created: void it from `due` on.

        Whoever holds the push loses it (its lease is taken over), so nothing it does after
        counts; `due` is after the lease it held, so no create of it is still in flight.
        """
        await self.session.execute(
            update(OrderPush)
            .where(OrderPush.order_id == order_id)
            .values(
                status=PushStatus.PENDING,
                action=PushAction.VOID,
                attempts=0,
                next_attempt_at=due,
                locked_by=None,
                locked_until=None,
                last_error=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    async def requeue(self, order_id: uuid.UUID, now: datetime) -> None:
        """Pending again, due now, with a fresh attempt count (an operator's retry)."""
        await self.session.execute(
            update(OrderPush)
            .where(OrderPush.order_id == order_id)
            .values(
                status=PushStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                locked_until=None,
                locked_by=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    async def finish(self, claim: Claim, worker_id: str, **values: Any) -> bool:
        """Update a push this worker still holds; False when its lease was lost to another worker."""
        result = await self.session.execute(
            update(OrderPush)
            .where(
                OrderPush.order_id == claim.order_id,
                OrderPush.locked_by == worker_id,
                OrderPush.attempts == claim.attempts,
                OrderPush.status == PushStatus.PENDING,
            )
            .values(locked_until=None, locked_by=None, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
