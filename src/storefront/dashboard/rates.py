"""Cache hit rate per key prefix over the last hour: an in-process ring of per-minute samples.

Each sample holds the hit and miss totals as /metrics shows them (summed over worker processes in
multi-process mode); a minute's rate is the change between two samples.
"""

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from storefront.metrics.exposition import process_registry
from storefront.tasks import cancel_and_wait

SAMPLE_SECONDS = 60.0
SAMPLES_KEPT = 61  # sixty one-minute intervals
_HITS, _MISSES = "storefront_cache_hits_total", "storefront_cache_misses_total"

Totals = dict[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    totals: Totals


def read_totals() -> Totals:
    hits: dict[str, float] = {}
    misses: dict[str, float] = {}
    for family in process_registry().collect():
        for sample in family.samples:
            if sample.name == _HITS:
                hits[sample.labels["prefix"]] = sample.value
            elif sample.name == _MISSES:
                misses[sample.labels["prefix"]] = sample.value
    return {
        prefix: (hits.get(prefix, 0.0), misses.get(prefix, 0.0)) for prefix in hits.keys() | misses.keys()
    }


def _rate(newer: tuple[float, float], older: tuple[float, float]) -> float | None:
    hits, misses = newer[0] - older[0], newer[1] - older[1]
    lookups = hits + misses
    return round(100.0 * hits / lookups, 1) if lookups > 0 else None


class CacheHitRates:
    def __init__(self, interval_seconds: float = SAMPLE_SECONDS, keep: int = SAMPLES_KEPT) -> None:
        self.interval_seconds = interval_seconds
        self.samples: deque[Sample] = deque(maxlen=keep)
        self._task: asyncio.Task[None] | None = None

    def sample(self, now: float | None = None) -> None:
        self.samples.append(Sample(now if now is not None else time.time(), read_totals()))

    def series(self, now: float | None = None) -> dict[str, Any]:
        """Per-interval hit rates (percent; None where nothing was looked up) up to this moment."""
        points = [*self.samples, Sample(now if now is not None else time.time(), read_totals())]
        prefixes = sorted({prefix for point in points for prefix in point.totals})
        labels = [time.strftime("%H:%M", time.gmtime(point.at)) for point in points[1:]]
        rates = {
            prefix: [
                _rate(newer.totals.get(prefix, (0.0, 0.0)), older.totals.get(prefix, (0.0, 0.0)))
                for older, newer in itertools.pairwise(points)
            ]
            for prefix in prefixes
        }
        return {"labels": labels, "rates": rates}

    def overall(self) -> dict[str, float | None]:
        """Each prefix's hit rate since the process started."""
        return {prefix: _rate(totals, (0.0, 0.0)) for prefix, totals in sorted(read_totals().items())}

    def start(self) -> None:
        self.sample()
        self._task = asyncio.create_task(self._run(), name="dashboard-cache-hit-rates")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            self.sample()

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
