"""Sales orders: create (held to the spec's create body), read, list, confirm, void.

New orders are drafts and commit nothing. Confirming one commits its lines' stock (the actual
available stock drops at the order's location); voiding a confirmed one gives the stock back.
Neither touches an item's last_modified_time.
"""

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storefront.erp.emulator.bodies import held_to, read_body
from storefront.erp.emulator.contract import SALESORDER_CREATE, SALESORDER_ROW
from storefront.erp.emulator.params import Routes, bool_param, paged
from storefront.erp.emulator.replies import BadValue, DroppedAnswer, fail, missing, ok
from storefront.erp.emulator.state import EmulatorState, now_text, today

# Zoho refuses a number used before when ignore_auto_number_generation=true; its exact code is
# not confirmed (36004 is what the emulator answers).
DUPLICATE_NUMBER_CODE = 36004
# Confirming an order that is not a draft, or voiding a void one, is refused; code unconfirmed.
STATUS_REFUSED_CODE = 2
DRAFT, CONFIRMED, VOID = "draft", "confirmed", "void"


def salesorder_routes(state: EmulatorState) -> Routes:
    def location(location_id: Any, field: str) -> dict[str, Any]:
        if location_id is None:
            return state.locations.primary()
        found = state.locations.get(str(location_id))
        if found is None:
            raise BadValue(field)
        return found

    def line_items(
        rows: list[dict[str, Any]], order_location: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], Decimal]:
        if not rows:
            raise BadValue("line_items")
        lines, total = [], Decimal(0)
        for order, row in enumerate(rows, start=1):
            item = state.items.get(str(row.get("item_id")))
            if item is None:
                raise BadValue("item_id")
            if "quantity" not in row:
                raise BadValue("quantity")
            quantity = Decimal(str(row["quantity"]))
            rate = Decimal(str(row.get("rate", item.get("rate", 0))))
            if quantity <= 0:
                raise BadValue("quantity")
            if rate < 0:
                raise BadValue("rate")
            where = location(row["location_id"], "location_id") if "location_id" in row else order_location
            amount = rate * quantity
            total += amount
            lines.append(
                {
                    "line_item_id": state.new_id(),
                    "item_id": item["item_id"],
                    "name": row.get("name") or item.get("name") or "",
                    "sku": item.get("sku") or "",
                    "item_order": order,
                    "rate": rate,
                    "quantity": quantity,
                    "unit": row.get("unit") or item.get("unit") or "",
                    "item_total": amount,
                    "location_id": where["location_id"],
                    "location_name": where["location_name"],
                }
            )
        return lines, total

    async def create_salesorder(request: Request) -> Response:
        config = state.config
        body = held_to(SALESORDER_CREATE, await read_body(request))
        contact = state.contacts.get(body["customer_id"])
        if contact is None:
            raise BadValue("customer_id")
        order_location = location(body.get("location_id"), "location_id")
        lines, total = line_items(body["line_items"], order_location)
        if bool_param(request, "ignore_auto_number_generation"):
            number = str(body.get("salesorder_number") or "").strip()
            if not number:
                raise BadValue("salesorder_number")
            if any(order["salesorder_number"] == number for order in state.salesorders.values()):
                return fail(400, DUPLICATE_NUMBER_CODE, "This sales order number already exists.")
        else:
            number = f"SO-{len(state.salesorders) + 1:05d}"
        stamp = now_text()
        order = {
            "salesorder_id": state.new_id(),
            "salesorder_number": number,
            "date": body.get("date") or today(),
            "status": DRAFT,
            "reference_number": body.get("reference_number", ""),
            "customer_id": contact["contact_id"],
            "customer_name": contact["contact_name"],
            # The currency follows the contact; a create body cannot name one.
            "currency_id": contact["currency_id"],
            "currency_code": contact["currency_code"],
            "exchange_rate": 1,
            "location_id": order_location["location_id"],
            "location_name": order_location["location_name"],
            "line_items": lines,
            "sub_total": total,
            "tax_total": 0,
            "total": total,
            "notes": body.get("notes", ""),
            "custom_fields": body.get("custom_fields", []),
            "created_time": stamp,
            "last_modified_time": stamp,
        }
        state.salesorders[order["salesorder_id"]] = order
        if state.faults.lose_order_answers > 0:
            state.faults.lose_order_answers -= 1
            return DroppedAnswer()
        return ok({config.salesorder_answer_key: order}, status=201, message="Sales Order has been created.")

    async def get_salesorder(request: Request) -> Response:
        order = state.salesorders.get(request.path_params["salesorder_id"])
        if order is None:
            return missing("Sales Order")
        return ok({"salesorder": order})

    async def list_salesorders(request: Request) -> Response:
        # Only page and per_page are documented; Zoho may ignore any other filter, and so does this.
        orders = list(reversed(state.salesorders.values()))  # newest first
        rows = [{name: order[name] for name in SALESORDER_ROW.fields} for order in orders]
        page, context = paged(request, rows)
        return ok({"salesorders": page, **context})

    def commit(order: dict[str, Any], sign: int) -> None:
        for line in order["line_items"]:
            state.items.commit(line["item_id"], line["location_id"], sign * line["quantity"])

    async def confirm(request: Request) -> Response:
        order = state.salesorders.get(request.path_params["salesorder_id"])
        if order is None:
            return missing("Sales Order")
        if order["status"] != DRAFT:
            return fail(400, STATUS_REFUSED_CODE, f"A {order['status']} sales order cannot be confirmed.")
        order.update(status=CONFIRMED, last_modified_time=now_text())
        commit(order, 1)
        return ok({}, message="Sales Order has been marked as confirmed.")

    async def confirm_many(request: Request) -> Response:
        # The whole batch is refused when one id is unknown or not a draft (as strict as Zoho can be).
        ids = [part for part in (request.query_params.get("salesorder_ids") or "").split(",") if part]
        if not ids:
            raise BadValue("salesorder_ids")
        orders = [state.salesorders.get(salesorder_id) for salesorder_id in ids]
        if any(order is None or order["status"] != DRAFT for order in orders):
            return fail(400, STATUS_REFUSED_CODE, "Only draft sales orders can be confirmed.")
        for order in orders:
            assert order is not None
            order.update(status=CONFIRMED, last_modified_time=now_text())
            commit(order, 1)
        return ok({}, message="Sales order status has been changed to Confirmed.")

    async def void(request: Request) -> Response:
        order = state.salesorders.get(request.path_params["salesorder_id"])
        if order is None:
            return missing("Sales Order")
        if order["status"] == VOID:
            return fail(400, STATUS_REFUSED_CODE, "The sales order is already void.")
        if order["status"] == CONFIRMED:
            commit(order, -1)
        order.update(status=VOID, last_modified_time=now_text())
        return ok({}, message="Sales Order has been voided.")

    return [
        ("GET", "/salesorders", list_salesorders, True),
        ("POST", "/salesorders", create_salesorder, True),
        ("GET", "/salesorders/{salesorder_id}", get_salesorder, True),
        ("POST", "/salesorders/status/confirmed", confirm_many, True),
        ("POST", "/salesorders/{salesorder_id}/status/confirmed", confirm, True),
        ("POST", "/salesorders/{salesorder_id}/status/void", void, True),
    ]
