"""Finding 6: equivalent queries share one cache entry, and no client can make a route keep more
than its bound of distinct answers, on the memory and Redis backends."""

from collections.abc import Callable
from typing import Any

import pytest

from storefront.cache import Cache
from storefront.config import Settings
from tests.support.cache import cache_settings, running_client
from tests.support.catalog import seed, zoho_item

__all__ = ["cache_settings"]

PRODUCTS = "/api/consumer/products"


@pytest.fixture
async def catalog(make_settings: Callable[..., Settings]) -> None:
    await seed(make_settings(), [zoho_item(f"Green Tea {n}", stock=5, rate=1000) for n in range(8)])


async def test_equivalent_numbers_share_one_entry(
    cache_settings: Callable[..., Settings], catalog: None
) -> None:
    async with running_client(cache_settings()) as client:
        outcomes = []
        for limit in ("200", "0200", "00200", "+200", "000000000000200"):
            response = await client.get(f"{PRODUCTS}?limit={limit}&skip=00")
            assert response.status_code == 200
            outcomes.append(response.headers["x-cache"])
        assert outcomes == ["miss", "hit", "hit", "hit", "hit"]
        cache: Cache = client._transport.app.state.cache  # type: ignore[attr-defined]
        assert cache.stats.get("consumer:products", "misses") == 1


@pytest.mark.parametrize(
    ("path", "name", "prefix"),
    [(PRODUCTS, "search", "consumer:products"), ("/api/bff/mobile/search", "q", "bff:search")],
)
async def test_equivalent_search_text_shares_one_entry(
    cache_settings: Callable[..., Settings], catalog: None, path: str, name: str, prefix: str
) -> None:
    async with running_client(cache_settings()) as client:
        answers: list[Any] = []
        for text in ("green tea", " green tea", "green  tea ", "green\ttea"):
            response = await client.get(path, params={name: text})
            assert response.status_code == 200
            answers.append(response.json()["data"])
        assert all(answer == answers[0] for answer in answers)
        assert len(answers[0]) == 8
        cache: Cache = client._transport.app.state.cache  # type: ignore[attr-defined]
        assert cache.stats.get(prefix, "misses") == 1


async def test_a_route_keeps_at_most_its_bound_of_answers(
    cache_settings: Callable[..., Settings], catalog: None
) -> None:
    settings = cache_settings(cache_max_entries_overrides={"consumer:products": 3})
    async with running_client(settings) as client:
        first = [(await client.get(PRODUCTS, params={"skip": skip})).headers["x-cache"] for skip in range(6)]
        assert first == ["miss", "miss", "miss", "bypass", "bypass", "bypass"]
        again = [(await client.get(PRODUCTS, params={"skip": skip})).headers["x-cache"] for skip in range(6)]
        assert again == ["hit", "hit", "hit", "bypass", "bypass", "bypass"]
