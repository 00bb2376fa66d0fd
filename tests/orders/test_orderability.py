"""What can be ordered is said once per database path: the PostgreSQL statement, and the quote plus
reservations that SQLite runs. Here both paths place the same baskets on PostgreSQL, each in a
transaction rolled back, and must reach the same verdict for every line."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from storefront.catalog.models import Product
from storefront.config import Settings
from storefront.db.engine import Database, create_database
from storefront.orders.placement import NewOrder, Placement, place_in_one_statement, place_step_by_step
from storefront.orders.schemas import OrderLineIn
from tests.support.catalog import seed, zoho_item
from tests.support.databases import backend

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(backend() != "postgres", reason="the one-statement path is PostgreSQL's"),
]

ITEMS = {
    "plenty": zoho_item("Plenty", stock=50, rate=1000),
    "few": zoho_item("Few", stock=3, rate=2500),
    "none": zoho_item("None Left", stock=0, rate=700),
    "inactive": zoho_item("Retired", stock=20, rate=900, status="inactive"),
    "unpriced": zoho_item("Unpriced", stock=20, rate=400),
    "held": zoho_item("Mostly Held", stock=10, rate=1500),
}
REFS = [*(item["item_id"] for item in ITEMS.values()), "no-such-item"]
RATES = {name: Decimal(item["rate"]) for name, item in ITEMS.items()}


def verdict(placement: Placement) -> tuple[bool, list[tuple[str, ...]], dict[str, int]]:
    """Placed or not, each line's problems that refuse it, and the short lines' sellable units."""
    problems = [
        tuple(p for p in line.problems if p not in ("short", "out_of_stock"))
        for line in placement.quote.lines
    ]
    shortfalls = {str(product_id): units for product_id, units in placement.shortfalls.items()}
    return placement.placed, problems, shortfalls


@st.composite
def baskets(draw: Callable[..., Any]) -> list[OrderLineIn]:
    refs = draw(st.lists(st.sampled_from(REFS), min_size=1, max_size=4, unique=True))
    lines = []
    for ref in refs:
        name = next((name for name, item in ITEMS.items() if item["item_id"] == ref), None)
        quantity = draw(st.integers(min_value=1, max_value=12))
        seen = draw(st.sampled_from(["none", "same", "other"]))
        price = None if seen == "none" or name is None else RATES[name] + (0 if seen == "same" else 1)
        lines.append(OrderLineIn(product_id=ref, quantity=quantity, unit_price=price))
    return lines


@pytest.fixture
async def mirrored(settings: Settings) -> Settings:
    await seed(settings, list(ITEMS.values()), unpriced={ITEMS["unpriced"]["item_id"]})
    database = create_database(settings)
    try:
        async with database.write_sessionmaker() as session, session.begin():
            await session.execute(
                update(Product)
                .where(Product.erp_item_id == ITEMS["held"]["item_id"])
                .values(reserved_stock=8)
            )
    finally:
        await database.dispose()
    return settings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=baskets(), max_value=st.sampled_from([None, Decimal(5000), Decimal(100000)]))
async def test_both_paths_reach_the_same_verdict_on_any_basket(
    mirrored: Settings, lines: list[OrderLineIn], max_value: Decimal | None
) -> None:
    database = create_database(mirrored)
    try:
        in_sql = await place_and_roll_back(
            database, mirrored.price_list, place_in_one_statement, lines, max_value
        )
        step_by_step = await place_and_roll_back(
            database, mirrored.price_list, place_step_by_step, lines, max_value
        )
    finally:
        await database.dispose()
    assert verdict(in_sql) == verdict(step_by_step), [
        (line.product_id, line.quantity, line.unit_price) for line in lines
    ]


async def place_and_roll_back(
    database: Database, price_list: str, path: Any, lines: list[OrderLineIn], max_value: Decimal | None
) -> Placement:
    order = NewOrder(
        uuid.uuid4(), f"SF-TEST-{uuid.uuid4().hex[:8]}", "A", "a@example.com", None, None, datetime.now(UTC)
    )
    async with database.write_sessionmaker() as session:
        try:
            # Begin the transaction first: the one statement alone would commit itself.
            await session.execute(text("SELECT 1"))
            placement: Placement = await path(session, price_list, lines, order, None, max_value)
            return placement
        finally:
            await session.rollback()
