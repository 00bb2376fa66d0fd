"""Finding 7, operator surfaces and HTTP details: metrics and API docs behind the admin token or on
the operator port, no Host reflected into a redirect, order answers not stored by caches, CORS
only for configured origins."""

import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from storefront.config import Settings
from tests.conftest import ADMIN_TOKEN
from tests.security.conftest import shop
from tests.support.catalog import seed, zoho_item

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SURFACES = ["/metrics", "/openapi.json", "/docs"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_metrics_and_docs_need_the_admin_token_by_default(
    make_settings: Callable[..., Settings],
) -> None:
    async with shop(make_settings()) as client:
        for path in SURFACES:
            refused = await client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == "Bearer"
            assert (await client.get(path, headers=ADMIN)).status_code == 200, path
        schema = (await client.get("/openapi.json", headers=ADMIN)).json()
        assert "/api/tds/orders" in schema["paths"]


async def test_with_an_operator_port_they_are_served_there_only(
    make_settings: Callable[..., Settings],
) -> None:
    port = free_port()
    async with shop(make_settings(operator_port=port)) as client:
        for path in SURFACES:
            assert (await client.get(path, headers=ADMIN)).status_code == 404, path
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as operator:
            for path in SURFACES:
                assert (await operator.get(path)).status_code == 200, path
            assert (await operator.get("/health/live")).status_code == 200
            assert (await operator.get("/api/consumer/products")).status_code == 404
            assert (await operator.get("/api/tds/runs")).status_code == 404


async def test_no_redirect_reflects_the_host_header(make_settings: Callable[..., Settings]) -> None:
    async with shop(make_settings()) as client:
        evil = {"Host": "evil.example"}
        for path in ("/api/consumer/products/", "/api/bff/mobile/home/", "/dashboard/", "/dashboard"):
            response = await client.get(path, headers=evil)
            assert "evil.example" not in response.headers.get("location", ""), path
            assert "evil.example" not in response.text
        login = await client.get("/dashboard", headers=evil)
        assert login.headers["location"] == "/dashboard/login"


@pytest.fixture
async def tea(make_settings: Callable[..., Settings]) -> dict[str, Any]:
    item = zoho_item("No Store Tea", stock=10, rate=1000)
    await seed(make_settings(), [item])
    return item


async def test_order_answers_are_not_stored_by_caches(
    make_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    body = {
        "customer": {"name": "Noor", "email": "noor@example.com"},
        "lines": [{"product_id": tea["item_id"], "quantity": 1}],
    }
    async with shop(make_settings()) as client:
        placed = await client.post("/api/consumer/orders", json=body)
        assert placed.status_code == 201
        answers = [
            placed,
            await client.get(f"/api/consumer/orders/{placed.json()['data']['id']}"),
            await client.post("/api/bff/mobile/checkout", json=body),
            await client.post(
                "/api/consumer/orders", json={**body, "lines": [{"product_id": "nope", "quantity": 1}]}
            ),
            await client.get("/api/tds/orders", headers=ADMIN),
        ]
        for response in answers:
            assert response.headers["cache-control"] == "no-store", response.request.url
        product = await client.get(f"/api/consumer/products/{tea['item_id']}")
        assert product.headers["cache-control"].startswith("public, max-age=")


async def test_cors_answers_only_configured_origins(
    make_settings: Callable[..., Settings], tea: dict[str, Any]
) -> None:
    app_origin = "https://shop.example"
    path = f"/api/consumer/products/{tea['item_id']}"
    async with shop(make_settings()) as client:
        response = await client.get(path, headers={"Origin": app_origin})
        assert "access-control-allow-origin" not in response.headers
    async with shop(make_settings(cors_origins=[app_origin])) as client:
        miss = await client.get(path, headers={"Origin": app_origin})
        hit = await client.get(path, headers={"Origin": app_origin})
        assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("miss", "hit")
        for response in (miss, hit):
            assert response.headers["access-control-allow-origin"] == app_origin
            assert "X-Request-ID" in response.headers["access-control-expose-headers"]
        stranger = await client.get(path, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers
        preflight = await client.options(
            "/api/consumer/orders",
            headers={
                "Origin": app_origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, idempotency-key",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == app_origin
