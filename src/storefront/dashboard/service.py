"""The dashboard page's contents, gathered in one read."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storefront.dashboard.rates import CacheHitRates
from storefront.dashboard.repository import DashboardRepository
from storefront.db.engine import Database
from storefront.metrics.collectors import DatabaseFigures, PoolUse, database_figures, pool_use
from storefront.orders.schemas import PushView

SYNC_RUNS_SHOWN = 15
EVENTS_SHOWN = 25
FAILED_ORDERS_SHOWN = 20


@dataclass(frozen=True)
class SyncRunRow:
    mode: str
    status: str
    trigger: str
    started_at: datetime
    duration_seconds: float | None
    counts: dict[str, int]
    error: str | None


@dataclass(frozen=True)
class Overview:
    sync_runs: list[SyncRunRow]
    events: list[dict[str, Any]]
    failed_orders: list[PushView]
    figures: DatabaseFigures
    pools: list[PoolUse]
    hit_rates: dict[str, Any]
    overall_hit_rates: dict[str, float | None]


async def overview(database: Database, rates: CacheHitRates | None) -> Overview:
    async with database.sessionmaker() as session:
        repository = DashboardRepository(session)
        runs = await repository.recent_sync_runs(SYNC_RUNS_SHOWN)
        events = await repository.latest_events(EVENTS_SHOWN)
        failed = await repository.failed_orders(FAILED_ORDERS_SHOWN)
    sync_runs = [
        SyncRunRow(
            mode=run.mode,
            status=run.status,
            trigger=run.trigger,
            started_at=run.started_at,
            duration_seconds=(run.finished_at - run.started_at).total_seconds() if run.finished_at else None,
            counts={
                "fetched": run.fetched,
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "deactivated": run.deactivated,
                "failed": run.failed,
            },
            error=run.error,
        )
        for run in runs
    ]
    rates = rates or CacheHitRates()
    return Overview(
        sync_runs=sync_runs,
        events=[
            {
                "at": event.created_at,
                "name": event.name,
                "correlation_id": event.correlation_id,
                "payload": event.payload,
            }
            for event in events
        ],
        failed_orders=failed,
        figures=await database_figures(database),
        pools=pool_use(database),
        hit_rates=rates.series(),
        overall_hit_rates=rates.overall(),
    )
