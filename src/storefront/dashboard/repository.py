"""What the operator's page reads: recent sync runs, the latest events, failed orders."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.events.models import Event
from storefront.orders.models import OrderStatus
from storefront.orders.repository import OrderRepository
from storefront.orders.schemas import PushView
from storefront.sync.models import SyncRun


class DashboardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent_sync_runs(self, limit: int) -> Sequence[SyncRun]:
        query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id).limit(limit)
        return (await self.session.execute(query)).scalars().all()

    async def latest_events(self, limit: int) -> Sequence[Event]:
        query = select(Event).order_by(Event.id.desc()).limit(limit)
        return (await self.session.execute(query)).scalars().all()

    async def open_orders(self, limit: int) -> list[PushView]:
        """The latest orders an operator may still cancel: accepted, or confirmed."""
        repository = OrderRepository(self.session)
        accepted, _ = await repository.list_with_pushes(OrderStatus.ACCEPTED, 0, limit)
        confirmed, _ = await repository.list_with_pushes(OrderStatus.CONFIRMED, 0, limit)
        return sorted([*accepted, *confirmed], key=lambda view: view.order.created_at, reverse=True)[:limit]

    async def failed_orders(self, limit: int) -> list[PushView]:
        views, _ = await OrderRepository(self.session).list_with_pushes(OrderStatus.FAILED, 0, limit)
        return views
