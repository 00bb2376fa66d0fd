"""The emulator's Zoho behaviour beyond shapes: quotas, filters, pictures, stock, contacts, orders, webhooks."""

import asyncio
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from storefront.erp.emulator import billing_string, sign, sign_billing
from tests.erp.conftest import Caller
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle, WebhookReceiver

PICTURE = b"\xff\xd8\xff\xe0" + bytes(range(100))


# --- quotas ----------------------------------------------------------------------------------


async def test_authorised_answers_carry_the_daily_quota(emulator: EmulatorHandle, caller: Caller) -> None:
    await emulator.control.configure(daily_quota=50, daily_quota_period_seconds=120)
    answer = await caller.http.get(
        "/inventory/v1/items",
        params={"organization_id": "1"},
        headers={"Authorization": f"Zoho-oauthtoken {caller.token}"},
    )
    assert answer.headers["X-Rate-Limit-Limit"] == "50"
    assert answer.headers["X-Rate-Limit-Remaining"] == "49"
    assert 119 <= int(answer.headers["X-Rate-Limit-Reset"]) <= 120
    refused = await caller.http.get("/inventory/v1/items", params={"organization_id": "1"})
    assert refused.status_code == 401
    assert "X-Rate-Limit-Limit" not in refused.headers


async def test_a_spent_daily_quota_answers_45_until_it_resets(
    emulator: EmulatorHandle, caller: Caller
) -> None:
    await emulator.control.configure(daily_quota=3, daily_quota_period_seconds=1.0)
    statuses = [(await caller.call("GET", "/items")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert caller.exchanges[-1].body["code"] == 45
    assert (await emulator.control.quota())["remaining"] == 0
    await asyncio.sleep(1.1)
    assert (await caller.call("GET", "/items")).status == 200


async def test_the_control_api_sets_and_spends_the_daily_quota(
    emulator: EmulatorHandle, caller: Caller
) -> None:
    quota = await emulator.control.set_quota(daily_quota=100, spend=99)
    assert (quota["used"], quota["remaining"]) == (99, 1)
    assert (await caller.call("GET", "/items")).status == 200
    assert (await caller.call("GET", "/items")).body["code"] == 45
    assert (await emulator.control.set_quota(restart_day=True))["remaining"] == 100
    assert (await caller.call("GET", "/items")).status == 200
    for bad in ({"spend": "lots"}, {"daily_quota": -1}, {"unknown": 1}):
        assert (await emulator.control._http.put("/quota", json=bad)).status_code == 400


def test_the_daily_quota_resets_at_the_configured_time_of_day() -> None:
    from datetime import UTC, datetime

    from storefront.erp.emulator.quota import Quotas
    from storefront.erp.emulator.state import EmulatorConfig

    config = EmulatorConfig(daily_quota=10, daily_quota_reset_time="06:30")
    began = datetime(2026, 11, 20, 6, 0, tzinfo=UTC).timestamp()
    quotas = Quotas()
    quotas.reset(began)
    assert quotas.admit(config, "1", 0.0, began) is None
    assert quotas.status(config, "1", began)["reset_in_seconds"] == 30 * 60
    later = datetime(2026, 11, 20, 6, 31, tzinfo=UTC).timestamp()
    assert quotas.status(config, "1", later)["used"] == 0
    assert quotas.status(config, "1", later)["reset_in_seconds"] == 24 * 3600 - 60


async def test_too_many_calls_at_once_answer_1070(emulator: EmulatorHandle, caller: Caller) -> None:
    await emulator.control.configure(concurrent_call_limit=2)
    await emulator.control.faults(latency_ms=300)
    answers = await asyncio.gather(*(caller.call("GET", "/items") for _ in range(4)))
    assert sorted(answer.status for answer in answers) == [200, 200, 429, 429]
    assert {answer.body["code"] for answer in answers if answer.status == 429} == {1070}
    assert (await emulator.control.quota())["used"] == 2  # refused calls spend nothing


# --- items -----------------------------------------------------------------------------------


async def test_items_honour_the_documented_filters_and_sort_columns(
    emulator: EmulatorHandle, caller: Caller
) -> None:
    items = [
        zoho_item("Black Tea", rate=1500, stock=4, sku="TEA-1"),
        zoho_item("Green Tea", rate=2500, stock=9, sku="TEA-2", group_id="g1", group_name="Teas"),
        zoho_item("Rice", rate=900, stock=30, sku="RICE-1", status="inactive", category_id="cat-2"),
    ]
    await emulator.control.put_items(items, webhooks=False)

    async def names(**params: Any) -> list[str]:
        answer = await caller.call("GET", "/items", params)
        assert answer.status == 200, answer.body
        return [item["name"] for item in answer.body["items"]]

    assert await names(status="inactive") == ["Rice"]
    assert await names(name_contains="tea", sort_column="name") == ["Black Tea", "Green Tea"]
    assert await names(name_startswith="gre") == ["Green Tea"]
    assert await names(name="black tea") == ["Black Tea"]
    assert await names(sku_startswith="TEA", rate_greater_than=2000) == ["Green Tea"]
    assert await names(rate_less_equals=1500, sort_column="rate") == ["Rice", "Black Tea"]
    assert await names(sort_column="stock_on_hand", sort_order="D") == ["Rice", "Green Tea", "Black Tea"]
    assert await names(filter_by="Status.Grouped") == ["Green Tea"]
    assert await names(item_id=items[0]["item_id"]) == ["Black Tea"]
    assert await names(category_id="cat-2") == ["Rice"]
    assert await names(reference_number="anything", filter_by="Status.Active") == ["Black Tea", "Green Tea"]
    for column in (
        "name",
        "sku",
        "rate",
        "purchase_rate",
        "created_time",
        "last_modified_time",
        "reorder_level",
    ):
        assert len(await names(sort_column=column)) == 3
    for bad in ({"status": "gone"}, {"rate": "cheap"}, {"sort_order": "X"}, {"customview_id": "1"}):
        assert (await caller.call("GET", "/items", bad)).body["code"] == 2


async def test_an_edited_item_moves_to_the_end_of_the_listing(
    emulator: EmulatorHandle, caller: Caller
) -> None:
    items = [zoho_item(f"Drift {n}", last_modified_time=f"2026-10-0{n + 1}T00:00:00+0000") for n in range(3)]
    emulator.state.items.load(items)
    params = {"sort_column": "last_modified_time", "per_page": 1}
    first = (await caller.call("GET", "/items", {**params, "page": 1})).body["items"]
    await emulator.control.put_items([{"item_id": items[0]["item_id"], "rate": 5}], webhooks=False)
    second = (await caller.call("GET", "/items", {**params, "page": 2})).body["items"]
    assert [first[0]["name"], second[0]["name"]] == ["Drift 0", "Drift 2"]  # Drift 1 was skipped


async def test_item_pictures_are_served_and_set_through_the_control_api(
    emulator: EmulatorHandle, caller: Caller
) -> None:
    item = zoho_item("Pictured", last_modified_time="2026-10-01T00:00:00+0000")
    emulator.state.items.load([item])
    assert (await caller.call("GET", f"/items/{item['item_id']}/image")).body["code"] == 1002
    fields = await emulator.control.set_image(item["item_id"], PICTURE, "image/jpeg")
    answer = await caller.http.get(
        f"/inventory/v1/items/{item['item_id']}/image",
        params={"organization_id": "1"},
        headers={"Authorization": f"Zoho-oauthtoken {caller.token}"},
    )
    assert (answer.content, answer.headers["content-type"]) == (PICTURE, "image/jpeg")
    shown = (await caller.call("GET", f"/items/{item['item_id']}")).body["item"]
    assert shown["image_type"] == "jpg"
    assert shown["image_document_id"] == fields["image_document_id"] != ""
    assert shown["last_modified_time"] > item["last_modified_time"]
    assert "image_url" not in shown
    await emulator.control.remove_image(item["item_id"])
    shown = (await caller.call("GET", f"/items/{item['item_id']}")).body["item"]
    assert (shown["image_name"], shown["image_document_id"]) == ("", "")
    refused = await emulator.control._http.put("/items", json=[{"item_id": "1", "image_url": "https://x"}])
    assert refused.status_code == 400


async def test_item_details_and_stock_per_location(emulator: EmulatorHandle, caller: Caller) -> None:
    await emulator.control.set_locations(
        [
            {"location_id": "L1", "location_name": "Baghdad", "is_primary": True},
            {"location_id": "L2", "location_name": "Basra"},
        ]
    )
    item = zoho_item("Split", custom_fields=[{"label": "Origin", "api_name": "cf_origin", "value": 7}])
    item["locations"] = [
        {"location_id": "L1", "stock_on_hand": 5, "available_stock": 5, "actual_available_stock": 4},
        {"location_id": "L2", "stock_on_hand": 2, "available_stock": 2, "actual_available_stock": 2},
    ]
    other = zoho_item("Single", stock=3)
    await emulator.control.put_items([item, other], webhooks=False)
    details = (
        await caller.call("GET", "/itemdetails", {"item_ids": f"{item['item_id']},{other['item_id']}"})
    ).body
    split, single = details["items"]
    assert (split["stock_on_hand"], split["actual_available_stock"]) == (7, 6)
    assert [(row["location_name"], row["location_actual_available_stock"]) for row in split["locations"]] == [
        ("Baghdad", "4"),
        ("Basra", "2"),
    ]
    assert split["custom_fields"][0] == {
        "customfield_id": split["custom_fields"][0]["customfield_id"],
        "label": "Origin",
        "api_name": "cf_origin",
        "value": "7",
    }
    assert [row["location_id"] for row in single["locations"]] == ["L1"]
    assert [row["location_name"] for row in (await caller.call("GET", "/locations")).body["locations"]] == [
        "Baghdad",
        "Basra",
    ]
    before = split["last_modified_time"]
    moved = await emulator.control.set_stock(
        item["item_id"], locations=[{"location_id": "L2", "actual_available_stock": 9}]
    )
    assert moved["actual_available_stock"] == 13
    assert (await caller.call("GET", f"/items/{item['item_id']}")).body["item"][
        "last_modified_time"
    ] == before


# --- contacts --------------------------------------------------------------------------------


async def test_contacts_are_unique_by_name_and_found_by_any_persons_email(caller: Caller) -> None:
    persons = [
        {"first_name": "Ali", "email": "ali@example.com", "is_primary_contact": True},
        {"first_name": "Huda", "email": "huda@example.com"},
    ]
    created = await caller.call(
        "POST", "/contacts", json={"contact_name": "Ali Store", "contact_persons": persons}
    )
    assert created.status == 201
    again = await caller.call("POST", "/contacts", json={"contact_name": "ali store"})
    assert (again.status, again.body["code"]) == (400, 3062)
    contact_id = created.body["contact"]["contact_id"]
    found = (await caller.call("GET", "/contacts", {"email": "HUDA@example.com"})).body["contacts"]
    assert [row["contact_id"] for row in found] == [contact_id]
    assert (await caller.call("GET", "/contacts", {"email_contains": "nobody"})).body["contacts"] == []
    assert (
        len((await caller.call("GET", "/contacts", {"contact_name_startswith": "ALI"})).body["contacts"]) == 1
    )
    assert (await caller.call("GET", f"/contacts/{contact_id}")).body["contact"][
        "contact_name"
    ] == "Ali Store"
    assert (await caller.call("GET", "/contacts", {"sort_column": "colour"})).body["code"] == 2


# --- sales orders ----------------------------------------------------------------------------


async def order_scene(emulator: EmulatorHandle, caller: Caller) -> tuple[dict[str, Any], str]:
    item = zoho_item("Ordered", stock=10, last_modified_time="2026-10-01T00:00:00+0000")
    emulator.state.items.load([item])
    await emulator.control.set_pricebook("export_usd", {item["item_id"]: 2}, currency="USD")
    usd = next(book for book in (await caller.call("GET", "/pricebooks")).body["pricebooks"])["currency_id"]
    contact = await caller.call("POST", "/contacts", json={"contact_name": "Buyer", "currency_id": usd})
    return item, contact.body["contact"]["contact_id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency_code": "IQD"}, "currency_code"),
        ({"line_items": [{"item_id": "ITEM", "quantity": 1, "rate": "1500"}]}, "rate"),
        ({"line_items": [{"item_id": "ITEM", "quantity": "2"}]}, "quantity"),
        ({"customer_id": "404404"}, "customer_id"),
        ({"line_items": [{"item_id": "ITEM"}]}, "quantity"),
        ({"location_id": "nowhere"}, "location_id"),
    ],
)
async def test_sales_orders_are_held_to_the_create_schema(
    emulator: EmulatorHandle, caller: Caller, change: dict[str, Any], field: str
) -> None:
    item, customer_id = await order_scene(emulator, caller)
    body = {"customer_id": customer_id, "line_items": [{"item_id": item["item_id"], "quantity": 1}], **change}
    body = json.loads(json.dumps(body).replace("ITEM", item["item_id"]))
    refused = await caller.call("POST", "/salesorders", json=body)
    assert (refused.status, refused.body) == (
        400,
        {"code": 2, "message": f"Invalid value passed for {field}"},
    )
    assert await emulator.control.salesorders() == []


