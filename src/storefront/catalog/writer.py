"""Bulk writes into the catalog mirror: one statement per batch, never one per row.

On PostgreSQL a batch travels as one array per column and is expanded server-side with
unnest(), so a statement carries a dozen parameters whatever the batch size. SQLite gets a
multi-row VALUES list, kept under its bound-parameter limit by the caller's batch size.
"""

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, String, any_, bindparam, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Category, PriceList, Product, ProductPrice
from storefront.db.dialect import upsert_insert
from storefront.erp.items import ErpItem

_COMPARED = (
    "sku",
    "name",
    "description",
    "category_id",
    "image_url",
    "is_active",
    "erp_stock_on_hand",
    "erp_available_stock",
    "erp_actual_available_stock",
    "erp_modified_at",
)
# The upsert's array parameters, in the order of its unnest() columns.
_PG_COLUMNS = ("id", "erp_item_id", *_COMPARED)
_PG_UPSERT_PRODUCTS = text(
    """
    INSERT INTO products (
        id, erp_item_id, sku, name, description, category_id, image_url, is_active,
        erp_stock_on_hand, erp_available_stock, erp_actual_available_stock, reserved_stock,
        erp_modified_at, synced_at, created_at, updated_at
    )
    SELECT u.id, u.erp_item_id, u.sku, u.name, u.description, u.category_id, u.image_url, u.is_active,
        u.erp_stock_on_hand, u.erp_available_stock, u.erp_actual_available_stock, 0,
        u.erp_modified_at, :now, :now, :now
    FROM unnest(
        CAST(:id AS uuid[]), CAST(:erp_item_id AS varchar[]), CAST(:sku AS varchar[]),
        CAST(:name AS varchar[]), CAST(:description AS text[]), CAST(:category_id AS bigint[]),
        CAST(:image_url AS varchar[]), CAST(:is_active AS boolean[]),
        CAST(:erp_stock_on_hand AS integer[]), CAST(:erp_available_stock AS integer[]),
        CAST(:erp_actual_available_stock AS integer[]), CAST(:erp_modified_at AS timestamptz[])
    ) AS u(
        id, erp_item_id, sku, name, description, category_id, image_url, is_active,
        erp_stock_on_hand, erp_available_stock, erp_actual_available_stock, erp_modified_at
    )
    ON CONFLICT (erp_item_id) DO UPDATE SET
        sku = excluded.sku, name = excluded.name, description = excluded.description,
        category_id = excluded.category_id, image_url = excluded.image_url, is_active = excluded.is_active,
        erp_stock_on_hand = excluded.erp_stock_on_hand, erp_available_stock = excluded.erp_available_stock,
        erp_actual_available_stock = excluded.erp_actual_available_stock,
        erp_modified_at = excluded.erp_modified_at, synced_at = excluded.synced_at,
        updated_at = excluded.updated_at
    WHERE (
        products.sku, products.name, products.description, products.category_id, products.image_url,
        products.is_active, products.erp_stock_on_hand, products.erp_available_stock,
        products.erp_actual_available_stock, products.erp_modified_at
    ) IS DISTINCT FROM (
        excluded.sku, excluded.name, excluded.description, excluded.category_id, excluded.image_url,
        excluded.is_active, excluded.erp_stock_on_hand, excluded.erp_available_stock,
        excluded.erp_actual_available_stock, excluded.erp_modified_at
    )
    RETURNING erp_item_id
    """
)
_PG_UPSERT_PRICES = text(
    "INSERT INTO product_prices (price_list_id, product_id, price, updated_at) "
    "SELECT :price_list_id, u.product_id, u.price, :now "
    "FROM unnest(CAST(:product_ids AS uuid[]), CAST(:prices AS numeric[])) AS u(product_id, price) "
    "ON CONFLICT (price_list_id, product_id) DO UPDATE SET price = excluded.price, updated_at = excluded.updated_at "
    "WHERE product_prices.price IS DISTINCT FROM excluded.price "
    "RETURNING product_id"
)
_PG_MIRROR_CONSUMER_PRICES = text(
    "UPDATE products SET consumer_price = ("
    "SELECT price FROM product_prices "
    "WHERE product_prices.product_id = products.id AND product_prices.price_list_id = :price_list_id) "
    "WHERE products.id = ANY(CAST(:ids AS uuid[]))"
)
SQLITE_CHUNK = 500
_T = TypeVar("_T")


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Active before, inactive now; not counted in `updated`.
    deactivated: int = 0

    def add(self, other: "UpsertCounts") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deactivated += other.deactivated


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _chunks(values: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _item_id_in(session: AsyncSession, erp_ids: list[str]) -> ColumnElement[bool]:
    """`erp_item_id IN (...)`; on PostgreSQL one array parameter instead of one per id."""
    if _is_postgres(session):
        return Product.erp_item_id == any_(bindparam("erp_ids", erp_ids, type_=postgresql.ARRAY(String)))
    return Product.erp_item_id.in_(erp_ids)


async def ensure_categories(session: AsyncSession, names: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(names))
    if not wanted:
        return {}
    insert = upsert_insert(session, Category)
    await session.execute(
        insert.values([{"name": name} for name in wanted]).on_conflict_do_nothing(index_elements=["name"])
    )
    rows = await session.execute(select(Category.name, Category.id).where(Category.name.in_(wanted)))
    return {name: category_id for name, category_id in rows}


async def ensure_price_list(
    session: AsyncSession, code: str, currency: str, erp_pricebook_id: str | None = None
) -> int:
    insert = upsert_insert(session, PriceList)
    await session.execute(
        insert.values(code=code, currency=currency, erp_pricebook_id=erp_pricebook_id).on_conflict_do_update(
            index_elements=["code"],
            set_={"currency": currency, "erp_pricebook_id": erp_pricebook_id},
        )
    )
    price_list_id = await session.scalar(select(PriceList.id).where(PriceList.code == code))
    assert price_list_id is not None
    return price_list_id


def _product_row(item: ErpItem, product_id: uuid.UUID, category_ids: Mapping[str, int]) -> dict[str, Any]:
    return {
        "id": product_id,
        "erp_item_id": item.erp_item_id,
        "sku": item.sku,
        "name": item.name,
        "description": item.description,
        "category_id": category_ids.get(item.category_name) if item.category_name else None,
        "image_url": item.image_url,
        "is_active": item.is_active,
        "erp_stock_on_hand": item.stock_on_hand,
        "erp_available_stock": item.available_stock,
        "erp_actual_available_stock": item.actual_available_stock,
        "erp_modified_at": item.modified_at,
    }


async def _write_products_postgres(
    session: AsyncSession, rows: list[dict[str, Any]], now: datetime
) -> set[str]:
    columns = {name: [row[name] for row in rows] for name in _PG_COLUMNS}
    result = await session.execute(_PG_UPSERT_PRODUCTS, {"now": now, **columns})
    return set(result.scalars().all())


async def _write_products_sqlite(
    session: AsyncSession, rows: list[dict[str, Any]], now: datetime
) -> set[str]:
    insert = upsert_insert(session, Product)
    excluded = insert.excluded
    statement = (
        insert.values(
            [
                {**row, "reserved_stock": 0, "synced_at": now, "created_at": now, "updated_at": now}
                for row in rows
            ]
        )
        .on_conflict_do_update(
            index_elements=["erp_item_id"],
            set_={
                **{name: excluded[name] for name in _COMPARED},
                "synced_at": excluded.synced_at,
                "updated_at": excluded.updated_at,
            },
            where=or_(*(getattr(Product, name).is_distinct_from(excluded[name]) for name in _COMPARED)),
        )
        .returning(Product.erp_item_id)
    )
    return set((await session.execute(statement)).scalars().all())


async def upsert_products(
    session: AsyncSession, items: list[ErpItem], category_ids: Mapping[str, int], synced_at: datetime
) -> tuple[dict[str, uuid.UUID], UpsertCounts]:
    """Insert new items and update changed ones; returns our id per ERP item id and the counts.

    One SELECT and one upsert statement per call (on SQLite, keep batches to SQLITE_CHUNK rows).
    A row whose compared fields are all equal is not written at all. When an item id repeats,
    the last one wins.
    """
    if not items:
        return {}, UpsertCounts()
    latest = {item.erp_item_id: item for item in items}
    erp_ids = list(latest)
    found = await session.execute(
        select(Product.erp_item_id, Product.id, Product.is_active).where(_item_id_in(session, erp_ids))
    )
    existing = {erp_id: (pid, active) for erp_id, pid, active in found}
    ids = {erp_id: existing[erp_id][0] if erp_id in existing else uuid.uuid4() for erp_id in erp_ids}
    rows = [_product_row(item, ids[erp_id], category_ids) for erp_id, item in latest.items()]
    if _is_postgres(session):
        written = await _write_products_postgres(session, rows, synced_at)
    else:
        written = await _write_products_sqlite(session, rows, synced_at)
    counts = UpsertCounts(unchanged=len(erp_ids) - len(written))
    for erp_id in written:
        if erp_id not in existing:
            counts.created += 1
        elif existing[erp_id][1] and not latest[erp_id].is_active:
            counts.deactivated += 1
        else:
            counts.updated += 1
    return ids, counts


async def deactivate_products(session: AsyncSession, erp_ids: Collection[str], at: datetime) -> int:
    """Mark these items inactive where they are active now; returns how many changed."""
    if not erp_ids:
        return 0
    values = list(erp_ids)
    changed = 0
    statement = update(Product).values(is_active=False, synced_at=at, updated_at=at)
    if _is_postgres(session):
        batches: Iterable[Sequence[str]] = [values]
    else:
        batches = _chunks(values, SQLITE_CHUNK)
    for batch in batches:
        result = await session.execute(
            statement.where(Product.is_active.is_(True), Product.erp_item_id.in_(batch)).returning(Product.id)
        )
        changed += len(result.scalars().all())
    return changed


async def deactivate_missing(session: AsyncSession, present: Collection[str], at: datetime) -> int:
    """Mark every active product whose item is not in `present` inactive; returns how many."""
    active = (await session.scalars(select(Product.erp_item_id).where(Product.is_active.is_(True)))).all()
    missing = [erp_id for erp_id in active if erp_id not in present]
    return await deactivate_products(session, missing, at)


async def prices_by_item(
    session: AsyncSession, price_list_id: int, erp_ids: Collection[str] | None = None
) -> dict[str, tuple[uuid.UUID, Decimal | None]]:
    """Per ERP item id: our product id and its price on this list (None: not priced).

    For these items, or for every product when `erp_ids` is None.
    """
    statement = select(Product.erp_item_id, Product.id, ProductPrice.price).outerjoin(
        ProductPrice, (ProductPrice.product_id == Product.id) & (ProductPrice.price_list_id == price_list_id)
    )
    if erp_ids is not None:
        if not erp_ids:
            return {}
        statement = statement.where(_item_id_in(session, list(erp_ids)))
    return {erp_id: (pid, price) for erp_id, pid, price in await session.execute(statement)}


async def write_prices(
    session: AsyncSession,
    price_list_id: int,
    prices: Mapping[uuid.UUID, Decimal | None],
    at: datetime,
    *,
    consumer_list: bool = True,
) -> set[uuid.UUID]:
    """Set (or, where the price is None, remove) these products' prices on one list.

    Returns the products whose price actually changed; equal prices are not rewritten. When the
    list is the one consumers buy from, the changed prices are mirrored onto the products too.
    """
    changed = await _write_price_rows(session, price_list_id, prices, at)
    if consumer_list and changed:
        await _mirror_consumer_prices(session, price_list_id, changed)
    return changed


async def _mirror_consumer_prices(
    session: AsyncSession, price_list_id: int, product_ids: set[uuid.UUID]
) -> None:
    if _is_postgres(session):
        await session.execute(
            _PG_MIRROR_CONSUMER_PRICES, {"price_list_id": price_list_id, "ids": list(product_ids)}
        )
        return
    price = (
        select(ProductPrice.price)
        .where(ProductPrice.product_id == Product.id, ProductPrice.price_list_id == price_list_id)
        .scalar_subquery()
    )
    for chunk in _chunks(list(product_ids), SQLITE_CHUNK):
        await session.execute(update(Product).where(Product.id.in_(chunk)).values(consumer_price=price))


async def _write_price_rows(
    session: AsyncSession, price_list_id: int, prices: Mapping[uuid.UUID, Decimal | None], at: datetime
) -> set[uuid.UUID]:
    priced = [(pid, price) for pid, price in prices.items() if price is not None]
    unpriced = [pid for pid, price in prices.items() if price is None]
    changed: set[uuid.UUID] = set()
    postgres = _is_postgres(session)
    for batch in [unpriced] if postgres else _chunks(unpriced, SQLITE_CHUNK):
        if batch:
            result = await session.execute(
                delete(ProductPrice)
                .where(ProductPrice.price_list_id == price_list_id, ProductPrice.product_id.in_(batch))
                .returning(ProductPrice.product_id)
            )
            changed.update(result.scalars().all())
    if not priced:
        return changed
    if postgres:
        result = await session.execute(
            _PG_UPSERT_PRICES,
            {
                "price_list_id": price_list_id,
                "now": at,
                "product_ids": [pid for pid, _ in priced],
                "prices": [price for _, price in priced],
            },
        )
        changed.update(result.scalars().all())
        return changed
    insert = upsert_insert(session, ProductPrice)
    for chunk in _chunks(priced, SQLITE_CHUNK):
        statement = (
            insert.values(
                [
                    {"price_list_id": price_list_id, "product_id": pid, "price": price, "updated_at": at}
                    for pid, price in chunk
                ]
            )
            .on_conflict_do_update(
                index_elements=["price_list_id", "product_id"],
                set_={"price": insert.excluded.price, "updated_at": insert.excluded.updated_at},
                where=ProductPrice.price.is_distinct_from(insert.excluded.price),
            )
            .returning(ProductPrice.product_id)
        )
        changed.update((await session.execute(statement)).scalars().all())
    return changed
