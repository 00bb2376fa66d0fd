"""ZohoClient: the ErpClient for Zoho Inventory (or Books), over one long-lived HTTP client.

Reads are retried with backoff on 429, 5xx and network errors; a write is retried only after a
429 (Zoho refused it before doing anything); any other failed write is left to the caller, who
looks it up before sending it again. Every call draws on the organisation's shared budget at the
client's priority (`with_priority`), and Zoho's daily-quota headers are recorded for all processes.
"""

import asyncio
import copy
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
import orjson
from redis.asyncio import Redis

from storefront.config import Settings
from storefront.erp.budget import (
    BudgetPolicy,
    DailyQuota,
    LocalStore,
    Priority,
    RedisStore,
    RequestBudget,
)
from storefront.erp.client import ItemImage, ItemPage, PriceBook
from storefront.erp.errors import (
    ErpAuthError,
    ErpContactNameTaken,
    ErpError,
    ErpImageTooLarge,
    ErpMisconfigured,
    ErpNotFound,
    ErpQuotaExhausted,
    ErpRateLimited,
    ErpRejected,
    ErpTokenThrottled,
    ErpUnavailable,
)
from storefront.erp.http import tls_context
from storefront.erp.items import format_zoho_time
from storefront.erp.price_books import PriceBookStream
from storefront.erp.retry import RetryPolicy
from storefront.erp.token import OAuthCredentials, TokenProvider
from storefront.logging import get_logger
from storefront.metrics import ERP_BUDGET_REMAINING, ERP_CALLS, ERP_DAILY_QUOTA_REMAINING

PAGE_SIZE = 200
# Ids per GET /itemdetails call: the ids travel in the query string.
DETAILS_BATCH = 50
NOT_FOUND_CODE = 1002
CONTACT_NAME_TAKEN_CODE = 3062
DAILY_QUOTA_CODE = 45
PER_MINUTE_LIMIT_CODE = 44
TOKEN_REFUSED_CODES = {14, 57}
# Price books whose rates we can sell from: one rate per item.
SELLABLE_PRICEBOOK = ("per_item", "unit")
log = get_logger(__name__)
_Answer = TypeVar("_Answer")


class _TokenRefused(Exception):
    """HTTP 401 with code 14 or 57: the access token is missing, expired or revoked."""


def _outcome(error: ErpError) -> str:
    if isinstance(error, ErpQuotaExhausted):
        return "quota_exhausted"
    if isinstance(error, ErpRateLimited):
        return "rate_limited"
    if isinstance(error, ErpUnavailable):
        return "unavailable"
    if isinstance(error, ErpAuthError):
        return "auth_error"
    if isinstance(error, ErpNotFound):
        return "not_found"
    if isinstance(error, ErpMisconfigured):
        return "misconfigured"
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


def budget_policy(settings: Settings) -> BudgetPolicy:
    """The budget's rules from the settings: shares per priority, waits, the daily reserve."""
    return BudgetPolicy(
        per_minute=settings.zoho_requests_per_minute,
        shares={
            Priority.SETTLE: settings.zoho_settle_budget_share,
            Priority.WEBHOOK: settings.zoho_webhook_budget_share,
            Priority.SYNC: settings.zoho_sync_budget_share,
            Priority.IMAGE: settings.zoho_image_budget_share,
        },
        # A sync (and the pictures after it) waits for its share as long as it takes: a large
        # catalog simply takes longer.
        max_wait={Priority.SYNC: None, Priority.IMAGE: None},
        default_max_wait=settings.zoho_budget_max_wait_seconds,
        daily_reserve_share=settings.zoho_daily_reserve_share,
        quota_pause_seconds=settings.zoho_quota_pause_seconds,
        max_concurrent=settings.zoho_max_concurrent_calls,
    )


def reset_time(value: str | None, now: float) -> float | None:
    """X-Rate-Limit-Reset as a UNIX time: seconds from now, or (when large) a UNIX time in s or ms."""
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    if number is None or number < 0:
        return None
    if number > 1e12:
        return number / 1000
    if number > 1e9:
        return number
    return now + number