async def test_confirming_commits_stock_and_voiding_gives_it_back(
    emulator: EmulatorHandle, caller: Caller
) -> None:
    item, customer_id = await order_scene(emulator, caller)
    line = {"item_id": item["item_id"], "quantity": 3, "rate": 2}
    created = await caller.call(
        "POST", "/salesorders", json={"customer_id": customer_id, "line_items": [line]}
    )
    order = created.body["salesorder"]
    assert (order["status"], order["currency_code"]) == ("draft", "USD")

    async def stock() -> tuple[Any, Any, Any]:
        shown = (await caller.call("GET", f"/items/{item['item_id']}")).body["item"]
        return shown["available_stock"], shown["actual_available_stock"], shown["last_modified_time"]

    assert await stock() == (10, 10, item["last_modified_time"])  # a draft commits nothing
    confirmed = await caller.call("POST", f"/salesorders/{order['salesorder_id']}/status/confirmed")
    assert confirmed.body == {"code": 0, "message": "Sales Order has been marked as confirmed."}
    assert await stock() == (10, 7, item["last_modified_time"])
    assert (
        await caller.call("POST", f"/salesorders/{order['salesorder_id']}/status/confirmed")
    ).status == 400
    await caller.call("POST", f"/salesorders/{order['salesorder_id']}/status/void")
    assert await stock() == (10, 10, item["last_modified_time"])
    shown = (await caller.call("GET", f"/salesorders/{order['salesorder_id']}")).body["salesorder"]
    assert shown["status"] == "void"


