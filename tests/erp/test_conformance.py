"""Every answer the emulator serves, judged by the project's contract and, where at hand, by Zoho's files."""

from typing import Any

import pytest

from storefront.erp.emulator.api import api_routes
from storefront.erp.emulator.contract import OPERATIONS, STR, Obj, Shape, operation_for, violations
from tests.erp.conftest import Caller, Exchange
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle
from tests.support.zoho_oas import SKIP_REASON, UNDOCUMENTED, available, spec

needs_files = pytest.mark.skipif(not available(), reason=SKIP_REASON)
PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


async def build_organisation(emulator: EmulatorHandle) -> dict[str, Any]:
    """Two locations, items with stock at both, a picture, custom fields, a group, three kinds of price book."""
    control = emulator.control
    http = control._http
    locations = [
        {"location_id": "460000000000001", "location_name": "Main Warehouse", "is_primary": True},
        {"location_id": "460000000000002", "location_name": "Basra Store"},
    ]
    assert (await http.put("/locations", json=locations)).status_code == 200
    spread = zoho_item(
        "Spread Tea",
        group_id="7001",
        group_name="Teas",
        custom_fields=[{"label": "Origin", "value": "Ceylon"}],
        locations=[
            {
                "location_id": "460000000000001",
                "location_stock_on_hand": 5,
                "location_available_stock": 5,
                "location_actual_available_stock": 5,
            },
            {
                "location_id": "460000000000002",
                "stock_on_hand": 3,
                "available_stock": 3,
                "actual_available_stock": 3,
            },
        ],
    )
    for name in ("stock_on_hand", "available_stock", "actual_available_stock"):
        spread.pop(name)
    plain, inactive = zoho_item("Plain Rice", stock=12, rate=2500), zoho_item("Old Soap", status="inactive")
    await control.put_items([spread, plain, inactive], webhooks=False)
    answer = await http.put(
        f"/items/{spread['item_id']}/image", content=PICTURE, headers={"Content-Type": "image/png"}
    )
    assert answer.status_code == 200, answer.text
    ids = {"spread": spread["item_id"], "plain": plain["item_id"], "inactive": inactive["item_id"]}
    await control.set_pricebook("consumer_iqd", {ids["spread"]: 1500, ids["plain"]: 2750})
    volume = {
        "currency": "IQD",
        "pricing_scheme": "volume",
        "brackets": {
            ids["plain"]: [
                {"start_quantity": 1, "end_quantity": 9, "pricebook_rate": 2600},
                {"start_quantity": 10, "pricebook_rate": 2400},
            ]
        },
    }
    assert (await http.put("/pricebooks/wholesale", json=volume)).status_code == 200
    percentage = {
        "currency": "USD",
        "pricebook_type": "fixed_percentage",
        "percentage": 10,
        "is_increase": False,
    }
    assert (await http.put("/pricebooks/export_usd", json=percentage)).status_code == 200
    return ids


