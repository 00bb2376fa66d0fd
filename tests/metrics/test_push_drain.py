"""The push backlog's expected drain time: the ERP calls it will cost over the calls a minute pushes may use."""

from collections.abc import Callable

import httpx
import pytest

from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.db.session import commit
from storefront.orders.models import ErpContact
from tests.dashboard.test_dashboard_http import log_in
from tests.support.catalog import seed, zoho_item
from tests.support.metrics import has, scrape, value


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(zoho_requests_per_minute=60, order_push_batch_size=2)


async def backlog_of_three(client: httpx.AsyncClient, settings: Settings) -> None:
    """Two orders of a shopper the ERP has not seen, one of a shopper whose contact is remembered."""
    tea = zoho_item("Drain Tea", stock=10, rate=1000)
    await seed(settings, [tea])
    database = create_database(settings)
    try:
        async with database.write_sessionmaker() as session:
            session.add(ErpContact(email="omar@example.com", contact_id="4815000000777001"))
            await commit(session)
    finally:
        await database.dispose()
    for name, email in (
        ("Layla", "Layla@example.com"),
        ("Layla", "layla@example.com"),
        ("Omar", "omar@example.com"),
    ):
        order = {
            "customer": {"name": name, "email": email},
            "lines": [{"product_id": tea["item_id"], "quantity": 1}],
        }
        assert (await client.post("/api/consumer/orders", json=order)).status_code == 201


async def test_the_expected_drain_counts_calls_per_order_and_new_shoppers(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    empty = await scrape(client)
    assert has(empty, "storefront_push_expected_drain_seconds")
    assert value(empty, "storefront_push_expected_drain_seconds") == 0
    await backlog_of_three(client, settings)
    samples = await scrape(client)
    assert value(samples, "storefront_push_backlog") == 3
    # Three sales orders, two confirm calls (batches of two), a lookup and a create for Layla: 7 calls at 60 a minute.
    assert value(samples, "storefront_push_expected_drain_seconds") == 7


async def test_the_dashboard_shows_the_expected_drain(client: httpx.AsyncClient, settings: Settings) -> None:
    await backlog_of_three(client, settings)
    await log_in(client)
    page = (await client.get("/dashboard")).text
    assert 'id="push-backlog">3<' in page
    assert "drains in about 1 min at 60 ERP calls a minute" in page
