"""The real ZohoClient against the emulator over real HTTP."""

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import Redis

from storefront.erp.errors import (
    ErpAuthError,
    ErpRateLimited,
    ErpRejected,
    ErpTokenThrottled,
    ErpUnavailable,
)
from storefront.erp.retry import RetryPolicy
from storefront.erp.zoho import ZohoClient, resolve_api_url
from storefront.logging import configure_logging
from storefront.orders.salesorders import find_by_number
from storefront.sync.listing import Cursor, list_modified
from tests.erp.conftest import MakeClient
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle

TOKEN_ENDPOINT = "POST /oauth/v2/token"


async def all_pages(client: ZohoClient, modified_after: datetime | None = None) -> list[list[dict[str, Any]]]:
    """Every item modified after the mark, as the sync reads them: page by page, skipping none."""
    return [page.items async for page in list_modified(client, Cursor(modified_after))]


async def customer(client: ZohoClient) -> str:
    return await client.create_contact("Noor Ali", "noor@example.com", "+9647700000000")


def order_payload(
    customer_id: str, item_id: str, reference: str, number: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "customer_id": customer_id,
        "reference_number": reference,
        "line_items": [{"item_id": item_id, "rate": 1500, "quantity": 2}],
    }
    if number:
        payload["salesorder_number"] = number
    return payload