async def exercise(caller: Caller, ids: dict[str, str]) -> None:
    """Every operation the emulator serves, with its success and its usual refusals."""
    call = caller.call
    await call("GET", "/items")
    for params in (
        {"filter_by": "Status.Active", "sort_column": "stock_on_hand", "sort_order": "D"},
        {"name_contains": "tea", "sku_startswith": "T-", "rate_greater_equals": 1000, "status": "active"},
        {"last_modified_time": "2026-01-01T00:00:00+0000", "per_page": 1, "page": 2},
        {"location_id": "460000000000002", "group_id": "7001", "search_text": "spread"},
    ):
        await call("GET", "/items", params)
    await call("GET", "/items", {"filter_by": "Status.Gone"})
    await call("GET", "/items", {"sort_column": "colour"})
    await call("GET", "/itemdetails", {"item_ids": f"{ids['spread']},{ids['plain']},404404"})
    await call("GET", "/itemdetails")
    await call("GET", f"/items/{ids['spread']}")
    await call("GET", "/items/404404")
    await call("GET", f"/items/{ids['spread']}/image")
    await call("GET", f"/items/{ids['plain']}/image")
    await call("GET", "/itemgroups")
    await call("GET", "/itemgroups/7001")
    await call("GET", "/itemgroups/404404")
    books = (await call("GET", "/pricebooks")).body["pricebooks"]
    for book in books:
        await call("GET", f"/pricebooks/{book['pricebook_id']}")
    await call("GET", "/pricebooks/404404")
    usd = next(book for book in books if book["currency_code"] == "USD")
    person = {
        "first_name": "Noor",
        "email": "noor@example.com",
        "phone": "+9647700000000",
        "is_primary_contact": True,
    }
    contact = await call(
        "POST",
        "/contacts",
        json={"contact_name": "Noor Ali", "contact_type": "customer", "contact_persons": [person]},
    )
    await call("POST", "/contacts", json={"contact_name": "Noor Ali"})
    exporter = await call(
        "POST", "/contacts", json={"contact_name": "Export Co", "currency_id": usd["currency_id"]}
    )
    await call("POST", "/contacts", json={"contact_name": "Bad Currency", "currency_id": "1"})
    await call("GET", "/contacts", {"email": "NOOR@example.com", "sort_column": "created_time"})
    await call("GET", "/contacts", {"contact_name_contains": "co", "filter_by": "Status.Active"})
    await call("GET", f"/contacts/{contact.body['contact']['contact_id']}")
    await call("GET", "/contacts/404404")
    line = {"item_id": ids["spread"], "rate": 1500, "quantity": 2, "location_id": "460000000000002"}
    order = await call(
        "POST",
        "/salesorders",
        {"ignore_auto_number_generation": "true"},
        json={
            "customer_id": contact.body["contact"]["contact_id"],
            "salesorder_number": "SF-1",
            "line_items": [line],
        },
    )
    await call(
        "POST",
        "/salesorders",
        json={
            "customer_id": exporter.body["contact"]["contact_id"],
            "line_items": [{"item_id": ids["plain"], "quantity": 1}],
        },
    )
    bad = {"customer_id": contact.body["contact"]["contact_id"], "currency_code": "IQD", "line_items": [line]}
    await call("POST", "/salesorders", json=bad)
    order_id = order.body["salesorder"]["salesorder_id"]
    await call("GET", "/salesorders", {"per_page": 1})
    await call("GET", f"/salesorders/{order_id}")
    await call("GET", "/salesorders/404404")
    second = await call(
        "POST",
        "/salesorders",
        json={"customer_id": contact.body["contact"]["contact_id"], "line_items": [line]},
    )
    await call(
        "POST",
        "/salesorders/status/confirmed",
        {"salesorder_ids": second.body["salesorder"]["salesorder_id"]},
    )
    await call("POST", "/salesorders/status/confirmed", {"salesorder_ids": f"{order_id},404404"})
    await call("POST", f"/salesorders/{order_id}/status/confirmed")
    await call("POST", f"/salesorders/{order_id}/status/confirmed")
    await call("POST", f"/salesorders/{order_id}/status/void")
    await call("POST", "/salesorders/404404/status/void")
    await call("GET", "/organizations")
    await call("GET", "/organizations/1")
    await call("GET", "/locations")
    await call("GET", "/locations", {"location_type": "general", "is_hierarchical_response": "false"})
    await call("GET", "/locations/460000000000002")
    await call("GET", "/locations/404404")
    await call("GET", "/warehouses")
    await call("DELETE", f"/items/{ids['plain']}")


@pytest.fixture
async def exchanges(emulator: EmulatorHandle, caller: Caller) -> list[Exchange]:
    ids = await build_organisation(emulator)
    await exercise(caller, ids)
    return caller.exchanges


def served_operations() -> set[tuple[str, str]]:
    served = set()
    for route in api_routes(emulator_state()):
        served.update((method, route.path) for method in route.methods or () if method != "HEAD")
    return served


def emulator_state() -> Any:
    from storefront.erp.emulator import EmulatorState

    return EmulatorState.create()


def test_the_contract_names_every_operation_the_emulator_serves() -> None:
    assert {(op.method, op.path) for op in OPERATIONS} == served_operations()


async def test_every_operation_is_exercised_with_success_and_refusal(exchanges: list[Exchange]) -> None:
    succeeded = {
        (op.method, op.path) for e in exchanges if e.status < 300 and (op := operation_for(e.method, e.path))
    }
    assert succeeded == {(op.method, op.path) for op in OPERATIONS}
    assert {e.status for e in exchanges} >= {200, 201, 400, 404, 405}


async def test_every_answer_keeps_the_contract(exchanges: list[Exchange]) -> None:
    problems = []
    for exchange in exchanges:
        if exchange.status >= 400:
            body = exchange.body
            if not (
                isinstance(body, dict)
                and isinstance(body.get("code"), int)
                and body["code"] != 0
                and isinstance(body.get("message"), str)
            ):
                problems.append(
                    (exchange.method, exchange.path, exchange.status, "not Zoho's error envelope")
                )
            continue
        op = operation_for(exchange.method, exchange.path)
        assert op is not None, exchange.path
        if op.answer is None:
            assert exchange.content_type.startswith("image/")
            assert exchange.body == PICTURE
            continue
        problems.extend(
            (exchange.method, exchange.path, *p) for p in violations(op.answer, exchange.body, closed=False)
        )
    assert problems == []


