"""Bulk writes into the catalog mirror: set-based statements, never one per row.

On PostgreSQL a sync's items and price book are staged by binary COPY (storefront.db.staging)
and joined to the mirror in SQL; smaller lists travel as array parameters. SQLite gets
multi-row VALUES lists, kept under its bound-parameter limit by the caller's batch size.
"""

import asyncio
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Category, PriceList, Product, ProductPrice, ProductSearch, SearchWord
from storefront.catalog.search import SearchColumns, vocabulary_of
from storefront.db.dialect import chunks, driver_connection, id_batches, is_postgres, string_in, upsert_insert
from storefront.db.staging import stage_rows
from storefront.erp.items import ErpItem

_COMPARED = (
    "sku",
    "name",
    "name_ar",
    "description",
    "category_id",
    "erp_image_ref",
    "is_active",
    "erp_stock_on_hand",
    "erp_available_stock",
    "erp_actual_available_stock",
    "erp_location_stock",
    "erp_modified_at",
)
# The columns a product takes from its ERP item.
_PRODUCT_COLUMNS = ("erp_item_id", *_COMPARED)
_PG_STAGING = (
    "erp_item_id varchar, sku varchar, name varchar, name_ar varchar, description text, category_id bigint, "
    "erp_image_ref varchar, is_active boolean, erp_stock_on_hand integer, erp_available_stock integer, "
    "erp_actual_available_stock integer, erp_location_stock text, erp_modified_at timestamptz, "
    "consumer_price text"
)


# A product takes new ERP figures only from a read no older than the one it holds: a sync and a
# re-read of confirmed orders' items may write the same product, and the older read must not win.
_PG_NEWER = "(p.erp_figures_read_at IS NULL OR p.erp_figures_read_at <= $1)"
_PG_DIFFERS = f"({', '.join(f'p.{name}' for name in _COMPARED)}) IS DISTINCT FROM ({', '.join(f'u.{name}' for name in _COMPARED)})"


def _pg_write_products() -> str:
    """Insert the staged items that are new and update those that differ, in one join of the batch
    with the mirror; answers how many were created, updated and deactivated, and which items need
    their search row written (new ones, and those whose names or SKU changed).

    Rows whose fields are all equal, or whose stored figures were read later, are not written;
    the update checks both again on the row it writes. Products are inserted only by a sync,
    which holds the sync lock, so no other transaction inserts the same item meanwhile.
    """
    assignments = ", ".join(f"{name} = u.{name}" for name in _COMPARED)
    inserted = ", ".join(_PRODUCT_COLUMNS)
    values = ", ".join(f"u.{name}" for name in _PRODUCT_COLUMNS)
    return (
        "WITH u AS MATERIALIZED ("  # noqa: S608 - our own column names
        "SELECT u.*, p.id AS product_id, p.is_active AS was_active, "
        "(p.name, p.name_ar, p.sku) IS DISTINCT FROM (u.name, u.name_ar, u.sku) AS renamed "
        "FROM incoming_products AS u LEFT JOIN products AS p ON p.erp_item_id = u.erp_item_id "
        f"WHERE p.id IS NULL OR ({_PG_NEWER} AND {_PG_DIFFERS})), "
        f"updated AS (UPDATE products AS p SET {assignments}, erp_figures_read_at = $1, synced_at = $2, "
        f"updated_at = $2 FROM u WHERE p.id = u.product_id AND {_PG_NEWER} AND {_PG_DIFFERS} "
        "RETURNING u.erp_item_id, u.renamed, u.was_active AND NOT p.is_active AS deactivated), "
        f"created AS (INSERT INTO products (id, {inserted}, consumer_price, reserved_stock, "
        "erp_figures_read_at, synced_at, created_at, updated_at) "
        f"SELECT gen_random_uuid(), {values}, CAST(u.consumer_price AS numeric), 0, $1, $2, $2, $2 "
        "FROM u WHERE u.product_id IS NULL RETURNING erp_item_id) "
        "SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM updated), "
        "(SELECT count(*) FROM updated WHERE deactivated), "
        "ARRAY(SELECT erp_item_id FROM created UNION ALL SELECT erp_item_id FROM updated WHERE renamed)"
    )


