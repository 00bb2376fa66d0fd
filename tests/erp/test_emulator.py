"""The emulator speaks Zoho: raw HTTP against it, the way any Zoho client would see it."""

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle, WebhookReceiver


@pytest.fixture
async def http(emulator: EmulatorHandle) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=emulator.url, timeout=10) as client:
        yield client


def token_form(**overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "client_id": "emulator",
        "client_secret": "emulator",
        "refresh_token": "emulator",
    }
    form.update(overrides)
    return form


async def access_token(http: httpx.AsyncClient) -> str:
    answer = (await http.post("/oauth/v2/token", data=token_form())).json()
    return str(answer["access_token"])


async def api_get(http: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    token = await access_token(http)
    return await http.get(
        f"/inventory/v1{path}",
        params={"organization_id": "1", **params},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )


async def test_token_answer_has_zoho_shape(http: httpx.AsyncClient) -> None:
    answer = await http.post("/oauth/v2/token", params=token_form())
    body = answer.json()
    assert answer.status_code == 200
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("1000.")
    assert body["api_domain"] == http.base_url.join("/").__str__().rstrip("/")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [({"client_secret": "wrong"}, "invalid_client"), ({"refresh_token": "wrong"}, "invalid_code")],
)
async def test_bad_credentials_answer_200_with_an_error(
    http: httpx.AsyncClient, overrides: dict[str, str], error: str
) -> None:
    answer = await http.post("/oauth/v2/token", data=token_form(**overrides))
    assert answer.status_code == 200
    assert answer.json() == {"error": error}


async def test_eleventh_token_request_in_ten_minutes_is_denied(http: httpx.AsyncClient) -> None:
    for _ in range(10):
        assert "access_token" in (await http.post("/oauth/v2/token", data=token_form())).json()
    denied = await http.post("/oauth/v2/token", data=token_form())
    assert denied.json()["error"] == "Access Denied"
    assert "too many requests" in denied.json()["error_description"]


async def test_only_ten_tokens_live_and_the_oldest_dies(http: httpx.AsyncClient) -> None:
    tokens = [await access_token(http) for _ in range(10)]
    await http.put("/_emulator/config", json={"token_requests_per_window": 100})
    newest = await access_token(http)

    async def status_with(token: str) -> int:
        answer = await http.get(
            "/inventory/v1/items",
            params={"organization_id": "1"},
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
        )
        return answer.status_code

    assert await status_with(tokens[0]) == 401
    assert await status_with(tokens[1]) == 200
    assert await status_with(newest) == 200


