"""Namespace versions read from a shared backend, many concurrent readers per round trip.

A reader never gets an answer that was asked for before it arrived: it joins the next read that
has not been sent yet. So every version it sees was current at some moment after it started, and
an invalidation that completed before a request began is always seen by that request.
"""

import asyncio
from collections.abc import Sequence

from storefront.cache.backends import CacheBackend


class VersionReader:
    def __init__(self, backend: CacheBackend) -> None:
        self._backend = backend
        self._next: tuple[asyncio.Future[dict[str, str]], set[str]] | None = None
        self._drainer: asyncio.Task[None] | None = None

    async def read(self, namespaces: Sequence[str]) -> list[str]:
        if not self._backend.shared:
            return await self._backend.read_versions(namespaces)
        if self._next is None:
            self._next = (asyncio.get_running_loop().create_future(), set())
        future, wanted = self._next
        wanted.update(namespaces)
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        versions = await asyncio.shield(future)
        return [versions[namespace] for namespace in namespaces]

    async def _drain(self) -> None:
        try:
            while self._next is not None:
                future, wanted = self._next
                self._next = None
                names = sorted(wanted)
                try:
                    values = await self._backend.read_versions(names)
                except asyncio.CancelledError:
                    future.cancel()
                    raise
                except Exception as exc:
                    future.set_exception(exc)
                    future.exception()  # waiters may all be gone; don't warn about it
                else:
                    future.set_result(dict(zip(names, values, strict=True)))
        finally:
            self._drainer = None
            if self._next is not None:
                self._next[0].cancel()
                self._next = None

    async def close(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
