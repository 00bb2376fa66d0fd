"""The push worker: sends accepted orders to the ERP as sales orders, exactly once.

Workers claim due pushes under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL), so any number
of them, in the API processes or in `storefront worker` processes, share the queue. No
transaction is held while the ERP is called. A sales order carries our order number as its
number (the ERP refuses a second one with that number) and as its reference; any attempt after
the first looks the order up by reference before sending, so a lost answer or a worker killed
mid-push never leads to a second sales order.
"""

import asyncio
import os
import random
import signal
import socket
import uuid
from contextlib import suppress
from datetime import timedelta
from functools import partial
from typing import Any, Protocol

from storefront.cache import Cache
from storefront.cache.namespaces import CATALOG
from storefront.config import Settings
from storefront.db.base import utcnow
from storefront.db.engine import Database, create_database
from storefront.db.session import commit
from storefront.erp.errors import ErpError, ErpRejected
from storefront.erp.runtime import open_erp
from storefront.events.bus import record
from storefront.logging import get_logger
from storefront.orders.idempotency import purge_expired_keys
from storefront.orders.repository import (
    CONFIRMED,
    PUSH_DONE,
    PUSH_FAILED,
    Claim,
    OrderRepository,
    PushRepository,
)
from storefront.orders.service import OrderHooks, OrderService, order_hooks

log = get_logger(__name__)
_PURGE_EVERY_SECONDS = 3600.0
_CONTACTS_REMEMBERED = 10_000


