"""Sync runs: take the lock, record the run, fetch from the ERP, apply in one short transaction.

A run is begun (`begin`: lock taken, run row and `tds.sync.started` committed) and then
executed (`execute`: fetch, apply, `tds.sync.completed` or `tds.sync.failed`, lock released).
Splitting the two lets an endpoint answer 409 or 202 at once and run the rest in the background.
"""

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from storefront.cache.namespaces import CATALOG, SYNC_STATUS
from storefront.config import Settings
from storefront.db.base import utcnow
from storefront.db.engine import Database
from storefront.db.session import after_commit, commit, discard_after_commit
from storefront.erp.client import ErpClient
from storefront.erp.errors import ErpError
from storefront.erp.items import ErpItem, parse_item
from storefront.events.bus import record
from storefront.logging import get_logger
from storefront.sync.apply import ApplyResult, FetchedCatalog, apply_catalog
from storefront.sync.lock import SyncLock
from storefront.sync.models import SyncRun
from storefront.sync.repository import COMPLETED, FAILED, RUNNING, SyncRunRepository
from storefront.sync.schemas import SyncMode, SyncRequest, SyncRunView
from storefront.web.errors import Conflict

log = get_logger(__name__)

SYNC_STARTED = "tds.sync.started"
SYNC_COMPLETED = "tds.sync.completed"
SYNC_FAILED = "tds.sync.failed"
# On SQLite a `running` row is another process's run unless it is older than this.
SQLITE_STALE_RUN = timedelta(hours=1)
ITEM_FETCH_CONCURRENCY = 4
RUNNING_ROW_POLLS = 20

Phase = Literal["fetching", "applying", "completed", "failed"]


class SyncInProgress(Conflict):
    code = "sync_in_progress"
    message = "A sync is already running."


class PriceBookMissing(Exception):
    """The ERP has no price book with the configured name: refuse rather than unprice everything."""


class CacheInvalidator(Protocol):
    async def invalidate(self, *namespaces: str) -> None: ...


@dataclass(frozen=True)
class SyncProgress:
    phase: Phase
    fetched: int


ProgressCallback = Callable[[SyncProgress], None]


@dataclass
class BegunRun:
    """A run that holds the lock and has its row: it must be passed to `execute`."""

    id: uuid.UUID
    mode: SyncMode
    item_ids: list[str] | None
    modified_since: datetime | None
    lock: SyncLock
    view: SyncRunView


