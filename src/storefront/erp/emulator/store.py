"""The emulator's items, indexed for fast paging: modification order is kept by the dict itself.

Stock lives per location; an item's org-wide figures are the sums over its locations. A stock
movement (a confirmed sales order, a stock change set through the control API) leaves
last_modified_time alone, the way Zoho may; an edit (an upsert, an image) moves it forward.
"""

from bisect import bisect_left
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from storefront.erp.emulator.catalogs import PRIMARY_LOCATION_ID, PRIMARY_LOCATION_NAME
from storefront.erp.emulator.item_query import ItemQuery, matches, sort_key
from storefront.erp.items import format_zoho_time, parse_zoho_time

DEFAULT_PRIMARY = {
    "location_id": PRIMARY_LOCATION_ID,
    "location_name": PRIMARY_LOCATION_NAME,
    "status": "active",
    "is_primary": True,
}
STOCK_FIELDS = ("stock_on_hand", "available_stock", "actual_available_stock")
IMAGE_FIELDS = ("image_name", "image_id", "image_type", "image_document_id")
# Item fields that are not Zoho's and are refused, with where the real thing lives.
NOT_ZOHO = {"image_url": "items carry image_name/image_document_id; set a picture with PUT /items/{id}/image"}


class ItemError(ValueError):
    """An item the control API refuses."""


