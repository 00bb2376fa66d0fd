"""Findings 3 and 4 (and the Content-Type, body-before-auth and integer findings of 7): text the
databases cannot store answers 422 on both databases, bodies are limited before they are read,
and the edge checks auth and media type first."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest

from storefront.config import Settings
from tests.conftest import ADMIN_TOKEN
from tests.security.conftest import shop
from tests.support.catalog import seed, zoho_item

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NUL = "\x00"


def customer(**changes: Any) -> dict[str, Any]:
    return {"name": "Noor", "email": "noor@example.com", "phone": "+9647700000002", **changes}


@pytest.fixture
async def tea(make_settings: Callable[..., Settings]) -> dict[str, Any]:
    item = zoho_item("Hygiene Tea", stock=40, rate=1000)
    await seed(make_settings(), [item])
    return item


def _order(tea: dict[str, Any], **customer_changes: Any) -> dict[str, Any]:
    return {
        "customer": customer(**customer_changes),
        "lines": [{"product_id": tea["item_id"], "quantity": 1}],
    }


def _nul_requests(tea: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    item = tea["item_id"]
    order = _order(tea)
    return [
        ("GET", "/api/consumer/products", {"params": {"search": f"tea{NUL}"}}),
        ("GET", "/api/consumer/products", {"params": {"category": f"Bev{NUL}"}}),
        ("GET", f"/api/consumer/products/{item}%00", {}),
        ("GET", "/api/bff/mobile/search", {"params": {"q": NUL}}),
        ("GET", "/api/bff/mobile/categories/Bev%00/products", {}),
        ("GET", "/api/bff/mobile/products/%00", {}),
        ("GET", "/api/consumer/orders/%00", {}),
        ("POST", "/api/consumer/orders", {"json": _order(tea, name=f"No{NUL}or")}),
        ("POST", "/api/consumer/orders", {"json": _order(tea, phone=f"+964{NUL}")}),
        ("POST", "/api/consumer/orders", {"json": {**order, "notes": f"leave at door{NUL}"}}),
        ("POST", "/api/consumer/orders", {"json": {**order, "lines": [{"product_id": NUL, "quantity": 1}]}}),
        ("POST", "/api/bff/mobile/checkout", {"json": _order(tea, name=NUL)}),
        (
            "POST",
            "/api/bff/mobile/cart/quote",
            {"json": {"lines": [{"product_id": f"{item}{NUL}", "quantity": 1}]}},
        ),
        ("GET", "/api/tds/events", {"params": {"name": NUL}, "headers": ADMIN}),
        ("GET", "/api/tds/events", {"params": {"correlation_id": NUL}, "headers": ADMIN}),
        ("GET", "/api/tds/orders", {"params": {"status": NUL}, "headers": ADMIN}),
        ("POST", "/api/tds/orders/%00/retry", {"headers": ADMIN}),
        ("POST", "/api/consumer/sync/inventory", {"json": {"item_ids": [NUL]}, "headers": ADMIN}),
        ("POST", "/api/tds/webhooks/zoho", {"json": {"item": {"item_id": item, "name": NUL}}}),
        ("POST", "/api/tds/webhooks/zoho", {"json": {"item": {"item_id": item}, NUL: 1}}),
        ("POST", "/dashboard/login", {"data": {"token": f"{ADMIN_TOKEN}{NUL}"}}),
    ]


async def test_nul_anywhere_answers_422_and_changes_nothing(
    make_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    settings = make_settings(zoho_webhook_allow_unsigned=True, rate_limit_admin_failures="1000/minute")
    async with shop(settings) as client:
        for method, path, options in _nul_requests(tea):
            response = await client.request(method, path, **options)
            assert response.status_code == 422, (method, path, options, response.text)
            assert response.json()["error"]["code"] == "validation_error"
        orders = await client.get("/api/tds/orders", headers=ADMIN)
        assert orders.json()["data"] == []
        events = await client.get("/api/tds/events", headers=ADMIN)
        assert events.json()["data"] == []


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\u0000"])
async def test_escaped_nul_and_lone_surrogates_in_json_answer_422(
    make_settings: Callable[..., Settings], tea: dict[str, Any], escape: str
) -> None:
    body = orjson.dumps(_order(tea, name="Noor-MARK")).replace(b"MARK", escape.encode())
    async with shop(make_settings()) as client:
        response = await client.post(
            "/api/consumer/orders", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, response.text


async def test_a_surrogate_pair_is_ordinary_text(
    make_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    body = orjson.dumps(_order(tea, name="Noor-MARK")).replace(b"MARK", b"\\ud83d\\ude00")
    async with shop(make_settings()) as client:
        response = await client.post(
            "/api/consumer/orders", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["data"]["customer"]["name"] == "Noor-\U0001f600"


async def test_an_email_local_part_over_64_characters_is_refused(
    make_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    async with shop(make_settings()) as client:
        long = await client.post("/api/consumer/orders", json=_order(tea, email="a" * 65 + "@example.com"))
        assert long.status_code == 422
        fits = await client.post("/api/consumer/orders", json=_order(tea, email="a" * 64 + "@example.com"))
        assert fits.status_code == 201, fits.text


async def test_event_ids_past_the_bigint_range_answer_422(make_settings: Callable[..., Settings]) -> None:
    async with shop(make_settings()) as client:
        for after in ("9223372036854775808", "99999999999999999999999", "-1"):
            response = await client.get("/api/tds/events", params={"after": after}, headers=ADMIN)
            assert response.status_code == 422, response.text
        assert (
            await client.get("/api/tds/events?after=9223372036854775807", headers=ADMIN)
        ).status_code == 200


async def _chunks(total: int, size: int = 65_536) -> AsyncIterator[bytes]:
    yield b'{"customer": {"name": "'
    sent = 0
    while sent < total:
        yield b"a" * size
        sent += size
    yield b'"}}'


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/api/consumer/orders", 32_768),
        ("/api/bff/mobile/checkout", 32_768),
        ("/api/tds/webhooks/zoho", 1_000_000),
    ],
)
async def test_bodies_over_the_route_limit_answer_413_by_length_and_while_streaming(
    make_settings: Callable[..., Settings], path: str, limit: int
) -> None:
    async with shop(make_settings(zoho_webhook_allow_unsigned=True)) as client:
        declared = await client.post(
            path, content=b"{" + b" " * limit + b"}", headers={"Content-Type": "application/json"}
        )
        assert declared.status_code == 413
        assert declared.json()["error"]["code"] == "payload_too_large"
        streamed = await client.post(
            path, content=_chunks(limit + 1), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        assert streamed.json()["error"]["code"] == "payload_too_large"
        assert "content-length" not in streamed.request.headers


async def test_other_routes_have_the_default_body_limit(make_settings: Callable[..., Settings]) -> None:
    async with shop(make_settings()) as client:
        response = await client.post(
            "/api/consumer/sync/inventory",
            content=b" " * 70_000,
            headers={**ADMIN, "Content-Type": "application/json"},
        )
        assert response.status_code == 413


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", None]
)
async def test_a_body_of_the_wrong_type_answers_415(
    make_settings: Callable[..., Settings], tea: dict[str, Any], content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = orjson.dumps(_order(tea))
    async with shop(make_settings(zoho_webhook_allow_unsigned=True)) as client:
        for path in ("/api/consumer/orders", "/api/bff/mobile/cart/quote", "/api/tds/webhooks/zoho"):
            client.headers.pop("content-type", None)
            response = await client.post(path, content=body, headers=headers)
            assert response.status_code == 415, (path, response.text)
            assert response.json()["error"]["code"] == "unsupported_media_type"


async def test_auth_is_checked_before_the_body(make_settings: Callable[..., Settings]) -> None:
    async with shop(make_settings()) as client:
        for body in (b"not json", b'{"mode": "sideways"}', b" " * 70_000):
            response = await client.post(
                "/api/consumer/sync/inventory", content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == "Bearer"
        wrong_type = await client.post(
            "/api/consumer/sync/inventory", content=b"{}", headers={"Content-Type": "text/plain"}
        )
        assert wrong_type.status_code == 401
