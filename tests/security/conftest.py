"""The security suite: apps with the production defaults of every limit, and clients with an address."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from storefront.config import Settings
from tests.support.cache import running_app

SHOPPER = "203.0.113.7"
OTHER_SHOPPER = "198.51.100.23"


def default(name: str) -> Any:
    return Settings.model_fields[name].default


@pytest.fixture
def secure_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """Settings with the production rate limits (the suite's own settings loosen them)."""

    def make(**overrides: Any) -> Settings:
        values = {
            "rate_limit_orders": default("rate_limit_orders"),
            "rate_limit_quotes": default("rate_limit_quotes"),
            "rate_limit_admin_failures": default("rate_limit_admin_failures"),
            **overrides,
        }
        return make_settings(**values)

    return make


def client_of(app: FastAPI, address: str = SHOPPER) -> httpx.AsyncClient:
    """An HTTP client of the app whose connection comes from `address`."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://storefront.test")


@asynccontextmanager
async def shop(settings: Settings, address: str = SHOPPER) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(settings) as application, client_of(application, address) as client:
        yield client
