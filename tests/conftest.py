from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from storefront.app import create_app
from storefront.config import Settings
from tests.support.databases import TestDatabase, create_test_database, drop_test_database

pytest_plugins = ["tests.support.emulator", "tests.support.replica"]

ADMIN_TOKEN = "test-admin-token-0123456789"


@pytest.fixture(scope="session")
async def test_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestDatabase]:
    database = await create_test_database(Path(tmp_path_factory.mktemp("db")))
    yield database
    await drop_test_database(database)


@pytest.fixture
async def clean_database(test_database: TestDatabase) -> AsyncIterator[TestDatabase]:
    yield test_database
    await test_database.truncate_all()


@pytest.fixture
def make_settings(clean_database: TestDatabase, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": clean_database.url,
            # The tests choose the built-in emulator; a test that talks to its own sets ERP=zoho.
            "erp": "emulator",
            "data_dir": tmp_path / "data",
            "admin_token": ADMIN_TOKEN,
            "run_background_tasks": False,
            "log_json": True,
            # Most tests place orders and quote carts faster than a shopper would; the limits
            # themselves are tested in tests/security with their production defaults.
            "rate_limit_orders": "1000000/second",
            "rate_limit_quotes": "1000000/second",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as http:
        yield http


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
