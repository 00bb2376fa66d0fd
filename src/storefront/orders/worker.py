"""The push worker: sends accepted orders to the ERP as sales orders, exactly once.

Workers claim due pushes under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL), so any number
of them, in the API processes or in `storefront worker` processes, share the queue. No
transaction is held while the ERP is called. Each order's sales order is created exactly once
(storefront.orders.salesorders), its id kept at once, and the batch's drafts confirmed together.
When the ERP says "later" (its rate limits, its spent daily quota) the order waits without an
attempt counted; only a refusal fails it, and only when no sales order of ours can exist.
"""

import asyncio
import os
import random
import signal
import socket
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from storefront.cache import Cache
from storefront.cache.namespaces import CATALOG
from storefront.config import Settings
from storefront.db.base import utcnow
from storefront.db.engine import Database, create_database
from storefront.db.session import commit
from storefront.erp.budget import Priority
from storefront.erp.client import ErpClient
from storefront.erp.errors import ErpError, ErpQuotaExhausted, ErpRateLimited
from storefront.erp.runtime import open_erp
from storefront.events.bus import record
from storefront.events.names import EventName
from storefront.images.storage import open_image_store
from storefront.logging import get_logger
from storefront.orders.fulfilment import counted_stock_of
from storefront.orders.idempotency import purge_expired_keys
from storefront.orders.models import OrderStatus, PushAction, PushStatus
from storefront.orders.repository import Claim, OrderRepository, OrderRow, PushRepository
from storefront.orders.salesorders import (
    REFUSALS,
    UNCONFIRMED,
    Contacts,
    CreatedSalesOrder,
    SalesOrderLookupIncomplete,
    confirm_all,
    create_once,
    created,
    find_by_number,
    salesorder_payload,
    void_once,
)
from storefront.orders.service import OrderHooks, OrderService, order_hooks
from storefront.sync.component import image_fetcher, settler
from storefront.sync.settle import ReservationSettler
from storefront.tasks import cancel_and_wait