def number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ItemError(f"{what} must be a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ItemError(f"{what} must be a number") from exc
    if not amount.is_finite():
        raise ItemError(f"{what} must be a number")
    return amount


class ItemStore:
    """Items by id; iteration order is modification order, which is also last_modified_time order.

    Every edit moves the item to the end with a stamp no older than any before it, so a
    "modified since" query is a bisection and a page is a slice of a cached id list.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._locations: dict[str, list[dict[str, Any]]] = {}
        self._images: dict[str, tuple[bytes, str]] = {}
        self._stamps: dict[str, float] = {}
        self._latest = 0.0
        self._version = 0
        self._snapshot_version = -1
        self._ordered_ids: list[str] = []
        self._ordered_stamps: list[float] = []
        self._query_cache: dict[ItemQuery, list[str]] = {}
        self._image_ids = 460000000003000

    def __len__(self) -> int:
        return len(self._items)

    def get(self, item_id: str) -> dict[str, Any] | None:
        return self._items.get(item_id)

    def values(self) -> list[dict[str, Any]]:
        """Every item, oldest change first."""
        return list(self._items.values())

    def load(self, items: Iterable[dict[str, Any]], primary: dict[str, Any] | None = None) -> None:
        """Add items keeping their own last_modified_time (the demo catalog), oldest first.

        Their stock is at one location: `primary`, by default the emulator's primary location.
        """
        primary = primary or DEFAULT_PRIMARY
        stamped = []
        for raw in items:
            item = {"item_id": str(raw["item_id"])}
            self._locations[item["item_id"]] = self._merge(item, raw, lambda location_id, name: primary)
            stamped.append((_stamp(item.get("last_modified_time"), self._latest), item))
        stamped.sort(key=lambda pair: pair[0])
        for stamp, item in stamped:
            self._put(item, max(stamp, self._latest))

    def upsert(
        self, items: Iterable[dict[str, Any]], locate: Any = None, now: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Insert or merge items (Zoho item JSON) and bump their last_modified_time to now.

        `locate(location_id, name)` gives the location a stock row names (the primary one for None).
        Every item is checked before any is stored: one bad item refuses the whole call.
        """
        locate = locate or _default_locate
        modified, stamp = self._next_stamp(now)
        merged = []
        for raw in items:
            item_id = str(raw["item_id"])
            item = {**self._items.get(item_id, {}), "item_id": item_id}
            locations = self._merge(item, raw, locate, self._locations.get(item_id))
            item["last_modified_time"] = modified
            item.setdefault("created_time", modified)
            merged.append((item, locations))
        for item, locations in merged:
            self._locations[item["item_id"]] = locations
            self._put(item, stamp)
        return [item for item, _ in merged]

    def delete(self, item_id: str) -> dict[str, Any] | None:
        item = self._items.pop(item_id, None)
        if item is not None:
            del self._stamps[item_id]
            self._locations.pop(item_id, None)
            self._images.pop(item_id, None)
            self._version += 1
        return item

    # --- stock -------------------------------------------------------------------------------

    def locations_of(self, item_id: str) -> list[dict[str, Any]]:
        return self._locations.get(item_id, [])

    def set_stock(self, item_id: str, rows: list[Any], locate: Any) -> dict[str, Any]:
        """A stock movement at the locations named (the others keep theirs), last_modified_time untouched."""
        item = self._items[item_id]
        current = self._locations.get(item_id, [])
        changed = {row["location_id"]: row for row in _stock_rows(rows, locate, current)}
        locations = [changed.pop(row["location_id"], row) for row in current] + list(changed.values())
        self._locations[item_id] = locations
        _sum_into(item, locations)
        self._version += 1
        return item

    def commit(self, item_id: str, location_id: str | None, quantity: Decimal) -> None:
        """Take `quantity` (negative: give back) from the actual available stock at a location."""
        item = self._items.get(item_id)
        if item is None:
            return
        locations = self._locations.setdefault(item_id, [])
        row = next(
            (
                row
                for row in locations
                if row["location_id"] == location_id or (location_id is None and row["is_primary"])
            ),
            None,
        )
        if row is None:
            return
        row["actual_available_stock"] -= quantity
        _sum_into(item, locations)
        self._version += 1

    # --- images ------------------------------------------------------------------------------

    def image(self, item_id: str) -> tuple[bytes, str] | None:
        return self._images.get(item_id)

    def set_image(self, item_id: str, content: bytes, content_type: str, name: str | None) -> dict[str, Any]:
        self._image_ids += 1
        extension = content_type.split("/")[-1].split(";")[0].strip().lower().replace("jpeg", "jpg")
        self._images[item_id] = (content, content_type)
        return self._edit(
            item_id,
            {
                "image_name": name or f"{item_id}.{extension}",
                "image_id": str(self._image_ids),
                "image_type": extension,
                "image_document_id": str(self._image_ids + 500000),
            },
        )

    def remove_image(self, item_id: str) -> dict[str, Any] | None:
        if self._images.pop(item_id, None) is None:
            return None
        return self._edit(item_id, dict.fromkeys(IMAGE_FIELDS, ""))

    # --- reading -----------------------------------------------------------------------------

    def page(self, query: ItemQuery, page: int, per_page: int) -> tuple[list[dict[str, Any]], bool]:
        ids = self._matching(query)
        start = (page - 1) * per_page
        chunk = ids[start : start + per_page]
        return [self._items[item_id] for item_id in chunk], start + per_page < len(ids)

    def _edit(self, item_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        modified, stamp = self._next_stamp(None)
        item = {**self._items[item_id], **changes, "last_modified_time": modified}
        self._put(item, stamp)
        return item

    def _next_stamp(self, now: datetime | None) -> tuple[str, float]:
        moment = now or datetime.now(UTC)
        stamp = max(float(int(moment.timestamp())), self._latest)
        return format_zoho_time(datetime.fromtimestamp(stamp, UTC)), stamp

    def _merge(
        self,
        item: dict[str, Any],
        raw: dict[str, Any],
        locate: Any,
        current: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        for name, why in NOT_ZOHO.items():
            if name in raw:
                raise ItemError(f"{name} is not a Zoho item field: {why}")
        fields = {
            key: value for key, value in raw.items() if key not in {"locations", "warehouses", *STOCK_FIELDS}
        }
        if "custom_fields" in fields:
            fields["custom_fields"] = _custom_fields(fields["custom_fields"])
        item.update(fields)
        item["item_id"] = str(item["item_id"])
        item.setdefault("status", "active")
        for name in IMAGE_FIELDS:
            item.setdefault(name, "")
        if "locations" in raw:
            locations = _stock_rows(raw["locations"], locate, current)
        else:
            locations = _single_location(item["item_id"], raw, locate, current)
        _sum_into(item, locations)
        return locations

    def _put(self, item: dict[str, Any], stamp: float) -> None:
        item_id = item["item_id"]
        self._items.pop(item_id, None)
        self._items[item_id] = item
        self._stamps[item_id] = stamp
        self._latest = stamp
        self._version += 1

    def _refresh_snapshot(self) -> None:
        if self._snapshot_version == self._version:
            return
        self._ordered_ids = list(self._items)
        self._ordered_stamps = [self._stamps[item_id] for item_id in self._ordered_ids]
        self._query_cache = {}
        self._snapshot_version = self._version

    def _matching(self, query: ItemQuery) -> list[str]:
        self._refresh_snapshot()
        cached = self._query_cache.get(query)
        if cached is not None:
            return cached
        ids = self._ordered_ids
        if query.modified_since is not None:
            ids = ids[bisect_left(self._ordered_stamps, query.modified_since) :]
        if query.filters():
            ids = [
                item_id
                for item_id in ids
                if matches(query, self._items[item_id], self._locations.get(item_id, []))
            ]
        if query.sort_column and query.sort_column != "last_modified_time":
            column = query.sort_column
            ids = sorted(ids, key=lambda item_id: sort_key(self._items[item_id].get(column)))
        if query.descending:
            ids = ids[::-1]
        if len(self._query_cache) > 16:
            self._query_cache.clear()
        self._query_cache[query] = ids
        return ids


def _default_locate(location_id: str | None, name: str | None) -> dict[str, Any]:
    if location_id is None or location_id == PRIMARY_LOCATION_ID:
        return DEFAULT_PRIMARY
    return {
        "location_id": location_id,
        "location_name": name or location_id,
        "status": "active",
        "is_primary": False,
    }


def _custom_fields(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise ItemError("custom_fields must be a list of {customfield_id, label, api_name, value}")
    fields = []
    for index, row in enumerate(raw, start=1):
        label = str(row.get("label") or row.get("api_name") or "").strip()
        if not label:
            raise ItemError("each custom field needs a label")
        value = row.get("value", "")
        fields.append(
            {
                "customfield_id": str(row.get("customfield_id") or 460000000004000 + index),
                "label": label,
                "api_name": str(row.get("api_name") or "cf_" + "_".join(label.lower().split())),
                "value": value if isinstance(value, str) else str(value),
            }
        )
    return fields


def _stock_rows(rows: Any, locate: Any, current: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if not isinstance(rows, list) or not all(
        isinstance(row, dict) and row.get("location_id") for row in rows
    ):
        raise ItemError("locations must be a list of objects, each with a location_id")
    known = {row["location_id"]: row for row in current or []}
    parsed = []
    for row in rows:
        location = locate(str(row["location_id"]), row.get("location_name"))
        before = known.get(location["location_id"], {})
        figures = {}
        for name in STOCK_FIELDS:
            given = row.get(f"location_{name}", row.get(name, before.get(name)))
            figures[name] = number(given if given is not None else 0, f"{name} at {location['location_id']}")
        parsed.append(
            {
                "location_id": location["location_id"],
                "location_name": location["location_name"],
                "status": location["status"],
                "is_primary": location["is_primary"],
                **figures,
            }
        )
    return parsed


def _single_location(
    item_id: str, raw: dict[str, Any], locate: Any, current: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Org-wide figures given without locations: they are the stock of the item's one location."""
    given = {name: raw[name] for name in STOCK_FIELDS if name in raw}
    if current and not given:
        return current
    if current and len(current) > 1:
        raise ItemError(f"item {item_id} has stock at several locations: set it through locations")
    location_id = current[0]["location_id"] if current else locate(None, None)["location_id"]
    before = current[0] if current else {}
    figures = {name: given.get(name, before.get(name)) for name in STOCK_FIELDS}
    # One figure given alone sets the others that were never set (the simple test item: stock 7).
    fallback = next((value for value in figures.values() if value is not None), 0)
    row = {
        "location_id": location_id,
        **{name: value if value is not None else fallback for name, value in figures.items()},
    }
    return _stock_rows([row], locate, current)


def _sum_into(item: dict[str, Any], locations: list[dict[str, Any]]) -> None:
    for name in STOCK_FIELDS:
        item[name] = sum((row[name] for row in locations), Decimal(0))


def _stamp(value: Any, default: float) -> float:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)  # the common Zoho form, fast
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.timestamp()
    parsed = parse_zoho_time(value)
    return parsed.timestamp() if parsed else default
