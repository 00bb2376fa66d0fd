"""Runs begun by a request and finished in the background, tracked so shutdown can stop them."""

import asyncio

from storefront.logging import get_logger
from storefront.sync.service import BegunRun, SyncService

log = get_logger(__name__)


class BackgroundRuns:
    def __init__(self, service: SyncService) -> None:
        self.service = service
        self._tasks: set[asyncio.Task[object]] = set()

    def launch(self, run: BegunRun) -> asyncio.Task[object]:
        task: asyncio.Task[object] = asyncio.create_task(self.service.execute(run), name=f"sync-{run.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def active(self) -> int:
        return len(self._tasks)

    async def aclose(self) -> None:
        """Cancel runs still going (each records itself failed) and wait for them."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.error("background_sync_failed", exc_info=outcome)
