"""The Zoho Inventory/Books API subset: items, price books, contacts and sales orders."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storefront.erp.emulator.replies import DroppedAnswer, fail, invalid, ok
from storefront.erp.emulator.state import EmulatorState, PriceBookRecord, today
from storefront.erp.emulator.store import (
    SORT_COLUMNS,
    STATUS_FILTERS,
    ItemQuery,
    QueryError,
    parse_modified_since,
)

Handler = Callable[[Request], Awaitable[Response]]
MAX_PER_PAGE = 200
DUPLICATE_NUMBER_CODE = 36004
TOKEN_PREFIX = "Zoho-oauthtoken "  # noqa: S105 - a header scheme, not a secret


class BadValue(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadValue(name) from exc
    if not low <= value <= high:
        raise BadValue(name)
    return value


def _page_context(page: int, per_page: int, has_more: bool) -> dict[str, Any]:
    return {"page_context": {"page": page, "per_page": per_page, "has_more_page": has_more}}


def _paged(request: Request, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    page = _int_param(request, "page", 1, 1, 1_000_000)
    per_page = _int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    start = (page - 1) * per_page
    return rows[start : start + per_page], _page_context(page, per_page, start + per_page < len(rows))


async def _body(request: Request) -> dict[str, Any]:
    """JSON body, or the legacy form field JSONString."""
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        raw: Any = form.get("JSONString", "{}")
    else:
        raw = await request.body()
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        raise BadValue("JSONString") from exc
    if not isinstance(body, dict):
        raise BadValue("JSONString")
    return body


def _decimal(value: Any, field: str, *, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadValue(field) from exc
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise BadValue(field)
    return number


def api_routes(state: EmulatorState) -> list[Route]:
    def guarded(endpoint: str, handler: Handler) -> Handler:
        async def run(request: Request) -> Response:
            try:
                response = await _guard(request) or await handler(request)
            except (BadValue, QueryError) as exc:
                response = invalid(exc.field if isinstance(exc, BadValue) else "last_modified_time")
            state.record_call(endpoint, response.status_code)
            return response

        return run

    async def _guard(request: Request) -> Response | None:
        faults = state.faults
        if faults.down:
            return Response("Service Unavailable", status_code=503, media_type="text/plain")
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        header = request.headers.get("authorization", "")
        if not header.startswith(TOKEN_PREFIX):
            return fail(401, 14, "Invalid OAuth token.")
        now = time.monotonic()
        if not state.token_valid(header[len(TOKEN_PREFIX) :].strip(), now):
            return fail(401, 57, "You are not authorized to perform this operation")
        organization_id = request.query_params.get("organization_id")
        if not organization_id:
            return fail(400, 6, "organization_id is required")
        if organization_id != state.config.organization_id:
            return fail(401, 57, "You are not authorized to perform this operation")
        if faults.rate_limit_next > 0:
            faults.rate_limit_next -= 1
            return _rate_limited()
        if faults.rate_limited or state.over_rate_limit(organization_id, now):
            return _rate_limited()
        if faults.fail_next > 0:
            faults.fail_next -= 1
            return fail(500, 1000, "Internal Error")
        if faults.error_rate > 0 and state.random.random() < faults.error_rate:
            return fail(500, 1000, "Internal Error")
        return None

    def _rate_limited() -> Response:
        return fail(
            429, 44, "You have exceeded the maximum number of API calls per minute for this organization."
        )

    async def list_items(request: Request) -> Response:
        params = request.query_params
        filter_by = params.get("filter_by", "Status.All")
        if filter_by not in STATUS_FILTERS:
            raise BadValue("filter_by")
        sort_column = params.get("sort_column") or None
        if sort_column is not None and sort_column not in SORT_COLUMNS:
            raise BadValue("sort_column")
        sort_order = params.get("sort_order", "A")
        if sort_order not in {"A", "D"}:
            raise BadValue("sort_order")
        query = ItemQuery(
            filter_by=filter_by,
            modified_since=parse_modified_since(params.get("last_modified_time")),
            search_text=params.get("search_text") or None,
            category_id=params.get("category_id") or None,
            sort_column=sort_column,
            descending=sort_order == "D",
        )
        page = _int_param(request, "page", 1, 1, 1_000_000)
        per_page = _int_param(request, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
        items, has_more = state.items.page(query, page, per_page)
        return ok({"items": items, **_page_context(page, per_page, has_more)})

    async def get_item(request: Request) -> Response:
        item = state.items.get(request.path_params["item_id"])
        if item is None:
            return fail(404, 1002, "Item does not exist.")
        return ok({"item": _with_locations(item)})

    def _book_summary(book: PriceBookRecord) -> dict[str, Any]:
        return {
            "pricebook_id": book.pricebook_id,
            "name": book.name,
            "currency_code": book.currency_code,
            "pricebook_type": "per_item",
            "status": "active",
        }

    async def list_pricebooks(request: Request) -> Response:
        rows, context = _paged(request, [_book_summary(book) for book in state.pricebooks.values()])
        return ok({"pricebooks": rows, **context})

    async def get_pricebook(request: Request) -> Response:
        book = state.pricebook_by_id(request.path_params["pricebook_id"])
        if book is None:
            return fail(404, 1002, "Price list does not exist.")
        priced = []
        for item_id, rate in book.rates.items():
            item = state.items.get(item_id)
            priced.append(
                {"item_id": item_id, "name": item.get("name") if item else None, "pricebook_rate": rate}
            )
        return ok({"pricebook": {**_book_summary(book), "pricebook_items": priced}})

    async def list_contacts(request: Request) -> Response:
        email = (request.query_params.get("email") or "").strip().lower()
        rows = [
            contact
            for contact in state.contacts.values()
            if not email or str(contact.get("email", "")).lower() == email
        ]
        page, context = _paged(request, rows)
        return ok({"contacts": page, **context})

    async def create_contact(request: Request) -> Response:
        body = await _body(request)
        name = str(body.get("contact_name") or "").strip()
        if not name:
            raise BadValue("contact_name")
        persons = body.get("contact_persons") or []
        if not isinstance(persons, list) or not all(isinstance(person, dict) for person in persons):
            raise BadValue("contact_persons")
        primary = next((p for p in persons if p.get("is_primary_contact")), persons[0] if persons else {})
        contact_id = state.new_id()
        contact: dict[str, Any] = {
            "contact_id": contact_id,
            "contact_name": name,
            "contact_type": body.get("contact_type") or "customer",
            "email": primary.get("email") or body.get("email") or "",
            "phone": primary.get("phone") or body.get("phone") or "",
            "contact_persons": [{"contact_person_id": state.new_id(), **person} for person in persons],
            "status": "active",
        }
        state.contacts[contact_id] = contact
        return ok({"contact": contact}, status=201, message="The contact has been added.")

    def _line_items(raw: Any) -> tuple[list[dict[str, Any]], Decimal]:
        if not isinstance(raw, list) or not raw:
            raise BadValue("line_items")
        lines: list[dict[str, Any]] = []
        total = Decimal(0)
        for line in raw:
            if not isinstance(line, dict):
                raise BadValue("line_items")
            item = state.items.get(str(line.get("item_id")))
            if item is None:
                raise BadValue("item_id")
            quantity = _decimal(line.get("quantity"), "quantity", positive=True)
            rate = _decimal(line.get("rate", item.get("rate", 0)), "rate")
            amount = rate * quantity
            total += amount
            lines.append(
                {
                    "line_item_id": state.new_id(),
                    "item_id": item["item_id"],
                    "name": line.get("name") or item.get("name"),
                    "sku": item.get("sku"),
                    "rate": rate,
                    "quantity": quantity,
                    "item_total": amount,
                }
            )
        return lines, total

    async def create_salesorder(request: Request) -> Response:
        body = await _body(request)
        customer_id = str(body.get("customer_id") or "")
        contact = state.contacts.get(customer_id)
        if contact is None:
            raise BadValue("customer_id")
        lines, total = _line_items(body.get("line_items"))
        own_number = request.query_params.get("ignore_auto_number_generation", "").lower() == "true"
        if own_number:
            number = str(body.get("salesorder_number") or "").strip()
            if not number:
                raise BadValue("salesorder_number")
            if any(order["salesorder_number"] == number for order in state.salesorders.values()):
                return fail(400, DUPLICATE_NUMBER_CODE, "This sales order number already exists.")
        else:
            number = f"SO-{len(state.salesorders) + 1:05d}"
        order = {
            "salesorder_id": state.new_id(),
            "salesorder_number": number,
            "date": body.get("date") or today(),
            "status": "draft",
            "reference_number": str(body.get("reference_number") or ""),
            "customer_id": customer_id,
            "customer_name": contact["contact_name"],
            "currency_code": body.get("currency_code") or "IQD",
            "line_items": lines,
            "sub_total": total,
            "total": total,
            "notes": body.get("notes") or "",
            "custom_fields": body.get("custom_fields") or [],
        }
        state.salesorders[order["salesorder_id"]] = order
        if state.faults.lose_order_answers > 0:
            state.faults.lose_order_answers -= 1
            return DroppedAnswer()
        key = state.config.salesorder_answer_key
        return ok({key: order}, status=201, message="Sales Order has been created.")

    async def get_salesorder(request: Request) -> Response:
        order = state.salesorders.get(request.path_params["salesorder_id"])
        if order is None:
            return fail(404, 1002, "Sales Order does not exist.")
        return ok({"salesorder": order})

    async def list_salesorders(request: Request) -> Response:
        reference = request.query_params.get("reference_number")
        number = request.query_params.get("salesorder_number")
        rows = [
            order
            for order in state.salesorders.values()
            if (reference is None or order["reference_number"] == reference)
            and (number is None or order["salesorder_number"] == number)
        ]
        page, context = _paged(request, rows)
        return ok({"salesorders": page, **context})

    return [
        Route("/items", guarded("GET /items", list_items), methods=["GET"]),
        Route("/items/{item_id}", guarded("GET /items/{id}", get_item), methods=["GET"]),
        Route("/pricebooks", guarded("GET /pricebooks", list_pricebooks), methods=["GET"]),
        Route("/pricebooks/{pricebook_id}", guarded("GET /pricebooks/{id}", get_pricebook), methods=["GET"]),
        Route("/contacts", guarded("GET /contacts", list_contacts), methods=["GET"]),
        Route("/contacts", guarded("POST /contacts", create_contact), methods=["POST"]),
        Route("/salesorders", guarded("GET /salesorders", list_salesorders), methods=["GET"]),
        Route("/salesorders", guarded("POST /salesorders", create_salesorder), methods=["POST"]),
        Route(
            "/salesorders/{salesorder_id}",
            guarded("GET /salesorders/{id}", get_salesorder),
            methods=["GET"],
        ),
    ]


def _with_locations(item: dict[str, Any]) -> dict[str, Any]:
    if "locations" in item or "warehouses" in item:
        return item
    location = {
        "location_id": "460000000000001",
        "location_name": "Main Warehouse",
        "status": "active",
        "is_primary": True,
        "location_stock_on_hand": item.get("stock_on_hand", 0),
        "location_available_stock": item.get("available_stock", 0),
        "location_actual_available_stock": item.get("actual_available_stock", 0),
    }
    return {**item, "locations": [location]}