class SyncService:
    def __init__(
        self,
        database: Database,
        erp: ErpClient,
        settings: Settings,
        cache: CacheInvalidator | None = None,
    ) -> None:
        self.database = database
        self.erp = erp
        self.settings = settings
        self.cache = cache

    async def sync(
        self, request: SyncRequest, *, trigger: str, progress: ProgressCallback | None = None
    ) -> SyncRunView:
        """Begin and execute a run; raises SyncInProgress when another one is running."""
        return await self.execute(await self.begin(request, trigger=trigger), progress)

    async def begin(self, request: SyncRequest, *, trigger: str, run_id: uuid.UUID | None = None) -> BegunRun:
        lock = SyncLock(self.database)
        if not await lock.acquire():
            raise await self._in_progress()
        try:
            return await self._create_run(request, trigger, run_id, lock)
        except BaseException:
            await lock.release()
            raise

    async def begin_when_free(
        self, request: SyncRequest, *, trigger: str, run_id: uuid.UUID | None = None, wait_seconds: float
    ) -> BegunRun:
        """Like `begin`, but waits up to `wait_seconds` for a running sync to finish."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            try:
                return await self.begin(request, trigger=trigger, run_id=run_id)
            except SyncInProgress:
                if asyncio.get_running_loop().time() >= deadline:
                    raise
                await asyncio.sleep(0.2)

    async def _in_progress(self) -> SyncInProgress:
        """The error naming the running run (whose row may take a moment to be committed)."""
        running = None
        for _ in range(RUNNING_ROW_POLLS):
            async with self.database.sessionmaker() as session:
                running = await SyncRunRepository(session).running()
            if running is not None:
                break
            await asyncio.sleep(0.05)
        if running is None:
            return SyncInProgress()
        return SyncInProgress(
            f"Sync run {running.id} is already running.",
            details={"run": SyncRunView.of(running).model_dump(mode="json")},
        )

    async def _create_run(
        self, request: SyncRequest, trigger: str, run_id: uuid.UUID | None, lock: SyncLock
    ) -> BegunRun:
        now = utcnow()
        mode = request.effective_mode
        async with self.database.write_sessionmaker() as session:
            repository = SyncRunRepository(session)
            if self.database.is_sqlite:
                running = await repository.running()
                if running is not None and running.started_at > now - SQLITE_STALE_RUN:
                    raise SyncInProgress(
                        f"Sync run {running.id} is already running.",
                        details={"run": SyncRunView.of(running).model_dump(mode="json")},
                    )
            # Holding the lock, any run still marked running belongs to a process that is gone.
            abandoned = await repository.fail_running("abandoned: its process stopped", now)
            if abandoned:
                log.warning("sync_runs_abandoned", count=abandoned)
            modified_since = await repository.high_water_mark() if mode == "incremental" else None
            if mode == "incremental" and modified_since is None:
                mode = "full"
            run = SyncRun(
                id=run_id or uuid.uuid4(),
                mode=mode,
                status=RUNNING,
                trigger=trigger,
                item_ids=request.unique_item_ids if mode == "items" else None,
                started_at=now,
                high_water_mark=modified_since,
            )
            session.add(run)
            await session.flush()
            record(
                session,
                SYNC_STARTED,
                correlation_id=str(run.id),
                mode=mode,
                trigger=trigger,
                item_ids=run.item_ids,
                modified_since=modified_since.isoformat() if modified_since else None,
            )
            self._invalidate_after_commit(session, catalog=False)
            await commit(session)
        log.info("sync_started", run_id=str(run.id), mode=mode, trigger=trigger)
        return BegunRun(
            id=run.id,
            mode=mode,
            item_ids=run.item_ids,
            modified_since=modified_since,
            lock=lock,
            view=SyncRunView.of(run),
        )

    async def execute(self, run: BegunRun, progress: ProgressCallback | None = None) -> SyncRunView:
        """Fetch and apply; returns the finished run (completed or failed). Releases the lock."""
        notify = progress or (lambda _: None)
        try:
            fetch_started = time.perf_counter()
            fetched = await self._fetch(run, notify)
            fetched.fetch_seconds = time.perf_counter() - fetch_started
            notify(SyncProgress("applying", fetched.fetched))
            view = await self._apply(run, fetched)
            notify(SyncProgress("completed", fetched.fetched))
            return view
        except Exception as exc:
            view = await self._fail(run, exc)
            notify(SyncProgress("failed", view.counts.fetched))
            return view
        except BaseException as exc:
            await self._fail(run, exc)
            raise
        finally:
            await run.lock.release()

    async def _fetch(self, run: BegunRun, notify: ProgressCallback) -> FetchedCatalog:
        read_at = utcnow()
        notify(SyncProgress("fetching", 0))
        book = await self.erp.get_pricebook(self.settings.price_list)
        if book is None:
            raise PriceBookMissing(f"The ERP has no price book named {self.settings.price_list!r}.")
        fetched = FetchedCatalog(items=[], price_book=book, figures_read_at=read_at)
        if run.mode == "items":
            await self._fetch_items(run.item_ids or [], fetched)
            notify(SyncProgress("fetching", fetched.fetched))
            return fetched
        fetched.complete = run.mode == "full"
        pages = self.erp.iter_item_pages(modified_since=run.modified_since, include_inactive=True)
        async for page in pages:
            for raw in page:
                self._take(raw, fetched)
            notify(SyncProgress("fetching", fetched.fetched))
        return fetched

    async def _fetch_items(self, item_ids: list[str], fetched: FetchedCatalog) -> None:
        fetched.requested_item_ids = item_ids
        gate = asyncio.Semaphore(ITEM_FETCH_CONCURRENCY)

        async def fetch_one(item_id: str) -> dict[str, Any] | None:
            async with gate:
                return await self.erp.get_item(item_id)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = {item_id: group.create_task(fetch_one(item_id)) for item_id in item_ids}
        except ExceptionGroup as failures:
            raise failures.exceptions[0] from None
        for item_id, task in tasks.items():
            raw = task.result()
            if raw is None:
                fetched.missing_item_ids.append(item_id)
            else:
                self._take(raw, fetched)

    def _take(self, raw: Any, fetched: FetchedCatalog) -> None:
        fetched.fetched += 1
        try:
            fetched.items.append(parse_item(raw, name_ar_field=self.settings.zoho_name_ar_field))
        except (ValueError, TypeError, AttributeError):
            fetched.failed += 1
            log.warning("sync_item_unreadable")

    async def _apply(self, run: BegunRun, fetched: FetchedCatalog) -> SyncRunView:
        async with self.database.write_sessionmaker() as session:
            try:
                now = utcnow()
                apply_started = time.perf_counter()
                result = await apply_catalog(session, fetched, self.settings.price_list, now)
                row = await session.get(SyncRun, run.id)
                assert row is not None
                self._finish(row, COMPLETED, now, fetched, result)
                row.high_water_mark = _high_water_mark(fetched.items, run) if run.mode != "items" else None
                view = SyncRunView.of(row)
                record(
                    session,
                    SYNC_COMPLETED,
                    correlation_id=str(run.id),
                    mode=run.mode,
                    counts=view.counts.model_dump(),
                    prices_changed=result.prices_changed,
                    duration_seconds=view.duration_seconds,
                    fetch_seconds=round(fetched.fetch_seconds, 3),
                    # Measured up to the commit; the commit itself is in `commit_seconds`.
                    apply_seconds=round(time.perf_counter() - apply_started, 3),
                )
                self._invalidate_after_commit(session, catalog=result.changed_anything)
                commit_started = time.perf_counter()
                await commit(session)
                commit_seconds = time.perf_counter() - commit_started
            except BaseException:
                discard_after_commit(session)
                await session.rollback()
                raise
        log.info(
            "sync_completed",
            run_id=str(run.id),
            mode=run.mode,
            prices_changed=result.prices_changed,
            commit_seconds=round(commit_seconds, 3),
            **view.counts.model_dump(),
        )
        return view

    @staticmethod
    def _finish(
        row: SyncRun, status: str, now: datetime, fetched: FetchedCatalog | None, result: ApplyResult | None
    ) -> None:
        row.status = status
        row.finished_at = now
        if fetched is not None:
            row.fetched = fetched.fetched
            row.failed = fetched.failed
        if result is not None:
            row.created = result.counts.created
            row.updated = result.counts.updated
            row.unchanged = result.counts.unchanged
            row.deactivated = result.counts.deactivated

    async def _fail(self, run: BegunRun, exc: BaseException) -> SyncRunView:
        message = _describe(exc)
        if isinstance(exc, Exception) and not isinstance(exc, ErpError | PriceBookMissing):
            log.error("sync_failed_unexpectedly", run_id=str(run.id), exc_info=exc)
        else:
            log.warning("sync_failed", run_id=str(run.id), error=message)
        try:
            async with self.database.write_sessionmaker() as session:
                row = await session.get(SyncRun, run.id)
                assert row is not None
                self._finish(row, FAILED, utcnow(), None, None)
                row.error = message
                record(session, SYNC_FAILED, correlation_id=str(run.id), mode=run.mode, error=message)
                self._invalidate_after_commit(session, catalog=False)
                view = SyncRunView.of(row)
                await commit(session)
                return view
        except Exception:
            log.exception("sync_failure_not_recorded", run_id=str(run.id))
            return run.view.model_copy(update={"status": FAILED, "error": message})

    def _invalidate_after_commit(self, session: Any, *, catalog: bool) -> None:
        cache = self.cache
        if cache is None:
            return
        namespaces = (CATALOG, SYNC_STATUS) if catalog else (SYNC_STATUS,)

        async def invalidate() -> None:
            await cache.invalidate(*namespaces)

        after_commit(session, invalidate)


def _high_water_mark(items: list[ErpItem], run: BegunRun) -> datetime | None:
    seen = [item.modified_at for item in items if item.modified_at is not None]
    marks = [*seen, run.modified_since] if run.modified_since else seen
    return max(marks) if marks else None


def _describe(exc: BaseException) -> str:
    """A run's error as the operator sees it: ERP failures in full, anything else by kind only."""
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled: the service stopped during the run"
    if isinstance(exc, ErpError):
        return f"ERP error: {exc}"
    if isinstance(exc, PriceBookMissing):
        return str(exc)
    return f"internal error ({type(exc).__name__})"