@needs_files
async def test_every_answer_keeps_zohos_published_files(exchanges: list[Exchange]) -> None:
    judge = spec()
    problems = [
        (e.method, e.path, e.status, problem.text)
        for e in exchanges
        for problem in judge.answer_problems(e.method, e.path, e.status, e.body)
    ]
    assert problems == []


async def test_unknown_routes_answer_zohos_json_error(caller: Caller) -> None:
    missing = await caller.call("GET", "/items/1/nowhere")
    wrong_method = await caller.call("PUT", "/salesorders")
    assert (missing.status, missing.body["code"]) == (404, 5)
    assert (wrong_method.status, wrong_method.body["code"]) == (405, 37)
    assert all(e.content_type.startswith("application/json") for e in caller.exchanges)


def _type_of(schema: dict[str, Any]) -> Shape:
    if "properties" in schema or schema.get("type") == "object":
        return Obj({name: _type_of(inner) for name, inner in schema.get("properties", {}).items()})
    if schema.get("type") == "array":
        return [_type_of(schema.get("items", {}))]
    return str(schema.get("type", STR))


def _disagreements(ours: Shape, theirs: Shape, where: str, *, same_fields: bool) -> list[str]:
    if isinstance(ours, Obj):
        if not isinstance(theirs, Obj):
            return [f"{where}: an object here, {theirs!r} in the files"]
        found = []
        for name, shape in ours.fields.items():
            if name in theirs.fields:
                found += _disagreements(
                    shape, theirs.fields[name], f"{where}.{name}", same_fields=same_fields
                )
            elif same_fields:
                found.append(f"{where}.{name}: not in the files")
        if same_fields:
            found += [
                f"{where}.{name}: in the files, not here" for name in theirs.fields if name not in ours.fields
            ]
        return found
    if isinstance(ours, list):
        if not isinstance(theirs, list):
            return [f"{where}: an array here, {theirs!r} in the files"]
        return _disagreements(ours[0], theirs[0], where + "[]", same_fields=same_fields)
    return [] if ours == theirs else [f"{where}: {ours} here, {theirs} in the files"]


@needs_files
def test_the_contract_agrees_with_zohos_published_files() -> None:
    """Same paths, parameters and types; request bodies name exactly the files' fields."""
    judge = spec()
    problems: list[str] = []
    for op in OPERATIONS:
        found = judge.find(op.method, op.path.replace("{", "x").replace("}", "x"))
        if found is None or found.template != op.path:
            if (op.method, op.path) not in UNDOCUMENTED:
                problems.append(f"{op.method} {op.path}: not in the files")
            continue
        for name, kind in op.query.items():
            documented = found.parameters.get(name)
            if documented is None:
                problems.append(f"{op.method} {op.path}: parameter {name} is not documented")
            elif documented.get("schema", {}).get("type", STR) != kind:
                problems.append(f"{op.method} {op.path}: {name} is a {kind} here, not in the files")
        if op.body is not None:
            theirs = _type_of(
                judge.resolved(found.schema_ref("requestBody", "content", "application/json", "schema"))
            )
            problems += _disagreements(op.body, theirs, f"{op.method} {op.path} body", same_fields=True)
        if op.answer is not None:
            status = str(op.status)
            theirs = _type_of(
                judge.resolved(found.schema_ref("responses", status, "content", "application/json", "schema"))
            )
            if op.method == "POST" and op.path == "/salesorders":
                assert isinstance(theirs, Obj)
                theirs = Obj({**theirs.fields, "salesorder": theirs.fields["sales_order"]})
            problems += _disagreements(op.answer, theirs, f"{op.method} {op.path} answer", same_fields=False)
    assert problems == []


@needs_files
def test_the_judge_sees_a_broken_answer() -> None:
    judge = spec()
    located = {"code": 0, "message": "success", "item": {"locations": [{"location_stock_on_hand": 5}]}}
    created = {"code": 0, "message": "success", "salesorder": {"total": "5"}}
    assert judge.answer_problems("GET", "/items/1", 200, located)
    assert judge.answer_problems("POST", "/salesorders", 201, created)
    assert judge.answer_problems("POST", "/contacts", 200, {"code": 0, "message": "success"})
    assert judge.answer_problems("GET", "/items", 500, "Internal error")
