"""Everything the emulator remembers: credentials, tokens, items, price books, contacts, orders, faults."""

import secrets
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from random import Random
from typing import Any

from storefront.erp.emulator.catalogs import Currencies, Locations, PriceBooks
from storefront.erp.emulator.quota import Quotas
from storefront.erp.emulator.recorder import RequestLog
from storefront.erp.emulator.store import ItemStore
from storefront.erp.items import format_zoho_time

DEMO_PRICE_BOOK = "consumer_iqd"
DEMO_CURRENCY = "IQD"
WEBHOOK_FORMATS = ("json", "form")
WEBHOOK_SIGNATURES = ("body", "billing")
_CHOICES = {
    "webhook_format": WEBHOOK_FORMATS,
    "webhook_signature": WEBHOOK_SIGNATURES,
    "salesorder_answer_key": ("salesorder", "sales_order"),
}


@dataclass
class EmulatorConfig:
    """Options of one emulator; the defaults accept the credentials `emulator` and organization `1`."""

    client_id: str = "emulator"
    client_secret: str = "emulator"  # noqa: S105 - the emulator's well-known default
    refresh_token: str = "emulator"  # noqa: S105
    organization_id: str = "1"
    organization_name: str = "Storefront Demo Distributor"
    base_currency: str = DEMO_CURRENCY
    rate_limit_per_minute: int = 100
    # Zoho's daily cap per organisation (1,000 to 10,000 by plan); 0 turns it off.
    daily_quota: int = 10_000
    daily_quota_reset_time: str = "00:00"  # UTC time of day the daily quota resets
    daily_quota_period_seconds: float = 0.0  # when above 0: reset this long after the quota's day began
    concurrent_call_limit: int = 10  # calls in flight at once per organisation; 0 turns it off
    token_ttl_seconds: int = 3600
    token_requests_per_window: int = 10
    token_window_seconds: float = 600.0
    max_live_tokens: int = 10
    request_log_size: int = 10_000
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_format: str = "json"  # "json" ({"item": {...}}) or "form" (item=<the item as JSON>)
    webhook_signature: str = "body"  # "body" (HMAC of the raw body) or "billing" (Zoho Billing's string)
    demo_items: int = 0
    # Real answers say "salesorder"; one Zoho spec says "sales_order". Clients must take both.
    salesorder_answer_key: str = "salesorder"
    # Lenient switches: each turns one of Zoho's refusals off, for tests of clients that still
    # break that rule. Production-like use leaves them all off.

    def update(self, values: dict[str, Any]) -> None:
        """Set options after checking every one; nothing changes when one is refused."""
        checked = {key: self._checked(key, value) for key, value in values.items()}
        for key, value in checked.items():
            setattr(self, key, value)

    def _checked(self, key: str, value: Any) -> Any:
        if key not in {item.name for item in fields(self)}:
            raise ValueError(f"unknown option {key!r}")
        default = getattr(EmulatorConfig(), key)
        if value is None and key in {"webhook_url", "webhook_secret"}:
            return None
        if isinstance(default, bool) or isinstance(value, bool):
            if not (isinstance(default, bool) and isinstance(value, bool)):
                raise ValueError(f"{key} must be true or false")
            return value
        if isinstance(default, int | float):
            if not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{key} must be a number at least 0")
            if isinstance(default, int) and int(value) != value:
                raise ValueError(f"{key} must be a whole number")
            return type(default)(value)
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ValueError(f"{key} must be one of {', '.join(_CHOICES[key])}")
        if key == "daily_quota_reset_time":
            _reset_time(value)
        return value


def _reset_time(value: str) -> tuple[int, int]:
    try:
        moment = datetime.strptime(value, "%H:%M")
    except ValueError as exc:
        raise ValueError("daily_quota_reset_time must be HH:MM (UTC)") from exc
    return moment.hour, moment.minute


@dataclass
class Faults:
    rate_limited: bool = False
    error_rate: float = 0.0
    latency_ms: int = 0
    down: bool = False
    expire_tokens: bool = False
    lose_order_answers: int = 0
    fail_next: int = 0
    rate_limit_next: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TokenRecord:
    refresh_token: str
    expires_at: float