async def test_api_needs_the_oauth_header_and_a_live_token(http: httpx.AsyncClient) -> None:
    missing = await http.get("/inventory/v1/items", params={"organization_id": "1"})
    assert (missing.status_code, missing.json()["code"]) == (401, 14)
    unknown = await http.get(
        "/inventory/v1/items",
        params={"organization_id": "1"},
        headers={"Authorization": "Zoho-oauthtoken 1000.nope"},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (401, 57)
    token = await access_token(http)
    await http.put("/_emulator/faults", json={"expire_tokens": True})
    expired = await http.get(
        "/inventory/v1/items",
        params={"organization_id": "1"},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )
    assert (expired.status_code, expired.json()["code"]) == (401, 57)


async def test_wrong_organization_is_refused(http: httpx.AsyncClient) -> None:
    answer = await api_get(http, "/items", organization_id="2")
    assert answer.status_code == 401


async def test_items_page_and_filter(http: httpx.AsyncClient) -> None:
    items = [zoho_item(f"Item {n}") for n in range(5)]
    items[1]["status"] = "inactive"
    await http.put("/_emulator/items", json=items)

    first = (await api_get(http, "/items", per_page=2, page=1)).json()
    assert first["code"] == 0
    assert first["page_context"] == {"page": 1, "per_page": 2, "has_more_page": True}
    last = (await api_get(http, "/items", per_page=2, page=3)).json()
    assert last["page_context"]["has_more_page"] is False
    assert len(last["items"]) == 1

    active = (await api_get(http, "/items", filter_by="Status.Active")).json()["items"]
    inactive = (await api_get(http, "/items", filter_by="Status.Inactive")).json()["items"]
    assert {item["item_id"] for item in inactive} == {items[1]["item_id"]}
    assert len(active) == 4

    found = (await api_get(http, "/items", search_text="item 3")).json()["items"]
    assert [item["name"] for item in found] == ["Item 3"]
    by_name = (await api_get(http, "/items", sort_column="name", sort_order="D")).json()["items"]
    assert [item["name"] for item in by_name] == [f"Item {n}" for n in range(4, -1, -1)]


@pytest.mark.parametrize(
    "params",
    [{"per_page": "201"}, {"page": "0"}, {"filter_by": "Status.Gone"}, {"last_modified_time": "yesterday"}],
)
async def test_invalid_list_parameters_get_code_2(http: httpx.AsyncClient, params: dict[str, str]) -> None:
    answer = await api_get(http, "/items", **params)
    assert (answer.status_code, answer.json()["code"]) == (400, 2)


async def test_upsert_bumps_last_modified_time_for_incremental_reads(
    http: httpx.AsyncClient, emulator: EmulatorHandle
) -> None:
    old = [zoho_item(f"Old {n}") for n in range(3)]
    emulator.state.items.load(old)
    changed = zoho_item("Changed")
    await http.put("/_emulator/items", json=[changed])
    since = (await api_get(http, "/items", last_modified_time="2026-11-02T00:00:00+0000")).json()["items"]
    assert [item["item_id"] for item in since] == [changed["item_id"]]
    assert since[0]["last_modified_time"] != changed["last_modified_time"]


async def test_single_item_has_locations_and_unknown_is_1002(http: httpx.AsyncClient) -> None:
    item = zoho_item("Located", stock=7)
    await http.put("/_emulator/items", json=[item])
    body = (await api_get(http, f"/items/{item['item_id']}")).json()
    assert (
        body["item"]["locations"][0]["location_actual_available_stock"] == "7"
    )  # a string, as the spec says
    missing = await api_get(http, "/items/404404")
    assert (missing.status_code, missing.json()["code"]) == (404, 1002)
    await http.delete(f"/_emulator/items/{item['item_id']}")
    assert (await api_get(http, f"/items/{item['item_id']}")).status_code == 404


async def test_pricebooks_list_and_rates(http: httpx.AsyncClient) -> None:
    await http.put("/_emulator/pricebooks/consumer_iqd", json={"currency": "IQD", "rates": {"11": 1500}})
    books = (await api_get(http, "/pricebooks")).json()["pricebooks"]
    assert [(book["name"], book["currency_code"]) for book in books] == [("consumer_iqd", "IQD")]
    book = (await api_get(http, f"/pricebooks/{books[0]['pricebook_id']}")).json()["pricebook"]
    assert [(row["item_id"], row["pricebook_rate"]) for row in book["pricebook_items"]] == [("11", 1500)]
    assert "name" not in book["pricebook_items"][0]  # the item is unknown to the ERP


async def test_rate_limit_answers_429_code_44(http: httpx.AsyncClient) -> None:
    await http.put("/_emulator/config", json={"rate_limit_per_minute": 3})
    statuses = [(await api_get(http, "/items")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert (await api_get(http, "/items")).json()["code"] == 44


async def test_duplicate_salesorder_number_is_refused(http: httpx.AsyncClient) -> None:
    token = await access_token(http)
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    item = zoho_item("Ordered")
    await http.put("/_emulator/items", json=[item])
    contact = await http.post(
        "/inventory/v1/contacts",
        params={"organization_id": "1"},
        headers=headers,
        json={
            "contact_name": "Ali",
            "contact_persons": [{"email": "ali@example.com", "is_primary_contact": True}],
        },
    )
    customer_id = contact.json()["contact"]["contact_id"]
    order = {
        "customer_id": customer_id,
        "salesorder_number": "SF-1",
        "reference_number": "ref-1",
        "line_items": [{"item_id": item["item_id"], "rate": 1500, "quantity": 2}],
    }
    params = {"organization_id": "1", "ignore_auto_number_generation": "true"}
    created = await http.post("/inventory/v1/salesorders", params=params, headers=headers, json=order)
    assert created.status_code == 201
    assert created.json()["salesorder"]["total"] == 3000
    again = await http.post("/inventory/v1/salesorders", params=params, headers=headers, json=order)
    assert again.status_code == 400
    assert again.json()["code"] != 0
    assert len((await http.get("/_emulator/salesorders")).json()["salesorders"]) == 1


@pytest.mark.parametrize(
    "body",
    [{"error_rate": 2}, {"down": "yes"}, {"lose_order_answers": -1}, {"unknown": True}, [1, 2]],
)
async def test_bad_fault_settings_are_refused(http: httpx.AsyncClient, body: Any) -> None:
    answer = await http.put("/_emulator/faults", json=body)
    assert answer.status_code == 400
    faults = (await http.get("/_emulator/stats")).json()["faults"]
    assert faults["error_rate"] == 0
    assert faults["down"] is False


async def test_bad_item_upserts_are_refused(http: httpx.AsyncClient) -> None:
    for body in ({"not": "a list"}, [{"name": "no id"}], ["text"]):
        assert (await http.put("/_emulator/items", json=body)).status_code == 400
    assert (await http.get("/_emulator/stats")).json()["items"] == 0


async def test_stats_count_calls_by_endpoint_and_status(http: httpx.AsyncClient) -> None:
    await api_get(http, "/items")
    await api_get(http, "/items/1")
    stats = (await http.get("/_emulator/stats")).json()
    assert stats["calls"]["GET /items"] == {"200": 1}
    assert stats["calls"]["GET /items/{id}"] == {"404": 1}
    assert stats["calls"]["POST /oauth/v2/token"] == {"200": 2}


async def test_item_changes_send_signed_webhooks(
    http: httpx.AsyncClient, webhook_receiver: WebhookReceiver
) -> None:
    await http.put(
        "/_emulator/config", json={"webhook_url": webhook_receiver.url, "webhook_secret": "s3cret"}
    )
    item = zoho_item("Hooked")
    await http.put("/_emulator/items", json=[item])
    received = await webhook_receiver.next()
    expected = hmac.new(b"s3cret", received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-zoho-webhook-signature"] == expected
    assert json.loads(received.body)["item"]["item_id"] == item["item_id"]


async def test_demo_catalog_preloads_items_and_consumer_prices(emulator: EmulatorHandle) -> None:
    await emulator.control.configure(demo_items=50)
    await emulator.control.reset()
    stats = await emulator.control.stats()
    assert stats["items"] == 50
    assert emulator.state.pricebooks["consumer_iqd"].currency_code == "IQD"


async def test_books_path_serves_the_same_api(http: httpx.AsyncClient) -> None:
    item = zoho_item("In Books")
    await http.put("/_emulator/items", json=[item])
    token = await access_token(http)
    answer = await http.get(
        f"/books/v3/items/{item['item_id']}",
        params={"organization_id": "1"},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )
    assert answer.json()["item"]["name"] == "In Books"


async def test_error_rate_and_down_faults(http: httpx.AsyncClient) -> None:
    await http.put("/_emulator/faults", json={"error_rate": 1.0})
    failed = await api_get(http, "/items")
    assert (failed.status_code, failed.json()["code"]) == (500, 1000)
    await http.put("/_emulator/faults", json={"error_rate": 0.0, "down": True})
    assert (await http.post("/oauth/v2/token", data=token_form())).status_code == 503
    await http.put("/_emulator/faults", json={"down": False})
    assert (await api_get(http, "/items")).status_code == 200


async def test_latency_fault_slows_api_calls(http: httpx.AsyncClient) -> None:
    token = await access_token(http)
    await http.put("/_emulator/faults", json={"latency_ms": 250})
    started = time.monotonic()
    answer = await http.get(
        "/inventory/v1/items",
        params={"organization_id": "1"},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
    )
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.25


async def test_deleting_an_item_sends_a_webhook(
    http: httpx.AsyncClient, webhook_receiver: WebhookReceiver
) -> None:
    item = zoho_item("Going away")
    await http.put("/_emulator/items?webhooks=false", json=[item])
    await http.put("/_emulator/config", json={"webhook_url": webhook_receiver.url, "webhook_secret": "k"})
    assert (await http.delete(f"/_emulator/items/{item['item_id']}")).status_code == 200
    received = json.loads((await webhook_receiver.next()).body)
    assert received["item"]["item_id"] == item["item_id"]
    assert received["item"]["status"] == "deleted"
    assert (await http.delete(f"/_emulator/items/{item['item_id']}")).status_code == 404


async def test_unsigned_webhooks_without_a_secret(
    http: httpx.AsyncClient, webhook_receiver: WebhookReceiver
) -> None:
    await http.put("/_emulator/config", json={"webhook_url": webhook_receiver.url})
    await http.put("/_emulator/items", json=[zoho_item("Unsigned")])
    received = await webhook_receiver.next()
    assert "x-zoho-webhook-signature" not in received.headers


async def test_secrets_are_not_shown_by_the_config_endpoint(http: httpx.AsyncClient) -> None:
    await http.put("/_emulator/config", json={"webhook_secret": "hidden-value"})
    shown = (await http.get("/_emulator/config")).text
    assert "hidden-value" not in shown
    assert "client_secret" not in shown
