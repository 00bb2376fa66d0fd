"""Sync runs: take the lock, record the run, read the ERP at the sync's share of the budget, write as it goes.

A run is begun (`begin`: lock taken, run row and `tds.sync.started` committed) and then
executed (`execute`). Splitting the two lets an endpoint answer 409 or 202 at once and run the
rest in the background.

Listing runs (full, incremental) read with `list_modified`, which cannot skip an item, and write
every few thousand items in a short transaction that also records where the run stands, so a
full listing interrupted by a restart or a spent quota resumes there. A full listing ends by
asking the ERP about every active product it never saw: only those the ERP confirms gone
(code 1002) are deactivated. Prices come last, checked before they are written.
"""

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from storefront.cache.namespaces import CATALOG, SYNC_STATUS
from storefront.catalog.writer import UpsertCounts
from storefront.config import Settings
from storefront.db.base import utcnow
from storefront.db.engine import Database
from storefront.db.session import after_commit, commit, discard_after_commit
from storefront.erp.budget import Priority
from storefront.erp.client import ErpClient, PriceBook
from storefront.erp.errors import ErpError, ErpQuotaExhausted
from storefront.erp.items import ErpItem, parse_item
from storefront.erp.locations import LocationSelection, UnknownLocations, has_locations
from storefront.events.bus import record
from storefront.events.names import EventName
from storefront.logging import get_logger
from storefront.sync.apply import (
    BookPrices,
    PriceBookSuspicious,
    UnpricedGuard,
    apply_items,
    apply_price_book,
    checked_price_changes,
    deactivate_gone,
    forget_listing,
    remember_seen,
    unseen_active,
)
from storefront.sync.listing import Cursor, list_modified
from storefront.sync.lock import SyncLock
from storefront.sync.models import RunStatus, SyncRun
from storefront.sync.repository import SyncRunRepository
from storefront.sync.schemas import SyncMode, SyncPhase, SyncRequest, SyncRunView
from storefront.web.errors import Conflict

log = get_logger(__name__)

# On SQLite a `running` row is another process's run unless it is older than this.
SQLITE_STALE_RUN = timedelta(hours=1)
RUNNING_ROW_POLLS = 20
AUTOMATIC_TRIGGERS = frozenset({"schedule", "webhook"})


class SyncInProgress(Conflict):
    code = "sync_in_progress"
    message = "A sync is already running."


class PriceBookMissing(Exception):
    """The ERP has no price book with the configured name: refuse rather than unprice everything."""


class CacheInvalidator(Protocol):
    async def invalidate(self, *namespaces: str) -> None: ...


@dataclass(frozen=True)
class SyncProgress:
    phase: SyncPhase
    fetched: int
    expected: int | None = None


ProgressCallback = Callable[[SyncProgress], None]


@dataclass
class BegunRun:
    """A run that holds the lock and has its row: it must be passed to `execute`."""

    id: uuid.UUID
    mode: SyncMode
    trigger: str
    item_ids: list[str] | None
    lock: SyncLock
    view: SyncRunView
    cursor: Cursor = field(default_factory=Cursor)
    listing_id: uuid.UUID | None = None
    expected_items: int | None = None


