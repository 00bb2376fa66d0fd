"""The dashboard page's contents, gathered in one read."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storefront.dashboard.rates import CacheHitRates
from storefront.dashboard.repository import DashboardRepository
from storefront.db.engine import Database
from storefront.erp.client import ErpClient
from storefront.images.repository import (
    ImageFailureRow,
    PictureCounts,
    image_failures,
    picture_counts,
    products_without_picture,
)
from storefront.metrics.collectors import DatabaseFigures, PoolUse, PushPace, database_figures, pool_use
from storefront.orders.schemas import PushView
from storefront.sync.schemas import SyncRunView

SYNC_RUNS_SHOWN = 15
EVENTS_SHOWN = 25
FAILED_ORDERS_SHOWN = 20
OPEN_ORDERS_SHOWN = 20
PICTURE_ROWS_SHOWN = 20


@dataclass(frozen=True)
class SyncRunRow:
    mode: str
    status: str
    trigger: str
    started_at: datetime
    duration_seconds: float | None
    counts: dict[str, int]
    error: str | None
    phase: str | None
    expected_items: int | None
    eta_seconds: float | None


@dataclass(frozen=True)
class ErpStatus:
    """The ERP's daily quota as Zoho last reported it, and whether ERP traffic is paused for it."""

    daily_limit: int | None = None
    daily_remaining: int | None = None
    resets_at: datetime | None = None
    paused_until: datetime | None = None


@dataclass(frozen=True)
class Pictures:
    """Product pictures: how many products show one, which do not, which failed to be fetched."""

    counts: PictureCounts
    without: list[tuple[str, str]]
    failures: list[ImageFailureRow]


@dataclass(frozen=True)
class Overview:
    sync_runs: list[SyncRunRow]
    events: list[dict[str, Any]]
    failed_orders: list[PushView]
    open_orders: list[PushView]
    figures: DatabaseFigures
    pools: list[PoolUse]
    hit_rates: dict[str, Any]
    overall_hit_rates: dict[str, float | None]
    erp: ErpStatus
    pictures: Pictures
    pace: PushPace | None = None


async def erp_status(erp: ErpClient | None) -> ErpStatus:
    if erp is None:
        return ErpStatus()
    quota, paused = await erp.daily_quota(), await erp.paused_until()
    return ErpStatus(
        daily_limit=quota.limit if quota else None,
        daily_remaining=quota.remaining if quota else None,
        resets_at=datetime.fromtimestamp(quota.reset_at, UTC) if quota else None,
        paused_until=datetime.fromtimestamp(paused, UTC) if paused else None,
    )


async def overview(
    database: Database,
    rates: CacheHitRates | None,
    erp: ErpClient | None = None,
    pace: PushPace | None = None,
    *,
    image_max_attempts: int = 1,
) -> Overview:
    async with database.sessionmaker() as session:
        repository = DashboardRepository(session)
        runs = await repository.recent_sync_runs(SYNC_RUNS_SHOWN)
        events = await repository.latest_events(EVENTS_SHOWN)
        failed = await repository.failed_orders(FAILED_ORDERS_SHOWN)
        open_orders = await repository.open_orders(OPEN_ORDERS_SHOWN)
        pictures = Pictures(
            await picture_counts(session, image_max_attempts),
            list(await products_without_picture(session, PICTURE_ROWS_SHOWN)),
            await image_failures(session, PICTURE_ROWS_SHOWN),
        )
    sync_runs = []
    for run in runs:
        view = SyncRunView.of(run)
        sync_runs.append(
            SyncRunRow(
                mode=view.mode,
                status=view.status,
                trigger=view.trigger,
                started_at=view.started_at,
                duration_seconds=view.duration_seconds,
                counts=view.counts.model_dump(),
                error=view.error,
                phase=view.progress.phase,
                expected_items=view.progress.expected_items,
                eta_seconds=view.progress.eta_seconds,
            )
        )
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
        open_orders=open_orders,
        figures=await database_figures(database, pace),
        pools=pool_use(database),
        hit_rates=rates.series(),
        overall_hit_rates=rates.overall(),
        erp=await erp_status(erp),
        pictures=pictures,
        pace=pace,
    )
