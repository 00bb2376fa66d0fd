"""Render every metric in the Prometheus text format, merging worker processes when there are several."""

import os

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

from storefront.db.engine import Database
from storefront.metrics.collectors import DatabaseFiguresCollector, PushPace, database_figures, observe_pools
from storefront.metrics.registry import is_multiprocess


def process_registry() -> CollectorRegistry:
    """The registry holding the counters: this process's, or the sum over all worker processes."""
    if not is_multiprocess():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def render(database: Database, pace: PushPace | None = None) -> bytes:
    observe_pools(database)
    scrape_registry = CollectorRegistry(auto_describe=False)
    scrape_registry.register(DatabaseFiguresCollector(await database_figures(database, pace)))
    return generate_latest(process_registry()) + generate_latest(scrape_registry)


def mark_this_process_dead() -> None:
    """Drop this worker's live gauges from the merged view (called when it shuts down)."""
    if is_multiprocess():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
