"""The sync machinery one process runs: the service, its background runs, the scheduler, webhooks,
the settler that ends confirmed orders' reservations, and the fetcher of changed pictures."""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from storefront.cache.namespaces import CATALOG
from storefront.config import Settings
from storefront.db.engine import Database
from storefront.erp.client import ErpClient
from storefront.erp.locations import LocationSelection
from storefront.images.fetcher import ImageFetcher
from storefront.images.storage import ImageStore
from storefront.sync.runner import BackgroundRuns
from storefront.sync.scheduler import SyncScheduler
from storefront.sync.service import CacheInvalidator, SyncService
from storefront.sync.settle import ReservationSettler
from storefront.sync.webhooks import WebhookProcessor


@dataclass
class SyncComponent:
    service: SyncService
    background: BackgroundRuns
    webhooks: WebhookProcessor
    scheduler: SyncScheduler | None = None
    settler: ReservationSettler | None = None
    images: ImageFetcher | None = None

    @classmethod
    def start(
        cls,
        database: Database,
        erp: ErpClient,
        settings: Settings,
        cache: CacheInvalidator | None,
        image_store: ImageStore | None = None,
    ) -> "SyncComponent":
        """Build it; the scheduler runs when background tasks are on and an interval is set, the
        settler when background tasks are on and sales orders are confirmed, the picture fetcher
        when background tasks are on (and a store is given), woken by every batch a sync writes."""
        service = SyncService(database, erp, settings, cache)
        retention = timedelta(days=settings.zoho_webhook_retention_days)
        component = cls(service, BackgroundRuns(service), WebhookProcessor(database, service, retention))
        if settings.run_background_tasks and settings.sync_interval_seconds > 0:
            component.scheduler = SyncScheduler(service, settings.sync_interval_seconds)
            component.scheduler.start()
        if settings.run_background_tasks:
            component.settler = settler(database, erp, settings, cache)
            if component.settler is not None:
                component.settler.start()
        if settings.run_background_tasks and image_store is not None:
            component.images = image_fetcher(database, erp, settings, cache, image_store)
            service.on_items_written = component.images.wake
            component.images.start()
        return component

    async def aclose(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.settler is not None:
            await self.settler.stop()
        if self.images is not None:
            await self.images.stop()
        await self.background.aclose()


def settler(
    database: Database, erp: ErpClient, settings: Settings, cache: CacheInvalidator | None
) -> ReservationSettler | None:
    """The settler, when sales orders are confirmed (drafts commit no stock, so nothing would settle)."""
    if not settings.zoho_confirm_salesorders:
        return None
    invalidate = partial(cache.invalidate, CATALOG) if cache is not None else None
    return ReservationSettler(
        database,
        erp,
        settings.settle_interval_seconds,
        invalidate,
        name_ar_field=settings.zoho_name_ar_field,
        locations=LocationSelection.of(settings.counted_locations),
    )


def image_fetcher(
    database: Database, erp: ErpClient, settings: Settings, cache: CacheInvalidator | None, store: ImageStore
) -> ImageFetcher:
    """The fetcher of pictures the syncs saw change; a stored picture changes the product answers."""
    invalidate = partial(cache.invalidate, CATALOG) if cache is not None else None
    return ImageFetcher(database, erp, store, settings, invalidate)