_PG_WRITE_PRODUCTS = _pg_write_products()
# The staged items' prices on one list ($1), from the book's rates staged with them: set where
# they differ, removed where the book gives none, mirrored onto the products; how many changed.
_PG_WRITE_STAGED_PRICES = (
    "WITH book AS MATERIALIZED (SELECT p.id AS product_id, CAST(u.consumer_price AS numeric) AS price "
    "FROM incoming_products AS u JOIN products AS p ON p.erp_item_id = u.erp_item_id), "
    "priced AS (INSERT INTO product_prices (price_list_id, product_id, price, updated_at) "
    "SELECT $1, product_id, price, $2 FROM book WHERE price IS NOT NULL "
    "ON CONFLICT (price_list_id, product_id) DO UPDATE SET price = excluded.price, updated_at = excluded.updated_at "
    "WHERE product_prices.price IS DISTINCT FROM excluded.price RETURNING product_id, price), "
    "unpriced AS (DELETE FROM product_prices AS pp USING book WHERE pp.price_list_id = $1 "
    "AND pp.product_id = book.product_id AND book.price IS NULL RETURNING pp.product_id), "
    "changed AS (SELECT product_id, price FROM priced UNION ALL SELECT product_id, NULL FROM unpriced), "
    "mirrored AS (UPDATE products AS p SET consumer_price = changed.price FROM changed "
    "WHERE p.id = changed.product_id AND p.consumer_price IS DISTINCT FROM changed.price) "
    "SELECT count(*) FROM changed"
)
# The staged items' search rows, joined to their products.
_SEARCH_COLUMNS = ("search_name", "search_name_ar", "search_sku", "search_text")
_PG_WRITE_SEARCH = (
    "INSERT INTO product_search (product_id, category_id, is_listed, search_name, search_name_ar, search_sku, "
    "search_text) "
    "SELECT p.id, p.category_id, p.is_listed, u.search_name, u.search_name_ar, u.search_sku, u.search_text "
    "FROM incoming_search AS u JOIN products AS p ON p.erp_item_id = u.erp_item_id "
    "ON CONFLICT (product_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _SEARCH_COLUMNS)
)
# The plan of a batch's statements, for the rest of its transaction: no JIT compilation (it
# costs more than it saves here), and the staged rows joined to the mirror through its indexes.
# The planner knows nothing of a temporary table's rows and would hash the whole catalog for
# each batch, a cost that grows with the catalog rather than with the batch.
_PG_BATCH_SETTINGS = (
    "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; "
    "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
)
_PG_UPSERT_PRICES = text(
    "INSERT INTO product_prices (price_list_id, product_id, price, updated_at) "
    "SELECT :price_list_id, p.id, u.price, :now "
    "FROM unnest(CAST(:erp_ids AS varchar[]), CAST(:prices AS numeric[])) AS u(erp_item_id, price) "
    "JOIN products AS p ON p.erp_item_id = u.erp_item_id "
    "ON CONFLICT (price_list_id, product_id) DO UPDATE SET price = excluded.price, updated_at = excluded.updated_at "
    "WHERE product_prices.price IS DISTINCT FROM excluded.price "
    "RETURNING product_id"
)
_PG_DELETE_PRICES = text(
    "DELETE FROM product_prices WHERE price_list_id = :price_list_id AND product_id IN ("
    "SELECT id FROM products WHERE erp_item_id = ANY(CAST(:erp_ids AS varchar[]))) "
    "RETURNING product_id"
)
# Per product: the rate the price book gives it (NULL: none) where it differs from the stored price.
_PG_PRICE_CHANGES = text(
    "SELECT p.erp_item_id, book.price FROM products AS p "
    "LEFT JOIN (SELECT erp_item_id, CAST(price AS numeric) AS price FROM incoming_rates) AS book "
    "ON book.erp_item_id = p.erp_item_id "
    "LEFT JOIN product_prices AS pp ON pp.product_id = p.id AND pp.price_list_id = :price_list_id "
    "WHERE pp.price IS DISTINCT FROM book.price "
    "AND (CAST(:only AS varchar[]) IS NULL OR p.erp_item_id = ANY(CAST(:only AS varchar[])))"
)
_PG_MIRROR_CONSUMER_PRICES = text(
    "UPDATE products SET consumer_price = ("
    "SELECT price FROM product_prices "
    "WHERE product_prices.product_id = products.id AND product_prices.price_list_id = :price_list_id) "
    "WHERE products.id = ANY(CAST(:ids AS uuid[])) AND products.consumer_price IS DISTINCT FROM ("
    "SELECT price FROM product_prices "
    "WHERE product_prices.product_id = products.id AND product_prices.price_list_id = :price_list_id)"
)


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Active before, inactive now; not counted in `updated`.
    deactivated: int = 0
    # Prices set or removed on a price list (upsert_products with a `price_list_id`, write_prices).
    prices_changed: int = 0

    def add(self, other: "UpsertCounts") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deactivated += other.deactivated
        self.prices_changed += other.prices_changed

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.deactivated or self.prices_changed)


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
    session: AsyncSession,
    code: str,
    currency: str,
    erp_pricebook_id: str | None = None,
    erp_currency_id: str | None = None,
) -> int:
    insert = upsert_insert(session, PriceList)
    values = {"currency": currency, "erp_pricebook_id": erp_pricebook_id, "erp_currency_id": erp_currency_id}
    await session.execute(
        insert.values(code=code, **values).on_conflict_do_update(index_elements=["code"], set_=values)
    )
    price_list_id = await session.scalar(select(PriceList.id).where(PriceList.code == code))
    assert price_list_id is not None
    return price_list_id