def _json_number(value: Any) -> Any:
    """Decimals as JSON numbers (Zoho types rates and quantities as numbers, never strings)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _path_part(value: str) -> str:
    """One URL path segment: a Zoho id is digits, but nothing we are given reaches a URL unencoded."""
    if not value or value in {".", ".."}:
        raise ErpRejected(f"not a valid ERP id: {value!r}")
    return quote(value, safe="")


def _ids_param(ids: Sequence[str]) -> str:
    for value in ids:
        if not value or "," in value:
            raise ErpRejected(f"not a valid ERP id: {value!r}")
    return ",".join(ids)


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
        budget: BudgetPolicy | None = None,
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
        self._priority = Priority.PUSH
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
        policy = budget or BudgetPolicy(per_minute=requests_per_minute, default_max_wait=budget_max_wait)
        store = (
            RedisStore(redis, f"{key_prefix}:zoho:budget:{organization_id}")
            if redis is not None
            else LocalStore()
        )
        self.budget = RequestBudget(store, policy)

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
            redis=redis,
            key_prefix=settings.zoho_key_prefix,
            retry=RetryPolicy(
                attempts=settings.zoho_retry_attempts,
                base_delay=settings.zoho_retry_base_delay_seconds,
                deadline=settings.zoho_retry_deadline_seconds,
            ),
            budget=budget_policy(settings),
            refresh_margin=settings.zoho_token_refresh_margin_seconds,
            throttle_cooldown=settings.zoho_token_throttle_cooldown_seconds,
            rate_limit_cooldown=settings.zoho_rate_limit_cooldown_seconds,
        )

    def with_priority(self, priority: Priority) -> "ZohoClient":
        """The same client (connection, token, budget) whose calls draw on the budget at `priority`."""
        sibling = copy.copy(self)
        sibling._priority = priority
        return sibling

    async def aclose(self) -> None:
        await self._http.aclose()

    def call_counts(self) -> dict[str, int]:
        """Calls by outcome (ok, rate_limited, unavailable, auth_error, rejected, not_found), retries, refreshes."""
        return dict(self.counters)

    async def budget_remaining(self) -> int:
        remaining = await self.budget.remaining()
        ERP_BUDGET_REMAINING.set(remaining)
        return remaining

    async def daily_quota(self) -> DailyQuota | None:
        return await self.budget.daily()

    async def paused_until(self) -> float | None:
        """While the daily quota is spent: when ERP traffic may resume (a UNIX time)."""
        return await self.budget.paused_until()

    # --- items -------------------------------------------------------------------------------

    async def list_items(
        self, *, page: int = 1, modified_after: datetime | None = None, include_inactive: bool = True
    ) -> ItemPage:
        """One page of GET /items, oldest modification first."""
        params: dict[str, Any] = {
            "page": page,
            "per_page": PAGE_SIZE,
            "filter_by": "Status.All" if include_inactive else "Status.Active",
            "sort_column": "last_modified_time",
            "sort_order": "A",
        }
        if modified_after is not None:
            params["last_modified_time"] = format_zoho_time(modified_after)
        body = await self._read("list_items", "/items", params)
        items = body.get("items")
        if not isinstance(items, list):
            raise ErpUnavailable("the ERP item list answer has no items")
        return ItemPage(items=[item for item in items if isinstance(item, dict)], has_more=_has_more(body))

    async def get_item(self, item_id: str) -> dict[str, Any] | None:
        """The item, or None when the ERP says it does not exist (code 1002)."""
        try:
            body = await self._read("get_item", f"/items/{_path_part(item_id)}")
        except ErpNotFound:
            return None
        item = body.get("item")
        return item if isinstance(item, dict) else None

    async def get_item_details(self, item_ids: Sequence[str]) -> list[dict[str, Any]]:
        """GET /itemdetails: the items that exist among these ids, with their per-location stock."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(item_ids), DETAILS_BATCH):
            batch = item_ids[start : start + DETAILS_BATCH]
            body = await self._read("get_item_details", "/itemdetails", {"item_ids": _ids_param(batch)})
            items = body.get("items")
            if not isinstance(items, list):
                raise ErpUnavailable("the ERP item details answer has no items")
            found.extend(item for item in items if isinstance(item, dict))
        return found

    async def get_item_image(self, item_id: str, max_bytes: int) -> ItemImage | None:
        """GET /items/{id}/image: the picture's bytes and content type, or None when Zoho says there
        is none (code 1002). Raises ErpImageTooLarge past `max_bytes`, without reading the rest."""
        url_path = f"/items/{_path_part(item_id)}/image"

        async def send(token: str) -> ItemImage:
            return await self._send_for_image(url_path, token, max_bytes)

        try:
            return await self._attempt("get_item_image", send, retry=True)
        except ErpNotFound:
            return None

    async def list_locations(self) -> list[dict[str, Any]]:
        """GET /locations: the organisation's locations (location_id, location_name, is_primary...)."""
        body = await self._read("list_locations", "/locations")
        return [row for row in body.get("locations") or [] if isinstance(row, dict)]

    # --- price books ---------------------------------------------------------------------------

    async def get_pricebook(self, name: str) -> PriceBook | None:
        """The price book with this name and its per-item rates, or None when there is none.

        Raises ErpRejected for a book that gives no single rate per item (a percentage book or
        volume brackets): selling from it would price nothing or the wrong amount.
        """
        summary = await self._find_pricebook(name)
        if summary is None:
            return None
        pricebook_id = str(summary.get("pricebook_id") or "")
        path = f"/pricebooks/{_path_part(pricebook_id)}"

        async def send(token: str) -> PriceBookStream:
            return await self._send_for_price_book(path, token)

        try:
            answer = await self._attempt("get_pricebook", send, retry=True)
        except ErpNotFound:
            return None
        book = answer.fields
        kind = (
            str(book.get("pricebook_type") or summary.get("pricebook_type") or "per_item"),
            str(book.get("pricing_scheme") or summary.get("pricing_scheme") or "unit"),
        )
        if kind != SELLABLE_PRICEBOOK:
            raise ErpRejected(
                f"the price book {name!r} is {kind[0]} ({kind[1]}); only a per-item book with one "
                "rate per item (pricing scheme unit) can price the shop"
            )
        currency = book.get("currency_code") or summary.get("currency_code") or ""
        currency_id = book.get("currency_id") or summary.get("currency_id")
        return PriceBook(
            pricebook_id=pricebook_id,
            name=name,
            currency=str(currency),
            rates=answer.rates,
            currency_id=str(currency_id) if currency_id else None,
        )

    async def _find_pricebook(self, name: str) -> dict[str, Any] | None:
        page = 1
        while True:
            body = await self._read("list_pricebooks", "/pricebooks", {"page": page, "per_page": PAGE_SIZE})
            books = [book for book in body.get("pricebooks") or [] if isinstance(book, dict)]
            summary = next((book for book in books if book.get("name") == name), None)
            if summary is not None or not _has_more(body):
                return summary
            page += 1

    # --- contacts ------------------------------------------------------------------------------

    async def find_contact_by_email(self, email: str) -> str | None:
        """A customer whose email (or a contact person's email) is this one."""
        body = await self._read("find_contact", "/contacts", {"email": email})
        for contact in body.get("contacts") or []:
            if isinstance(contact, dict) and contact.get("contact_id") and _has_email(contact, email):
                return str(contact["contact_id"])
        return None

    async def find_contacts_by_name(self, name: str) -> list[dict[str, Any]]:
        body = await self._read("find_contact", "/contacts", {"contact_name": name})
        return [
            contact
            for contact in body.get("contacts") or []
            if isinstance(contact, dict) and contact.get("contact_id") and contact.get("contact_name") == name
        ]

    async def create_contact(
        self, name: str, email: str, phone: str | None, currency_id: str | None = None
    ) -> str:
        """POST /contacts; raises ErpContactNameTaken (code 3062) when the name is in use."""
        person: dict[str, Any] = {"first_name": name[:100], "email": email, "is_primary_contact": True}
        if phone:
            person["phone"] = phone
        payload: dict[str, Any] = {
            "contact_name": name,
            "contact_type": "customer",
            "contact_persons": [person],
        }
        if currency_id:
            payload["currency_id"] = currency_id
        body = await self._write("create_contact", "/contacts", payload)
        contact = body.get("contact")
        if not isinstance(contact, dict) or not contact.get("contact_id"):
            raise ErpUnavailable("the ERP contact answer has no contact_id")
        return str(contact["contact_id"])

    # --- sales orders --------------------------------------------------------------------------

    async def create_salesorder(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /salesorders; with a salesorder_number, Zoho's own numbering is turned off for it."""
        params = {"ignore_auto_number_generation": "true"} if payload.get("salesorder_number") else {}
        body = await self._write("create_salesorder", "/salesorders", payload, params)
        return _salesorder(body)

    async def get_salesorder(self, salesorder_id: str) -> dict[str, Any] | None:
        try:
            body = await self._read("get_salesorder", f"/salesorders/{_path_part(salesorder_id)}")
        except ErpNotFound:
            return None
        return _salesorder(body)

    async def list_salesorders(self, page: int) -> tuple[list[dict[str, Any]], bool]:
        """One page of GET /salesorders, with only the parameters Zoho documents (page, per_page)."""
        body = await self._read("list_salesorders", "/salesorders", {"page": page, "per_page": PAGE_SIZE})
        orders = body.get("salesorders") or body.get("sales_orders") or []
        return [order for order in orders if isinstance(order, dict)], _has_more(body)

    async def confirm_salesorders(self, salesorder_ids: Sequence[str]) -> None:
        """POST /salesorders/status/confirmed: confirm several draft sales orders in one call."""
        params = {"salesorder_ids": _ids_param(salesorder_ids)}
        await self._write("confirm_salesorders", "/salesorders/status/confirmed", None, params)

    async def confirm_salesorder(self, salesorder_id: str) -> None:
        path = f"/salesorders/{_path_part(salesorder_id)}/status/confirmed"
        await self._write("confirm_salesorder", path, None)

    async def void_salesorder(self, salesorder_id: str) -> None:
        await self._write("void_salesorder", f"/salesorders/{_path_part(salesorder_id)}/status/void", None)

    # --- transport ---------------------------------------------------------------------------

    async def _read(self, operation: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._call(operation, "GET", path, params or {}, None, retry=True)

    async def _write(
        self,
        operation: str,
        path: str,
        payload: dict[str, Any] | None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        return await self._call(operation, "POST", path, dict(params or {}), payload, retry=False)

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
        async def send(token: str) -> dict[str, Any]:
            return await self._send(method, path, params, payload, token)

        return await self._attempt(operation, send, retry=retry)

    async def _attempt(
        self, operation: str, send: Callable[[str], Awaitable[_Answer]], *, retry: bool
    ) -> _Answer:
        """One call (`send` with a token) within the budget, retried as the policy says."""
        deadline = time.monotonic() + self._retry.deadline
        attempt = 1
        refreshed = False
        while True:
            try:
                token = await self.tokens.get()
                await self.budget.acquire(self._priority)
                async with self.budget.in_flight():
                    body = await send(token)
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
            except ErpQuotaExhausted as exc:
                self._count(operation, _outcome(exc))
                if exc.status == 429:
                    exc.until = await self.budget.pause_for_quota(exc.until or None)
                    log.warning("zoho_daily_quota_spent", operation=operation, until=exc.until)
                raise
            except ErpError as exc:
                if not isinstance(exc, ErpTokenThrottled):
                    self._count(operation, _outcome(exc))
                answered_429 = isinstance(exc, ErpRateLimited) and exc.status == 429
                if answered_429 and exc.code == PER_MINUTE_LIMIT_CODE:
                    # The org is over Zoho's per-minute limit: every process sharing the budget holds off.
                    await self.budget.block(self._rate_limit_cooldown)
                delay = self._retry.delay(attempt)
                # A 429 was refused before anything was done, so even a write may be sent again.
                retryable = (
                    (retry or answered_429) and exc.retryable and not isinstance(exc, ErpTokenThrottled)
                )
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
                    content=orjson.dumps(payload, default=_json_number),
                )
        except httpx.TransportError as exc:
            raise ErpUnavailable(f"the ERP did not answer ({type(exc).__name__})") from None
        await self._observe_quota(response.headers)
        return _parse(response)

    async def _send_for_price_book(self, path: str, token: str) -> PriceBookStream:
        """A price book, read as it arrives (storefront.erp.price_books); any other answer whole."""
        url = resolve_api_url(self._api_url, self.tokens.api_domain) + path
        query = {"organization_id": self._organization_id}
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        answer = PriceBookStream()
        try:
            async with self._http.stream("GET", url, params=query, headers=headers) as response:
                await self._observe_quota(response.headers)
                if response.status_code != 200:
                    await response.aread()
                    _parse(response)
                async for chunk in response.aiter_bytes():
                    answer.feed(chunk)
                answer.close()
        except httpx.TransportError as exc:
            raise ErpUnavailable(f"the ERP did not answer ({type(exc).__name__})") from None
        if not (answer.readable and answer.is_object):
            raise ErpUnavailable("the ERP answered 200 without a JSON object", status=200)
        error = _answer_error(200, answer.code, answer.message[:200])
        if error is not None:
            raise error
        return answer

    async def _send_for_image(self, path: str, token: str, max_bytes: int) -> ItemImage:
        """The picture, streamed and cut off past `max_bytes`; a JSON answer is Zoho's error."""
        url = resolve_api_url(self._api_url, self.tokens.api_domain) + path
        request = self._http.build_request(
            "GET",
            url,
            params={"organization_id": self._organization_id},
            headers={"Authorization": f"Zoho-oauthtoken {token}", "Accept": "image/*, application/json"},
        )
        try:
            response = await self._http.send(request, stream=True)
            try:
                await self._observe_quota(response.headers)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if response.status_code != 200 or content_type in {"application/json", "text/json"}:
                    await response.aread()
                    _parse(response)
                    raise ErpUnavailable("the ERP answered the picture request without a picture")
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content.extend(chunk)
                    if len(content) > max_bytes:
                        raise ErpImageTooLarge(f"the item's picture is larger than {max_bytes} bytes")
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise ErpUnavailable(f"the ERP did not answer ({type(exc).__name__})") from None
        return ItemImage(bytes(content), content_type)

    async def _observe_quota(self, headers: httpx.Headers) -> None:
        """Record the daily quota Zoho reports, so every process (and the dashboard) knows it."""
        limit, remaining = headers.get("x-rate-limit-limit"), headers.get("x-rate-limit-remaining")
        if not (limit and remaining and limit.isdigit() and remaining.lstrip("-").isdigit()):
            return
        now = time.time()
        reset_at = reset_time(headers.get("x-rate-limit-reset"), now) or now + 86400
        quota = DailyQuota(limit=int(limit), remaining=max(int(remaining), 0), reset_at=reset_at)
        ERP_DAILY_QUOTA_REMAINING.set(quota.remaining)
        await self.budget.observe(quota)


def _has_more(body: dict[str, Any]) -> bool:
    context = body.get("page_context")
    return isinstance(context, dict) and context.get("has_more_page") is True


def _has_email(contact: dict[str, Any], email: str) -> bool:
    wanted = email.lower()
    emails = {str(contact.get("email") or "").lower()}
    for person in contact.get("contact_persons") or []:
        if isinstance(person, dict):
            emails.add(str(person.get("email") or "").lower())
    return wanted in emails


def _salesorder(body: dict[str, Any]) -> dict[str, Any]:
    order = body.get("salesorder") or body.get("sales_order")
    if not isinstance(order, dict):
        raise ErpUnavailable("the ERP sales order answer has no sales order")
    return order


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
    if status == 429 and code == DAILY_QUOTA_CODE:
        until = reset_time(response.headers.get("x-rate-limit-reset"), time.time()) or 0.0
        raise ErpQuotaExhausted(
            f"the ERP's daily quota is spent: {message or 'too many requests'}",
            until=until,
            status=429,
            code=code,
        )
    if status == 429:
        raise ErpRateLimited(
            f"the ERP rate limit is reached: {message or 'too many requests'}", status=status, code=code
        )
    if status >= 500:
        raise ErpUnavailable(
            f"the ERP failed ({status}): {message or 'server error'}", status=status, code=code
        )
    error = _answer_error(status, code, message)
    if error is not None:
        raise error
    if body is None:
        raise ErpUnavailable(f"the ERP answered {status} without a JSON object", status=status)
    return body


def _answer_error(status: int, code: Any, message: str) -> ErpError | None:
    """What an answer the ERP gave (not a refused token, a limit or a failure) says went wrong."""
    if code == NOT_FOUND_CODE:
        return ErpNotFound(message or "not found in the ERP", status=status, code=code)
    if status == 404:
        return ErpMisconfigured(
            f"the ERP answered 404 without code {NOT_FOUND_CODE} ({message or 'no such resource'}): "
            "check STOREFRONT_ZOHO_API_URL and STOREFRONT_ZOHO_REGION",
            status=status,
            code=code,
        )
    if status >= 400 and code == CONTACT_NAME_TAKEN_CODE:
        return ErpContactNameTaken(f"the ERP has a contact of that name: {message}", status=status, code=code)
    if status >= 400:
        return ErpRejected(f"the ERP rejected the call: {message or status}", status=status, code=code)
    if code not in (0, None):
        return ErpRejected(f"the ERP rejected the call: {message}", status=status, code=code)
    return None
