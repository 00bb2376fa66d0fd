"""The sync machinery one process runs: the service, its background runs, the scheduler, webhooks."""

from dataclasses import dataclass
from datetime import timedelta

from storefront.config import Settings
from storefront.db.engine import Database
from storefront.erp.client import ErpClient
from storefront.sync.runner import BackgroundRuns
from storefront.sync.scheduler import SyncScheduler
from storefront.sync.service import CacheInvalidator, SyncService
from storefront.sync.webhooks import WebhookProcessor


@dataclass
class SyncComponent:
    service: SyncService
    background: BackgroundRuns
    webhooks: WebhookProcessor
    scheduler: SyncScheduler | None = None

    @classmethod
    def start(
        cls, database: Database, erp: ErpClient, settings: Settings, cache: CacheInvalidator | None
    ) -> "SyncComponent":
        """Build it; the scheduler runs when background tasks are on and an interval is set."""
        service = SyncService(database, erp, settings, cache)
        retention = timedelta(days=settings.zoho_webhook_retention_days)
        component = cls(service, BackgroundRuns(service), WebhookProcessor(database, service, retention))
        if settings.run_background_tasks and settings.sync_interval_seconds > 0:
            component.scheduler = SyncScheduler(service, settings.sync_interval_seconds)
            component.scheduler.start()
        return component

    async def aclose(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.background.aclose()
