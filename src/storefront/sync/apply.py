"""Write what a run read from the ERP into the mirror, inside the caller's (short) transaction.

Nothing here talks to the ERP. A run writes its items batch by batch as it reads them, then
deactivates the items the ERP confirmed gone, then reconciles prices with the price book.
"""

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Product
from storefront.catalog.writer import (
    UpsertCounts,
    deactivate_products,
    ensure_categories,
    ensure_price_list,
    price_changes,
    upsert_products,
    write_prices,
)
from storefront.db.dialect import id_batches, is_postgres, upsert_insert
from storefront.db.staging import stage_rows
from storefront.erp.client import PriceBook
from storefront.erp.items import ErpItem
from storefront.orders.reservations import release_settled_reservations
from storefront.sync.models import ListingSeen

_PG_REMEMBER_SEEN = text(
    "INSERT INTO sync_listing_seen (listing_id, erp_item_id) "
    "SELECT DISTINCT CAST(:listing_id AS uuid), erp_item_id FROM incoming_seen ON CONFLICT DO NOTHING"
)


class PriceBookSuspicious(Exception):
    """Applying the price book would unprice too much of the shop: nothing of it was written."""


@dataclass(frozen=True)
class BookPrices:
    """The price book a batch is priced with, and the price list it writes."""

    book: PriceBook
    price_list_code: str


async def apply_items(
    session: AsyncSession,
    items: list[ErpItem],
    *,
    read_at: datetime,
    now: datetime,
    prices: BookPrices | None = None,
) -> UpsertCounts:
    """Write items read from the ERP no earlier than `read_at`, and end the reservations they settle.

    With `prices`, new products take their price from the book and every item's price on the
    list is reconciled with it in the same pass. The ERP figures include the sales orders
    confirmed before `read_at`, so those orders' units on these items are released.
    """
    category_ids = await ensure_categories(
        session, (item.category_name for item in items if item.category_name)
    )
    price_list_id = None
    if prices is not None:
        book = prices.book
        price_list_id = await ensure_price_list(
            session, prices.price_list_code, book.currency, book.pricebook_id, book.currency_id
        )
    counts = UpsertCounts()
    for batch in id_batches(session, items):
        counts.add(
            await upsert_products(
                session,
                list(batch),
                category_ids,
                now,
                prices.book.rates if prices is not None else None,
                read_at=read_at,
                price_list_id=price_list_id,
            )
        )
    await release_settled_reservations(session, (item.erp_item_id for item in items), read_at)
    return counts


async def remember_seen(session: AsyncSession, listing_id: uuid.UUID, erp_ids: Collection[str]) -> None:
    """Note the items a full listing has read (its end asks the ERP about the others)."""
    if not erp_ids:
        return
    if is_postgres(session):
        await stage_rows(
            session, "incoming_seen", "erp_item_id varchar", ("erp_item_id",), ((e,) for e in erp_ids)
        )
        await session.execute(_PG_REMEMBER_SEEN, {"listing_id": listing_id})
        return
    insert = upsert_insert(session, ListingSeen)
    for batch in id_batches(session, sorted(erp_ids)):
        await session.execute(
            insert.values(
                [{"listing_id": listing_id, "erp_item_id": e} for e in batch]
            ).on_conflict_do_nothing()
        )


async def unseen_active(session: AsyncSession, listing_id: uuid.UUID) -> list[str]:
    """Active products a full listing never showed: gone from the ERP, or skipped by it."""
    seen = select(ListingSeen.erp_item_id).where(ListingSeen.listing_id == listing_id)
    rows = await session.scalars(
        select(Product.erp_item_id).where(Product.is_active.is_(True), Product.erp_item_id.not_in(seen))
    )
    return list(rows.all())


async def forget_listing(session: AsyncSession, listing_id: uuid.UUID) -> None:
    await session.execute(delete(ListingSeen).where(ListingSeen.listing_id == listing_id))


async def deactivate_gone(session: AsyncSession, erp_ids: Collection[str], now: datetime) -> int:
    """Deactivate items the ERP confirmed gone (code 1002); returns how many were active."""
    return await deactivate_products(session, erp_ids, now)


@dataclass(frozen=True)
class UnpricedGuard:
    """A book may unprice at most this share of the listed products, or this many."""

    share: float
    min_items: int


async def checked_price_changes(
    session: AsyncSession,
    book: PriceBook,
    price_list_code: str,
    *,
    only: Iterable[str] | None = None,
    guard: UnpricedGuard | None = None,
) -> tuple[int, dict[str, Decimal | None]]:
    """The price list's id and the prices the book changes (for these items, or every product).

    Raises PriceBookSuspicious when the book would unprice more of the listed products than the
    guard allows (a book emptied or replaced by mistake).
    """
    price_list_id = await ensure_price_list(
        session, price_list_code, book.currency, book.pricebook_id, book.currency_id
    )
    changes = await price_changes(session, price_list_id, book.rates, None if only is None else list(only))
    unpriced = sum(1 for price in changes.values() if price is None)
    if guard is not None and unpriced > guard.min_items:
        listed = int(await session.scalar(select(func.count()).where(Product.is_listed.is_(True))) or 0)
        if listed and unpriced > guard.share * listed:
            raise PriceBookSuspicious(
                f"The price book {book.name!r} would unprice {unpriced} of {listed} listed products "
                f"(more than {guard.share:.0%}); its prices were not applied."
            )
    return price_list_id, changes


async def apply_price_book(
    session: AsyncSession,
    book: PriceBook,
    price_list_code: str,
    now: datetime,
    *,
    only: Iterable[str] | None = None,
    guard: UnpricedGuard | None = None,
) -> int:
    """Reconcile stored prices with the book (for these items, or every product); the number changed.

    A rate can change without its item changing, so listing runs reconcile every product.
    """
    price_list_id, changes = await checked_price_changes(
        session, book, price_list_code, only=only, guard=guard
    )
    return len(await write_prices(session, price_list_id, changes, now))