class SalesOrderErp(Protocol):
    """The part of `storefront.erp.client.ErpClient` the push needs."""

    async def find_contact_by_email(self, email: str) -> str | None: ...

    async def create_contact(self, name: str, email: str, phone: str | None) -> str: ...

    async def find_salesorder_by_reference(self, reference_number: str) -> dict[str, Any] | None: ...

    async def create_salesorder(self, payload: dict[str, Any]) -> dict[str, Any]: ...


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: uniform in the upper half of min(cap, base * 2**(attempts-1))."""
    ceiling = min(cap, base * (2 ** min(attempts - 1, 30)))
    return random.uniform(ceiling / 2, ceiling)


def salesorder_payload(order: Any, lines: list[Any], contact_id: str) -> dict[str, Any]:
    return {
        "customer_id": contact_id,
        "date": f"{order.created_at:%Y-%m-%d}",
        "salesorder_number": order.number,
        "reference_number": order.number,
        "currency_code": order.currency,
        "line_items": [
            {
                "item_id": line.erp_item_id,
                "name": line.name,
                "rate": line.unit_price,
                "quantity": line.quantity,
            }
            for line in lines
        ],
        "notes": order.notes or "",
    }


class OrderPusher:
    def __init__(
        self,
        database: Database,
        erp: SalesOrderErp,
        settings: Settings,
        *,
        hooks: OrderHooks | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.database = database
        self.erp = erp
        self.settings = settings
        self.hooks = hooks or OrderHooks()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_purge = 0.0
        self._contacts: dict[str, str] = {}
        self._contact_lock = asyncio.Lock()

    def wake(self) -> None:
        """Look for due pushes now instead of at the next poll (called after an order commits)."""
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="order-pusher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

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
                await asyncio.wait_for(self._wakeup.wait(), self.settings.order_push_poll_interval_seconds)

    async def run_once(self) -> int:
        """Claim the due pushes (up to a batch) and push them concurrently; the number claimed."""
        await self._purge_expired_keys()
        claims = await self._claim()
        if claims:
            await asyncio.gather(*(self._push_safely(claim) for claim in claims))
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
                    "tds.order.create.started",
                    correlation_id=str(claim.order_id),
                    attempt=claim.attempts,
                    worker_id=self.worker_id,
                )
            await commit(session)
        return claims

    async def _push_safely(self, claim: Claim) -> None:
        try:
            await self._push(claim)
        except ErpRejected as exc:
            await self._after_failure(claim, exc, retryable=False)
        except ErpError as exc:
            # Outages, rate limits, and also auth errors: an operator can fix credentials, and
            # the orders must then go through rather than having failed meanwhile.
            await self._after_failure(claim, exc, retryable=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("order_push_crashed", order_id=str(claim.order_id))
            await self._after_failure(claim, exc, retryable=True)

    async def _push(self, claim: Claim) -> None:
        async with self.database.sessionmaker() as session:
            orders = OrderRepository(session)
            order = await orders.row(claim.order_id)
            lines = list(await orders.lines(claim.order_id))
        if order is None or order.status != "accepted":
            # Confirmed or failed meanwhile (by another worker or an operator): nothing to send.
            async with self.database.write_sessionmaker() as session:
                await PushRepository(session).finish(claim, self.worker_id, status=PUSH_DONE)
                await commit(session)
            return

        salesorder = None
        if claim.attempts > 1:
            salesorder = await self.erp.find_salesorder_by_reference(order.number)
        contact_id = order.erp_contact_id
        if salesorder is None:
            contact_id, remembered = await self._contact_id(order)
            payload = salesorder_payload(order, lines, contact_id)
            try:
                salesorder = await self.erp.create_salesorder(payload)
            except ErpRejected:
                # Refused: perhaps because a sales order with our number exists (an earlier answer
                # lost), or because a contact this worker remembered is gone from the ERP.
                salesorder = await self.erp.find_salesorder_by_reference(order.number)
                if salesorder is None and remembered:
                    self._contacts.pop(order.customer_email.lower(), None)
                    contact_id, _ = await self._contact_id(order)
                    salesorder = await self.erp.create_salesorder({**payload, "customer_id": contact_id})
                if salesorder is None:
                    raise
        await self._confirm(claim, salesorder, contact_id)

    async def _contact_id(self, order: Any) -> tuple[str, bool]:
        """The ERP contact of the order's email, and whether it came from this worker's memory.

        One lookup at a time per worker, so a batch with two orders of a new customer creates
        one contact, and each email costs the ERP's rate budget once per worker.
        """
        if order.erp_contact_id:
            return str(order.erp_contact_id), False
        email = order.customer_email.lower()
        async with self._contact_lock:
            remembered = self._contacts.get(email)
            if remembered is not None:
                return remembered, True
            contact_id = await self.erp.find_contact_by_email(order.customer_email)
            if contact_id is None:
                contact_id = await self.erp.create_contact(
                    order.customer_name, order.customer_email, order.customer_phone
                )
            if len(self._contacts) >= _CONTACTS_REMEMBERED:
                self._contacts.clear()
            self._contacts[email] = contact_id
            return contact_id, False

    async def _confirm(self, claim: Claim, salesorder: dict[str, Any], contact_id: str | None) -> None:
        now = utcnow()
        async with self.database.write_sessionmaker() as session:
            if not await PushRepository(session).finish(
                claim, self.worker_id, status=PUSH_DONE, last_error=None
            ):
                log.warning("order_push_lease_lost", order_id=str(claim.order_id), worker_id=self.worker_id)
                return
            await OrderRepository(session).set_status(
                claim.order_id,
                "accepted",
                status=CONFIRMED,
                erp_salesorder_id=str(salesorder.get("salesorder_id") or "") or None,
                erp_salesorder_number=str(salesorder.get("salesorder_number") or "") or None,
                erp_contact_id=contact_id or salesorder.get("customer_id"),
                confirmed_at=now,
                updated_at=now,
            )
            record(
                session,
                "tds.order.create.completed",
                correlation_id=str(claim.order_id),
                attempt=claim.attempts,
                erp_salesorder_id=salesorder.get("salesorder_id"),
                erp_salesorder_number=salesorder.get("salesorder_number"),
            )
            await commit(session)
        log.info("order_confirmed", order_id=str(claim.order_id), attempt=claim.attempts)

    async def _after_failure(self, claim: Claim, exc: Exception, *, retryable: bool) -> None:
        reason = _describe(exc)
        gives_up = not retryable or claim.attempts >= self.settings.order_push_max_attempts
        async with self.database.write_sessionmaker() as session:
            pushes = PushRepository(session)
            if gives_up:
                if await pushes.finish(claim, self.worker_id, status=PUSH_FAILED, last_error=reason):
                    await OrderService(session, self.settings.price_list, self.hooks).fail(
                        claim.order_id, reason
                    )
                    log.warning("order_push_failed", order_id=str(claim.order_id), error=reason)
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
    """A standalone push worker (`storefront worker`): runs until cancelled (SIGTERM, SIGINT)."""
    if settings.erp == "emulator":
        log.warning(
            "order_pusher_private_emulator",
            hint="STOREFRONT_ERP=emulator gives this process its own emulator; point a standalone "
            "worker at a shared one (STOREFRONT_ERP=zoho with STOREFRONT_ZOHO_API_URL) or at Zoho",
        )
    database = create_database(settings)
    runtime = await open_erp(settings)
    cache = Cache.from_settings(settings)
    pusher = OrderPusher(
        database,
        runtime.client,
        settings,
        hooks=OrderHooks(invalidate_catalog=partial(cache.invalidate, CATALOG)),
    )
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        if task is not None:
            loop.add_signal_handler(signum, task.cancel)
    try:
        await pusher.run()
    except asyncio.CancelledError:
        log.info("order_pusher_stopped", worker_id=pusher.worker_id)
    finally:
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
