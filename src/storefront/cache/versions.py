"""Namespace versions read from a shared backend, many concurrent readers per round trip.

A reader never gets an answer that was asked for before it arrived: it joins the next read that
has not been sent yet. So every version it sees was current at some moment after it started, and
an invalidation that completed before a request began is always seen by that request. Each read
also brings the stock feed up to date (storefront.cache.stock) in the same round trip.
"""

import asyncio
from collections.abc import Sequence

from storefront.cache.backends import CacheBackend
from storefront.cache.stock import StockClock

# What a read returns: each namespace's version, and the stock feed's number it saw.
Versions = tuple[dict[str, str], int]


class _SharedRead(asyncio.Future[Versions]):
    """A read awaited by many requests: one of them being cancelled must not cancel it for the
    others (its task is cancelled once the read is done), so it is cancelled only by its drainer.
    Cheaper per waiter than `asyncio.shield`."""

    def cancel(self, msg: object = None) -> bool:
        return False

    def abandon(self) -> None:
        super().cancel()


class VersionReader:
    def __init__(self, backend: CacheBackend) -> None:
        self._backend = backend
        self.clock = StockClock()
        self._next: tuple[_SharedRead, set[str]] | None = None
        self._drainer: asyncio.Task[None] | None = None

    async def read(self, namespaces: Sequence[str]) -> tuple[list[str], int]:
        """The namespaces' versions, and the stock feed's number read with them."""
        if not self._backend.shared:
            versions, seq = await self._read_now(namespaces)
            return [versions[namespace] for namespace in namespaces], seq
        if self._next is None:
            self._next = (_SharedRead(), set())
        future, wanted = self._next
        wanted.update(namespaces)
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        versions, seq = await future
        return [versions[namespace] for namespace in namespaces], seq

    async def _read_now(self, namespaces: Sequence[str]) -> Versions:
        values, stock = await self._backend.read_versions_and_stock(namespaces, self.clock.seq)
        self.clock.follow(stock)
        return dict(zip(namespaces, values, strict=True)), stock.seq

    async def _drain(self) -> None:
        try:
            while self._next is not None:
                future, wanted = self._next
                self._next = None
                try:
                    result = await self._read_now(sorted(wanted))
                except asyncio.CancelledError:
                    future.abandon()
                    raise
                except Exception as exc:
                    future.set_exception(exc)
                    future.exception()  # waiters may all be gone; don't warn about it
                else:
                    future.set_result(result)
        finally:
            self._drainer = None
            if self._next is not None:
                self._next[0].abandon()
                self._next = None

    async def close(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