async def test_the_order_list_is_newest_first_and_ignores_undocumented_filters(
    emulator: EmulatorHandle, caller: Caller
) -> None:
    item, customer_id = await order_scene(emulator, caller)
    for reference in ("first", "second"):
        line = {"item_id": item["item_id"], "quantity": 1}
        body = {"customer_id": customer_id, "reference_number": reference, "line_items": [line]}
        await caller.call("POST", "/salesorders", json=body)
    listed = (await caller.call("GET", "/salesorders", {"reference_number": "first"})).body["salesorders"]
    assert [order["reference_number"] for order in listed] == ["second", "first"]


# --- the rest --------------------------------------------------------------------------------


async def test_every_request_is_recorded_as_sent(emulator: EmulatorHandle, caller: Caller) -> None:
    await caller.call("GET", "/items/", {"filter_by": "Status.All"})
    await caller.http.post(
        "/inventory/v1/contacts",
        params={"organization_id": "1"},
        data={"JSONString": json.dumps({"contact_name": "Form"})},
        headers={"Authorization": f"Zoho-oauthtoken {caller.token}"},
    )
    listed, created = await emulator.control.requests()
    assert (listed["method"], listed["path"]) == ("GET", "/items")
    assert listed["query"] == [["organization_id", "1"], ["filter_by", "Status.All"]]
    assert created["form"] == [["JSONString", '{"contact_name": "Form"}']]
    assert caller.exchanges[0].status == 200  # the trailing slash is served, not redirected
    await emulator.control.clear_requests()
    assert await emulator.control.requests() == []


