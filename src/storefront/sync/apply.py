"""Apply what a run fetched from the ERP to the mirror, inside the caller's (short) transaction.

Nothing here talks to the ERP: the run fetched everything first, so product rows are locked
only for as long as the bulk statements take, and a failed fetch changes nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.writer import (
    UpsertCounts,
    deactivate_missing,
    deactivate_products,
    ensure_categories,
    ensure_price_list,
    price_changes,
    upsert_products,
    write_prices,
)
from storefront.db.dialect import id_batches
from storefront.erp.client import PriceBook
from storefront.erp.items import ErpItem
from storefront.orders.reservations import release_settled_reservations


@dataclass
class FetchedCatalog:
    """What one run read from the ERP."""

    items: list[ErpItem]
    price_book: PriceBook
    # A lower bound of when the ERP figures were read: the moment the fetch began.
    figures_read_at: datetime
    # True when `items` is every item the ERP has (a full listing): the others get deactivated.
    complete: bool = False
    # The item ids a run for specific items asked for (None: a listing run).
    requested_item_ids: list[str] | None = None
    # Items asked for by id that the ERP no longer has.
    missing_item_ids: list[str] = field(default_factory=list)
    fetched: int = 0
    failed: int = 0
    fetch_seconds: float = 0.0


@dataclass
class ApplyResult:
    counts: UpsertCounts
    prices_changed: int

    @property
    def changed_anything(self) -> bool:
        c = self.counts
        return bool(c.created or c.updated or c.deactivated or self.prices_changed)


async def apply_catalog(
    session: AsyncSession, fetched: FetchedCatalog, price_list_code: str, now: datetime
) -> ApplyResult:
    category_ids = await ensure_categories(
        session, (item.category_name for item in fetched.items if item.category_name)
    )
    counts = UpsertCounts()
    for batch in id_batches(session, fetched.items):
        counts.add(await upsert_products(session, list(batch), category_ids, now, fetched.price_book.rates))
    # The new figures count the sales orders confirmed before they were read: release those units.
    await release_settled_reservations(
        session, (item.erp_item_id for item in fetched.items), fetched.figures_read_at
    )

    if fetched.complete:
        present = {item.erp_item_id for item in fetched.items}
        counts.deactivated += await deactivate_missing(session, present, now)
    counts.deactivated += await deactivate_products(session, fetched.missing_item_ids, now)

    book = fetched.price_book
    price_list_id = await ensure_price_list(session, price_list_code, book.currency, book.pricebook_id)
    # The price book is read whole on every run, so prices are reconciled for every product a
    # listing run knows (a rate can change without the item changing); item runs touch their own.
    # Only prices that differ travel back from the database, and most runs change none.
    changes = await price_changes(session, price_list_id, book.rates, fetched.requested_item_ids)
    changed_prices = await write_prices(session, price_list_id, changes, now)
    return ApplyResult(counts=counts, prices_changed=len(changed_prices))
