"""Everything the emulator remembers: credentials, tokens, items, price books, contacts, orders, faults."""

import secrets
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from random import Random
from typing import Any

from storefront.erp.emulator.store import ItemStore

DEMO_PRICE_BOOK = "consumer_iqd"
DEMO_CURRENCY = "IQD"


@dataclass
class EmulatorConfig:
    """Options of one emulator; the defaults accept the credentials `emulator` and organization `1`."""

    client_id: str = "emulator"
    client_secret: str = "emulator"  # noqa: S105 - the emulator's well-known default
    refresh_token: str = "emulator"  # noqa: S105
    organization_id: str = "1"
    rate_limit_per_minute: int = 100
    token_ttl_seconds: int = 3600
    token_requests_per_window: int = 10
    token_window_seconds: float = 600.0
    max_live_tokens: int = 10
    webhook_url: str | None = None
    webhook_secret: str | None = None
    demo_items: int = 0
    # Real answers say "salesorder"; one Zoho spec says "sales_order". Clients must take both.
    salesorder_answer_key: str = "salesorder"

    def update(self, values: dict[str, Any]) -> None:
        known = {item.name: item.type for item in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown option {key!r}")
            setattr(self, key, value)


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
class PriceBookRecord:
    pricebook_id: str
    name: str
    currency_code: str
    rates: dict[str, Decimal]


@dataclass
class TokenRecord:
    refresh_token: str
    expires_at: float


@dataclass
class EmulatorState:
    config: EmulatorConfig
    items: ItemStore = field(default_factory=ItemStore)
    pricebooks: dict[str, PriceBookRecord] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    salesorders: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    tokens: dict[str, TokenRecord] = field(default_factory=dict)
    live_tokens: dict[str, deque[str]] = field(default_factory=dict)
    token_requests: dict[str, deque[float]] = field(default_factory=dict)
    api_calls: dict[str, deque[float]] = field(default_factory=dict)
    calls: Counter[tuple[str, int]] = field(default_factory=Counter)
    random: Random = field(default_factory=lambda: Random(20261127))
    _next_id: int = 460000000000000

    @classmethod
    def create(cls, config: EmulatorConfig | None = None) -> "EmulatorState":
        state = cls(config=config or EmulatorConfig())
        state.load_demo_catalog()
        return state

    def reset(self) -> None:
        """Forget everything but the configured options; reload the demo catalog when configured."""
        self.items.clear()
        self.pricebooks.clear()
        self.contacts.clear()
        self.salesorders.clear()
        self.faults = Faults()
        self.tokens.clear()
        self.live_tokens.clear()
        self.token_requests.clear()
        self.api_calls.clear()
        self.calls.clear()
        self.load_demo_catalog()

    def load_demo_catalog(self) -> None:
        if self.config.demo_items <= 0:
            return
        items, rates = _demo_catalog(self.config.demo_items)
        self.items.load(items)
        self.set_pricebook(DEMO_PRICE_BOOK, DEMO_CURRENCY, rates)

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    # --- price books -------------------------------------------------------------------------

    def set_pricebook(self, name: str, currency: str, rates: dict[str, Any]) -> PriceBookRecord:
        parsed: dict[str, Decimal] = {}
        for item_id, rate in rates.items():
            try:
                amount = Decimal(str(rate))
            except InvalidOperation as exc:
                raise ValueError(f"rate for {item_id} is not a number") from exc
            if not amount.is_finite() or amount < 0:
                raise ValueError(f"rate for {item_id} must be a number at least 0")
            parsed[str(item_id)] = amount
        existing = self.pricebooks.get(name)
        record = PriceBookRecord(
            pricebook_id=existing.pricebook_id if existing else self.new_id(),
            name=name,
            currency_code=currency,
            rates=parsed,
        )
        self.pricebooks[name] = record
        return record

    def pricebook_by_id(self, pricebook_id: str) -> PriceBookRecord | None:
        return next((book for book in self.pricebooks.values() if book.pricebook_id == pricebook_id), None)

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

    # --- rate limit --------------------------------------------------------------------------

    def over_rate_limit(self, organization_id: str, now: float) -> bool:
        limit = self.config.rate_limit_per_minute
        if limit <= 0:
            return False
        window = self.api_calls.setdefault(organization_id, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) >= limit:
            return True
        window.append(now)
        return False

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
        }


@lru_cache(maxsize=4)
def _demo_catalog(count: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The demo catalog is deterministic: build it once per size (the store copies what it loads)."""
    from storefront.demo.catalog import demo_consumer_rates, demo_items

    items = demo_items(count)
    return items, demo_consumer_rates(items)


def today() -> str:
    return datetime.now(UTC).date().isoformat()
