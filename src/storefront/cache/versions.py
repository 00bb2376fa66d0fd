"""Namespace versions and the stock feed as this process knows them.

With Redis there are two ways to know them:
- **Pushed** (the default): a subscription receives every invalidation as it is written, in
  order, each with its number; versions are then known without a round trip. Before the
  subscription is listening and caught up (a read made after it began listening), and whenever
  it is lost or a number is missing, reads fall back to the next way.
- **Read per request**: a reader joins the next read that has not been sent yet, so every version
  it sees was current at some moment after it started (many concurrent readers share one round
  trip). An invalidation that completed before a request began is always seen by that request.
Pushed, an invalidation is seen by the process that wrote it at once, and by every other process
as soon as Redis delivers the message (it is written to their connections when it is published).
A subscription that stops receiving (a connection silently cut) is noticed within two seconds:
after each quiet second the number of the latest invalidation is read, and one that has still
not arrived a second later means messages are lost.
"""

import asyncio
from collections.abc import Sequence

from storefront.cache.backends import BACKEND_ERRORS, QUIET, SUBSCRIBED, CacheBackend, Invalidation
from storefront.cache.namespaces import NAMESPACES
from storefront.cache.stock import StockChanges, StockClock
from storefront.logging import get_logger

log = get_logger(__name__)

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
    def __init__(
        self, backend: CacheBackend, *, pushed: bool = True, retry_after_seconds: float = 2.0
    ) -> None:
        self._backend = backend
        self.clock = StockClock()
        self._next: tuple[_SharedRead, set[str]] | None = None
        self._drainer: asyncio.Task[None] | None = None
        self._push = pushed and backend.shared
        self._retry_after_seconds = retry_after_seconds
        # While the subscription is caught up: each namespace's version and the number of the
        # invalidation that set it; the number of the last invalidation applied.
        self._pushed: dict[str, tuple[int, str]] | None = None
        self._event = 0
        self._expected = 0
        self._subscriber: asyncio.Task[None] | None = None

    async def read(self, namespaces: Sequence[str]) -> tuple[list[str], int]:
        """The namespaces' versions, and the stock feed's number read with them."""
        pushed = self._pushed
        if pushed is not None:
            return [pushed[namespace][1] for namespace in namespaces], self.clock.seq or 0
        if not self._backend.shared:
            versions, seq = await self._read_now(namespaces)
            return [versions[namespace] for namespace in namespaces], seq
        if self._push and self._subscriber is None:
            self._subscriber = asyncio.create_task(self._follow(), name="cache-invalidations")
        if self._next is None:
            self._next = (_SharedRead(), set())
        future, wanted = self._next
        wanted.update(namespaces)
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        versions, seq = await future
        return [versions[namespace] for namespace in namespaces], seq

    def distrust(self) -> None:
        """Redis failed a request: read versions per request until the subscription catches up
        again (at its next quiet second)."""
        self._pushed = None

    def written(self, invalidation: Invalidation) -> None:
        """This process wrote an invalidation: know it now, before its message comes back."""
        if invalidation.stock is not None:
            self.clock.note(*invalidation.stock)
        pushed = self._pushed
        if pushed is not None:
            for namespace, version in invalidation.versions.items():
                if pushed[namespace][0] < invalidation.event:
                    pushed[namespace] = (invalidation.event, version)

    async def _read_now(self, namespaces: Sequence[str]) -> Versions:
        read = await self._backend.read_versions_and_stock(namespaces, self.clock.seq)
        self.clock.follow(read.stock)
        return dict(zip(namespaces, read.versions, strict=True)), read.stock.seq

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

    # The subscription

    async def _follow(self) -> None:
        while True:
            try:
                async for invalidation in self._backend.invalidations():
                    if invalidation is QUIET:
                        if not await self._still_receiving():
                            await self._catch_up()
                    elif invalidation is SUBSCRIBED or not self._apply(invalidation):
                        await self._catch_up()
            except asyncio.CancelledError:
                raise
            except BACKEND_ERRORS as exc:
                if self._pushed is not None:
                    log.warning("cache_invalidations_lost", error=type(exc).__name__)
            self._pushed = None
            await asyncio.sleep(self._retry_after_seconds)

    async def _catch_up(self) -> None:
        """Listening: read every version once; from now on the messages keep them."""
        self._pushed = None
        read = await self._backend.read_versions_and_stock(NAMESPACES, self.clock.seq)
        self.clock.follow(read.stock)
        self._event = self._expected = read.event
        self._pushed = {
            namespace: (read.event, version)
            for namespace, version in zip(NAMESPACES, read.versions, strict=True)
        }

    async def _still_receiving(self) -> bool:
        """False when an invalidation published at the previous quiet second has not arrived."""
        if self._pushed is None:
            return False
        lost = self._expected > self._event
        self._expected = await self._backend.invalidation_count()
        if lost:
            log.warning("cache_invalidations_lost", expected=self._expected, applied=self._event)
        return not lost

    def _apply(self, invalidation: Invalidation) -> bool:
        """Apply the next invalidation; False when one before it is missing (catch up again)."""
        pushed = self._pushed
        if pushed is None or invalidation.event <= self._event:
            return pushed is not None  # already in what the catch-up read
        if invalidation.event != self._event + 1:
            log.warning("cache_invalidations_skipped", expected=self._event + 1, got=invalidation.event)
            return False
        self._event = invalidation.event
        for namespace, version in invalidation.versions.items():
            if namespace in pushed and pushed[namespace][0] < invalidation.event:
                pushed[namespace] = (invalidation.event, version)
        if invalidation.stock is not None:
            seq, products = invalidation.stock
            known = self.clock.seq or 0
            if seq > known:
                self.clock.follow(StockChanges(seq, [(seq, products)], seq == known + 1))
        return True

    async def close(self) -> None:
        for task in (self._drainer, self._subscriber):
            if task is not None:
                task.cancel()
        self._pushed = None
