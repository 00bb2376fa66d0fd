"""The SQL of sync runs and of the figures the sync status reports."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import SELLABLE, Product
from storefront.sync.models import ListingSeen, RunStatus, SyncRun
from storefront.sync.schemas import ProductCounts


class SyncRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, run_id: uuid.UUID) -> SyncRun | None:
        return await self.session.get(SyncRun, run_id)

    async def running(self) -> SyncRun | None:
        return await self.session.scalar(
            select(SyncRun)
            .where(SyncRun.status == RunStatus.RUNNING)
            .order_by(SyncRun.started_at.desc())
            .limit(1)
        )

    async def latest(self) -> SyncRun | None:
        return await self.session.scalar(select(SyncRun).order_by(SyncRun.started_at.desc()).limit(1))

    async def last_completed(self) -> SyncRun | None:
        return await self.session.scalar(
            select(SyncRun)
            .where(SyncRun.status == RunStatus.COMPLETED)
            .order_by(SyncRun.finished_at.desc())
            .limit(1)
        )

    async def high_water_mark(self) -> datetime | None:
        """The mark of the last completed full or incremental run (item runs never move it)."""
        return await self.session.scalar(
            select(SyncRun.high_water_mark)
            .where(SyncRun.status == RunStatus.COMPLETED, SyncRun.mode.in_(("full", "incremental")))
            .order_by(SyncRun.finished_at.desc())
            .limit(1)
        )

    async def resumable_listing(self, started_after: datetime) -> SyncRun | None:
        """The latest full run, when it did not complete and started after `started_after`."""
        latest = await self.session.scalar(
            select(SyncRun).where(SyncRun.mode == "full").order_by(SyncRun.started_at.desc()).limit(1)
        )
        if (
            latest is None
            or latest.status not in (RunStatus.FAILED, RunStatus.INTERRUPTED)
            or latest.listing_id is None
        ):
            return None
        return latest if latest.started_at > started_after else None

    async def seen_count(self, listing_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(ListingSeen).where(ListingSeen.listing_id == listing_id)
        return int(await self.session.scalar(query) or 0)

    async def catalog_size(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Product)) or 0)

    async def page(self, skip: int, limit: int) -> tuple[Sequence[SyncRun], int]:
        rows = await self.session.scalars(
            select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id).offset(skip).limit(limit)
        )
        total = await self.session.scalar(select(func.count()).select_from(SyncRun))
        return rows.all(), int(total or 0)

    async def fail_running(self, error: str, at: datetime, *, started_before: datetime | None = None) -> int:
        """Mark runs still `running` (their process is gone) failed; returns how many."""
        statement = update(SyncRun).where(SyncRun.status == RunStatus.RUNNING)
        if started_before is not None:
            statement = statement.where(SyncRun.started_at < started_before)
        result = await self.session.execute(
            statement.values(status=RunStatus.FAILED, finished_at=at, error=error).returning(SyncRun.id)
        )
        return len(result.scalars().all())

    async def product_counts(self) -> ProductCounts:
        in_stock = SELLABLE > 0
        row = (
            await self.session.execute(
                select(func.count(), func.count().filter(in_stock)).where(Product.is_active.is_(True))
            )
        ).one()
        total, sellable = int(row[0]), int(row[1])
        return ProductCounts(total=total, in_stock=sellable, out_of_stock=total - sellable)
