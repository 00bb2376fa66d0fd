"""What is cheaper to read when scraped than to keep counting: pool gauges and database figures."""

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storefront.db.engine import Database
from storefront.logging import get_logger
from storefront.metrics.registry import DB_POOL_CHECKED_OUT, DB_POOL_OVERFLOW, DB_POOL_SIZE
from storefront.orders.models import Order, OrderPush, PushStatus

# Push rows still waiting for the ERP (not done, not given up on).
PUSH_BACKLOG_STATUSES = (PushStatus.PENDING,)
log = get_logger(__name__)


@dataclass(frozen=True)
class PoolUse:
    pool: str
    size: int
    checked_out: int
    overflow: int


@dataclass
class DatabaseFigures:
    up: bool = True
    orders_by_status: dict[str, int] = field(default_factory=dict)
    push_backlog: int = 0
    oldest_push_age_seconds: float = 0.0


def _engines(database: Database) -> Iterable[tuple[str, AsyncEngine]]:
    yield "main", database.engine
    if database.write_engine is not database.engine:
        yield "write", database.write_engine


def _int(pool: Any, method: str) -> int:
    reader = getattr(pool, method, None)
    return int(reader()) if callable(reader) else 0


def pool_use(database: Database) -> list[PoolUse]:
    """Each engine's pool as it is now; pools without a fixed size (NullPool) read as zeros."""
    uses = []
    for name, engine in _engines(database):
        pool = engine.sync_engine.pool
        uses.append(
            PoolUse(
                pool=name,
                size=_int(pool, "size"),
                checked_out=_int(pool, "checkedout"),
                overflow=max(_int(pool, "overflow"), 0),
            )
        )
    return uses


def observe_pools(database: Database) -> list[PoolUse]:
    uses = pool_use(database)
    for use in uses:
        DB_POOL_SIZE.labels(use.pool).set(use.size)
        DB_POOL_CHECKED_OUT.labels(use.pool).set(use.checked_out)
        DB_POOL_OVERFLOW.labels(use.pool).set(use.overflow)
    return uses


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def database_figures(database: Database) -> DatabaseFigures:
    try:
        async with database.sessionmaker() as session:
            by_status = (
                await session.execute(select(Order.status, func.count()).group_by(Order.status))
            ).all()
            backlog, oldest = (
                await session.execute(
                    select(func.count(), func.min(OrderPush.created_at)).where(
                        OrderPush.status.in_(PUSH_BACKLOG_STATUSES)
                    )
                )
            ).one()
    except Exception as exc:
        log.warning("metrics_database_unreachable", error_type=type(exc).__name__)
        return DatabaseFigures(up=False)
    age = max(datetime.now(UTC).timestamp() - _as_utc(oldest).timestamp(), 0.0) if oldest else 0.0
    return DatabaseFigures(
        orders_by_status={status: int(n) for status, n in by_status},
        push_backlog=int(backlog),
        oldest_push_age_seconds=age,
    )


class DatabaseFiguresCollector(Collector):
    """Figures read once for this scrape; no process keeps them, so no multi-process merge applies."""

    def __init__(self, figures: DatabaseFigures) -> None:
        self.figures = figures
        self.read_at = time.time()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = self.figures
        yield GaugeMetricFamily(
            "storefront_database_up", "1 when the database answered this scrape.", value=int(figures.up)
        )
        if not figures.up:
            return
        orders = GaugeMetricFamily(
            "storefront_orders", "Orders in the database by status.", labels=["status"]
        )
        for status, n in sorted(figures.orders_by_status.items()):
            orders.add_metric([status], n)
        yield orders
        yield GaugeMetricFamily(
            "storefront_push_backlog", "Orders waiting to reach the ERP.", value=figures.push_backlog
        )
        yield GaugeMetricFamily(
            "storefront_push_oldest_age_seconds",
            "Age of the oldest order waiting to reach the ERP (0 when none waits).",
            value=figures.oldest_push_age_seconds,
        )


def instrument_pools(database: Database) -> None:
    """Keep the pool gauges current as connections come and go, so every worker's share is known
    (the scrape-time read alone would only see the process that serves the scrape)."""
    for name, engine in _engines(database):
        pool = engine.sync_engine.pool

        def refresh(*_: Any, pool: Any = pool, name: str = name) -> None:
            DB_POOL_SIZE.labels(name).set(_int(pool, "size"))
            DB_POOL_CHECKED_OUT.labels(name).set(_int(pool, "checkedout"))
            DB_POOL_OVERFLOW.labels(name).set(max(_int(pool, "overflow"), 0))

        event.listen(pool, "checkout", refresh)
        event.listen(pool, "checkin", refresh)
