"""Counters of cache outcomes per key prefix: readable in-process, and exported to Prometheus."""

from collections import defaultdict
from typing import Literal

from prometheus_client import Counter

from storefront.metrics import CACHE_ERRORS, CACHE_HITS, CACHE_MISSES, CACHE_STALE

Outcome = Literal["hits", "misses", "stale", "errors", "bypass"]
OUTCOMES: tuple[Outcome, ...] = ("hits", "misses", "stale", "errors", "bypass")
_EXPORTED: dict[Outcome, Counter] = {
    "hits": CACHE_HITS,
    "misses": CACHE_MISSES,
    "stale": CACHE_STALE,
    "errors": CACHE_ERRORS,
}


class CacheStats:
    def __init__(self) -> None:
        self._counts: defaultdict[str, dict[Outcome, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
        self._exported: dict[tuple[str, Outcome], Counter] = {}

    def count(self, prefix: str, outcome: Outcome) -> None:
        self._counts[prefix][outcome] += 1
        if outcome in _EXPORTED:
            child = self._exported.get((prefix, outcome))
            if child is None:
                child = self._exported[(prefix, outcome)] = _EXPORTED[outcome].labels(prefix)
            child.inc()

    def get(self, prefix: str, outcome: Outcome) -> int:
        return self._counts[prefix][outcome] if prefix in self._counts else 0

    def snapshot(self) -> dict[str, dict[Outcome, int]]:
        return {prefix: dict(counts) for prefix, counts in self._counts.items()}
