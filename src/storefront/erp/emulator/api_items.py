"""Items: the list with its documented filters, one item, several at once, the picture, item groups."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storefront.erp.emulator.item_query import parse_item_query
from storefront.erp.emulator.params import Routes, bool_param, page_context, page_params, paged
from storefront.erp.emulator.replies import BadValue, missing, ok
from storefront.erp.emulator.state import EmulatorState
from storefront.erp.emulator.store import STOCK_FIELDS


def _figure(value: Any) -> str:
    """Per-location figures are strings in the spec: whole numbers without a fraction."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def item_routes(state: EmulatorState) -> Routes:
    def detailed(item: dict[str, Any]) -> dict[str, Any]:
        locations = [
            {
                "location_id": row["location_id"],
                "location_name": row["location_name"],
                "status": row["status"],
                "is_primary": row["is_primary"],
                **{f"location_{name}": _figure(row[name]) for name in STOCK_FIELDS},
            }
            for row in state.items.locations_of(item["item_id"])
        ]
        return {**item, "locations": locations}

    async def list_items(request: Request) -> Response:
        query = parse_item_query(request.query_params)
        page, per_page = page_params(request)
        items, has_more = state.items.page(query, page, per_page)
        return ok({"items": items, **page_context(page, per_page, has_more)})

    async def item_details(request: Request) -> Response:
        ids = [
            part.strip() for part in (request.query_params.get("item_ids") or "").split(",") if part.strip()
        ]
        if not ids:
            raise BadValue("item_ids")
        found = [state.items.get(item_id) for item_id in dict.fromkeys(ids)]
        return ok({"items": [detailed(item) for item in found if item is not None]})

    async def get_item(request: Request) -> Response:
        item = state.items.get(request.path_params["item_id"])
        if item is None:
            return missing("Item")
        return ok({"item": detailed(item)})

    async def get_item_image(request: Request) -> Response:
        bool_param(request, "preview")
        if state.items.get(request.path_params["item_id"]) is None:
            return missing("Item")
        image = state.items.image(request.path_params["item_id"])
        if image is None:
            return missing("Image")
        content, content_type = image
        return Response(content, media_type=content_type)

    def groups() -> dict[str, list[dict[str, Any]]]:
        by_group: dict[str, list[dict[str, Any]]] = {}
        for item in state.items.values():
            if item.get("group_id"):
                by_group.setdefault(str(item["group_id"]), []).append(item)
        return by_group

    def group_summary(group_id: str, members: list[dict[str, Any]]) -> dict[str, Any]:
        first = members[0]
        return {
            "group_id": group_id,
            "group_name": str(first.get("group_name") or group_id),
            "unit": str(first.get("unit") or ""),
            "status": "active" if any(item.get("status") == "active" for item in members) else "inactive",
            "image_id": "",
            "image_name": "",
            "image_type": "",
            "created_time": min(str(item.get("created_time") or "") for item in members),
            "last_modified_time": max(str(item.get("last_modified_time") or "") for item in members),
        }

    async def list_itemgroups(request: Request) -> Response:
        rows, context = paged(request, [group_summary(key, members) for key, members in groups().items()])
        return ok({"itemgroups": rows, **context})

    async def get_itemgroup(request: Request) -> Response:
        members = groups().get(request.path_params["itemgroup_id"])
        if not members:
            return missing("Item group")
        summary = group_summary(request.path_params["itemgroup_id"], members)
        # The spec puts the group's fields at the top level and types `items` as one object; real
        # answers nest the group, with its items as a list, under item_group. This answer has both.
        return ok({**summary, "item_group": {**summary, "items": members}})

    return [
        ("GET", "/items", list_items, True),
        ("GET", "/itemdetails", item_details, True),
        ("GET", "/items/{item_id}", get_item, True),
        ("GET", "/items/{item_id}/image", get_item_image, True),
        ("GET", "/itemgroups", list_itemgroups, True),
        ("GET", "/itemgroups/{itemgroup_id}", get_itemgroup, True),
    ]
