"""Signed item webhooks, sent in the background so a control call never waits for the receiver."""

import asyncio
import hashlib
import hmac
from collections import Counter
from typing import Any

import httpx

from storefront.erp.emulator.replies import dumps
from storefront.erp.emulator.state import EmulatorConfig
from storefront.erp.http import tls_context

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
QUEUE_LIMIT = 10_000


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._worker: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self.outcomes: Counter[str] = Counter()

    def start(self) -> None:
        self._worker = asyncio.create_task(self._run(), name="emulator-webhooks")

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    def notify(self, items: list[dict[str, Any]]) -> None:
        if not self._config.webhook_url or self._worker is None:
            return
        for item in items:
            try:
                self._queue.put_nowait(dumps({"item": item}))
            except asyncio.QueueFull:
                self.outcomes["dropped"] += 1

    async def drain(self) -> None:
        """Wait until every queued webhook has been attempted."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            body = await self._queue.get()
            if self._http is None:
                self._http = httpx.AsyncClient(timeout=5.0, verify=tls_context())
            try:
                await self._deliver(self._http, body)
            finally:
                self._queue.task_done()

    async def _deliver(self, http: httpx.AsyncClient, body: bytes) -> None:
        url = self._config.webhook_url
        if not url:
            return
        headers = {"Content-Type": "application/json"}
        if self._config.webhook_secret:
            headers[SIGNATURE_HEADER] = sign(self._config.webhook_secret, body)
        try:
            response = await http.post(url, content=body, headers=headers)
        except httpx.HTTPError:
            self.outcomes["failed"] += 1
            return
        self.outcomes["delivered" if response.is_success else "refused"] += 1
