"""ZohoClient: the ErpClient for Zoho Inventory (or Books), over one long-lived HTTP client.

Reads are retried with backoff on 429, 5xx and network errors; writes are sent once, because a
write whose answer was lost may have happened: the caller looks it up before sending it again.
"""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from redis.asyncio import Redis

from storefront.config import Settings
from storefront.erp.budget import LocalBudget, RedisBudget, RequestBudget
from storefront.erp.client import PriceBook
from storefront.erp.errors import (
    ErpAuthError,
    ErpError,
    ErpNotFound,
    ErpRateLimited,
    ErpRejected,
    ErpTokenThrottled,
    ErpUnavailable,
)
from storefront.erp.http import tls_context
from storefront.erp.items import format_zoho_time, parse_money
from storefront.erp.retry import RetryPolicy
from storefront.erp.token import OAuthCredentials, TokenProvider
from storefront.logging import get_logger
from storefront.metrics import ERP_BUDGET_REMAINING, ERP_CALLS

PAGE_SIZE = 200
NOT_FOUND_CODE = 1002
TOKEN_REFUSED_CODES = {14, 57}
log = get_logger(__name__)


class _TokenRefused(Exception):
    """HTTP 401 with code 14 or 57: the access token is missing, expired or revoked."""


def _outcome(error: ErpError) -> str:
    if isinstance(error, ErpRateLimited):
        return "rate_limited"
    if isinstance(error, ErpUnavailable):
        return "unavailable"
    if isinstance(error, ErpAuthError):
        return "auth_error"
    if isinstance(error, ErpNotFound):
        return "not_found"
    return "rejected"


def resolve_api_url(configured: str, api_domain: str | None) -> str:
    """Zoho names the data centre's API host in the token answer; follow it only between Zoho hosts."""
    if not api_domain:
        return configured
    current, named = urlsplit(configured), urlsplit(api_domain)
    if not (current.hostname or "").startswith("www.zohoapis.") or not (named.hostname or "").startswith(
        "www.zohoapis."
    ):
        return configured
    if named.scheme != "https":
        return configured
    return f"https://{named.netloc}{current.path}"