log = get_logger(__name__)
_PURGE_EVERY_SECONDS = 3600.0


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: uniform in the upper half of min(cap, base * 2**(attempts-1))."""
    ceiling = min(cap, base * (2 ** min(attempts - 1, 30)))
    return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True, slots=True)
class _Created:
    claim: Claim
    salesorder: CreatedSalesOrder


class OrderPusher:
    def __init__(
        self,
        database: Database,
        erp: ErpClient,
        settings: Settings,
        *,
        hooks: OrderHooks | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.database = database
        self.erp = erp.with_priority(Priority.PUSH)
        self.settings = settings
        self.hooks = hooks or OrderHooks()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.contacts = Contacts(database, self.erp)
        self.refresher = ReservationSettler(
            database,
            erp,
            settings.settle_interval_seconds,
            self.hooks.invalidate_catalog,
            name_ar_field=settings.zoho_name_ar_field,
        )
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_purge = 0.0
        # One contact lookup at a time per worker: a batch with two orders of a new shopper
        # creates one contact.
        self._contact_lock = asyncio.Lock()

    def wake(self) -> None:
        """Look for due pushes now instead of at the next poll (called after an order commits)."""
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="order-pusher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def run(self) -> None:
        log.info("order_pusher_started", worker_id=self.worker_id)
        while True:
            try:
                pushed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("order_pusher_cycle_failed")
                pushed = 0
            if pushed:
                continue
            self._wakeup.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), await self._idle_seconds())

    async def _idle_seconds(self) -> float:
        """Until the next poll: the poll interval, or while the daily quota is spent, until its reset."""
        paused_until = await self.erp.paused_until()
        if paused_until is None:
            return self.settings.order_push_poll_interval_seconds
        return max(paused_until - time.time(), self.settings.order_push_poll_interval_seconds)

    async def run_once(self) -> int:
        """Claim the due pushes (up to a batch), create their sales orders, confirm them; the number claimed.

        Nothing is claimed while the ERP's daily quota is spent: the orders stay accepted and
        no attempt is counted.
        """
        await self._purge_expired_keys()
        if await self.erp.paused_until() is not None:
            return 0
        claims = await self._claim()
        if not claims:
            return 0
        creates = [claim for claim in claims if claim.action == PushAction.CREATE]
        voids = [claim for claim in claims if claim.action == PushAction.VOID]
        results = await asyncio.gather(
            *(self._create_safely(claim) for claim in creates), *(self._void_safely(claim) for claim in voids)
        )
        await self._confirm_created([result for result in results if isinstance(result, _Created)])
        return len(claims)

    async def _claim(self) -> list[Claim]:
        now = utcnow()
        async with self.database.write_sessionmaker() as session:
            claims = await PushRepository(session).claim_due(
                self.worker_id,
                now,
                timedelta(seconds=self.settings.order_push_lease_seconds),
                self.settings.order_push_batch_size,
            )
            for claim in claims:
                record(
                    session,
                    EventName.ORDER_PUSH_STARTED,
                    correlation_id=str(claim.order_id),
                    attempt=claim.attempts,
                    worker_id=self.worker_id,
                )
            await commit(session)
        return claims

    async def _create_safely(self, claim: Claim) -> _Created | None:
        """The order's sales order, created (or found) in the ERP; None when it failed or is not due."""
        try:
            return await self._create(claim)
        except Exception as exc:
            await self._after_failure(claim, exc)
            return None

    async def _void_safely(self, claim: Claim) -> None:
        try:
            await self._void(claim)
        except Exception as exc:
            await self._after_failure(claim, exc)

    async def _void(self, claim: Claim) -> None:
        """The order was cancelled after its sales order may have been created: void that one, if any."""
        async with self.database.sessionmaker() as session:
            orders = OrderRepository(session)
            order = await orders.row(claim.order_id)
            lines = await orders.lines(claim.order_id)
        assert order is not None, "a push names an order that does not exist"
        salesorder_id = order.erp_salesorder_id
        if salesorder_id is None:
            found = await find_by_number(
                self.erp, order.number, self.settings.zoho_salesorder_lookup_max_pages
            )
            salesorder_id = str(found["salesorder_id"]) if found is not None else None
        if salesorder_id is not None:
            await void_once(self.erp, salesorder_id)
        async with self.database.write_sessionmaker() as session:
            if not await PushRepository(session).finish(
                claim, self.worker_id, status=PushStatus.DONE, last_error=None
            ):
                log.warning("order_push_lease_lost", order_id=str(claim.order_id), worker_id=self.worker_id)
                return
            record(
                session,
                EventName.ORDER_VOID_COMPLETED,
                correlation_id=str(claim.order_id),
                erp_salesorder_id=salesorder_id,
            )
            await commit(session)
        log.info("order_voided", order_id=str(claim.order_id), erp_salesorder_id=salesorder_id)
        if salesorder_id is not None:
            # Zoho gives the committed units back: show them as soon as it counts them.
            with suppress(ErpError):
                await self.refresher.refresh(sorted({line.erp_item_id for line in lines}))

    async def _create(self, claim: Claim) -> _Created | None:
        async with self.database.sessionmaker() as session:
            orders = OrderRepository(session)
            order = await orders.row(claim.order_id)
            lines = list(await orders.lines(claim.order_id))
            currency_id = await orders.erp_currency_id(claim.order_id)
            counted_stock = await counted_stock_of(session, [line.erp_item_id for line in lines])
        if order is None or order.status != OrderStatus.ACCEPTED:
            # Confirmed or failed meanwhile (by another worker or an operator): nothing to send.
            async with self.database.write_sessionmaker() as session:
                await PushRepository(session).finish(claim, self.worker_id, status=PushStatus.DONE)
                await commit(session)
            return None
        if order.erp_salesorder_id:
            # Created by an earlier attempt that did not get to confirm it.
            salesorder = CreatedSalesOrder(
                order.erp_salesorder_id, order.erp_salesorder_number, order.erp_contact_id, "draft"
            )
            return _Created(claim, salesorder)
        contact_id, remembered = await self._contact_id(order, currency_id)
        payload = salesorder_payload(order, lines, contact_id, counted_stock)
        # A claim after the first may follow an attempt whose create reached the ERP.
        uncertain = claim.attempts > 1
        lookup_pages = self.settings.zoho_salesorder_lookup_max_pages
        try:
            answer = await create_once(self.erp, payload, uncertain=uncertain, lookup_pages=lookup_pages)
        except REFUSALS:
            if not remembered:
                raise
            # Perhaps the contact we remembered is gone from the ERP: find it afresh, once.
            await self.contacts.forget(order.customer_email)
            contact_id, _ = await self._contact_id(order, currency_id)
            payload["customer_id"] = contact_id
            answer = await create_once(self.erp, payload, uncertain=True, lookup_pages=lookup_pages)
        salesorder = created(answer, contact_id)
        await self._record_created(claim, salesorder)
        return _Created(claim, salesorder)

    async def _contact_id(self, order: OrderRow, currency_id: str | None) -> tuple[str, bool]:
        """The ERP contact of the order's shopper, and whether it came from what we remembered."""
        if order.erp_contact_id:
            return str(order.erp_contact_id), True
        async with self._contact_lock:
            remembered = await self.contacts.remembered(order.customer_email)
            if remembered is not None:
                return remembered, True
            contact_id = await self.contacts.find_or_create(
                order.customer_name, order.customer_email, order.customer_phone, currency_id
            )
            return contact_id, False

    async def _record_created(self, claim: Claim, salesorder: CreatedSalesOrder) -> None:
        """Keep the sales order's id at once: a later attempt confirms it instead of creating one."""
        async with self.database.write_sessionmaker() as session:
            await OrderRepository(session).set_status(
                claim.order_id,
                OrderStatus.ACCEPTED,
                erp_salesorder_id=salesorder.salesorder_id,
                erp_salesorder_number=salesorder.salesorder_number,
                erp_contact_id=salesorder.contact_id,
                updated_at=utcnow(),
            )
            await commit(session)

    async def _confirm_created(self, batch: list[_Created]) -> None:
        """Confirm the batch's drafts in the ERP (one call when it can), then mark the orders confirmed."""
        drafts = [
            entry.salesorder.salesorder_id
            for entry in batch
            if self.settings.zoho_confirm_salesorders and entry.salesorder.status in UNCONFIRMED
        ]
        try:
            outcome = await confirm_all(self.erp, drafts)
        except Exception as exc:
            for entry in batch:
                await self._after_failure(entry.claim, exc)
            return
        for entry in batch:
            failure = outcome.get(entry.salesorder.salesorder_id)
            if failure is None:
                await self._confirm(entry.claim, entry.salesorder)
            else:
                await self._after_failure(entry.claim, failure)

    async def _confirm(self, claim: Claim, salesorder: CreatedSalesOrder) -> None:
        now = utcnow()
        async with self.database.write_sessionmaker() as session:
            if not await PushRepository(session).finish(
                claim, self.worker_id, status=PushStatus.DONE, last_error=None
            ):
                log.warning("order_push_lease_lost", order_id=str(claim.order_id), worker_id=self.worker_id)
                return
            await OrderRepository(session).set_status(
                claim.order_id,
                OrderStatus.ACCEPTED,
                status=OrderStatus.CONFIRMED,
                erp_salesorder_id=salesorder.salesorder_id,
                erp_salesorder_number=salesorder.salesorder_number,
                erp_contact_id=salesorder.contact_id,
                confirmed_at=now,
                updated_at=now,
            )
            record(
                session,
                EventName.ORDER_PUSH_COMPLETED,
                correlation_id=str(claim.order_id),
                attempt=claim.attempts,
                erp_salesorder_id=salesorder.salesorder_id,
                erp_salesorder_number=salesorder.salesorder_number,
            )
            await commit(session)
        log.info("order_confirmed", order_id=str(claim.order_id), attempt=claim.attempts)

    async def _after_failure(self, claim: Claim, exc: Exception) -> None:
        if isinstance(exc, asyncio.CancelledError):
            raise exc
        if isinstance(exc, ErpRateLimited | SalesOrderLookupIncomplete):
            await self._defer(claim, exc)
            return
        if not isinstance(exc, ErpError):
            log.error("order_push_crashed", order_id=str(claim.order_id), exc_info=exc)
        # Refusals fail the order; outages, auth and configuration errors are retried, since an
        # operator can mend those and the orders must then go through.
        retryable = not isinstance(exc, REFUSALS)
        reason = _describe(exc)
        gives_up = not retryable or claim.attempts >= self.settings.order_push_max_attempts
        async with self.database.write_sessionmaker() as session:
            pushes = PushRepository(session)
            if gives_up:
                finished = await pushes.finish(
                    claim, self.worker_id, status=PushStatus.FAILED, last_error=reason
                )
                if finished and claim.action == PushAction.CREATE:
                    await OrderService(session, self.settings.price_list, self.hooks).fail(
                        claim.order_id, reason
                    )
                # A void given up on leaves the order cancelled: the operator sees why on the push.
                if finished:
                    log.warning(
                        "order_push_failed", order_id=str(claim.order_id), action=claim.action, error=reason
                    )
            else:
                delay = backoff_seconds(
                    claim.attempts,
                    self.settings.order_push_backoff_base_seconds,
                    self.settings.order_push_backoff_cap_seconds,
                )
                if await pushes.finish(
                    claim,
                    self.worker_id,
                    last_error=reason,
                    next_attempt_at=utcnow() + timedelta(seconds=delay),
                ):
                    log.info(
                        "order_push_retry_later", order_id=str(claim.order_id), error=reason, delay=delay
                    )
            await commit(session)

    async def _defer(self, claim: Claim, exc: Exception) -> None:
        """The ERP said "later" (rate limit, spent quota) or cannot tell yet: try again, counting no attempt."""
        if isinstance(exc, ErpQuotaExhausted):
            due = datetime.fromtimestamp(max(exc.until, time.time()), UTC)
        else:
            base = self.settings.order_push_backoff_base_seconds
            due = utcnow() + timedelta(
                seconds=backoff_seconds(claim.attempts, base, self.settings.order_push_backoff_cap_seconds)
            )
        reason = _describe(exc)
        async with self.database.write_sessionmaker() as session:
            await PushRepository(session).finish(
                claim, self.worker_id, attempts=claim.attempts - 1, last_error=reason, next_attempt_at=due
            )
            await commit(session)
        log.info("order_push_deferred", order_id=str(claim.order_id), error=reason, due=due.isoformat())

    async def _purge_expired_keys(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if self._last_purge and loop_time - self._last_purge < _PURGE_EVERY_SECONDS:
            return
        self._last_purge = loop_time
        async with self.database.write_sessionmaker() as session:
            await purge_expired_keys(session, utcnow())
            await commit(session)


def _describe(exc: Exception) -> str:
    """A short, secret-free reason for the operator; ERP errors carry their status and code."""
    if isinstance(exc, ErpError):
        parts = [type(exc).__name__]
        if exc.status is not None:
            parts.append(f"HTTP {exc.status}")
        if exc.code is not None:
            parts.append(f"code {exc.code}")
        return " ".join(parts) + f": {str(exc)[:500]}"
    return f"internal error ({type(exc).__name__})"


async def run_worker(settings: Settings) -> None:
    """A standalone push worker (`storefront worker`), with the settler of confirmed orders'
    reservations and the fetcher of changed pictures: runs until cancelled (SIGTERM, SIGINT)."""
    if settings.erp == "emulator":
        log.warning(
            "order_pusher_private_emulator",
            hint="STOREFRONT_ERP=emulator gives this process its own emulator; point a standalone "
            "worker at a shared one (STOREFRONT_ERP=zoho with STOREFRONT_ZOHO_API_URL) or at Zoho",
        )
    database = create_database(settings)
    runtime = await open_erp(settings)
    cache = Cache.from_settings(settings)
    cache.before_invalidate = database.publish_write_mark
    pusher = OrderPusher(
        database,
        runtime.client,
        settings,
        hooks=OrderHooks(invalidate_catalog=partial(cache.invalidate, CATALOG)),
    )
    reservations = settler(database, runtime.client, settings, cache)
    image_store = open_image_store(settings)
    pictures = image_fetcher(database, runtime.client, settings, cache, image_store)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        if task is not None:
            loop.add_signal_handler(signum, task.cancel)
    if reservations is not None:
        reservations.start()
    pictures.start()
    try:
        await pusher.run()
    except asyncio.CancelledError:
        log.info("order_pusher_stopped", worker_id=pusher.worker_id)
    finally:
        if reservations is not None:
            await reservations.stop()
        await pictures.stop()
        await image_store.aclose()
        await cache.close()
        await runtime.aclose()
        await database.dispose()


def start_in_app(app: Any, settings: Settings) -> OrderPusher | None:
    """The push worker of an API process (when background tasks run there), woken by new orders."""
    erp = getattr(app.state, "erp", None)
    if not settings.run_background_tasks or erp is None:
        return None
    pusher = OrderPusher(app.state.db, erp, settings, hooks=order_hooks(app))
    app.state.order_pusher = pusher
    pusher.start()
    return pusher