async def test_organizations_need_no_organization_id(caller: Caller) -> None:
    answer = await caller.http.get(
        "/inventory/v1/organizations", headers={"Authorization": f"Zoho-oauthtoken {caller.token}"}
    )
    assert answer.status_code == 200
    assert answer.json()["organizations"][0]["organization_id"] == "1"
    assert (await caller.call("GET", "/organizations/2")).status == 401


@pytest.mark.parametrize("body_format", ["json", "form"])
async def test_webhooks_signed_the_way_zoho_billing_documents(
    emulator: EmulatorHandle, webhook_receiver: WebhookReceiver, body_format: str
) -> None:
    url = webhook_receiver.url + "?b=2&a=1"
    await emulator.control.configure(
        webhook_url=url, webhook_secret="s3cret", webhook_format=body_format, webhook_signature="billing"
    )
    item = zoho_item("Hooked")
    await emulator.control.put_items([item])
    received = await webhook_receiver.next()
    signature = received.headers["x-zoho-webhook-signature"]
    if body_format == "json":
        assert received.headers["content-type"] == "application/json"
        expected = b"a1b2" + received.body
        assert json.loads(received.body)["item"]["item_id"] == item["item_id"]
        assert signature == sign_billing("s3cret", [("b", "2"), ("a", "1")], body=received.body)
    else:
        assert received.headers["content-type"] == "application/x-www-form-urlencoded"
        form = parse_qsl(received.body.decode())
        assert json.loads(dict(form)["item"])["item_id"] == item["item_id"]
        expected = b"a1b2item" + dict(form)["item"].encode()
        assert signature == sign_billing("s3cret", [("a", "1"), ("b", "2")], form=form)
    assert (
        billing_string(
            [("b", "2"), ("a", "1")], body=received.body, form=form if body_format == "form" else None
        )
        == expected
    )
    assert signature == hmac.new(b"s3cret", expected, hashlib.sha256).hexdigest()
    assert signature != sign("s3cret", received.body)


async def test_form_webhooks_signed_over_the_raw_body(
    emulator: EmulatorHandle, webhook_receiver: WebhookReceiver
) -> None:
    await emulator.control.configure(
        webhook_url=webhook_receiver.url, webhook_secret="k", webhook_format="form"
    )
    await emulator.control.put_items([zoho_item("Form hook")])
    received = await webhook_receiver.next()
    assert received.headers["x-zoho-webhook-signature"] == sign("k", received.body)


async def test_bad_options_are_refused_whole(emulator: EmulatorHandle) -> None:
    http = emulator.control._http
    for bad in (
        {"webhook_format": "xml"},
        {"daily_quota": -5},
        {"daily_quota_reset_time": "25:99"},
        {"request_log_size": "many"},
        {"concurrent_call_limit": 2, "webhook_signature": "md5"},
    ):
        assert (await http.put("/config", json=bad)).status_code == 400, bad
    config = await emulator.control.configure()
    assert (config["concurrent_call_limit"], config["webhook_format"]) == (10, "json")
