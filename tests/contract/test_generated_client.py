"""A Python client generated from /openapi.json with openapi-python-client, without hand edits,
browses the catalog, quotes a cart, places an order and reads it back from a running
`storefront serve` with the ERP emulator.

The generator lives in its own virtualenv (.venv/codegen, made by `make install`).
"""

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.security.test_servers import ADMIN_TOKEN, serving
from tests.support import databases

GENERATOR = Path(sys.prefix) / "codegen" / "bin" / "openapi-python-client"
PACKAGE = "storefront_client"


@pytest.fixture
def service(clean_database: databases.TestDatabase) -> Iterator[str]:
    with serving(
        "uvicorn",
        clean_database,
        STOREFRONT_ERP="emulator",
        STOREFRONT_ERP_EMULATOR_DEMO_ITEMS="30",
        STOREFRONT_RATE_LIMIT_ORDERS="1000/minute",
    ) as base:
        yield base


def generate_client(base: str, directory: Path) -> ModuleType:
    assert GENERATOR.exists(), f"{GENERATOR} is missing: run `make install`"
    document = httpx.get(base + "/openapi.json", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert document.status_code == 200
    spec = directory / "openapi.json"
    spec.write_bytes(document.content)
    config = directory / "config.yaml"
    # Pictures are image/* bodies, which this generator reads as bytes when told (as docs/api.md says).
    config.write_text('post_hooks: []\ncontent_type_overrides:\n  "image/*": application/octet-stream\n')
    target = directory / PACKAGE
    generated = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(target),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    return importlib.import_module(PACKAGE)


@pytest.fixture
def client_package(service: str, tmp_path: Path) -> Iterator[ModuleType]:
    package = generate_client(service, tmp_path)
    try:
        yield package
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_browses_quotes_orders_and_reads_the_order_back(
    service: str, client_package: ModuleType
) -> None:
    models = module("models")
    admin = client_package.AuthenticatedClient(
        base_url=service, token=ADMIN_TOKEN, raise_on_unexpected_status=True
    )
    shopper = client_package.Client(base_url=service, raise_on_unexpected_status=True)

    synced = module("api.sync.trigger_sync").sync_detailed(
        client=admin, body=models.SyncRequest(mode=models.SyncRequestModeType0.FULL), wait=True
    )
    assert synced.status_code == 200, synced.content
    assert synced.parsed.data.status == "completed"

    categories = module("api.catalog.list_categories").sync(client=shopper)
    assert isinstance(categories, models.CategoryList)
    assert categories.meta.count == len(categories.data) > 0

    page = module("api.catalog.list_products").sync(client=shopper, category=categories.data[0].name, limit=5)
    assert isinstance(page, models.ProductPage)
    assert 0 < page.meta.count <= 5
    product = page.data[0]
    assert isinstance(product.id, uuid.UUID)
    assert product.in_stock
    assert product.category == categories.data[0].name

    one = module("api.catalog.get_product").sync(client=shopper, product_id=product.erp_item_id)
    assert isinstance(one, models.ProductEnvelope)
    assert one.data.id == product.id

    line = models.OrderLineIn(product_id=str(product.id), quantity=2, unit_price=product.price)
    quote = module("api.bff_mobile.cart_quote").sync(client=shopper, body=models.CartIn(lines=[line]))
    assert isinstance(quote, models.CartQuoteEnvelope)
    assert quote.data.ok
    assert quote.data.total == product.price * 2

    order_in = models.PlaceOrderIn(
        customer=models.CustomerIn(name="Zainab Ali", email="zainab@example.com"), lines=[line]
    )
    placed = module("api.orders.place_order").sync_detailed(
        client=shopper, body=order_in, idempotency_key=f"client-{uuid.uuid4()}"
    )
    assert placed.status_code == 201, placed.content
    order = placed.parsed.data
    assert order.status == "accepted"
    assert order.total == quote.data.total
    assert [(line.line_no, line.quantity) for line in order.lines] == [(1, 2)]

    read_back = module("api.orders.get_order").sync(client=shopper, order_id=str(order.id))
    assert isinstance(read_back, models.OrderEnvelope)
    assert (read_back.data.id, read_back.data.number, read_back.data.total) == (
        order.id,
        order.number,
        order.total,
    )

    missing = module("api.orders.get_order").sync(client=shopper, order_id=str(uuid.uuid4()))
    assert isinstance(missing, models.ErrorEnvelope)
    assert missing.error.code == "order_not_found"
    assert missing.meta.request_id
