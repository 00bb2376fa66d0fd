"""Counters of cache outcomes per key prefix, readable in-process."""

from collections import defaultdict
from typing import Literal

Outcome = Literal["hits", "misses", "stale", "errors", "bypass"]
OUTCOMES: tuple[Outcome, ...] = ("hits", "misses", "stale", "errors", "bypass")


class CacheStats:
    def __init__(self) -> None:
        self._counts: defaultdict[str, dict[Outcome, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))

    def count(self, prefix: str, outcome: Outcome) -> None:
        self._counts[prefix][outcome] += 1

    def get(self, prefix: str, outcome: Outcome) -> int:
        return self._counts[prefix][outcome] if prefix in self._counts else 0

    def snapshot(self) -> dict[str, dict[Outcome, int]]:
        return {prefix: dict(counts) for prefix, counts in self._counts.items()}
