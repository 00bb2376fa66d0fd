"""The safety net behind webhooks: an incremental sync every SYNC_INTERVAL_SECONDS.

An unfinished full listing is resumed instead (see SyncService); nothing runs while the ERP's
daily quota is spent.
"""

import asyncio

from storefront.logging import get_logger
from storefront.sync.schemas import SyncRequest
from storefront.sync.service import SyncInProgress, SyncService

log = get_logger(__name__)


class SyncScheduler:
    def __init__(self, service: SyncService, interval_seconds: float) -> None:
        if interval_seconds <= 0:
            raise ValueError("the sync interval must be positive")
        self.service = service
        self.interval_seconds = interval_seconds
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="sync-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            await self.run_once()

    async def run_once(self) -> None:
        if await self.service.erp.paused_until() is not None:
            log.info("scheduled_sync_skipped", reason="the ERP's daily quota is spent")
            return
        try:
            await self.service.sync(SyncRequest(mode="incremental"), trigger="schedule")
        except SyncInProgress:
            log.info("scheduled_sync_skipped", reason="another sync is running")
        except Exception:
            log.exception("scheduled_sync_failed")