async def test_the_listing_follows_has_more_page_and_reads_each_item_once(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    items = [zoho_item(f"Paged {n}") for n in range(450)]
    await emulator.control.put_items(items)
    pages = await all_pages(make_client())
    read = [item["item_id"] for page in pages for item in page]
    assert sorted(read) == sorted(item["item_id"] for item in items)
    # All 450 share one second: the listing turns the pages within it.
    assert [len(page) for page in pages] == [200, 200, 50]
    assert await emulator.control.calls("GET /items", 200) == 3


async def test_inactive_items_are_left_out_on_request(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    active, inactive = zoho_item("Active"), zoho_item("Inactive", status="inactive")
    await emulator.control.put_items([active, inactive])
    client = make_client()
    everything = [item["item_id"] for item in (await client.list_items()).items]
    only_active = [item["item_id"] for item in (await client.list_items(include_inactive=False)).items]
    assert sorted(everything) == sorted([active["item_id"], inactive["item_id"]])
    assert only_active == [active["item_id"]]


async def test_modified_since_reads_only_later_changes(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    emulator.state.items.load([zoho_item(f"Old {n}") for n in range(5)])
    changed = [zoho_item("New A"), zoho_item("New B")]
    await emulator.control.put_items(changed)
    pages = await all_pages(make_client(), modified_after=datetime(2026, 11, 15, tzinfo=UTC))
    assert sorted(item["item_id"] for page in pages for item in page) == sorted(i["item_id"] for i in changed)


async def test_one_token_serves_many_calls(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    client = make_client()
    await asyncio.gather(*(client.get_item(str(n)) for n in range(8)))
    await all_pages(client)
    assert await emulator.control.calls(TOKEN_ENDPOINT) == 1


async def test_token_is_refreshed_before_it_expires(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    await emulator.control.configure(token_ttl_seconds=2)
    client = make_client(refresh_margin=300.0)  # capped at half the lifetime: refresh after 1 s
    await all_pages(client)
    await asyncio.sleep(1.2)
    await all_pages(client)
    assert await emulator.control.calls(TOKEN_ENDPOINT, 200) == 2
    assert await emulator.control.calls("GET /items", 401) == 0


async def test_expired_token_gets_one_refresh_then_the_call_succeeds(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    item = zoho_item("Refreshed")
    await emulator.control.put_items([item])
    client = make_client()
    await client.get_item(item["item_id"])
    await emulator.control.faults(expire_tokens=True)
    fetched = await client.get_item(item["item_id"])
    assert fetched is not None
    assert fetched["name"] == "Refreshed"
    assert await emulator.control.calls(TOKEN_ENDPOINT) == 2
    assert await emulator.control.calls("GET /items/{id}", 401) == 1


async def test_token_refused_after_a_refresh_is_an_auth_error(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    client = make_client(organization_id="999")  # the emulator answers 401 code 57 for a foreign org
    with pytest.raises(ErpAuthError):
        await all_pages(client)
    assert await emulator.control.calls(TOKEN_ENDPOINT) == 2
    assert await emulator.control.calls("GET /items", 401) == 2


async def test_invalid_client_is_an_auth_error(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    client = make_client(client_secret="not-the-secret")
    with pytest.raises(ErpAuthError, match="invalid_client") as caught:
        await client.get_item("1")
    assert not isinstance(caught.value, ErpTokenThrottled)
    assert "not-the-secret" not in str(caught.value)
    assert await emulator.control.calls("GET /items/{id}") == 0


async def test_token_throttle_stops_further_refreshes(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    await emulator.control.configure(token_requests_per_window=2)
    client = make_client()
    await client.get_item("1")
    await emulator.control.faults(expire_tokens=True)
    await client.get_item("1")  # second token: the last one the window allows
    await emulator.control.faults(expire_tokens=True)
    with pytest.raises(ErpTokenThrottled) as caught:
        await client.get_item("1")
    assert isinstance(caught.value, ErpAuthError)
    assert caught.value.retry_after > 0
    token_calls = await emulator.control.calls(TOKEN_ENDPOINT)
    for _ in range(3):
        with pytest.raises(ErpTokenThrottled):
            await client.get_item("1")
    assert await emulator.control.calls(TOKEN_ENDPOINT) == token_calls == 3


async def test_rate_limited_reads_back_off_then_succeed(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    await emulator.control.put_items([zoho_item("Patient")])
    await emulator.control.faults(rate_limit_next=2)
    client = make_client()
    started = time.monotonic()
    pages = await all_pages(client)
    assert len(pages[0]) == 1
    assert time.monotonic() - started >= 0.05  # two waits: at least 0.025 + 0.05 s
    assert await emulator.control.calls("GET /items", 429) == 2
    assert client.call_counts()["rate_limited"] == 2
    assert client.call_counts()["retry"] == 2
    assert client.call_counts()["ok"] == 1


async def test_server_errors_on_reads_are_retried(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    await emulator.control.faults(fail_next=2)
    client = make_client()
    assert await client.get_pricebook("consumer_iqd") is None
    assert await emulator.control.calls("GET /pricebooks", 500) == 2
    assert await emulator.control.calls("GET /pricebooks", 200) == 1


async def test_an_erp_that_stays_down_is_unavailable_after_bounded_retries(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    client = make_client(retry=RetryPolicy(attempts=3, base_delay=0.02, max_delay=0.05, deadline=5.0))
    await client.get_item("1")
    await emulator.control.faults(down=True)
    with pytest.raises(ErpUnavailable):
        await all_pages(client)
    assert await emulator.control.calls("GET /items", 503) == 3


async def test_retries_stop_at_the_deadline(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    client = make_client(retry=RetryPolicy(attempts=50, base_delay=0.1, max_delay=0.1, deadline=0.35))
    await client.get_item("1")
    await emulator.control.faults(down=True)
    started = time.monotonic()
    with pytest.raises(ErpUnavailable):
        await client.get_item("1")
    assert time.monotonic() - started < 1.0
    assert 2 <= await emulator.control.calls("GET /items/{id}", 503) <= 8


async def test_a_failed_write_is_not_retried(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    item = zoho_item("Once")
    await emulator.control.put_items([item])
    client = make_client()
    customer_id = await customer(client)
    await emulator.control.faults(fail_next=1)
    with pytest.raises(ErpUnavailable):
        await client.create_salesorder(order_payload(customer_id, item["item_id"], "ref-once"))
    assert await emulator.control.calls("POST /salesorders") == 1


async def test_a_rate_limited_write_is_sent_again(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    """A 429 is refused before anything is done, so even a write may be sent again."""
    client = make_client()
    await emulator.control.faults(rate_limit_next=1)
    await customer(client)
    assert await emulator.control.calls("POST /contacts", 429) == 1
    assert await emulator.control.calls("POST /contacts", 201) == 1
    assert len(await emulator.control.contacts()) == 1


async def test_duplicate_salesorder_number_is_refused(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    item = zoho_item("Numbered")
    await emulator.control.put_items([item])
    client = make_client()
    customer_id = await customer(client)
    created = await client.create_salesorder(
        order_payload(customer_id, item["item_id"], "ref-1", "SF-000001")
    )
    assert created["salesorder_number"] == "SF-000001"
    assert created["total"] == 3000
    with pytest.raises(ErpRejected) as caught:
        await client.create_salesorder(order_payload(customer_id, item["item_id"], "ref-1", "SF-000001"))
    assert caught.value.code == 36004
    assert len(await emulator.control.salesorders()) == 1


async def test_lost_answer_is_unavailable_and_the_order_is_found_by_paging_sales_orders(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    item = zoho_item("Lost")
    await emulator.control.put_items([item])
    client = make_client()
    customer_id = await customer(client)
    assert await find_by_number(client, "SF-42", max_pages=5) is None
    await emulator.control.faults(lose_order_answers=1)
    with pytest.raises(ErpUnavailable):
        await client.create_salesorder(order_payload(customer_id, item["item_id"], "order-42", "SF-42"))
    assert len(await emulator.control.salesorders()) == 1
    found = await find_by_number(client, "SF-42", max_pages=5)
    assert found is not None
    assert found["reference_number"] == "order-42"


async def test_sales_order_answer_key_is_accepted(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    await emulator.control.configure(salesorder_answer_key="sales_order")
    item = zoho_item("Spec")
    await emulator.control.put_items([item])
    client = make_client()
    created = await client.create_salesorder(order_payload(await customer(client), item["item_id"], "r-spec"))
    assert created["reference_number"] == "r-spec"


async def test_contacts_are_found_by_email_or_created(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    client = make_client()
    assert await client.find_contact_by_email("noor@example.com") is None
    contact_id = await customer(client)
    assert await client.find_contact_by_email("NOOR@example.com") == contact_id
    assert [contact["email"] for contact in await emulator.control.contacts()] == ["noor@example.com"]


async def test_pricebook_rates_by_name(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    await emulator.control.set_pricebook("wholesale", {"1": 900})
    await emulator.control.set_pricebook("consumer_iqd", {"1": "1250.50", "2": 3000})
    book = await make_client().get_pricebook("consumer_iqd")
    assert book is not None
    assert book.currency == "IQD"
    assert book.rates == {"1": Decimal("1250.5"), "2": Decimal(3000)}
    assert await make_client().get_pricebook("missing") is None


async def test_a_price_book_of_thousands_of_items_is_read_whole_as_it_arrives(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    # Hundreds of kilobytes: the answer arrives in many pieces, each read as it comes.
    rates: dict[str, Any] = {f"4815{n:012d}": f"{1000 + n % 7}.25" for n in range(5000)}
    rates["4815999999999999"] = 3000
    await emulator.control.set_pricebook("consumer_iqd", rates)

    book = await make_client().get_pricebook("consumer_iqd")

    assert book is not None
    assert book.rates == {item_id: Decimal(str(rate)) for item_id, rate in rates.items()}
    assert book.currency == "IQD"


async def test_unknown_item_is_none(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    assert await make_client().get_item("123456") is None


async def test_local_budget_refuses_past_the_limit(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    client = make_client(requests_per_minute=2)
    await client.get_item("1")
    await client.get_item("1")
    assert await client.budget_remaining() == 0
    with pytest.raises(ErpRateLimited):
        await client.get_item("1")
    assert await emulator.control.calls("GET /items/{id}") == 2


async def test_budget_is_shared_by_clients_through_redis(
    emulator: EmulatorHandle, make_client: MakeClient, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    first = make_client(redis=redis, key_prefix=prefix, requests_per_minute=3)
    second = make_client(redis=redis, key_prefix=prefix, requests_per_minute=3)
    await first.get_item("1")
    await first.get_item("1")
    assert await second.budget_remaining() == 1
    await second.get_item("1")
    with pytest.raises(ErpRateLimited):
        await second.get_item("1")
    with pytest.raises(ErpRateLimited):
        await first.get_item("1")
    assert await emulator.control.calls("GET /items/{id}") == 3


async def test_budget_waits_for_a_free_slot_within_its_limit(
    emulator: EmulatorHandle, make_client: MakeClient, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    client = make_client(redis=redis, key_prefix=prefix, requests_per_minute=1, budget_max_wait=0.5)
    await client.get_item("1")
    started = time.monotonic()
    with pytest.raises(ErpRateLimited):
        await client.get_item("1")
    assert time.monotonic() - started < 0.2  # a wait longer than the limit is refused at once


async def test_token_is_shared_by_clients_through_redis(
    emulator: EmulatorHandle, make_client: MakeClient, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    clients = [make_client(redis=redis, key_prefix=prefix) for _ in range(3)]
    await asyncio.gather(*(client.get_item(str(n)) for n in range(4) for client in clients))
    assert await emulator.control.calls(TOKEN_ENDPOINT) == 1
    await emulator.control.faults(expire_tokens=True)
    await asyncio.gather(*(client.get_item("1") for client in clients))
    assert await emulator.control.calls(TOKEN_ENDPOINT) == 2


def test_api_domain_does_not_redirect_a_configured_non_zoho_url() -> None:
    emulator_url = "http://127.0.0.1:8123/inventory/v1"
    assert resolve_api_url(emulator_url, "https://www.zohoapis.eu") == emulator_url
    assert resolve_api_url(emulator_url, None) == emulator_url
    assert (
        resolve_api_url("https://www.zohoapis.com/inventory/v1", "https://www.zohoapis.eu")
        == "https://www.zohoapis.eu/inventory/v1"
    )
    assert resolve_api_url("https://www.zohoapis.com/books/v3", "http://evil.example") == (
        "https://www.zohoapis.com/books/v3"
    )


async def test_no_secret_reaches_a_log_line_or_an_error(
    emulator: EmulatorHandle,
    make_client: MakeClient,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging("DEBUG", json=True)
    secret, refresh = "cs-very-secret-5150", "rt-very-secret-7070"
    await emulator.control.configure(client_secret=secret, refresh_token=refresh, token_requests_per_window=2)
    errors: list[str] = []
    client = make_client(client_secret=secret, refresh_token=refresh)
    await client.get_item("1")
    await emulator.control.faults(expire_tokens=True)
    await client.get_item("1")
    await emulator.control.faults(expire_tokens=True)
    for failing in (client, make_client(client_secret="wrong-" + secret, refresh_token=refresh)):
        try:
            await failing.get_item("1")
        except ErpAuthError as exc:
            errors.append(repr(exc))
    captured = capsys.readouterr()
    everything = captured.out + captured.err + caplog.text + "".join(errors)
    assert "zoho_token_throttled" in everything
    assert len(errors) == 2
    for value in (secret, refresh, *emulator.state.tokens):
        assert value
        assert value not in everything


async def test_unreachable_accounts_server_is_unavailable(
    emulator: EmulatorHandle, make_client: MakeClient
) -> None:
    await emulator.control.faults(down=True)
    with pytest.raises(ErpUnavailable):
        await make_client().get_item("1")
    assert await emulator.control.calls(TOKEN_ENDPOINT, 503) == 3  # a read: retried, within bounds


async def test_a_429_holds_off_every_client_sharing_the_budget(
    emulator: EmulatorHandle, make_client: MakeClient, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    shared = {"redis": redis, "key_prefix": prefix, "rate_limit_cooldown": 30.0, "budget_max_wait": 0.0}
    first = make_client(retry=RetryPolicy(attempts=1), **shared)
    second = make_client(**shared)
    await emulator.control.faults(rate_limit_next=1)
    with pytest.raises(ErpRateLimited):
        await first.get_item("1")
    assert await second.budget_remaining() == 0
    with pytest.raises(ErpRateLimited):
        await second.get_item("1")
    assert await emulator.control.calls("GET /items/{id}") == 1


async def test_client_reads_the_books_api_too(emulator: EmulatorHandle, make_client: MakeClient) -> None:
    items = [zoho_item(f"Book item {n}") for n in range(3)]
    await emulator.control.put_items(items)
    client = make_client(api_url=emulator.url + "/books/v3")
    pages = await all_pages(client)
    assert sorted(item["item_id"] for page in pages for item in page) == sorted(i["item_id"] for i in items)