@dataclass
class EmulatorState:
    config: EmulatorConfig
    items: ItemStore = field(default_factory=ItemStore)
    currencies: Currencies = field(default_factory=Currencies)
    locations: Locations = field(default_factory=Locations)
    pricebooks: PriceBooks = field(default_factory=PriceBooks)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    salesorders: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    tokens: dict[str, TokenRecord] = field(default_factory=dict)
    live_tokens: dict[str, deque[str]] = field(default_factory=dict)
    token_requests: dict[str, deque[float]] = field(default_factory=dict)
    quotas: Quotas = field(default_factory=Quotas)
    requests: RequestLog = field(default_factory=RequestLog)
    calls: Counter[tuple[str, int]] = field(default_factory=Counter)
    random: Random = field(default_factory=lambda: Random(20261127))
    _next_id: int = 460000000000000

    @classmethod
    def create(cls, config: EmulatorConfig | None = None) -> "EmulatorState":
        state = cls(config=config or EmulatorConfig())
        state.reset()
        return state

    def reset(self) -> None:
        """Forget everything but the configured options; reload the demo catalog when configured."""
        self.items.clear()
        self.currencies.reset(self.config.base_currency)
        self.locations.reset()
        self.pricebooks.clear()
        self.contacts.clear()
        self.salesorders.clear()
        self.faults = Faults()
        self.tokens.clear()
        self.live_tokens.clear()
        self.token_requests.clear()
        self.quotas.reset(time.time())
        self.requests.clear()
        self.calls.clear()
        self.load_demo_catalog()

    def load_demo_catalog(self) -> None:
        if self.config.demo_items <= 0:
            return
        items, rates = _demo_catalog(self.config.demo_items)
        self.items.load(items, self.locations.primary())
        self.set_pricebook(DEMO_PRICE_BOOK, {"currency": DEMO_CURRENCY, "rates": rates})

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def set_pricebook(self, name: str, body: dict[str, Any]) -> Any:
        currency = body.get("currency") or self.config.base_currency
        if not isinstance(currency, str):
            raise ValueError("currency must be a string")
        self.currencies.ensure(currency)
        return self.pricebooks.put(name, currency, body)

    # --- OAuth -------------------------------------------------------------------------------

    def token_throttled(self, refresh_token: str, now: float) -> bool:
        """Record a token request; True when it is past the per-refresh-token throttle."""
        window = self.token_requests.setdefault(refresh_token, deque())
        while window and window[0] <= now - self.config.token_window_seconds:
            window.popleft()
        if len(window) >= self.config.token_requests_per_window:
            return True
        window.append(now)
        return False

    def issue_token(self, refresh_token: str, now: float) -> str:
        token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        self.tokens[token] = TokenRecord(refresh_token, now + self.config.token_ttl_seconds)
        live = self.live_tokens.setdefault(refresh_token, deque())
        live.append(token)
        while len(live) > self.config.max_live_tokens:
            self.tokens.pop(live.popleft(), None)
        return token

    def token_valid(self, token: str, now: float) -> bool:
        record = self.tokens.get(token)
        return record is not None and record.expires_at > now

    def expire_all_tokens(self) -> None:
        for record in self.tokens.values():
            record.expires_at = 0.0

    # --- stats -------------------------------------------------------------------------------

    def record_call(self, endpoint: str, status: int) -> None:
        self.calls[(endpoint, status)] += 1

    def stats(self) -> dict[str, Any]:
        by_endpoint: dict[str, dict[str, int]] = {}
        for (endpoint, status), count in sorted(self.calls.items()):
            by_endpoint.setdefault(endpoint, {})[str(status)] = count
        now = time.monotonic()
        return {
            "calls": by_endpoint,
            "total_calls": sum(self.calls.values()),
            "live_tokens": sum(1 for record in self.tokens.values() if record.expires_at > now),
            "items": len(self.items),
            "salesorders": len(self.salesorders),
            "contacts": len(self.contacts),
            "faults": self.faults.as_dict(),
            "quota": self.quotas.status(self.config, self.config.organization_id, time.time()),
        }


@lru_cache(maxsize=4)
def _demo_catalog(count: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The demo catalog is deterministic: build it once per size (the store copies what it loads)."""
    from storefront.demo.catalog import demo_consumer_rates, demo_items

    items = demo_items(count)
    return items, demo_consumer_rates(items)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def now_text() -> str:
    return format_zoho_time(datetime.now(UTC))


def as_decimal(value: Any) -> Decimal:
    return Decimal(str(value))
