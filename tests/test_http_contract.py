import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

pytestmark = pytest.mark.asyncio


async def test_success_envelope_echoes_a_given_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json() == {
        "status": "success",
        "data": {"status": "ok"},
        "meta": {"request_id": "abc-123"},
    }


async def test_an_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"
    assert len(response.headers["x-request-id"]) == 32


async def test_unknown_route_is_404_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/consumer/nowhere")
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["code"] == "not_found"
    assert body["meta"]["request_id"] == response.headers["x-request-id"]


async def test_wrong_method_is_405_in_the_envelope(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/consumer/products")
    assert response.status_code == 405
    body = response.json()
    assert body["status"] == "error"
    assert body["error"]["code"] == "method_not_allowed"
    assert response.headers["x-request-id"] == body["meta"]["request_id"]


@pytest.fixture
async def failing_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async def explode() -> None:
        raise RuntimeError("database password is hunter2")

    app.add_api_route("/boom", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as http:
        yield http


async def test_unhandled_error_is_500_without_internals(
    failing_client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = await failing_client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-500"
    body = response.json()
    assert body == {
        "status": "error",
        "error": {"code": "internal_error", "message": "An internal error occurred.", "details": None},
        "meta": {"request_id": "req-500"},
    }
    assert "hunter2" not in response.text
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    failure = next(line for line in logged if line["event"] == "unhandled_error")
    assert failure["request_id"] == "req-500"
    assert "RuntimeError" in failure["exception"]


async def test_readiness_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["data"]["checks"]["database"] == "ok"


async def test_readiness_is_503_when_the_database_is_unreachable(make_settings: object) -> None:
    from asgi_lifespan import LifespanManager

    from storefront.app import create_app

    settings = make_settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")  # type: ignore[operator]
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as http:
            response = await http.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["error"]["code"] == "not_ready"
    assert "nobody" not in response.text