class ZohoClient:
    def __init__(
        self,
        *,
        api_url: str,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        organization_id: str,
        requests_per_minute: int = 90,
        redis: Redis | None = None,
        key_prefix: str = "storefront",
        retry: RetryPolicy | None = None,
        budget_max_wait: float = 30.0,
        refresh_margin: float = 300.0,
        throttle_cooldown: float = 600.0,
        rate_limit_cooldown: float = 0.0,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._organization_id = organization_id
        self._retry = retry or RetryPolicy()
        self._rate_limit_cooldown = rate_limit_cooldown
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            headers={"Accept": "application/json", "User-Agent": "storefront-erp"},
            transport=transport,
            verify=tls_context(),
        )
        self.counters: Counter[str] = Counter()
        self.tokens = TokenProvider(
            self._http,
            OAuthCredentials(accounts_url, client_id, client_secret, refresh_token),
            redis=redis,
            key_prefix=key_prefix,
            refresh_margin=refresh_margin,
            throttle_cooldown=throttle_cooldown,
            counters=self.counters,
        )
        self.budget: RequestBudget = (
            RedisBudget(
                redis,
                f"{key_prefix}:zoho:budget:{organization_id}",
                requests_per_minute,
                max_wait=budget_max_wait,
            )
            if redis is not None
            else LocalBudget(requests_per_minute, max_wait=budget_max_wait)
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        redis: Redis | None = None,
        api_url: str | None = None,
        accounts_url: str | None = None,
    ) -> "ZohoClient":
        return cls(
            api_url=api_url or settings.zoho_api_url,
            accounts_url=accounts_url or settings.zoho_accounts_url,
            client_id=settings.zoho_client_id,
            client_secret=settings.zoho_client_secret.get_secret_value(),
            refresh_token=settings.zoho_refresh_token.get_secret_value(),
            organization_id=settings.zoho_organization_id,
            requests_per_minute=settings.zoho_requests_per_minute,
            redis=redis,
            key_prefix=settings.zoho_key_prefix,
            retry=RetryPolicy(
                attempts=settings.zoho_retry_attempts,
                base_delay=settings.zoho_retry_base_delay_seconds,
                deadline=settings.zoho_retry_deadline_seconds,
            ),
            budget_max_wait=settings.zoho_budget_max_wait_seconds,
            refresh_margin=settings.zoho_token_refresh_margin_seconds,
            throttle_cooldown=settings.zoho_token_throttle_cooldown_seconds,
            rate_limit_cooldown=settings.zoho_rate_limit_cooldown_seconds,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def call_counts(self) -> dict[str, int]:
        """Calls by outcome (ok, rate_limited, unavailable, auth_error, rejected, not_found), retries, refreshes."""
        return dict(self.counters)

    async def budget_remaining(self) -> int:
        remaining = await self.budget.remaining()
        ERP_BUDGET_REMAINING.set(remaining)
        return remaining

    # --- the ErpClient contract --------------------------------------------------------------

    async def iter_item_pages(
        self, *, modified_since: datetime | None = None, include_inactive: bool = True
    ) -> AsyncIterator[list[dict[str, Any]]]:
        params: dict[str, Any] = {
            "per_page": PAGE_SIZE,
            "filter_by": "Status.All" if include_inactive else "Status.Active",
            "sort_column": "last_modified_time",
            "sort_order": "A",
        }
        if modified_since is not None:
            params["last_modified_time"] = format_zoho_time(modified_since)
        page = 1
        while True:
            body = await self._read("list_items", "/items", {**params, "page": page})
            items = body.get("items")
            if not isinstance(items, list):
                raise ErpUnavailable("the ERP item list answer has no items")
            yield [item for item in items if isinstance(item, dict)]
            context = body.get("page_context")
            if not (isinstance(context, dict) and context.get("has_more_page") is True):
                return
            page += 1

    async def get_item(self, item_id: str) -> dict[str, Any] | None:
        try:
            body = await self._read("get_item", f"/items/{_path_part(item_id)}")
        except ErpNotFound:
            return None
        item = body.get("item")
        return item if isinstance(item, dict) else None

    async def get_pricebook(self, name: str) -> PriceBook | None:
        summary = None
        page = 1
        while summary is None:
            body = await self._read("list_pricebooks", "/pricebooks", {"page": page, "per_page": PAGE_SIZE})
            books = [book for book in body.get("pricebooks") or [] if isinstance(book, dict)]
            summary = next((book for book in books if book.get("name") == name), None)
            context = body.get("page_context")
            if summary is None and not (isinstance(context, dict) and context.get("has_more_page") is True):
                return None
            page += 1
        pricebook_id = str(summary.get("pricebook_id") or "")
        try:
            body = await self._read("get_pricebook", f"/pricebooks/{_path_part(pricebook_id)}")
        except ErpNotFound:
            return None
        book = body.get("pricebook") or body.get("price_book") or {}
        rows = book.get("pricebook_items") or book.get("price_book_items") or book.get("items") or []
        rates = {}
        for row in rows:
            if not isinstance(row, dict) or not row.get("item_id"):
                continue
            rate = parse_money(row.get("pricebook_rate", row.get("rate")))
            if rate is not None:
                rates[str(row["item_id"])] = rate
        currency = book.get("currency_code") or summary.get("currency_code") or ""
        return PriceBook(pricebook_id=pricebook_id, name=name, currency=str(currency), rates=rates)

    async def find_contact_by_email(self, email: str) -> str | None:
        body = await self._read("find_contact", "/contacts", {"email": email})
        for contact in body.get("contacts") or []:
            if (
                isinstance(contact, dict)
                and contact.get("contact_id")
                and str(contact.get("email", "")).lower() in {"", email.lower()}
            ):
                return str(contact["contact_id"])
        return None

    async def create_contact(self, name: str, email: str, phone: str | None) -> str:
        person: dict[str, Any] = {"first_name": name, "email": email, "is_primary_contact": True}
        if phone:
            person["phone"] = phone
        payload = {"contact_name": name, "contact_type": "customer", "contact_persons": [person]}
        body = await self._write("create_contact", "/contacts", payload)
        contact = body.get("contact")
        if not isinstance(contact, dict) or not contact.get("contact_id"):
            raise ErpUnavailable("the ERP contact answer has no contact_id")
        return str(contact["contact_id"])

    async def find_salesorder_by_reference(self, reference_number: str) -> dict[str, Any] | None:
        body = await self._read("find_salesorder", "/salesorders", {"reference_number": reference_number})
        for order in body.get("salesorders") or body.get("sales_orders") or []:
            if isinstance(order, dict) and str(order.get("reference_number")) == reference_number:
                return order
        return None

    async def create_salesorder(self, payload: dict[str, Any]) -> dict[str, Any]:
        params = {"ignore_auto_number_generation": "true"} if payload.get("salesorder_number") else {}
        body = await self._write("create_salesorder", "/salesorders", payload, params)
        order = body.get("salesorder") or body.get("sales_order")
        if not isinstance(order, dict):
            raise ErpUnavailable("the ERP sales order answer has no sales order")
        return order

    # --- transport ---------------------------------------------------------------------------

    async def _read(self, operation: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._call(operation, "GET", path, params or {}, None, retry=True)

    async def _write(
        self, operation: str, path: str, payload: dict[str, Any], params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self._call(operation, "POST", path, params or {}, payload, retry=False)

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        params: dict[str, Any],
        payload: dict[str, Any] | None,
        *,
        retry: bool,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + self._retry.deadline
        attempt = 1
        refreshed = False
        while True:
            try:
                token = await self.tokens.get()
                await self.budget.acquire()
                body = await self._send(method, path, params, payload, token)
            except _TokenRefused:
                self._count(operation, "token_refused")
                if refreshed:
                    error: ErpError = ErpAuthError(
                        "the ERP refuses this client even with a new token (revoked, or a missing scope)",
                        status=401,
                    )
                    self._count(operation, "auth_error")
                    raise error from None
                refreshed = True
                await self.tokens.invalidate(token)
                continue
            except ErpError as exc:
                if not isinstance(exc, ErpTokenThrottled):
                    self._count(operation, _outcome(exc))
                if isinstance(exc, ErpRateLimited) and exc.status == 429:
                    # The org is over Zoho's limit: every process sharing the budget holds off.
                    await self.budget.block(self._rate_limit_cooldown)
                delay = self._retry.delay(attempt)
                retryable = retry and exc.retryable and not isinstance(exc, ErpTokenThrottled)
                if not retryable or attempt >= self._retry.attempts or time.monotonic() + delay > deadline:
                    if retryable:
                        log.warning(
                            "zoho_call_gave_up", operation=operation, attempts=attempt, error=str(exc)
                        )
                    raise
                self.counters["retry"] += 1
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self._count(operation, "ok")
            return body

    def _count(self, operation: str, outcome: str) -> None:
        self.counters[outcome] += 1
        ERP_CALLS.labels(operation=operation, outcome=outcome).inc()

    async def _send(
        self, method: str, path: str, params: dict[str, Any], payload: dict[str, Any] | None, token: str
    ) -> dict[str, Any]:
        url = resolve_api_url(self._api_url, self.tokens.api_domain) + path
        query = {**params, "organization_id": self._organization_id}
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        try:
            if payload is None:
                response = await self._http.request(method, url, params=query, headers=headers)
            else:
                response = await self._http.request(
                    method,
                    url,
                    params=query,
                    headers={**headers, "Content-Type": "application/json"},
                    content=orjson.dumps(payload, default=str),
                )
        except httpx.TransportError as exc:
            raise ErpUnavailable(f"the ERP did not answer ({type(exc).__name__})") from None
        return _parse(response)


def _parse(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        parsed = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        parsed = None
    body: dict[str, Any] | None = parsed if isinstance(parsed, dict) else None
    code = body.get("code") if body else None
    message = str(body.get("message") or "")[:200] if body else ""
    if status == 401 and code in TOKEN_REFUSED_CODES:
        raise _TokenRefused()
    if status == 401:
        raise ErpAuthError(f"the ERP refused the call: {message or 'unauthorized'}", status=status, code=code)
    if status == 429:
        raise ErpRateLimited(
            f"the ERP rate limit is reached: {message or 'too many requests'}", status=status, code=code
        )
    if status >= 500:
        raise ErpUnavailable(
            f"the ERP failed ({status}): {message or 'server error'}", status=status, code=code
        )
    if status == 404 or code == NOT_FOUND_CODE:
        raise ErpNotFound(message or "not found in the ERP", status=status, code=code)
    if status >= 400:
        raise ErpRejected(f"the ERP rejected the call: {message or status}", status=status, code=code)
    if body is None:
        raise ErpUnavailable(f"the ERP answered {status} without a JSON object", status=status)
    if code not in (0, None):
        raise ErpRejected(f"the ERP rejected the call: {message}", status=status, code=code)
    return body


def _path_part(value: str) -> str:
    if not value or "/" in value or value in {".", ".."}:
        raise ErpRejected(f"not a valid ERP id: {value!r}")
    return value
