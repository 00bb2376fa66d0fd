"""Writing an order: its rows, its push intent and its reserved units, or nothing at all.

PostgreSQL runs the whole placement as ONE statement: it prices the lines, locks their products in
id order, reserves the units only if every line is covered, and inserts the order, its lines and its
push in the same step. A single statement is atomic with or without a surrounding transaction, so
an order without an idempotency key costs one round trip. The statement's verdict is final: the
quote returned with it only explains a refusal.

SQLite quotes, inserts and reserves in the caller's transaction (its writers are serialized), and
the caller rolls back a refusal. What can be ordered is thus said twice, once per path: in the
statement, and in `pricing.price_lines` with `reservations.reserve`; a test places the same baskets
both ways on PostgreSQL and holds the verdicts equal.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import sellable_sql
from storefront.db.dialect import driver_connection, is_postgres
from storefront.orders.idempotency import ORDER_PLACED, IdempotencyKeys, KeyTaken, OfferedKey
from storefront.orders.models import OrderStatus, PushStatus
from storefront.orders.pricing import (
    UNSELLABLE,
    LineProblem,
    LineRequest,
    PricedProduct,
    Quote,
    as_uuid,
    price_lines,
    quote,
)
from storefront.orders.repository import OrderRepository
from storefront.orders.reservations import reserve

_REFUSING: tuple[LineProblem, ...] = (*UNSELLABLE, "price_changed")
_KEYS_PRIMARY_KEY = "pk_idempotency_keys"


@dataclass(frozen=True, slots=True)
class NewOrder:
    """What the order is before the database prices it."""

    id: uuid.UUID
    number: str
    customer_name: str
    customer_email: str
    customer_phone: str | None
    notes: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Placement:
    quote: Quote
    placed: bool
    # Product id -> sellable units, for each line whose stock fell short.
    shortfalls: dict[uuid.UUID, int]

    @property
    def products(self) -> frozenset[uuid.UUID]:
        return frozenset(line.product.id for line in self.quote.lines if line.product is not None)

    @property
    def sells_out(self) -> bool:
        """Whether a placed order takes the last sellable units of a product (it leaves the lists).

        The quote's figures were read under the products' locks, before the reservation."""
        return any(
            line.product is not None and line.product.available <= line.quantity for line in self.quote.lines
        )


def order_row(order: NewOrder, current: Quote) -> dict[str, Any]:
    assert current.price_list_id is not None
    assert current.currency is not None
    return {
        "id": order.id,
        "number": order.number,
        "status": OrderStatus.ACCEPTED,
        "customer_name": order.customer_name,
        "customer_email": order.customer_email,
        "customer_phone": order.customer_phone,
        "notes": order.notes,
        "currency": current.currency,
        "total": current.total,
        "price_list_id": current.price_list_id,
        "created_at": order.created_at,
        "updated_at": order.created_at,
    }


def line_rows(order: NewOrder, current: Quote) -> list[dict[str, Any]]:
    rows = []
    for line in current.lines:
        product = line.product
        assert product is not None
        rows.append(
            {
                "order_id": order.id,
                "line_no": line.index + 1,
                "product_id": product.id,
                "erp_item_id": product.erp_item_id,
                "sku": product.sku,
                "name": product.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
            }
        )
    return rows


def _refused(current: Quote) -> bool:
    return bool(current.with_problem(*_REFUSING))


async def place(
    session: AsyncSession,
    price_list_code: str,
    lines: Sequence[LineRequest],
    order: NewOrder,
    key: OfferedKey | None = None,
    max_value: Decimal | None = None,
) -> Placement:
    """Write the order if every line is orderable and covered and its value is at most `max_value`,
    with `key` recorded for it; say why not otherwise. KeyTaken when the key is already recorded: then nothing is written on
    PostgreSQL, and the caller must roll back on SQLite."""
    if is_postgres(session):
        return await place_in_one_statement(session, price_list_code, lines, order, key, max_value)
    return await place_step_by_step(session, price_list_code, lines, order, key, max_value)


async def place_step_by_step(
    session: AsyncSession,
    price_list_code: str,
    lines: Sequence[LineRequest],
    order: NewOrder,
    key: OfferedKey | None,
    max_value: Decimal | None,
) -> Placement:
    current = await quote(session, price_list_code, lines)
    if _refused(current) or (max_value is not None and current.total > max_value):
        return Placement(current, placed=False, shortfalls={})
    rows = line_rows(order, current)
    # The reservation comes last, so hot product rows stay locked only until the commit.
    await OrderRepository(session).add(order_row(order, current), rows, order.created_at)
    shortfalls = await reserve(session, {row["product_id"]: row["quantity"] for row in rows})
    if not shortfalls and key is not None:
        try:
            await IdempotencyKeys(session, key.scope).record_order(key, order.id)
        except IntegrityError:
            raise KeyTaken from None
    return Placement(current, placed=not shortfalls, shortfalls=shortfalls)


# $1 price list code; $2 refs as given, $3 the refs that are UUIDs (else NULL), $4 quantities,
# $5 the prices the shopper saw (or NULL), all aligned by line; $6-$12 the order's own columns;
# $13-$17 the idempotency key offered with the order (or NULL): scope, key, request id, request
# hash, expiry. A key already recorded fails the whole statement on the table's primary key.
# $18 the highest order value accepted (or NULL: no limit).
_PLACE_ORDER = f"""
WITH price_list AS (
    SELECT id, currency FROM price_lists WHERE code = $1
),
wanted AS (
    SELECT w.line_no, w.ref, w.ref_id, w.quantity, w.given_price
    FROM unnest($2::text[], $3::uuid[], $4::int[], $5::numeric[])
        WITH ORDINALITY AS w (ref, ref_id, quantity, given_price, line_no)
),
quoted AS (
    SELECT w.line_no, w.quantity, w.given_price, p.id AS product_id, p.erp_item_id, p.sku, p.name,
           p.is_active, pp.price, p.available
    FROM wanted w
    LEFT JOIN LATERAL (
        (SELECT id, erp_item_id, sku, name, is_active,
                {sellable_sql()} AS available
         FROM products WHERE id = w.ref_id)
        UNION ALL
        (SELECT id, erp_item_id, sku, name, is_active,
                {sellable_sql()} AS available
         FROM products WHERE erp_item_id = w.ref)
        LIMIT 1
    ) p ON true
    LEFT JOIN product_prices pp
        ON pp.product_id = p.id AND pp.price_list_id = (SELECT id FROM price_list)
),
verdict AS (
    SELECT COALESCE(
        bool_and(product_id IS NOT NULL AND is_active AND price IS NOT NULL
                 AND (given_price IS NULL OR given_price = price)), false)
        AND count(DISTINCT product_id) = count(*)
        AND ($18::numeric IS NULL OR COALESCE(sum(price * quantity), 0) <= $18::numeric)
        AND EXISTS (SELECT FROM price_list) AS orderable
    FROM quoted
),
locked AS (
    SELECT p.id, {sellable_sql("p")} AS available
    FROM products p
    WHERE p.id IN (SELECT product_id FROM quoted) AND p.is_active AND (SELECT orderable FROM verdict)
    ORDER BY p.id
    FOR UPDATE OF p
),
covered AS (
    SELECT count(*) = (SELECT count(*) FROM wanted) AND COALESCE(bool_and(l.available >= q.quantity), false)
        AS placed
    FROM locked l JOIN quoted q ON q.product_id = l.id
),
reserved AS (
    UPDATE products p SET reserved_stock = p.reserved_stock + q.quantity, updated_at = $12::timestamptz
    FROM quoted q
    WHERE p.id = q.product_id AND (SELECT placed FROM covered)
),
new_order AS (
    INSERT INTO orders (id, number, status, customer_name, customer_email, customer_phone, notes,
                        currency, total, price_list_id, created_at, updated_at)
    SELECT $6::uuid, $7::text, '{OrderStatus.ACCEPTED}', $8::text, $9::text, $10::text, $11::text, pl.currency,
           (SELECT sum(price * quantity) FROM quoted), pl.id, $12, $12
    FROM price_list pl
    WHERE (SELECT placed FROM covered)
),
new_lines AS (
    INSERT INTO order_lines (order_id, line_no, product_id, erp_item_id, sku, name, quantity,
                             unit_price, line_total)
    SELECT $6, line_no, product_id, erp_item_id, sku, name, quantity, price, price * quantity
    FROM quoted
    WHERE (SELECT placed FROM covered)
),
new_push AS (
    INSERT INTO order_pushes (order_id, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT $6, '{PushStatus.PENDING}', 0, $12, $12, $12
    WHERE (SELECT placed FROM covered)
),
keyed AS (
    INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body, created_at,
                                  expires_at, order_id, request_id)
    SELECT $13::text, $14::text, $16::text, {ORDER_PLACED}, '{{}}'::jsonb, $12, $17::timestamptz,
           $6, $15::text
    WHERE $14 IS NOT NULL AND (SELECT placed FROM covered)
)
SELECT q.product_id, q.erp_item_id, q.sku, q.name, q.is_active, q.price,
       CASE WHEN v.orderable THEN COALESCE(l.available, 0) ELSE q.available END AS available,
       (SELECT id FROM price_list) AS price_list_id, (SELECT currency FROM price_list) AS currency,
       (SELECT placed FROM covered) AS placed
