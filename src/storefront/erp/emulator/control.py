"""The control API under /_emulator/: set the ERP's data, read what it received, inject faults."""

from dataclasses import fields
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storefront.erp.emulator.replies import ZohoJSON
from storefront.erp.emulator.state import EmulatorState, Faults
from storefront.erp.emulator.webhooks import WebhookSender

HIDDEN_OPTIONS = {"client_secret", "refresh_token", "webhook_secret"}
_FAULT_TYPES: dict[str, type] = {item.name: type(getattr(Faults(), item.name)) for item in fields(Faults)}


def _error(message: str, status: int = 400) -> ZohoJSON:
    return ZohoJSON({"error": message}, status_code=status)


async def _json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body() or b"null")
    except orjson.JSONDecodeError as exc:
        raise ValueError("body is not JSON") from exc


def _fault_value(name: str, value: Any) -> Any:
    expected = _FAULT_TYPES.get(name)
    if expected is None:
        raise ValueError(f"unknown fault {name!r}")
    if expected is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if expected is int:
        if int(value) != value or value < 0:
            raise ValueError(f"{name} must be a whole number at least 0")
        return int(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1")
    return float(value)


def control_routes(state: EmulatorState, webhooks: WebhookSender) -> list[Route]:
    async def reset(request: Request) -> Response:
        state.reset()
        return ZohoJSON({"reset": True})

    async def put_items(request: Request) -> Response:
        try:
            body = await _json(request)
        except ValueError as exc:
            return _error(str(exc))
        items = body.get("items") if isinstance(body, dict) else body
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and str(item.get("item_id") or "").strip() for item in items
        ):
            return _error("expected a list of item objects, each with an item_id")
        changed = state.items.upsert(items)
        if request.query_params.get("webhooks", "true").lower() != "false":
            webhooks.notify(changed)
        return ZohoJSON({"upserted": len(changed), "items": [item["item_id"] for item in changed[:1000]]})

    async def delete_item(request: Request) -> Response:
        item = state.items.delete(request.path_params["item_id"])
        if item is None:
            return _error("no such item", 404)
        webhooks.notify([{**item, "status": "deleted"}])
        return ZohoJSON({"deleted": item["item_id"]})

    async def put_pricebook(request: Request) -> Response:
        try:
            body = await _json(request)
        except ValueError as exc:
            return _error(str(exc))
        if not isinstance(body, dict) or not isinstance(body.get("rates"), dict):
            return _error('expected {"currency": "...", "rates": {"<item_id>": rate}}')
        currency = body.get("currency") or "IQD"
        if not isinstance(currency, str):
            return _error("currency must be a string")
        try:
            book = state.set_pricebook(request.path_params["name"], currency, body["rates"])
        except ValueError as exc:
            return _error(str(exc))
        return ZohoJSON({"pricebook_id": book.pricebook_id, "name": book.name, "rates": len(book.rates)})

    async def list_salesorders(request: Request) -> Response:
        return ZohoJSON({"salesorders": list(state.salesorders.values())})

    async def list_contacts(request: Request) -> Response:
        return ZohoJSON({"contacts": list(state.contacts.values())})

    async def put_faults(request: Request) -> Response:
        try:
            body = await _json(request)
            if not isinstance(body, dict):
                raise ValueError("expected an object of faults")
            values = {name: _fault_value(name, value) for name, value in body.items()}
        except ValueError as exc:
            return _error(str(exc))
        for name, value in values.items():
            setattr(state.faults, name, value)
        if state.faults.expire_tokens:
            state.expire_all_tokens()
            state.faults.expire_tokens = False
        return ZohoJSON({"faults": state.faults.as_dict()})

    async def get_stats(request: Request) -> Response:
        return ZohoJSON({**state.stats(), "webhooks": dict(webhooks.outcomes)})

    async def put_config(request: Request) -> Response:
        try:
            body = await _json(request)
            if not isinstance(body, dict):
                raise ValueError("expected an object of options")
            state.config.update(body)
        except ValueError as exc:
            return _error(str(exc))
        return await get_config(request)

    async def get_config(request: Request) -> Response:
        options = {key: value for key, value in vars(state.config).items() if key not in HIDDEN_OPTIONS}
        return ZohoJSON({"config": options})

    return [
        Route("/reset", reset, methods=["POST"]),
        Route("/items", put_items, methods=["PUT"]),
        Route("/items/{item_id}", delete_item, methods=["DELETE"]),
        Route("/pricebooks/{name}", put_pricebook, methods=["PUT"]),
        Route("/salesorders", list_salesorders, methods=["GET"]),
        Route("/contacts", list_contacts, methods=["GET"]),
        Route("/faults", put_faults, methods=["PUT"]),
        Route("/stats", get_stats, methods=["GET"]),
        Route("/config", put_config, methods=["PUT"]),
        Route("/config", get_config, methods=["GET"]),
    ]
