"""Price a basket from the database: today's consumer prices, sellable stock, totals, and what is wrong.

`quote` reads without locking anything; it is what a cart screen shows. Placing an order
(`OrderService.place`) quotes the same way, then reserves stock atomically.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol

from sqlalchemy import Select, String, Uuid, and_, any_, bindparam, literal, or_, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import SELLABLE, PriceList, Product, ProductPrice

LineProblem = Literal[
    "unknown", "inactive", "unpriced", "duplicate", "out_of_stock", "short", "price_changed"
]
# Problems that make a line impossible to order at any price or stock level.
UNSELLABLE: frozenset[LineProblem] = frozenset({"unknown", "inactive", "unpriced", "duplicate"})


class LineRequest(Protocol):
    """One basket line as the shopper sent it (`OrderLineIn` is one)."""

    @property
    def product_id(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def unit_price(self) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class PricedProduct:
    id: uuid.UUID
    erp_item_id: str
    sku: str | None
    name: str
    is_active: bool
    price: Decimal | None
    available: int


@dataclass(slots=True)
class QuotedLine:
    index: int
    product_ref: str
    quantity: int
    given_price: Decimal | None
    product: PricedProduct | None
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def number(self) -> int:
        """The line's number, counted from 1 as in orders and error details."""
        return self.index + 1

    @property
    def unit_price(self) -> Decimal | None:
        return self.product.price if self.product is not None else None

    @property
    def line_total(self) -> Decimal | None:
        return self.unit_price * self.quantity if self.unit_price is not None else None

    @property
    def available(self) -> int:
        return max(self.product.available, 0) if self.product is not None else 0

    def to_dict(self) -> dict[str, Any]:
        product = self.product
        return {
            "line": self.number,
            "product_id": str(product.id) if product else self.product_ref,
            "erp_item_id": product.erp_item_id if product else None,
            "sku": product.sku if product else None,
            "name": product.name if product else None,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "line_total": self.line_total,
            "available": self.available,
            "problems": list(self.problems),
        }


@dataclass(frozen=True, slots=True)
class Quote:
    price_list_id: int | None
    currency: str | None
    lines: list[QuotedLine]

    @property
    def total(self) -> Decimal:
        return sum((line.line_total or Decimal(0) for line in self.lines), Decimal(0))

    @property
    def ok(self) -> bool:
        return all(not line.problems for line in self.lines)

    def with_problem(self, *problems: LineProblem) -> list[QuotedLine]:
        return [line for line in self.lines if any(p in line.problems for p in problems)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total": self.total,
            "ok": self.ok,
            "lines": [line.to_dict() for line in self.lines],
        }


def as_uuid(ref: str) -> uuid.UUID | None:
    """The ref as our product id, or None when it is not a UUID (then it is an ERP item id)."""
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def _load_products_statement(postgres: bool) -> Select[Any]:
    """Built once: constructing the statement costs more than executing its cached compilation.

    On PostgreSQL the refs travel as two array parameters: an expanding IN list would make the
    statement's SQL be rendered again on every execution.
    """
    code = bindparam("price_list_code", type_=String())
    price_list = select(PriceList.id).where(PriceList.code == code).scalar_subquery()
    currency = select(PriceList.currency).where(PriceList.code == code).scalar_subquery()
    price_join = and_(ProductPrice.product_id == Product.id, ProductPrice.price_list_id == price_list)
    products = (
        select(
            Product.id,
            Product.erp_item_id,
            Product.sku,
            Product.name,
            Product.is_active,
            ProductPrice.price,
            SELLABLE.label("available"),
        )
        .outerjoin(ProductPrice, price_join)
        .where(
            or_(
                Product.id == any_(bindparam("ids", type_=postgresql.ARRAY(Uuid))),
                Product.erp_item_id == any_(bindparam("refs", type_=postgresql.ARRAY(String))),
            )
            if postgres
            else or_(
                Product.id.in_(bindparam("ids", expanding=True)),
                Product.erp_item_id.in_(bindparam("refs", expanding=True)),
            )
        )
        .subquery()
    )
    # The price list's row comes back even when no product matches (a LEFT JOIN from it).
    return select(price_list.label("price_list_id"), currency.label("currency"), products).outerjoin_from(
        select(literal(1).label("one")).subquery(), products, true()
    )


_LOAD_PRODUCTS = {postgres: _load_products_statement(postgres) for postgres in (True, False)}


async def load_products(
    session: AsyncSession, price_list_code: str, refs: Sequence[str]
) -> tuple[int | None, str | None, dict[str, PricedProduct]]:
    """The price list's id and currency, and the products by our id or ERP item id (keyed by the
    ref that found them) priced on it: one query."""
    ids = [u for u in (as_uuid(ref) for ref in refs) if u is not None]
    params = {"price_list_code": price_list_code, "ids": ids, "refs": list(refs)}
    # On the Core connection: an ORM-level execute costs about a third more CPU, and this
    # statement runs for every order and every cart quote.
    connection = await session.connection()
    statement = _LOAD_PRODUCTS[connection.dialect.name == "postgresql"]
    rows = (await connection.execute(statement, params)).all()
    price_list_id = rows[0].price_list_id if rows else None
    list_currency = rows[0].currency if rows else None
    by_ref: dict[str, PricedProduct] = {}
    for row in rows:
        if row.id is None:
            continue
        product = PricedProduct(
            id=row.id,
            erp_item_id=row.erp_item_id,
            sku=row.sku,
            name=row.name,
            is_active=row.is_active,
            price=row.price if price_list_id is not None else None,
            available=int(row.available),
        )
        by_ref[str(product.id)] = product
        by_ref[product.erp_item_id] = product
    found = {ref: by_ref[_canonical(ref)] for ref in refs if _canonical(ref) in by_ref}
    return price_list_id, list_currency, found


def _canonical(ref: str) -> str:
    product_id = as_uuid(ref)
    return str(product_id) if product_id is not None else ref


async def quote(session: AsyncSession, price_list_code: str, lines: Sequence[LineRequest]) -> Quote:
    """Current prices, sellable stock and totals for these lines, with each line's problems."""
    price_list_id, currency, products = await load_products(
        session, price_list_code, [line.product_id for line in lines]
    )
    return price_lines(lines, price_list_id, currency, [products.get(line.product_id) for line in lines])


def price_lines(
    lines: Sequence[LineRequest],
    price_list_id: int | None,
    currency: str | None,
    products: Sequence[PricedProduct | None],
) -> Quote:
    """The quote of these lines given each line's product as found (None when unknown)."""
    quoted: list[QuotedLine] = []
    seen: set[uuid.UUID] = set()
    for index, (line, product) in enumerate(zip(lines, products, strict=True)):
        entry = QuotedLine(index, line.product_id, line.quantity, line.unit_price, product)
        quoted.append(entry)
        if product is None:
            entry.problems.append("unknown")
            continue
        if product.id in seen:
            entry.problems.append("duplicate")
        seen.add(product.id)
        if not product.is_active:
            entry.problems.append("inactive")
        if product.price is None:
            entry.problems.append("unpriced")
        elif line.unit_price is not None and line.unit_price != product.price:
            entry.problems.append("price_changed")
        if product.available <= 0:
            entry.problems.append("out_of_stock")
        elif product.available < line.quantity:
            entry.problems.append("short")
    return Quote(price_list_id=price_list_id, currency=currency, lines=quoted)