@dataclass
class _Tally:
    """What a run has done so far; written to its row with every batch."""

    fetched: int = 0
    failed: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    apply_seconds: float = 0.0


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
        # The stock locations that count (None: all of them, the organisation-wide figures).
        self.locations = LocationSelection.of(settings.counted_locations)
        # Called after each batch of items is committed (the picture fetcher wakes up).
        self.on_items_written: Callable[[], None] | None = None
        # When this process last read the price book (monotonic time).
        self._price_book_read_at: float | None = None

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
        mode: SyncMode = request.effective_mode
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
            begun = await self._plan(repository, mode, now)
            run = SyncRun(
                id=run_id or uuid.uuid4(),
                mode=begun.mode,
                status=RunStatus.RUNNING,
                trigger=trigger,
                item_ids=request.unique_item_ids if begun.mode == "items" else None,
                started_at=now,
                high_water_mark=begun.cursor.mark if begun.mode == "incremental" else None,
                listing_id=begun.listing_id,
                cursor_mark=begun.cursor.mark,
                cursor_page=begun.cursor.page,
                expected_items=begun.expected_items,
                phase="fetching",
            )
            session.add(run)
            await session.flush()
            record(
                session,
                EventName.SYNC_STARTED,
                correlation_id=str(run.id),
                mode=run.mode,
                trigger=trigger,
                item_ids=run.item_ids,
                modified_since=begun.cursor.mark.isoformat() if begun.cursor.mark else None,
                resumed_listing=str(begun.listing_id) if begun.resumed else None,
            )
            self._invalidate_after_commit(session, catalog=False)
            await commit(session)
        log.info("sync_started", run_id=str(run.id), mode=run.mode, trigger=trigger, resumed=begun.resumed)
        return BegunRun(
            id=run.id,
            mode=begun.mode,
            trigger=trigger,
            item_ids=run.item_ids,
            lock=lock,
            view=SyncRunView.of(run),
            cursor=begun.cursor,
            listing_id=begun.listing_id,
            expected_items=begun.expected_items,
        )

    async def _plan(self, repository: SyncRunRepository, mode: SyncMode, now: datetime) -> "_Plan":
        """What a new run will do: resume an unfinished full listing, start one, or read changes."""
        if mode == "items":
            return _Plan("items")
        window = timedelta(seconds=self.settings.sync_resume_window_seconds)
        unfinished = await repository.resumable_listing(now - window)
        if unfinished is not None and unfinished.listing_id is not None:
            seen = await repository.seen_count(unfinished.listing_id)
            expected = unfinished.expected_items
            return _Plan(
                "full",
                Cursor(unfinished.cursor_mark, unfinished.cursor_page or 1),
                unfinished.listing_id,
                max(expected - seen, 0) if expected is not None else None,
                resumed=True,
            )
        mark = await repository.high_water_mark() if mode == "incremental" else None
        if mode == "incremental" and mark is not None:
            return _Plan("incremental", Cursor(mark - timedelta(seconds=self.settings.sync_overlap_seconds)))
        return _Plan("full", Cursor(), uuid.uuid4(), await repository.catalog_size() or None)

    async def execute(self, run: BegunRun, progress: ProgressCallback | None = None) -> SyncRunView:
        """Read and write; returns the finished run (completed, interrupted or failed). Releases the lock."""
        notify = progress or (lambda _: None)
        tally = _Tally()
        erp = self.erp.with_priority(Priority.WEBHOOK if run.trigger == "webhook" else Priority.SYNC)
        try:
            notify(SyncProgress("fetching", 0, run.expected_items))
            if self.locations is not None:
                # One call: a location named wrongly would count no stock and empty the shop.
                self.locations.check_known(await erp.list_locations())
            book = None
            if run.mode == "full":
                # Read first, and checked before anything is written: each batch is priced with it.
                book = await self._read_price_book(erp)
                await self._check_price_book(book)
            if run.mode == "items":
                await self._sync_items(erp, run, run.item_ids or [], tally)
            else:
                await self._sync_listing(erp, run, book, tally, notify)
            notify(SyncProgress("pricing", tally.fetched, run.expected_items))
            if book is None and self._price_book_due(run, tally):
                book = await self._read_price_book(erp)
            view = await self._finish(run, book, tally)
            notify(SyncProgress("completed", tally.fetched, run.expected_items))
            return view
        except Exception as exc:
            view = await self._fail(run, exc, tally)
            notify(SyncProgress("failed", tally.fetched, run.expected_items))
            return view
        except BaseException as exc:
            await self._fail(run, exc, tally)
            raise
        finally:
            await run.lock.release()

    # --- reading and writing -------------------------------------------------------------------

    async def _read_price_book(self, erp: ErpClient) -> PriceBook:
        book = await erp.get_pricebook(self.settings.price_list)
        if book is None:
            raise PriceBookMissing(f"The ERP has no price book named {self.settings.price_list!r}.")
        self._price_book_read_at = time.monotonic()
        return book

    def _unpriced_guard(self) -> UnpricedGuard:
        return UnpricedGuard(self.settings.sync_max_unpriced_share, self.settings.sync_max_unpriced_min_items)

    async def _check_price_book(self, book: PriceBook) -> None:
        async with self.database.write_sessionmaker() as session:
            await checked_price_changes(session, book, self.settings.price_list, guard=self._unpriced_guard())
            await session.rollback()

    def _price_book_due(self, run: BegunRun, tally: _Tally) -> bool:
        """An operator's run always reads the book; scheduled and webhook runs when they created a
        product or the book is older than the refresh period (a book read costs two calls or more)."""
        if run.trigger not in AUTOMATIC_TRIGGERS or tally.counts.created or self._price_book_read_at is None:
            return True
        return time.monotonic() - self._price_book_read_at >= self.settings.sync_pricebook_refresh_seconds

    async def _sync_listing(
        self, erp: ErpClient, run: BegunRun, book: PriceBook | None, tally: _Tally, notify: ProgressCallback
    ) -> None:
        batch: list[ErpItem] = []
        read_at: datetime | None = None
        written_at = time.monotonic()
        try:
            async for page in list_modified(erp, run.cursor):
                read_at = read_at or page.read_at
                batch.extend(self._parse(await self._with_locations(erp, page.items), tally))
                tally.fetched += len(page.items)
                run.cursor = page.cursor
                notify(SyncProgress("fetching", tally.fetched, run.expected_items))
                if (
                    len(batch) >= self.settings.sync_apply_batch_items
                    or time.monotonic() - written_at >= self.settings.sync_apply_batch_seconds
                ):
                    await self._write_batch(run, batch, read_at, run.cursor, book, tally)
                    batch, read_at, written_at = [], None, time.monotonic()
        except ErpError:
            # What was read is kept, and the listing resumes after it.
            await self._write_batch(run, batch, read_at or utcnow(), run.cursor, book, tally)
            raise
        await self._write_batch(run, batch, read_at or utcnow(), run.cursor, book, tally)
        if run.listing_id is not None:
            await self._settle_unseen(erp, run, tally)

    async def _sync_items(self, erp: ErpClient, run: BegunRun, item_ids: list[str], tally: _Tally) -> None:
        read_at = utcnow()
        found = await erp.get_item_details(item_ids)
        tally.fetched += len(found)
        items = self._parse(found, tally)
        await self._write_batch(run, items, read_at, None, None, tally)
        present = {str(raw.get("item_id")) for raw in found}
        await self._confirm_gone(erp, run, [i for i in item_ids if i not in present], tally)

    async def _settle_unseen(self, erp: ErpClient, run: BegunRun, tally: _Tally) -> None:
        """Ask the ERP about active products the full listing never showed; deactivate only the gone."""
        assert run.listing_id is not None
        async with self.database.sessionmaker() as session:
            unseen = await unseen_active(session, run.listing_id)
        if unseen:
            log.info("sync_listing_unseen", run_id=str(run.id), count=len(unseen))
            await self._set_phase(run, "confirming")
            read_at = utcnow()
            found = await erp.get_item_details(unseen)
            tally.fetched += len(found)
            await self._write_batch(run, self._parse(found, tally), read_at, None, None, tally)
            present = {str(raw.get("item_id")) for raw in found}
            await self._confirm_gone(erp, run, [i for i in unseen if i not in present], tally)

    async def _confirm_gone(self, erp: ErpClient, run: BegunRun, absent: list[str], tally: _Tally) -> None:
        """Items a bulk read did not bring: each one asked for; deactivated only when the ERP says 1002."""
        gone: list[str] = []
        for item_id in absent:
            read_at = utcnow()
            raw = await erp.get_item(item_id)
            if raw is None:
                gone.append(item_id)
            else:
                tally.fetched += 1
                await self._write_batch(run, self._parse([raw], tally), read_at, None, None, tally)
        if gone:
            async with self.database.write_sessionmaker() as session:
                deactivated = await deactivate_gone(session, gone, utcnow())
                tally.counts.deactivated += deactivated
                self._invalidate_after_commit(session, catalog=bool(deactivated))
                await commit(session)

    async def _with_locations(self, erp: ErpClient, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The listed items with their stock per location, when only some locations count.

        A listing's items need not carry it, so they are read again in bulk (GET /itemdetails,
        50 a call; docs/sync.md says why this call); one the bulk read does not bring is asked
        for alone, and left out (it is gone, or a full run's end asks again) when it is not there.
        """
        if self.locations is None or all(has_locations(raw) for raw in raws):
            return raws
        wanted = [str(raw["item_id"]) for raw in raws if raw.get("item_id") and not has_locations(raw)]
        details = {str(item.get("item_id")): item for item in await erp.get_item_details(wanted)}
        completed = []
        for raw in raws:
            item_id = str(raw.get("item_id") or "")
            if not item_id or has_locations(raw):
                completed.append(raw)
                continue
            detail = details.get(item_id) or await erp.get_item(item_id)
            if detail is not None:
                completed.append({**raw, **detail})
        return completed

    def _parse(self, raws: list[dict[str, Any]], tally: _Tally) -> list[ErpItem]:
        items = []
        for raw in raws:
            try:
                items.append(
                    parse_item(raw, name_ar_field=self.settings.zoho_name_ar_field, locations=self.locations)
                )
            except (ValueError, TypeError, AttributeError):
                tally.failed += 1
                log.warning("sync_item_unreadable")
        return items

    async def _write_batch(
        self,
        run: BegunRun,
        items: list[ErpItem],
        read_at: datetime,
        cursor: Cursor | None,
        book: PriceBook | None,
        tally: _Tally,
    ) -> None:
        """One short transaction: the items, the listing's progress and the run's counts."""
        started = time.perf_counter()
        async with self.database.write_sessionmaker() as session:
            try:
                if items:
                    now = utcnow()
                    # Priced as they arrive (with a book), so a long first sync sells what it has written.
                    prices = BookPrices(book, self.settings.price_list) if book is not None else None
                    tally.counts.add(
                        await apply_items(session, items, read_at=read_at, now=now, prices=prices)
                    )
                    if run.listing_id is not None:
                        await remember_seen(session, run.listing_id, {item.erp_item_id for item in items})
                await self._save_progress(session, run, cursor, tally)
                self._invalidate_after_commit(session, catalog=bool(items))
                await commit(session)
            except BaseException:
                discard_after_commit(session)
                await session.rollback()
                raise
        tally.apply_seconds += time.perf_counter() - started
        if items and self.on_items_written is not None:
            self.on_items_written()

    async def _save_progress(
        self, session: AsyncSession, run: BegunRun, cursor: Cursor | None, tally: _Tally
    ) -> None:
        row = await session.get(SyncRun, run.id)
        assert row is not None
        _copy_tally(row, tally)
        if cursor is not None:
            row.cursor_mark, row.cursor_page = cursor.mark, cursor.page

    async def _set_phase(self, run: BegunRun, phase: SyncPhase) -> None:
        async with self.database.write_sessionmaker() as session:
            row = await session.get(SyncRun, run.id)
            assert row is not None
            row.phase = phase
            await commit(session)

    # --- the end of a run ----------------------------------------------------------------------

    async def _finish(self, run: BegunRun, book: PriceBook | None, tally: _Tally) -> SyncRunView:
        async with self.database.write_sessionmaker() as session:
            try:
                now = utcnow()
                if book is not None:
                    only = run.item_ids if run.mode == "items" else None
                    tally.counts.prices_changed += await apply_price_book(
                        session, book, self.settings.price_list, now, only=only, guard=self._unpriced_guard()
                    )
                if run.listing_id is not None:
                    await forget_listing(session, run.listing_id)
                row = await session.get(SyncRun, run.id)
                assert row is not None
                _copy_tally(row, tally)
                row.status, row.finished_at, row.phase = RunStatus.COMPLETED, now, "completed"
                if run.mode != "items":
                    row.high_water_mark = run.cursor.mark or row.high_water_mark
                view = SyncRunView.of(row)
                record(
                    session,
                    EventName.SYNC_COMPLETED,
                    correlation_id=str(run.id),
                    mode=run.mode,
                    counts=view.counts.model_dump(),
                    prices_changed=tally.counts.prices_changed,
                    duration_seconds=view.duration_seconds,
                    apply_seconds=round(tally.apply_seconds, 3),
                )
                self._invalidate_after_commit(session, catalog=tally.counts.changed_anything)
                await commit(session)
            except BaseException:
                discard_after_commit(session)
                await session.rollback()
                raise
        log.info(
            "sync_completed",
            run_id=str(run.id),
            mode=run.mode,
            prices_changed=tally.counts.prices_changed,
            apply_seconds=round(tally.apply_seconds, 3),
            **view.counts.model_dump(),
        )
        return view

    async def _fail(self, run: BegunRun, exc: BaseException, tally: _Tally) -> SyncRunView:
        message = _describe(exc)
        # A spent quota or a stop is an interruption: a full listing resumes where it stopped.
        status = (
            RunStatus.INTERRUPTED
            if isinstance(exc, ErpQuotaExhausted | asyncio.CancelledError)
            else RunStatus.FAILED
        )
        if isinstance(exc, Exception) and not isinstance(
            exc, ErpError | PriceBookMissing | PriceBookSuspicious | UnknownLocations
        ):
            log.error("sync_failed_unexpectedly", run_id=str(run.id), exc_info=exc)
        else:
            log.warning("sync_failed", run_id=str(run.id), status=status, error=message)
        try:
            async with self.database.write_sessionmaker() as session:
                row = await session.get(SyncRun, run.id)
                assert row is not None
                _copy_tally(row, tally)
                row.status, row.finished_at, row.error = status, utcnow(), message
                record(
                    session,
                    EventName.SYNC_FAILED,
                    correlation_id=str(run.id),
                    mode=run.mode,
                    status=status,
                    error=message,
                )
                self._invalidate_after_commit(session, catalog=tally.counts.changed_anything)
                view = SyncRunView.of(row)
                await commit(session)
                return view
        except Exception:
            log.exception("sync_failure_not_recorded", run_id=str(run.id))
            return run.view.model_copy(update={"status": status, "error": message})

    def _invalidate_after_commit(self, session: AsyncSession, *, catalog: bool) -> None:
        cache = self.cache
        if cache is None:
            return
        namespaces = (CATALOG, SYNC_STATUS) if catalog else (SYNC_STATUS,)

        async def invalidate() -> None:
            await cache.invalidate(*namespaces)

        after_commit(session, invalidate)


@dataclass(frozen=True)
class _Plan:
    mode: SyncMode
    cursor: Cursor = field(default_factory=Cursor)
    listing_id: uuid.UUID | None = None
    expected_items: int | None = None
    resumed: bool = False


def _copy_tally(row: SyncRun, tally: _Tally) -> None:
    row.fetched = tally.fetched
    row.failed = tally.failed
    row.created = tally.counts.created
    row.updated = tally.counts.updated
    row.unchanged = tally.counts.unchanged
    row.deactivated = tally.counts.deactivated


def _describe(exc: BaseException) -> str:
    """A run's error as the operator sees it: ERP failures in full, anything else by kind only."""
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled: the service stopped during the run"
    if isinstance(exc, ErpQuotaExhausted):
        until = datetime.fromtimestamp(exc.until, UTC).isoformat(timespec="seconds")
        return f"ERP error: {exc}; the run resumes after {until}"
    if isinstance(exc, ErpError):
        return f"ERP error: {exc}"
    if isinstance(exc, PriceBookMissing | PriceBookSuspicious | UnknownLocations):
        return str(exc)
    return f"internal error ({type(exc).__name__})"
