"""Every operator endpoint of the sync service wants the admin bearer token."""

import httpx
import pytest

pytestmark = pytest.mark.asyncio

OPERATOR_ENDPOINTS = [
    ("POST", "/api/consumer/sync/inventory"),
    ("POST", "/api/consumer/sync/inventory?wait=true"),
    ("GET", "/api/tds/runs"),
    ("GET", "/api/tds/runs/6f1d2a3e-0000-4000-8000-000000000000"),
    ("GET", "/api/tds/events"),
    ("GET", "/api/tds/events?name=tds.sync.started&after=0"),
]
BAD_CREDENTIALS = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "Basic dGVzdC1hZG1pbi10b2tlbi0wMTIzNDU2Nzg5"},
    {"Authorization": "test-admin-token-0123456789"},
]


@pytest.mark.parametrize(("method", "path"), OPERATOR_ENDPOINTS)
@pytest.mark.parametrize("headers", BAD_CREDENTIALS, ids=["none", "empty", "wrong", "basic", "no-scheme"])
async def test_operator_endpoints_refuse_a_missing_or_wrong_token(
    shop: httpx.AsyncClient, admin_headers: dict[str, str], method: str, path: str, headers: dict[str, str]
) -> None:
    response = await shop.request(method, path, headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error"
    assert body["error"]["code"] == "unauthorized"
    assert "test-admin-token" not in response.text
    runs = await shop.get("/api/tds/runs", headers=admin_headers)
    assert runs.json()["meta"]["total"] == 0


@pytest.mark.parametrize(("method", "path"), OPERATOR_ENDPOINTS[2:])
async def test_operator_reads_answer_with_the_token(
    shop: httpx.AsyncClient, admin_headers: dict[str, str], method: str, path: str
) -> None:
    response = await shop.request(method, path, headers=admin_headers)

    assert response.status_code in {200, 404}
    assert response.json()["status"] in {"success", "error"}
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "sync_run_not_found"


async def test_sync_status_is_public(shop: httpx.AsyncClient) -> None:
    response = await shop.get("/api/consumer/sync/status")

    assert response.status_code == 200
    assert response.json()["data"]["running"] is False
