"""Confirmed orders stop holding units soon after confirmation: their items are read again.

Zoho commits stock when a sales order is confirmed, and that need not touch the item's
last_modified_time, so an incremental sync may never read the item again. The settler reads the
items that confirmed orders still hold units of (GET /itemdetails, many per call), writes their
figures and releases those orders' units in one transaction. It runs beside syncs: figures read
earlier never overwrite figures read later (see storefront.catalog.writer).
"""

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from storefront.db.base import utcnow
from storefront.db.engine import Database
from storefront.db.session import after_commit, commit
from storefront.erp.budget import Priority
from storefront.erp.client import ErpClient
from storefront.erp.errors import ErpError
from storefront.erp.items import parse_item
from storefront.erp.locations import LocationSelection
from storefront.logging import get_logger
from storefront.orders.models import Order, OrderLine, OrderStatus
from storefront.sync.apply import apply_items
from storefront.tasks import cancel_and_wait

# Items read per pass (a few GET /itemdetails calls); more wait for the next pass.
ITEMS_PER_PASS = 500
log = get_logger(__name__)


class ReservationSettler:
    def __init__(
        self,
        database: Database,
        erp: ErpClient,
        interval_seconds: float,
        invalidate_catalog: Callable[[], Awaitable[None]] | None = None,
        name_ar_field: str | None = None,
        locations: LocationSelection | None = None,
    ) -> None:
        self.database = database
        self.erp = erp.with_priority(Priority.SETTLE)
        self.interval_seconds = interval_seconds
        self.invalidate_catalog = invalidate_catalog
        self.name_ar_field = name_ar_field
        self.locations = locations
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="reservation-settler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await self.run_once()
            except ErpError as exc:
                log.info("reservation_settle_deferred", error=str(exc))
            except Exception:
                log.exception("reservation_settle_failed")

    async def run_once(self) -> int:
        """Read the items confirmed orders hold units of and settle them; the number of items read."""
        if await self.erp.paused_until() is not None:
            return 0
        async with self.database.sessionmaker() as session:
            held = (
                select(OrderLine.erp_item_id)
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.status == OrderStatus.CONFIRMED, OrderLine.reservation_released_at.is_(None))
                .distinct()
                .limit(ITEMS_PER_PASS)
            )
            item_ids = list((await session.scalars(held)).all())
        if not item_ids:
            return 0
        await self.refresh(item_ids)
        log.info("reservations_settled", items=len(item_ids))
        return len(item_ids)

    async def refresh(self, item_ids: list[str]) -> None:
        """Read these items from the ERP and write them, ending the reservations their figures settle."""
        read_at = utcnow()
        items = []
        for raw in await self.erp.get_item_details(item_ids):
            try:
                items.append(parse_item(raw, name_ar_field=self.name_ar_field, locations=self.locations))
            except (ValueError, TypeError, AttributeError):
                log.warning("settle_item_unreadable")
        async with self.database.write_sessionmaker() as session:
            await apply_items(session, items, read_at=read_at, now=utcnow())
            if self.invalidate_catalog is not None:
                after_commit(session, self.invalidate_catalog)
            await commit(session)
