"""What the Zoho client sends, judged by the project's contract and, where at hand, by Zoho's files.

The emulator records every request it receives. Each entry of CLIENT_CALLS drives one client call;
the test checks each kind of rule separately. Add an entry for each call the client gains.
"""

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from storefront.erp.emulator.catalogs import PRIMARY_LOCATION_ID
from storefront.erp.emulator.contract import BOOL, INT, NUM, operation_for, violations
from storefront.erp.errors import ErpRejected
from storefront.erp.zoho import ZohoClient
from storefront.orders.salesorders import contact_name, salesorder_payload
from storefront.sync.listing import Cursor, list_modified
from tests.erp.conftest import MakeClient
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle
from tests.support.zoho_oas import Problem, available, spec

KINDS = ("path", "parameter", "field", "type", "required")


@dataclass(frozen=True)
class Scene:
    """What the ERP holds before a call: one priced item, one customer, one draft sales order."""

    item_id: str
    customer_id: str
    salesorder_id: str


@dataclass(frozen=True)
class ClientCall:
    name: str
    drive: Callable[[ZohoClient, Scene], Awaitable[object]]


async def _listing(client: ZohoClient, since: datetime | None = None) -> None:
    async for _ in list_modified(client, Cursor(since)):
        pass


def _payload(
    scene: Scene, number: str = "SF-261120-TEST", counted_stock: dict[str, dict[str, int]] | None = None
) -> dict[str, Any]:
    """The sales order the order push builds, for a two-unit order of the scene's item."""
    order = SimpleNamespace(
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
        number=number,
        customer_name="Noor Ali",
        customer_email="noor@example.com",
        customer_phone=None,
        notes="Ring twice",
    )
    line = SimpleNamespace(erp_item_id=scene.item_id, name="Tea", unit_price=Decimal("1500.00"), quantity=2)
    return salesorder_payload(order, [line], scene.customer_id, counted_stock)


CLIENT_CALLS = (
    ClientCall("listing", lambda client, _: _listing(client)),
    ClientCall("listing_since", lambda client, _: _listing(client, datetime(2026, 11, 1, tzinfo=UTC))),
    ClientCall("list_items_active", lambda client, _: client.list_items(include_inactive=False)),
    ClientCall("get_item", lambda client, scene: client.get_item(scene.item_id)),
    ClientCall("get_item_details", lambda client, scene: client.get_item_details([scene.item_id, "4815"])),
    ClientCall("get_pricebook", lambda client, _: client.get_pricebook("consumer_iqd")),
    ClientCall("find_contact_by_email", lambda client, _: client.find_contact_by_email("noor@example.com")),
    ClientCall("find_contacts_by_name", lambda client, _: client.find_contacts_by_name("Noor Ali")),
    ClientCall(
        "create_contact",
        lambda client, _: client.create_contact(
            contact_name("Sara Hadi", "sara@example.com"),
            "sara@example.com",
            "+9647711111111",
            "460000000000011",
        ),
    ),
    ClientCall("create_salesorder", lambda client, scene: client.create_salesorder(_payload(scene))),
    ClientCall(
        "create_salesorder_at_a_location",
        lambda client, scene: client.create_salesorder(
            _payload(scene, "SF-261120-LOCATED", {scene.item_id: {PRIMARY_LOCATION_ID: 5}})
        ),
    ),
    ClientCall("get_item_image", lambda client, scene: client.get_item_image(scene.item_id, 1_000_000)),
    ClientCall("list_locations", lambda client, _: client.list_locations()),
    ClientCall("get_salesorder", lambda client, scene: client.get_salesorder(scene.salesorder_id)),
    ClientCall("list_salesorders", lambda client, _: client.list_salesorders(2)),
    ClientCall(
        "confirm_salesorders", lambda client, scene: client.confirm_salesorders([scene.salesorder_id])
    ),
    ClientCall("confirm_salesorder", lambda client, scene: client.confirm_salesorder(scene.salesorder_id)),
    ClientCall("void_salesorder", lambda client, scene: client.void_salesorder(scene.salesorder_id)),
)


def contract_problems(recorded: dict[str, Any]) -> list[Problem]:
    """The project's own contract as judge: runs everywhere."""
    op = operation_for(recorded["method"], recorded["path"])
    if op is None:
        return [Problem("path", f"{recorded['method']} {recorded['path']} is not in the contract")]
    problems = []
    for name, value in recorded["query"]:
        kind = op.query.get(name)
        if name == "organization_id" and op.needs_organization:
            continue
        if kind is None:
            problems.append(Problem("parameter", f"{name} is not a documented parameter"))
        elif kind in (INT, NUM, BOOL) and not _parses(kind, value):
            problems.append(Problem("type", f"{name}={value!r} is not a {kind}"))
    if op.needs_organization and "organization_id" not in dict(recorded["query"]):
        problems.append(Problem("required", "organization_id is required"))
    body = recorded["json"]
    if op.body is not None and body is not None:
        for where, text in violations(op.body, body):
            kind = (
                "field" if text == "not a documented field" else "required" if text == "required" else "type"
            )
            problems.append(Problem(kind, f"{where}: {text}"))
    return problems


def _parses(kind: str, value: str) -> bool:
    if kind == BOOL:
        return value in {"true", "false"}
    try:
        number = Decimal(value)
    except ArithmeticError:
        return False
    return kind == NUM or number == number.to_integral_value()


@pytest.mark.parametrize(
    ("call", "kind"),
    [pytest.param(call, kind, id=f"{call.name}-{kind}") for call in CLIENT_CALLS for kind in KINDS],
)
async def test_the_client_sends_what_zoho_documents(
    emulator: EmulatorHandle, make_client: MakeClient, call: ClientCall, kind: str
) -> None:
    item = zoho_item("Tea", rate=1500)
    await emulator.control.put_items([item], webhooks=False)
    await emulator.control.set_pricebook("consumer_iqd", {item["item_id"]: 1500})
    client = make_client()
    customer_id = await client.create_contact("Noor Ali", "noor@example.com", None)
    draft = await client.create_salesorder(
        _payload(Scene(item["item_id"], customer_id, ""), "SF-261120-DRAFT")
    )
    await emulator.control.clear_requests()

    with contextlib.suppress(ErpRejected):  # a refusal still shows what was sent
        await call.drive(client, Scene(item["item_id"], customer_id, draft["salesorder_id"]))

    sent = await emulator.control.requests()
    assert sent, "the call sent nothing"
    judges = [contract_problems] + ([spec().request_problems] if available() else [])
    problems = [
        (request["method"], request["path"], problem.text)
        for request in sent
        for judge in judges
        for problem in judge(request)
        if problem.kind == kind
    ]
    assert problems == []


def test_the_judges_see_a_broken_request() -> None:
    recorded = {
        "method": "POST",
        "path": "/salesorders",
        "query": [("organization_id", "1"), ("currency", "IQD")],
        "json": {
            "customer_id": "1",
            "currency_code": "IQD",
            "line_items": [{"item_id": "1", "rate": "1500", "quantity": 1}],
        },
        "form": None,
    }
    judges = [contract_problems] + ([spec().request_problems] if available() else [])
    for judge in judges:
        assert {problem.kind for problem in judge(recorded)} >= {"parameter", "field", "type"}
