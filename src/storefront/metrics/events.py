"""Counters fed from the event store's after-commit stream: a run or push is counted once it is durable.

The sync service and the push worker record events; this subscriber turns the ones below into
metrics, so neither component has to know about Prometheus.
"""

from typing import Any

from storefront.events import bus
from storefront.events.models import Event
from storefront.events.names import EventName
from storefront.metrics.registry import (
    ORDER_CANCELLATIONS,
    PUSH_ATTEMPTS,
    SYNC_DURATION,
    SYNC_ITEMS,
    SYNC_RUNS,
)

_ITEM_OUTCOMES = ("created", "updated", "unchanged", "deactivated", "failed")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


async def count_event(event: Event) -> None:
    payload = event.payload or {}
    mode = str(payload.get("mode") or "unknown")
    if event.name == EventName.SYNC_COMPLETED:
        SYNC_RUNS.labels(mode, "completed").inc()
        duration = _number(payload.get("duration_seconds"))
        if duration is not None:
            SYNC_DURATION.labels(mode).observe(duration)
        counts = payload.get("counts") or {}
        for outcome in _ITEM_OUTCOMES:
            n = _number(counts.get(outcome))
            if n:
                SYNC_ITEMS.labels(outcome).inc(n)
    elif event.name == EventName.SYNC_FAILED:
        SYNC_RUNS.labels(mode, "failed").inc()
    elif event.name == EventName.ORDER_PUSH_COMPLETED:
        PUSH_ATTEMPTS.labels("succeeded").inc()
    elif event.name == EventName.ORDER_PUSH_FAILED:
        PUSH_ATTEMPTS.labels("failed").inc()
    elif event.name == EventName.ORDER_CANCELLED:
        ORDER_CANCELLATIONS.labels("cancelled").inc()
    elif event.name == EventName.ORDER_VOID_COMPLETED:
        ORDER_CANCELLATIONS.labels("voided").inc()


def start_counting_events() -> None:
    bus.unsubscribe(count_event)
    bus.subscribe(count_event)
