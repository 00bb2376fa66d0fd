from typing import Any

import pytest

from storefront.config import Settings
from tests.support.catalog import seed, zoho_item


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