def _product_values(item: ErpItem, category_ids: Mapping[str, int]) -> tuple[Any, ...]:
    """An item's product columns, in the order of _PRODUCT_COLUMNS."""
    return (
        item.erp_item_id,
        item.sku,
        item.name,
        item.name_ar,
        item.description,
        category_ids.get(item.category_name) if item.category_name else None,
        item.image_ref,
        item.is_active,
        item.stock_on_hand,
        item.available_stock,
        item.actual_available_stock,
        item.location_stock,
        item.modified_at,
    )


async def _upsert_products_postgres(
    session: AsyncSession,
    items_by_id: Mapping[str, ErpItem],
    category_ids: Mapping[str, int],
    consumer_prices: Mapping[str, Decimal | None],
    now: datetime,
    read_at: datetime,
    price_list_id: int | None,
) -> UpsertCounts:
    rows = (
        (*_product_values(item, category_ids), _as_text(consumer_prices.get(erp_id)))
        for erp_id, item in items_by_id.items()
    )
    await stage_rows(session, "incoming_products", _PG_STAGING, (*_PRODUCT_COLUMNS, "consumer_price"), rows)
    driver = await driver_connection(session)
    await driver.execute(_PG_BATCH_SETTINGS)
    created, written, deactivated, renamed = await driver.fetchrow(_PG_WRITE_PRODUCTS, read_at, now)
    counts = UpsertCounts(
        created=created,
        updated=written - deactivated,
        unchanged=len(items_by_id) - created - written,
        deactivated=deactivated,
    )
    # The prices are written while the search rows are computed: the database and Python work
    # at the same time.
    pricing = None
    if price_list_id is not None:
        pricing = asyncio.ensure_future(driver.fetchval(_PG_WRITE_STAGED_PRICES, price_list_id, now))
        await asyncio.sleep(0)
    try:
        search = _search_columns(items_by_id[erp_id] for erp_id in renamed)
    finally:
        if pricing is not None:
            counts.prices_changed = await pricing
    if search:
        await _write_search_postgres(session, search)
    return counts


