"""`storefront sync` in a subprocess, against the emulator over HTTP and the test database."""

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from storefront.config import Settings
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle
from tests.sync.conftest import PRICE_BOOK, listed_products

pytestmark = pytest.mark.asyncio

STOREFRONT = str(Path(sys.executable).with_name("storefront"))


async def storefront(settings: Settings, *args: str) -> tuple[int, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("STOREFRONT_")}
    env.update(
        STOREFRONT_DATABASE_URL=settings.database_url,
        STOREFRONT_ERP="zoho",
        STOREFRONT_ZOHO_ACCOUNTS_URL=settings.zoho_accounts_url,
        STOREFRONT_ZOHO_API_URL=settings.zoho_api_url,
        STOREFRONT_ZOHO_CLIENT_ID=settings.zoho_client_id,
        STOREFRONT_ZOHO_CLIENT_SECRET=settings.zoho_client_secret.get_secret_value(),
        STOREFRONT_ZOHO_REFRESH_TOKEN=settings.zoho_refresh_token.get_secret_value(),
        STOREFRONT_ZOHO_ORGANIZATION_ID=settings.zoho_organization_id,
        STOREFRONT_PRICE_LIST=settings.price_list,
        STOREFRONT_LOG_LEVEL="WARNING",
        COLUMNS="120",
    )
    process = await asyncio.create_subprocess_exec(
        STOREFRONT,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, output.decode()


@pytest.fixture
async def erp_items(emulator: EmulatorHandle) -> list[dict[str, Any]]:
    items = [zoho_item(f"Cli Item {n}", stock=5 + n, rate=1000 + n) for n in range(3)]
    await emulator.control.put_items(items, webhooks=False)
    await emulator.control.set_pricebook(PRICE_BOOK, {item["item_id"]: item["rate"] for item in items})
    return items


async def test_cli_full_sync_prints_a_summary_and_fills_the_shop(
    sync_settings: Settings, shop: httpx.AsyncClient, erp_items: list[dict[str, Any]]
) -> None:
    code, output = await storefront(sync_settings, "sync", "--mode", "full")

    assert code == 0, output
    assert "completed" in output
    assert "Created" in output
    assert "3" in output
    assert set(await listed_products(shop)) == {item["item_id"] for item in erp_items}


async def test_cli_item_sync_reads_only_the_named_items(
    emulator: EmulatorHandle,
    sync_settings: Settings,
    shop: httpx.AsyncClient,
    erp_items: list[dict[str, Any]],
) -> None:
    wanted = f"{erp_items[0]['item_id']},{erp_items[2]['item_id']}"

    code, output = await storefront(sync_settings, "sync", "--items", wanted)

    assert code == 0, output
    assert "items" in output
    # Both in one bulk read.
    assert await emulator.control.calls("GET /itemdetails", 200) == 1
    assert set(await listed_products(shop)) == {erp_items[0]["item_id"], erp_items[2]["item_id"]}


async def test_cli_refuses_an_unknown_mode(sync_settings: Settings, shop: httpx.AsyncClient) -> None:
    code, output = await storefront(sync_settings, "sync", "--mode", "sometimes")

    assert code == 2
    assert "Invalid sync request" in output
    assert await listed_products(shop) == {}


async def test_cli_sync_that_fails_exits_non_zero(
    emulator: EmulatorHandle, sync_settings: Settings, erp_items: list[dict[str, Any]]
) -> None:
    await emulator.control.faults(down=True)

    code, output = await storefront(sync_settings, "sync", "--mode", "full")

    assert code == 1
    assert "failed" in output
    assert "ERP error" in output
    assert "Traceback" not in output
