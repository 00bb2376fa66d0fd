"""What is cheaper to read when scraped than to keep counting: pool gauges and database figures."""

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event, exists, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storefront.config import Settings
from storefront.db.engine import Database
from storefront.logging import get_logger
from storefront.metrics.registry import DB_POOL_CHECKED_OUT, DB_POOL_OVERFLOW, DB_POOL_SIZE
from storefront.orders.models import ErpContact, Order, OrderPush, PushStatus

# Push rows still waiting for the ERP (not done, not given up on).
PUSH_BACKLOG_STATUSES = (PushStatus.PENDING,)
# ERP calls a push costs (storefront.orders.worker): its sales order, a share of its batch's one
# confirm call, and for a shopper with no remembered contact a lookup and a create.
SALESORDER_CALLS = 1
NEW_SHOPPER_CALLS = 2
log = get_logger(__name__)


@dataclass(frozen=True)
class PoolUse:
    pool: str
    size: int
    checked_out: int
    overflow: int


@dataclass(frozen=True)
class PushPace:
    """What the ERP's request budget lets order pushes do: they may use all of its calls a minute,
    and one confirm call covers a batch of drafts (none when orders stay drafts)."""

    calls_per_minute: float
    confirm_batch: int

    @classmethod
    def of(cls, settings: Settings) -> "PushPace":
        batch = settings.order_push_batch_size if settings.zoho_confirm_salesorders else 0
        return cls(settings.zoho_requests_per_minute, batch)

    def drain_seconds(self, backlog: int, new_shoppers: int) -> float:
        confirms = math.ceil(backlog / self.confirm_batch) if self.confirm_batch else 0
        calls = backlog * SALESORDER_CALLS + confirms + new_shoppers * NEW_SHOPPER_CALLS
        return calls * 60 / self.calls_per_minute


@dataclass
class DatabaseFigures:
    up: bool = True
    orders_by_status: dict[str, int] = field(default_factory=dict)
    push_backlog: int = 0
    oldest_push_age_seconds: float = 0.0
    # Shoppers in the backlog whose ERP contact is not known yet (each costs calls to find or create).
    push_backlog_new_shoppers: int = 0
    # How long the backlog takes to reach the ERP at the request budget (None: no pace given).
    expected_drain_seconds: float | None = None


def _engines(database: Database) -> Iterable[tuple[str, AsyncEngine]]:
    yield "main", database.engine
    if database.write_engine is not database.engine:
        yield "write", database.write_engine
    if database.replica is not None:
        yield "replica", database.replica.replica


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


async def database_figures(database: Database, pace: PushPace | None = None) -> DatabaseFigures:
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
            new_shoppers = await session.scalar(
                select(func.count(func.distinct(func.lower(Order.customer_email))))
                .join(OrderPush, OrderPush.order_id == Order.id)
                .where(
                    OrderPush.status.in_(PUSH_BACKLOG_STATUSES),
                    Order.erp_contact_id.is_(None),
                    ~exists().where(ErpContact.email == func.lower(Order.customer_email)),
                )
            )
    except Exception as exc:
        log.warning("metrics_database_unreachable", error_type=type(exc).__name__)
        return DatabaseFigures(up=False)
    age = max(datetime.now(UTC).timestamp() - _as_utc(oldest).timestamp(), 0.0) if oldest else 0.0
    return DatabaseFigures(
        orders_by_status={status: int(n) for status, n in by_status},
        push_backlog=int(backlog),
        oldest_push_age_seconds=age,
        push_backlog_new_shoppers=int(new_shoppers or 0),
        expected_drain_seconds=pace.drain_seconds(int(backlog), int(new_shoppers or 0)) if pace else None,
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
        if figures.expected_drain_seconds is not None:
            yield GaugeMetricFamily(
                "storefront_push_expected_drain_seconds",
                "Expected time for the backlog to reach the ERP at its request budget: the backlog's "
                "ERP calls (a sales order each, a confirm per batch, a contact per new shopper) over "
                "the calls a minute pushes may use.",
                value=figures.expected_drain_seconds,
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
