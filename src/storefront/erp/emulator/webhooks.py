"""Signed item webhooks, sent in the background so a control call never waits for the receiver.

A webhook carries one item, as a JSON body {"item": {...}} or as a form-encoded body with one field
`item` holding the item's JSON (config `webhook_format`). With a secret, the header
X-Zoho-Webhook-Signature carries a lowercase hex HMAC-SHA256 (config `webhook_signature`):

- "body": of the raw body;
- "billing", the string Zoho Billing documents: the webhook URL's query parameters sorted by key,
  each written as key then value with no separator; then, for a JSON body, the raw body; for a
  form body, the decoded form fields sorted by key and written the same way. Pairs with the same
  key keep their order by value.
"""

import asyncio
import hashlib
import hmac
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from storefront.erp.emulator.replies import dumps
from storefront.erp.emulator.state import EmulatorConfig
from storefront.erp.http import tls_context

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
QUEUE_LIMIT = 10_000
FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"


def sign(secret: str, body: bytes) -> str:
    """The raw-body signature: hex HMAC-SHA256 of the body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _pairs(pairs: list[tuple[str, str]]) -> str:
    return "".join(key + value for key, value in sorted(pairs))


def billing_string(
    query: list[tuple[str, str]], *, body: bytes = b"", form: list[tuple[str, str]] | None = None
) -> bytes:
    """The signed string of Zoho Billing's definition (see the module's docstring)."""
    tail = _pairs(form).encode() if form is not None else body
    return _pairs(query).encode() + tail


def sign_billing(
    secret: str, query: list[tuple[str, str]], *, body: bytes = b"", form: list[tuple[str, str]] | None = None
) -> str:
    """Zoho Billing's signature: hex HMAC-SHA256 of billing_string(query, body=... or form=...)."""
    return sign(secret, billing_string(query, body=body, form=form))


def webhook_request(config: EmulatorConfig, item: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the webhook for one item, signed as configured."""
    item_json = dumps(item)
    if config.webhook_format == "form":
        form = [("item", item_json.decode())]
        body, content_type = urlencode(form).encode(), FORM_TYPE
    else:
        form, body, content_type = None, b'{"item":' + item_json + b"}", JSON_TYPE
    headers = {"Content-Type": content_type}
    if config.webhook_secret:
        if config.webhook_signature == "billing":
            query = parse_qsl(urlsplit(config.webhook_url or "").query, keep_blank_values=True)
            headers[SIGNATURE_HEADER] = sign_billing(config.webhook_secret, query, body=body, form=form)
        else:
            headers[SIGNATURE_HEADER] = sign(config.webhook_secret, body)
    return body, headers


class WebhookSender:
    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_LIMIT)
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
                self._queue.put_nowait(dict(item))
            except asyncio.QueueFull:
                self.outcomes["dropped"] += 1

    async def drain(self) -> None:
        """Wait until every queued webhook has been attempted."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            if self._http is None:
                self._http = httpx.AsyncClient(timeout=5.0, verify=tls_context())
            try:
                await self._deliver(self._http, item)
            finally:
                self._queue.task_done()

    async def _deliver(self, http: httpx.AsyncClient, item: dict[str, Any]) -> None:
        url = self._config.webhook_url
        if not url:
            return
        body, headers = webhook_request(self._config, item)
        try:
            response = await http.post(url, content=body, headers=headers)
        except httpx.HTTPError:
            self.outcomes["failed"] += 1
            return
        self.outcomes["delivered" if response.is_success else "refused"] += 1
