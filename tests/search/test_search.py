"""Search as shoppers in Iraq type it, on both faces (Consumer API and BFF search screen), with
items synced from the emulator: every common way of typing a name finds it, and the best
matches come first."""

from typing import Any

import httpx
import pytest

from tests.search.conftest import Mirror, Search, consumer_search, item
from tests.support.databases import backend

pytestmark = pytest.mark.asyncio

CATALOG = {
    "rice": item("Dijla Rice 1 kg", "أرز دجلة ١ كغم"),
    "sponge": item("Kitchen Sponge", "إسفنج مطبخ", category="Cleaning"),
    "halawa": item("Halawa Tahini", "حلاوة طحينية", category="Sweets"),
    "dates": item("Nineveh Dates", "تمر نينوى", category="Sweets"),
    "tea": item("Green Tea", "شَايٌ أَخْضَرُ"),
    "cheese": item("White Cheese", "الجبن الأبيض", category="Dairy"),
    "yogurt": item("Yogurt Cup", "لبن رائب", category="Dairy"),
    "milk": item("Fresh Milk 250 ml", "حليب طازج", category="Dairy"),
    "oil": item("Sunflower Oil 1.5 L", "زيت دوار الشمس ١٫٥ لتر", category="Oils"),
    # Named in Arabic in the ERP itself, with no custom field.
    "coffee": item("قهوة عربية"),
    "water": item("Mineral Water", "مياه معدنية"),
}

VARIATIONS = [
    # Alef with hamza above, and below, typed as a bare alef.
    ("ارز", "rice"),
    ("اسفنج مطبخ", "sponge"),
    # Ta marbuta typed as heh.
    ("حلاوه طحينيه", "halawa"),
    ("قهوه", "coffee"),
    # Alef maksura typed as yeh, and yeh typed as alef maksura.
    ("تمر نينوي", "dates"),
    ("شاى", "tea"),
    # The name carries harakat; the query has none.
    ("شاي اخضر", "tea"),
    # The article added to a name that has none, and left out of a name that has it.
    ("الشاي", "tea"),
    ("جبن ابيض", "cheese"),
    ("الجبن", "cheese"),
    # Yeh with hamza typed as yeh.
    ("لبن رايب", "yogurt"),
    # Arabic-Indic digits and their ASCII forms, both ways.
    ("حليب ٢٥٠", "milk"),
    ("زيت 1.5", "oil"),
    # English, whatever the case.
    ("SUNFLOWER oil", "oil"),
]


@pytest.fixture
async def catalog(mirror: Mirror) -> dict[str, dict[str, Any]]:
    await mirror(list(CATALOG.values()))
    return CATALOG


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [product["erp_item_id"] for product in found]


@pytest.mark.parametrize(("query", "key"), VARIATIONS)
async def test_each_way_of_typing_a_name_finds_its_product_first(
    search: Search, catalog: dict[str, dict[str, Any]], query: str, key: str
) -> None:
    found = await search(query)
    assert ids(found)[:1] == [catalog[key]["item_id"]]


async def test_a_query_with_nothing_to_look_for_finds_nothing(
    search: Search, catalog: dict[str, dict[str, Any]]
) -> None:
    assert await search("%_!") == []
    assert await search("ـــ") == []
    assert await search("xyzzy") == []


async def test_search_within_a_category_keeps_to_it(
    shop: httpx.AsyncClient, catalog: dict[str, dict[str, Any]]
) -> None:
    assert ids(await consumer_search(shop, "ال", category="Dairy")) == []
    found = await consumer_search(shop, "لبن", category="Dairy")
    assert ids(found) == [catalog["yogurt"]["item_id"]]
    assert await consumer_search(shop, "لبن", category="Sweets") == []
    assert await consumer_search(shop, "لبن", category="No Such Category") == []


RANKED = {
    "sku": item("Orange Nectar 1 L", sku="JUICE"),
    "starts": item("Juice Box Apple"),
    "word": item("Apple Juice 1 L"),
    "word_later": item("Mango Juice 1 L"),
    "inside": item("Grapejuice Concentrate"),
    "near": item("Juise Drink"),
    "other": item("Cola Can 330 ml"),
    "ar_name_start": item("عصير رمان"),
    "ar_field_start": item("Apple Drink", "عصير تفاح"),
    "ar_word": item("Energy Drink", "مشروب عصير طاقة"),
}


