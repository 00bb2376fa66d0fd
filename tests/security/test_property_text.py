"""Finding 3, as a property: arbitrary Unicode (NUL, controls, lone surrogates, any plane) in every
public text field gets an answer below 500, on SQLite and PostgreSQL."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storefront.config import Settings
from tests.security.conftest import client_of
from tests.support.cache import running_app
from tests.support.catalog import seed, zoho_item

# Any code point; in a URL only what can travel as UTF-8 (a lone surrogate cannot), in JSON
# bodies lone surrogates too, sent as \\ud800-style escapes.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
URL_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


@pytest.fixture
async def client(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(zoho_webhook_allow_unsigned=True, order_max_value=10**12)
    await seed(settings, [zoho_item("Property Tea", stock=100_000, rate=1000)])
    async with running_app(settings) as application, client_of(application) as http:
        yield http


def _json(body: Any) -> dict[str, Any]:
    return {
        "content": json.dumps(body, ensure_ascii=True).encode(),
        "headers": {"Content-Type": "application/json"},
    }


def _requests(url_text: str, text: str) -> list[tuple[str, str, dict[str, Any]]]:
    segment = quote(url_text, safe="")
    order = {
        "customer": {"name": text or "x", "email": f"{text}@example.com", "phone": text},
        "notes": text,
        "lines": [{"product_id": text or "x", "quantity": 1}],
    }
    return [
        ("GET", "/api/consumer/products", {"params": {"search": url_text, "category": url_text}}),
        ("GET", f"/api/consumer/products/{segment}", {}),
        ("GET", f"/api/consumer/orders/{segment}", {}),
        ("GET", "/api/bff/mobile/search", {"params": {"q": url_text}}),
        ("GET", f"/api/bff/mobile/products/{segment}", {}),
        ("GET", f"/api/bff/mobile/categories/{segment}/products", {}),
        ("POST", "/api/consumer/orders", _json(order)),
        ("POST", "/api/bff/mobile/checkout", _json(order)),
        ("POST", "/api/bff/mobile/cart/quote", _json({"lines": order["lines"]})),
        ("POST", "/api/tds/webhooks/zoho", _json({"item": {"item_id": text, "name": text}})),
        ("POST", "/dashboard/login", {"data": {"token": url_text}}),
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url_text=URL_TEXT, text=ANY_TEXT)
async def test_no_text_in_a_public_field_answers_5xx(
    client: httpx.AsyncClient, url_text: str, text: str
) -> None:
    for method, path, options in _requests(url_text, text):
        response = await client.request(method, path, **options)
        assert response.status_code < 500, (method, path, options, response.text)
