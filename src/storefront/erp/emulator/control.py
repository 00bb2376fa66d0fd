"""The control API under /_emulator/: set the ERP's data, read what it received, inject faults."""

import time
from dataclasses import fields
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storefront.erp.emulator.replies import ZohoJSON
from storefront.erp.emulator.state import EmulatorState, Faults
from storefront.erp.emulator.store import IMAGE_FIELDS, STOCK_FIELDS, ItemError
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
        try:
            changed = state.items.upsert(items, locate)
        except ItemError as exc:
            return _error(str(exc))
        if request.query_params.get("webhooks", "true").lower() != "false":
            webhooks.notify(changed)
        return ZohoJSON({"upserted": len(changed), "items": [item["item_id"] for item in changed[:1000]]})

    async def delete_item(request: Request) -> Response:
        item = state.items.delete(request.path_params["item_id"])
        if item is None:
            return _error("no such item", 404)
        webhooks.notify([{**item, "status": "deleted"}])
        return ZohoJSON({"deleted": item["item_id"]})

    def locate(location_id: str | None, name: str | None) -> dict[str, Any]:
        return state.locations.ensure(location_id, name) if location_id else state.locations.primary()

    async def put_image(request: Request) -> Response:
        item_id = request.path_params["item_id"]
        content_type = request.headers.get("content-type", "")
        content = await request.body()
        if state.items.get(item_id) is None:
            return _error("no such item", 404)
        if not content_type.startswith("image/") or not content:
            return _error("send the picture's bytes with its image/... Content-Type")
        item = state.items.set_image(item_id, content, content_type, request.query_params.get("name"))
        if request.query_params.get("webhooks", "true").lower() != "false":
            webhooks.notify([item])
        return ZohoJSON({name: item[name] for name in (*IMAGE_FIELDS, "last_modified_time")})

    async def delete_image(request: Request) -> Response:
        item_id = request.path_params["item_id"]
        if state.items.get(item_id) is None:
            return _error("no such item", 404)
        item = state.items.remove_image(item_id)
        if item is None:
            return _error("the item has no image", 404)
        webhooks.notify([item])
        return ZohoJSON({"removed": item_id})

    async def put_stock(request: Request) -> Response:
        """A stock movement: per-location figures, or org-wide ones for a one-location item."""
        item_id = request.path_params["item_id"]
        if state.items.get(item_id) is None:
            return _error("no such item", 404)
        try:
            body = await _json(request)
            if not isinstance(body, dict):
                raise ItemError('expected {"locations": [...]} or {"stock_on_hand": n, ...}')
            rows = body.get("locations")
            if rows is None:
                current = state.items.locations_of(item_id)
                if len(current) > 1:
                    raise ItemError("the item has stock at several locations: send locations")
                rows = [{"location_id": current[0]["location_id"] if current else None, **body}]
                rows[0]["location_id"] = rows[0]["location_id"] or state.locations.primary()["location_id"]
            item = state.items.set_stock(item_id, rows, locate)
        except (ValueError, ItemError) as exc:
            return _error(str(exc))
        return ZohoJSON({name: item[name] for name in STOCK_FIELDS})

    async def put_locations(request: Request) -> Response:
        try:
            body = await _json(request)
            rows = body.get("locations") if isinstance(body, dict) else body
            if not isinstance(rows, list):
                raise ValueError("expected a list of locations")
            state.locations.put(rows)
        except ValueError as exc:
            return _error(str(exc))
        return ZohoJSON({"locations": state.locations.values()})

    async def put_pricebook(request: Request) -> Response:
        try:
            body = await _json(request)
            if not isinstance(body, dict):
                raise ValueError('expected {"currency": "...", "rates": {"<item_id>": rate}}')
            book = state.set_pricebook(request.path_params["name"], body)
        except ValueError as exc:
            return _error(str(exc))
        return ZohoJSON({"pricebook_id": book.pricebook_id, "name": book.name, "rates": len(book.rates)})

    async def get_quota(request: Request) -> Response:
        return ZohoJSON(state.quotas.status(state.config, state.config.organization_id, time.time()))

    async def put_quota(request: Request) -> Response:
        """{"daily_quota": n} sets the day's size, {"spend": n} spends calls, {"restart_day": true} resets it."""
        try:
            body = await _json(request)
            if not isinstance(body, dict) or set(body) - {"daily_quota", "spend", "restart_day"}:
                raise ValueError('expected {"daily_quota": n, "spend": n, "restart_day": true} (any of them)')
            spend = body.get("spend", 0)
            if isinstance(spend, bool) or not isinstance(spend, int):
                raise ValueError("spend must be a whole number")
            if "daily_quota" in body:
                state.config.update({"daily_quota": body["daily_quota"]})
        except ValueError as exc:
            return _error(str(exc))
        organization_id, now = state.config.organization_id, time.time()
        if body.get("restart_day") is True:
            state.quotas.restart_day(organization_id, now)
        state.quotas.spend(state.config, organization_id, spend, now)
        return await get_quota(request)

    async def get_requests(request: Request) -> Response:
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return _error("since must be a whole number")
        return ZohoJSON({"requests": state.requests.since(since)})

    async def clear_requests(request: Request) -> Response:
        state.requests.clear()
        return ZohoJSON({"cleared": True})

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
        Route("/items/{item_id}/image", put_image, methods=["PUT"]),
        Route("/items/{item_id}/image", delete_image, methods=["DELETE"]),
        Route("/items/{item_id}/stock", put_stock, methods=["PUT"]),
        Route("/locations", put_locations, methods=["PUT"]),
        Route("/pricebooks/{name}", put_pricebook, methods=["PUT"]),
        Route("/quota", get_quota, methods=["GET"]),
        Route("/quota", put_quota, methods=["PUT"]),
        Route("/requests", get_requests, methods=["GET"]),
        Route("/requests", clear_requests, methods=["DELETE"]),
        Route("/salesorders", list_salesorders, methods=["GET"]),
        Route("/contacts", list_contacts, methods=["GET"]),
        Route("/faults", put_faults, methods=["PUT"]),
        Route("/stats", get_stats, methods=["GET"]),
        Route("/config", put_config, methods=["PUT"]),
        Route("/config", get_config, methods=["GET"]),
    ]