@pytest.fixture
async def ranked(mirror: Mirror) -> dict[str, dict[str, Any]]:
    await mirror(list(RANKED.values()))
    return RANKED


async def test_the_exact_sku_then_names_that_start_with_the_query_come_first(
    search: Search, ranked: dict[str, dict[str, Any]]
) -> None:
    found = ids(await search("juice"))
    ranks = [["sku"], ["starts"], ["word", "word_later"], ["inside"]]
    if backend() == "postgres":
        # A word one letter off the query, below every exact match.
        ranks.append(["near"])
    # Equal matches keep an order of their own; each rank comes whole before the next.
    assert len(found) == sum(len(rank) for rank in ranks)
    for rank in ranks:
        assert set(found[: len(rank)]) == {ranked[key]["item_id"] for key in rank}
        found = found[len(rank) :]


async def test_an_arabic_query_ranks_name_starts_then_arabic_name_starts_then_words(
    search: Search, ranked: dict[str, dict[str, Any]]
) -> None:
    found = await search("العصير")
    assert ids(found) == [ranked[key]["item_id"] for key in ("ar_name_start", "ar_field_start", "ar_word")]


@pytest.mark.skipif(backend() != "postgres", reason="typo tolerance is PostgreSQL's (pg_trgm)")
@pytest.mark.parametrize(
    ("query", "found_names"),
    [
        # One letter wrong in a word of five letters, first, in the middle, last.
        ("lamon", ["Lemon Juice"]),
        ("xemon", ["Lemon Juice"]),
        ("lemox", ["Lemon Juice"]),
        # One letter missing.
        ("lemn", ["Lemon Juice"]),
        ("shmpoo", ["Herbal Shampoo"]),
        ("chiken", ["Frozen Chicken"]),
        ("برتقل", ["Orange Juice"]),
        # One wrong letter in each of two words.
        ("frozan chickan", ["Frozen Chicken"]),
        # Ranked below the exact match.
        ("mango", ["Mango Juice", "Manga Comics"]),
        # Too short to guess at: one letter wrong in a word of four.
        ("rica", []),
        # Numbers are not guessed at.
        ("00013", []),
    ],
)
async def test_one_letter_wrong_or_missing_still_finds_the_product(
    search: Search, mirror: Mirror, query: str, found_names: list[str]
) -> None:
    await mirror(
        [
            item("Lemon Juice", sku="LJ-00012"),
            item("Herbal Shampoo"),
            item("Frozen Chicken"),
            item("Orange Juice", "عصير برتقال"),
            item("Mango Juice"),
            item("Manga Comics"),
            item("Rice"),
        ]
    )
    assert [product["name"] for product in await search(query)] == found_names


async def test_paging_over_ranked_results_is_stable_and_disjoint(
    shop: httpx.AsyncClient, mirror: Mirror
) -> None:
    # Products at several ranks (the SKU, names that start with the query, words that do), many
    # with equal names.
    names = [f"Tea Pack {n % 4}" for n in range(9)]
    names += [f"Green Tea {n % 3}" for n in range(9)]
    names += [f"Teapot {n % 2}" for n in range(5)]
    names += ["Instead Tea Mix", "Steatite Stone"]
    await mirror(
        [item(name, sku=f"P-{n:03d}") for n, name in enumerate(names)] + [item("Leaf Box", sku="TEA")]
    )
    whole = ids(await consumer_search(shop, "tea", limit=200))
    assert len(whole) == len(set(whole)) == 25
    for limit in (1, 4, 7):
        pages: list[str] = []
        skip = 0
        while True:
            response = await shop.get(
                "/api/consumer/products", params={"search": "tea", "skip": skip, "limit": limit}
            )
            body = response.json()
            pages += ids(body["data"])
            if not body["meta"]["has_more"]:
                break
            skip += limit
        assert pages == whole
    again = ids(await consumer_search(shop, "TEA", limit=200))
    assert again == whole
    beyond = (await shop.get("/api/consumer/products", params={"search": "tea", "skip": 1_000_000})).json()
    assert beyond["data"] == []
    assert beyond["meta"]["has_more"] is False