FROM quoted q
CROSS JOIN verdict v
LEFT JOIN locked l ON l.id = q.product_id
ORDER BY q.line_no
"""  # noqa: S608 - only our own constants are formatted in


async def place_in_one_statement(
    session: AsyncSession,
    price_list_code: str,
    lines: Sequence[LineRequest],
    order: NewOrder,
    key: OfferedKey | None,
    max_value: Decimal | None,
) -> Placement:
    driver = await driver_connection(session)
    try:
        rows = await driver.fetch(
            _PLACE_ORDER,
            price_list_code,
            [line.product_id for line in lines],
            [as_uuid(line.product_id) for line in lines],
            [line.quantity for line in lines],
            [line.unit_price for line in lines],
            order.id,
            order.number,
            order.customer_name,
            order.customer_email,
            order.customer_phone,
            order.notes,
            order.created_at,
            *(
                (key.scope, key.key, key.request_id, key.request_hash, key.expires_at)
                if key is not None
                else (None,) * 5
            ),
            max_value,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == _KEYS_PRIMARY_KEY:
            raise KeyTaken from None
        raise
    price_list_id = rows[0]["price_list_id"]
    products: list[PricedProduct | None] = [
        None
        if row["product_id"] is None
        else PricedProduct(
            id=row["product_id"],
            erp_item_id=row["erp_item_id"],
            sku=row["sku"],
            name=row["name"],
            is_active=row["is_active"],
            price=row["price"] if price_list_id is not None else None,
            available=int(row["available"]),
        )
        for row in rows
    ]
    current = price_lines(lines, price_list_id, rows[0]["currency"], products)
    placed = bool(rows[0]["placed"])
    if placed or _refused(current) or (max_value is not None and current.total > max_value):
        return Placement(current, placed=placed, shortfalls={})
    shortfalls = {
        line.product.id: max(line.product.available, 0)
        for line in current.lines
        if line.product is not None and line.product.available < line.quantity
    }
    return Placement(current, placed=False, shortfalls=shortfalls)