async def _upsert_products_sqlite(
    session: AsyncSession,
    items_by_id: Mapping[str, ErpItem],
    category_ids: Mapping[str, int],
    consumer_prices: Mapping[str, Decimal | None],
    now: datetime,
    read_at: datetime,
    price_list_id: int | None,
) -> UpsertCounts:
    items = items_by_id.values()
    erp_ids = list(items_by_id)
    found = await session.execute(
        select(Product.erp_item_id, Product.is_active, Product.name, Product.name_ar, Product.sku).where(
            Product.erp_item_id.in_(erp_ids)
        )
    )
    was_active: dict[str, bool] = {}
    renamed = set(erp_ids)
    for erp_id, is_active, name, name_ar, sku in found:
        was_active[erp_id] = is_active
        item = items_by_id[erp_id]
        if (name, name_ar, sku) == (item.name, item.name_ar, item.sku):
            renamed.discard(erp_id)
    insert = upsert_insert(session, Product)
    excluded = insert.excluded
    statement = (
        insert.values(
            [
                {
                    **dict(zip(_PRODUCT_COLUMNS, _product_values(item, category_ids), strict=True)),
                    "id": uuid.uuid4(),
                    "consumer_price": consumer_prices.get(item.erp_item_id),
                    "reserved_stock": 0,
                    "erp_figures_read_at": read_at,
                    "synced_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for item in items
            ]
        )
        .on_conflict_do_update(
            index_elements=["erp_item_id"],
            set_={
                **{name: excluded[name] for name in _COMPARED},
                "erp_figures_read_at": excluded.erp_figures_read_at,
                "synced_at": excluded.synced_at,
                "updated_at": excluded.updated_at,
            },
            where=and_(
                Product.erp_figures_read_at.is_(None)
                | (Product.erp_figures_read_at <= excluded.erp_figures_read_at),
                or_(*(getattr(Product, name).is_distinct_from(excluded[name]) for name in _COMPARED)),
            ),
        )
        .returning(Product.erp_item_id, Product.is_active)
    )
    written = (await session.execute(statement)).all()
    counts = UpsertCounts(unchanged=len(erp_ids) - len(written))
    for erp_id, is_active in written:
        if erp_id not in was_active:
            counts.created += 1
        elif was_active[erp_id] and not is_active:
            counts.deactivated += 1
        else:
            counts.updated += 1
    renamed &= {erp_id for erp_id, _ in written}
    if renamed:
        await _write_search_sqlite(session, [items_by_id[erp_id] for erp_id in renamed])
    if price_list_id is not None:
        rates = {erp_id: price for erp_id in erp_ids if (price := consumer_prices.get(erp_id)) is not None}
        changes = await price_changes(session, price_list_id, rates, erp_ids)
        counts.prices_changed = len(await write_prices(session, price_list_id, changes, now))
    return counts


async def upsert_products(
    session: AsyncSession,
    items: list[ErpItem],
    category_ids: Mapping[str, int],
    synced_at: datetime,
    consumer_prices: Mapping[str, Decimal | None] | None = None,
    *,
    read_at: datetime | None = None,
    price_list_id: int | None = None,
) -> UpsertCounts:
    """Insert new items and update changed ones; returns what happened to them.

    `read_at` is when the items were read from the ERP (default: `synced_at`): a product whose
    figures were read later keeps them.

    New products start with their price from `consumer_prices` (by ERP item id), so they are
    written once, not inserted and then updated again by `write_prices`' mirror; without
    `price_list_id` the prices of existing products are left to `write_prices`. A row whose compared fields are all equal is
    not written at all. New items, and those whose names or SKU changed, get their search row
    (storefront.catalog.search) written too. When an item id repeats, the last one wins. On
    PostgreSQL a few COPYs and statements, whatever the batch size; on SQLite keep batches to
    dialect.SQLITE_CHUNK rows.

    With `price_list_id`, `consumer_prices` is the price book for these items: their prices on
    that list are set where they differ, removed where the book gives none, and mirrored onto
    the products (as write_prices does), in the same pass; `prices_changed` counts them.
    """
    if not items:
        return UpsertCounts()
    latest = {item.erp_item_id: item for item in items}
    prices = consumer_prices or {}
    read = read_at or synced_at
    write = _upsert_products_postgres if is_postgres(session) else _upsert_products_sqlite
    return await write(session, latest, category_ids, prices, synced_at, read, price_list_id)


def _search_columns(items: Iterable[ErpItem]) -> dict[str, SearchColumns]:
    return {item.erp_item_id: SearchColumns.of(item.name, item.name_ar, item.sku) for item in items}


async def _write_search_postgres(session: AsyncSession, columns: Mapping[str, SearchColumns]) -> None:
    await stage_rows(
        session,
        "incoming_search",
        "erp_item_id varchar, search_name text, search_name_ar text, search_sku text, search_text text",
        ("erp_item_id", *_SEARCH_COLUMNS),
        ((erp_id, *_search_values(search)) for erp_id, search in columns.items()),
    )
    await (await driver_connection(session)).execute(_PG_WRITE_SEARCH)
    await _add_words(session, columns.values())


async def _write_search_sqlite(session: AsyncSession, items: Collection[ErpItem]) -> None:
    columns = _search_columns(items)
    found = await session.execute(
        select(Product.erp_item_id, Product.id, Product.category_id, Product.is_listed).where(
            Product.erp_item_id.in_(list(columns))
        )
    )
    rows = [
        {
            "product_id": product_id,
            "category_id": category_id,
            "is_listed": is_listed,
            **dict(zip(_SEARCH_COLUMNS, _search_values(columns[erp_id]), strict=True)),
        }
        for erp_id, product_id, category_id, is_listed in found
    ]
    if rows:
        insert = upsert_insert(session, ProductSearch)
        await session.execute(
            insert.values(rows).on_conflict_do_update(
                index_elements=["product_id"], set_={name: insert.excluded[name] for name in _SEARCH_COLUMNS}
            )
        )
    await _add_words(session, columns.values())


def _search_values(columns: SearchColumns) -> tuple[str, str, str, str]:
    """Search columns in the order of _SEARCH_COLUMNS."""
    return columns.search_name, columns.search_name_ar, columns.search_sku, columns.search_text


async def _add_words(session: AsyncSession, written: Iterable[SearchColumns]) -> None:
    """Add the words of these search rows to the vocabulary (most are in it already)."""
    words = sorted(vocabulary_of(written))
    insert = upsert_insert(session, SearchWord)
    for chunk in chunks(words):
        await session.execute(insert.values([{"word": word} for word in chunk]).on_conflict_do_nothing())


def _as_text(price: Decimal | None) -> str | None:
    """Prices are staged as text: asyncpg's binary numeric encoding costs several times more."""
    return str(price) if price is not None else None


async def deactivate_products(session: AsyncSession, erp_ids: Collection[str], at: datetime) -> int:
    """Mark these items inactive where they are active now; returns how many changed."""
    if not erp_ids:
        return 0
    changed = 0
    statement = update(Product).values(is_active=False, synced_at=at, updated_at=at)
    for batch in id_batches(session, list(erp_ids)):
        result = await session.execute(
            statement.where(
                Product.is_active.is_(True), string_in(session, Product.erp_item_id, batch)
            ).returning(Product.id)
        )
        changed += len(result.scalars().all())
    return changed


async def price_changes(
    session: AsyncSession,
    price_list_id: int,
    rates: Mapping[str, Decimal],
    erp_ids: Collection[str] | None = None,
) -> dict[str, Decimal | None]:
    """Per ERP item id, the price a price book gives a product where it differs from the stored one
    (None: the book no longer prices it). For these items, or for every product when `erp_ids` is None.
    """
    if erp_ids is not None and not erp_ids:
        return {}
    if is_postgres(session):
        await stage_rows(
            session,
            "incoming_rates",
            "erp_item_id varchar, price text",
            ("erp_item_id", "price"),
            # Only these items' rates, when the question is about some items.
            (
                ((erp_id, _as_text(rate)) for erp_id, rate in rates.items())
                if erp_ids is None
                else ((erp_id, _as_text(rates[erp_id])) for erp_id in set(erp_ids) if erp_id in rates)
            ),
        )
        only = list(erp_ids) if erp_ids is not None else None
        rows = await session.execute(_PG_PRICE_CHANGES, {"price_list_id": price_list_id, "only": only})
        return dict(rows.all())
    statement = select(Product.erp_item_id, ProductPrice.price).outerjoin(
        ProductPrice, (ProductPrice.product_id == Product.id) & (ProductPrice.price_list_id == price_list_id)
    )
    if erp_ids is not None:
        statement = statement.where(Product.erp_item_id.in_(list(erp_ids)))
    stored = dict((await session.execute(statement)).all())
    return {erp_id: rates.get(erp_id) for erp_id, price in stored.items() if rates.get(erp_id) != price}


async def write_prices(
    session: AsyncSession,
    price_list_id: int,
    prices: Mapping[str, Decimal | None],
    at: datetime,
    *,
    consumer_list: bool = True,
) -> set[uuid.UUID]:
    """Set (or, where the price is None, remove) these items' prices on one list, by ERP item id.

    Returns the products whose price actually changed; equal prices are not rewritten. When the
    list is the one consumers buy from, the changed prices are mirrored onto the products too.
    """
    if is_postgres(session):
        changed = await _write_price_rows_postgres(session, price_list_id, prices, at)
    else:
        changed = await _write_price_rows_sqlite(session, price_list_id, prices, at)
    if consumer_list and changed:
        await _mirror_consumer_prices(session, price_list_id, changed)
    return changed


async def _mirror_consumer_prices(
    session: AsyncSession, price_list_id: int, product_ids: set[uuid.UUID]
) -> None:
    if is_postgres(session):
        await session.execute(
            _PG_MIRROR_CONSUMER_PRICES, {"price_list_id": price_list_id, "ids": list(product_ids)}
        )
        return
    price = (
        select(ProductPrice.price)
        .where(ProductPrice.product_id == Product.id, ProductPrice.price_list_id == price_list_id)
        .scalar_subquery()
    )
    for chunk in chunks(list(product_ids)):
        await session.execute(update(Product).where(Product.id.in_(chunk)).values(consumer_price=price))


async def _write_price_rows_postgres(
    session: AsyncSession, price_list_id: int, prices: Mapping[str, Decimal | None], at: datetime
) -> set[uuid.UUID]:
    priced = {erp_id: price for erp_id, price in prices.items() if price is not None}
    unpriced = [erp_id for erp_id, price in prices.items() if price is None]
    changed: set[uuid.UUID] = set()
    if unpriced:
        result = await session.execute(
            _PG_DELETE_PRICES, {"price_list_id": price_list_id, "erp_ids": unpriced}
        )
        changed.update(result.scalars().all())
    if priced:
        result = await session.execute(
            _PG_UPSERT_PRICES,
            {
                "price_list_id": price_list_id,
                "now": at,
                "erp_ids": list(priced),
                "prices": list(priced.values()),
            },
        )
        changed.update(result.scalars().all())
    return changed


async def _write_price_rows_sqlite(
    session: AsyncSession, price_list_id: int, prices: Mapping[str, Decimal | None], at: datetime
) -> set[uuid.UUID]:
    product_ids: dict[str, uuid.UUID] = {}
    for erp_ids in chunks(list(prices)):
        found = await session.execute(
            select(Product.erp_item_id, Product.id).where(Product.erp_item_id.in_(erp_ids))
        )
        product_ids.update(found.all())
    priced = [
        (product_ids[e], price) for e, price in prices.items() if price is not None and e in product_ids
    ]
    unpriced = [product_ids[e] for e, price in prices.items() if price is None and e in product_ids]
    changed: set[uuid.UUID] = set()
    for batch in chunks(unpriced):
        result = await session.execute(
            delete(ProductPrice)
            .where(ProductPrice.price_list_id == price_list_id, ProductPrice.product_id.in_(batch))
            .returning(ProductPrice.product_id)
        )
        changed.update(result.scalars().all())
    insert = upsert_insert(session, ProductPrice)
    for chunk in chunks(priced):
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
