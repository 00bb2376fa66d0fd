"""The background fetcher: pictures the sync saw change are read from the ERP, checked and stored.

A sync only notes each item's picture reference (its document id and name). The fetcher takes
the products whose reference differs from the one their stored picture was fetched for, calls
`GET /items/{id}/image` for each at the `image` priority of the shared budget (below syncs, and
stopping at the daily reserve like them), checks the bytes, stores them under their hash and
records the picture. A picture removed in the ERP is dropped without a call; an unchanged one
is never fetched again. A failed fetch backs off per item; a picture we refuse (not a type Zoho
sends, undecodable, too large) waits for the ERP to change it. Nothing here holds up a sync.
"""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storefront.config import Settings
from storefront.db.base import utcnow
from storefront.db.engine import Database
from storefront.db.session import commit
from storefront.erp.budget import Priority
from storefront.erp.client import ErpClient
from storefront.erp.errors import ErpError, ErpImageTooLarge, ErpRateLimited, ErpRejected, ErpUnavailable
from storefront.images.content import RefusedImage, inspect
from storefront.images.repository import DueImage, due_images, record_failure, set_picture
from storefront.images.storage import ImageStore, original_key
from storefront.logging import get_logger
from storefront.metrics import IMAGE_BYTES_STORED, IMAGE_FETCHES
from storefront.tasks import cancel_and_wait

# Products looked at per database read; a pass reads until none is due.
BATCH = 50
log = get_logger(__name__)


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: uniform in the upper half of min(cap, base * 2**(attempts-1))."""
    ceiling = min(cap, base * (2 ** min(attempts - 1, 30)))
    return random.uniform(ceiling / 2, ceiling)


@dataclass
class FetchPass:
    """What one pass did, by outcome (as the storefront_image_fetches_total metric counts them)."""

    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        IMAGE_FETCHES.labels(outcome=outcome).inc()

    @property
    def changed(self) -> bool:
        return any(self.outcomes.get(name) for name in ("stored", "known", "missing", "removed"))


class ImageFetcher:
    def __init__(
        self,
        database: Database,
        erp: ErpClient,
        store: ImageStore,
        settings: Settings,
        invalidate_catalog: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.database = database
        self.erp = erp.with_priority(Priority.IMAGE)
        self.store = store
        self.settings = settings
        self.invalidate_catalog = invalidate_catalog
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look for changed pictures now (a sync has written some items)."""
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="image-fetcher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except ErpError as exc:
                log.info("image_fetch_deferred", error=str(exc))
            except Exception:
                log.exception("image_fetch_failed_unexpectedly")
            self._wakeup.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), await self._idle_seconds())

    async def _idle_seconds(self) -> float:
        interval = self.settings.image_fetch_interval_seconds
        paused_until = await self.erp.paused_until()
        return interval if paused_until is None else max(paused_until - time.time(), interval)

    async def run_once(self) -> FetchPass:
        """Fetch every picture that is due; stops (raising) when the ERP says "later"."""
        done = FetchPass()
        try:
            while await self.erp.paused_until() is None:
                async with self.database.sessionmaker() as session:
                    due = await due_images(session, utcnow(), self.settings.image_fetch_max_attempts, BATCH)
                for item in due:
                    await self._fetch(item, done)
                if len(due) < BATCH:
                    break
        finally:
            if done.changed and self.invalidate_catalog is not None:
                await self.invalidate_catalog()
            if done.outcomes:
                log.info("image_fetch_pass", **done.outcomes)
        return done

    async def _fetch(self, item: DueImage, done: FetchPass) -> None:
        if item.erp_image_ref is None:
            await self._record(item, None, None)
            done.add("removed")
            return
        try:
            image = await self.erp.get_item_image(item.erp_item_id, self.settings.image_max_bytes)
        except ErpRateLimited:
            raise
        except ErpImageTooLarge as exc:
            await self._refuse(item, str(exc), None, done)
            return
        except (ErpUnavailable, ErpRejected) as exc:
            await self._fail(item, f"{type(exc).__name__}: {exc}", done)
            return
        if image is None:
            await self._record(item, None, None)
            done.add("missing")
            return
        try:
            picture = await asyncio.to_thread(
                inspect,
                image.content,
                max_bytes=self.settings.image_max_bytes,
                max_pixels=self.settings.image_max_pixels,
            )
        except RefusedImage as exc:
            await self._refuse(item, str(exc), image.content_type, done)
            return
        key = original_key(picture.content_hash, picture.file_type)
        if await self.store.exists(key):
            done.add("known")
        else:
            await self.store.put(key, image.content, picture.content_type)
            IMAGE_BYTES_STORED.inc(len(image.content))
            done.add("stored")
        await self._record(item, picture.content_hash, picture.file_type)

    async def _record(self, item: DueImage, content_hash: str | None, file_type: str | None) -> None:
        async with self.database.write_sessionmaker() as session:
            await set_picture(session, item.product_id, item.erp_image_ref, content_hash, file_type, utcnow())
            await commit(session)

    async def _refuse(self, item: DueImage, reason: str, content_type: str | None, done: FetchPass) -> None:
        """Not a picture we store: kept out until the ERP's picture changes."""
        log.warning("image_refused", erp_item_id=item.erp_item_id, reason=reason, content_type=content_type)
        done.add("refused")
        attempts = self.settings.image_fetch_max_attempts
        await self._failure(item, f"refused: {reason}", attempts, utcnow() + timedelta(days=3650))

    async def _fail(self, item: DueImage, error: str, done: FetchPass) -> None:
        done.add("failed")
        attempts = item.attempts + 1
        delay = backoff_seconds(
            attempts,
            self.settings.image_fetch_backoff_base_seconds,
            self.settings.image_fetch_backoff_cap_seconds,
        )
        log.info("image_fetch_retry_later", erp_item_id=item.erp_item_id, attempts=attempts, error=error)
        await self._failure(item, error, attempts, utcnow() + timedelta(seconds=delay))

    async def _failure(self, item: DueImage, error: str, attempts: int, next_attempt_at: datetime) -> None:
        async with self.database.write_sessionmaker() as session:
            await record_failure(session, item, error, attempts, next_attempt_at, utcnow())
            await commit(session)
