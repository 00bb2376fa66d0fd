from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from storefront.app import create_app
from storefront.config import Settings
from storefront.erp.zoho import ZohoClient
from storefront.orders.service import order_hooks
from storefront.orders.worker import OrderPusher
from storefront.sync.settle import ReservationSettler
from tests.support.catalog import seed, zoho_item
from tests.support.emulator import EmulatorHandle


@pytest.fixture
async def products(settings: Settings) -> dict[str, dict[str, Any]]:
    """A small mirrored catalog; orders may name products by ERP item id."""
    items = {
        "tea": zoho_item("Black Tea 500 g", stock=10, rate=3500),
        "rice": zoho_item("Basmati Rice 5 kg", category="Rice & Grains", stock=2, rate=15000),
        "soap": zoho_item("Bath Soap 4 pack", category="Personal Care", stock=1, rate=3000),
        "hot": zoho_item("Hot Item", stock=50, rate=1250),
        "inactive": zoho_item("Old Tea 250 g", stock=30, status="inactive"),
        "unpriced": zoho_item("Green Tea 100 g", stock=30),
    }
    await seed(settings, list(items.values()), unpriced={items["unpriced"]["item_id"]})
    return items


def item_id(products: dict[str, dict[str, Any]], name: str) -> str:
    value: str = products[name]["item_id"]
    return value


@dataclass
class Shop:
    """The service wired to the emulator: its HTTP API, and push workers to run by hand."""

    http: httpx.AsyncClient
    app: FastAPI
    settings: Settings
    emulator: EmulatorHandle
    erp_clients: list[ZohoClient] = field(default_factory=list)

    def in_process_pusher(self) -> OrderPusher:
        """A push worker on the service's own ERP client, as an API process runs it (what it
        learns of the ERP's budget and quota, the service's readiness reports)."""
        return OrderPusher(self.app.state.db, self.app.state.erp, self.settings, hooks=order_hooks(self.app))

    def pusher(self, **overrides: Any) -> OrderPusher:
        settings = self.settings.model_copy(update=overrides)
        erp = ZohoClient.from_settings(
            settings, api_url=self.emulator.api_url, accounts_url=self.emulator.url
        )
        self.erp_clients.append(erp)
        return OrderPusher(self.app.state.db, erp, settings, hooks=order_hooks(self.app))

    def settler(self, interval_seconds: float = 10.0) -> ReservationSettler:
        erp = ZohoClient.from_settings(
            self.settings, api_url=self.emulator.api_url, accounts_url=self.emulator.url
        )
        self.erp_clients.append(erp)
        return ReservationSettler(self.app.state.db, erp, interval_seconds)

    async def stock(self, item: dict[str, Any]) -> int:
        response = await self.http.get(f"/api/consumer/products/{item['item_id']}")
        assert response.status_code == 200, response.text
        value: int = response.json()["data"]["stock"]
        return value

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/consumer/orders/{order_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()["data"]
        return body


@pytest.fixture
def push_settings(emulator: EmulatorHandle, make_settings: Callable[..., Settings]) -> Settings:
    """Retries due at once (no backoff) and no retries hidden inside the ERP client."""
    return make_settings(
        **emulator.settings_overrides(),
        order_push_backoff_base_seconds=0,
        order_push_backoff_cap_seconds=0,
        zoho_retry_attempts=1,
        zoho_budget_max_wait_seconds=0,
    )


@pytest.fixture
async def shop(push_settings: Settings, emulator: EmulatorHandle) -> AsyncIterator[Shop]:
    application = create_app(push_settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as http:
            shop = Shop(http, application, push_settings, emulator)
            try:
                yield shop
            finally:
                for erp in shop.erp_clients:
                    await erp.aclose()


@pytest.fixture
async def erp_products(shop: Shop) -> dict[str, dict[str, Any]]:
    """Items the ERP and our mirror agree on, plus one the ERP does not know (its orders are refused)."""
    items = {
        "tea": zoho_item("Black Tea 500 g", stock=10, rate=3500),
        "rice": zoho_item("Basmati Rice 5 kg", category="Rice & Grains", stock=5, rate=15000),
        "ghost": zoho_item("Withdrawn Item", stock=10, rate=500),
    }
    await shop.emulator.control.put_items([items["tea"], items["rice"]], webhooks=False)
    await seed(shop.settings, list(items.values()))
    return items
