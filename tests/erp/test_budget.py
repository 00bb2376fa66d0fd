"""The organisation's ERP budget, shared through real Redis: priorities, calls in flight, regions."""

import asyncio
import time

import pytest
from redis.asyncio import Redis

from storefront.config import Settings
from storefront.erp.budget import BudgetPolicy, Priority
from tests.erp.conftest import MakeClient
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle


async def test_a_sync_waits_for_its_share_while_order_pushes_still_get_calls(
    emulator: EmulatorHandle, make_client: MakeClient, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    item = zoho_item("Shared")
    await emulator.control.put_items([item])
    policy = BudgetPolicy(per_minute=10, shares={Priority.SYNC: 0.5}, max_wait={Priority.SYNC: None})
    client = make_client(redis=redis, key_prefix=prefix, budget=policy)
    sync, push = client.with_priority(Priority.SYNC), client.with_priority(Priority.PUSH)
    for _ in range(5):
        await sync.get_item(item["item_id"])
    # The sync's half of the minute is spent: its next call waits instead of failing...
    waiting = asyncio.create_task(sync.get_item(item["item_id"]))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    # ...while order pushes go first, up to the whole budget.
    for _ in range(5):
        assert await push.get_item(item["item_id"]) is not None
    assert await client.budget_remaining() == 0
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await emulator.control.calls("GET /items/{id}", 200) == 10


async def test_calls_in_flight_are_capped_across_processes(
    emulator: EmulatorHandle, make_client: MakeClient, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    item = zoho_item("One at a time")
    await emulator.control.put_items([item])
    policy = BudgetPolicy(per_minute=100, max_concurrent=1)
    first = make_client(redis=redis, key_prefix=prefix, budget=policy)
    second = make_client(redis=redis, key_prefix=prefix, budget=policy)
    await first.get_item(item["item_id"])  # both hold a token before the clock starts
    await second.get_item(item["item_id"])
    await emulator.control.faults(latency_ms=200)
    started = time.monotonic()
    await asyncio.gather(*(client.get_item(item["item_id"]) for client in (first, second, first, second)))
    # Four calls of 200 ms, never two at once: at least 800 ms, whichever process made them.
    assert time.monotonic() - started >= 0.8


@pytest.mark.parametrize(
    ("region", "accounts", "api"),
    [
        ("com", "https://accounts.zoho.com", "https://www.zohoapis.com/inventory/v1"),
        ("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu/inventory/v1"),
        ("com.au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au/inventory/v1"),
        ("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca/inventory/v1"),
        ("com.cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn/inventory/v1"),
    ],
)
def test_the_region_sets_both_hosts(
    monkeypatch: pytest.MonkeyPatch, region: str, accounts: str, api: str
) -> None:
    monkeypatch.setenv("STOREFRONT_ZOHO_REGION", region)
    settings = Settings(_env_file=None)
    assert (settings.zoho_accounts_url, settings.zoho_api_url) == (accounts, api)


def test_explicit_urls_override_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREFRONT_ZOHO_REGION", "eu")
    monkeypatch.setenv("STOREFRONT_ZOHO_API_URL", "https://www.zohoapis.eu/books/v3")
    settings = Settings(_env_file=None)
    assert settings.zoho_accounts_url == "https://accounts.zoho.eu"
    assert settings.zoho_api_url == "https://www.zohoapis.eu/books/v3"


def test_an_unknown_region_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREFRONT_ZOHO_REGION", "mars")
    with pytest.raises(ValueError, match="zoho_region"):
        Settings(_env_file=None)
