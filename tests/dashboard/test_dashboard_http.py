import json
import re
import uuid
from typing import Any

import httpx
import pytest

from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.db.session import commit
from storefront.orders.service import OrderService
from tests.conftest import ADMIN_TOKEN
from tests.support.catalog import seed, zoho_item

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


async def log_in(client: httpx.AsyncClient) -> str:
    response = await client.post("/dashboard/login", data={"token": ADMIN_TOKEN})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    page = await client.get("/dashboard")
    assert page.status_code == 200
    match = FORM_TOKEN.search(page.text)
    assert match is not None
    return match.group(1)


async def failed_order(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    """An order the ERP refused for good, the way the push worker leaves it."""
    tea = zoho_item("Dashboard Tea", stock=10, rate=1000)
    await seed(settings, [tea])
    placed = await client.post(
        "/api/consumer/orders",
        json={
            "customer": {"name": "Noor", "email": "noor@example.com"},
            "lines": [{"product_id": tea["item_id"], "quantity": 2}],
        },
    )
    assert placed.status_code == 201, placed.text
    order: dict[str, Any] = placed.json()["data"]
    database = create_database(settings)
    try:
        async with database.write_sessionmaker() as session:
            assert await OrderService(session, settings.price_list).fail(
                uuid.UUID(order["id"]), "ERP refused: customer blocked"
            )
            await commit(session)
    finally:
        await database.dispose()
    return order


async def test_pages_need_a_session(client: httpx.AsyncClient) -> None:
    for path in ("/dashboard", "/dashboard/login"):
        response = await client.get(path)
        if path == "/dashboard":
            assert response.status_code == 303
            assert response.headers["location"] == "/dashboard/login"
        else:
            assert response.status_code == 200
            assert '<form method="post" action="/dashboard/login">' in response.text


async def test_a_wrong_token_is_refused_without_a_cookie(client: httpx.AsyncClient) -> None:
    response = await client.post("/dashboard/login", data={"token": "not-the-token"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert "That token is not valid." in response.text
    assert "not-the-token" not in response.text
    assert (await client.get("/dashboard")).status_code == 303


async def test_login_sets_a_strict_signed_cookie_that_holds_no_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/dashboard/login", data={"token": ADMIN_TOKEN})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("storefront_dashboard=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/dashboard" in cookie
    assert ADMIN_TOKEN not in cookie
    assert ADMIN_TOKEN not in str(response.headers)

    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    for section in ('id="sync-runs"', 'id="events"', 'id="failed-orders"', 'id="hit-rate-chart"', "DB pool"):
        assert section in page.text
    assert ADMIN_TOKEN not in page.text


async def test_a_tampered_cookie_is_no_session(client: httpx.AsyncClient) -> None:
    await log_in(client)
    value = client.cookies["storefront_dashboard"]
    client.cookies.clear()
    client.cookies.set("storefront_dashboard", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert (await client.get("/dashboard")).status_code == 303


async def test_a_session_ends_when_the_admin_token_changes(
    client: httpx.AsyncClient, make_settings: Any
) -> None:
    await log_in(client)
    cookie = client.cookies["storefront_dashboard"]
    from asgi_lifespan import LifespanManager

    from storefront.app import create_app

    other = create_app(make_settings(admin_token="a-rotated-admin-token-9876543210"))
    async with LifespanManager(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as rotated:
            rotated.cookies.set("storefront_dashboard", cookie)
            assert (await rotated.get("/dashboard")).status_code == 303


async def test_logout_needs_the_form_token_then_ends_the_session(client: httpx.AsyncClient) -> None:
    form_token = await log_in(client)
    refused = await client.post("/dashboard/logout", data={"form_token": "forged"})
    assert refused.status_code == 403
    assert (await client.get("/dashboard")).status_code == 200

    response = await client.post("/dashboard/logout", data={"form_token": form_token})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    assert "storefront_dashboard=" in response.headers["set-cookie"]
    assert (await client.get("/dashboard")).status_code == 303


async def test_retry_button_requeues_a_failed_order(client: httpx.AsyncClient, settings: Settings) -> None:
    order = await failed_order(client, settings)
    form_token = await log_in(client)
    page = (await client.get("/dashboard")).text
    assert f'data-order="{order["number"]}"' in page
    assert "ERP refused: customer blocked" in page
    retry = f"/dashboard/orders/{order['id']}/retry"

    forged = await client.post(retry, data={"form_token": "forged"})
    assert forged.status_code == 403
    assert (await client.get(f"/api/consumer/orders/{order['id']}")).json()["data"]["status"] == "failed"

    anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://storefront.test")
    async with anonymous:
        response = await anonymous.post(retry, data={"form_token": form_token})
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/login"
    assert (await client.get(f"/api/consumer/orders/{order['id']}")).json()["data"]["status"] == "failed"

    done = await client.post(retry, data={"form_token": form_token})
    assert done.status_code == 303
    assert done.headers["location"] == f"/dashboard?notice=retried&order={order['number']}"
    assert (await client.get(f"/api/consumer/orders/{order['id']}")).json()["data"]["status"] == "accepted"
    page = (await client.get(done.headers["location"])).text
    assert f"Order {order['number']} is queued for the ERP again." in page
    assert f'data-order="{order["number"]}"' not in page

    again = await client.post(retry, data={"form_token": form_token})
    assert again.headers["location"] == "/dashboard?notice=order_not_retryable"


async def test_cancel_button_cancels_an_open_order(client: httpx.AsyncClient, settings: Settings) -> None:
    tea = zoho_item("Cancelled Tea", stock=5, rate=1000)
    await seed(settings, [tea])
    body = {
        "customer": {"name": "Noor", "email": "noor@example.com"},
        "lines": [{"product_id": tea["item_id"], "quantity": 2}],
    }
    order = (await client.post("/api/consumer/orders", json=body)).json()["data"]
    form_token = await log_in(client)
    assert f'data-open-order="{order["number"]}"' in (await client.get("/dashboard")).text
    cancel = f"/dashboard/orders/{order['id']}/cancel"

    forged = await client.post(cancel, data={"form_token": "forged"})
    assert forged.status_code == 403
    assert (await client.get(f"/api/consumer/orders/{order['id']}")).json()["data"]["status"] == "accepted"

    done = await client.post(cancel, data={"form_token": form_token})
    assert done.headers["location"] == f"/dashboard?notice=cancelled&order={order['number']}"
    assert (await client.get(f"/api/consumer/orders/{order['id']}")).json()["data"]["status"] == "cancelled"
    page = (await client.get(done.headers["location"])).text
    assert f"Order {order['number']} is cancelled" in page
    assert f'data-open-order="{order["number"]}"' not in page
    assert (await client.get(f"/api/consumer/products/{tea['item_id']}")).json()["data"]["stock"] == 5


@pytest.mark.parametrize("name", ["chart.umd.min.js", "dashboard.js", "dashboard.css"])
async def test_static_files_are_served_from_the_package(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/dashboard/static/{name}")
    assert response.status_code == 200
    assert len(response.content) > 100


async def test_unknown_static_files_are_404(client: httpx.AsyncClient) -> None:
    for name in ("../endpoints.py", "chart.js.LICENSE.md", "nope.js"):
        assert (await client.get(f"/dashboard/static/{name}")).status_code == 404


async def test_the_chart_shows_this_minutes_hit_rate_per_prefix(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tea = zoho_item("Chart Tea", stock=5, rate=1000)
    await seed(settings, [tea])
    for _ in range(4):
        assert (await client.get(f"/api/bff/mobile/products/{tea['item_id']}")).status_code == 200
    await log_in(client)
    page = (await client.get("/dashboard")).text
    embedded = re.search(r'<script id="hit-rates" type="application/json">(.*?)</script>', page, re.S)
    assert embedded is not None
    series = json.loads(embedded.group(1))
    assert len(series["labels"]) == 1
    assert series["rates"]["bff:product"] == [75.0]  # one miss, then three hits
