"""The emulator's items, indexed for fast paging: modification order is kept by the dict itself."""

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storefront.erp.items import format_zoho_time, parse_zoho_time

STATUS_FILTERS = {"Status.All", "Status.Active", "Status.Inactive"}
SORT_COLUMNS = {"last_modified_time", "name", "sku", "rate", "created_time", "item_id"}


class QueryError(ValueError):
    """A list query the real API would refuse (code 2, invalid value)."""


@dataclass(frozen=True, slots=True)
class ItemQuery:
    filter_by: str = "Status.All"
    modified_since: float | None = None
    search_text: str | None = None
    category_id: str | None = None
    sort_column: str | None = None
    descending: bool = False


class ItemStore:
    """Items by id; iteration order is modification order, which is also last_modified_time order.

    Every change moves the item to the end with a stamp no older than any before it, so a
    "modified since" query is a bisection and a page is a slice of a cached id list.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._stamps: dict[str, float] = {}
        self._latest = 0.0
        self._version = 0
        self._snapshot_version = -1
        self._ordered_ids: list[str] = []
        self._ordered_stamps: list[float] = []
        self._query_cache: dict[ItemQuery, list[str]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, item_id: str) -> dict[str, Any] | None:
        return self._items.get(item_id)

    def values(self) -> list[dict[str, Any]]:
        """Every item, oldest change first."""
        return list(self._items.values())

    def load(self, items: Iterable[dict[str, Any]]) -> None:
        """Add items keeping their own last_modified_time (the demo catalog), oldest first."""
        stamped = []
        for raw in items:
            item = dict(raw)
            item["item_id"] = str(item["item_id"])
            stamp = _stamp(item.get("last_modified_time"), self._latest)
            stamped.append((stamp, item))
        stamped.sort(key=lambda pair: pair[0])
        for stamp, item in stamped:
            self._put(item, max(stamp, self._latest))

    def upsert(self, items: Iterable[dict[str, Any]], now: datetime | None = None) -> list[dict[str, Any]]:
        """Insert or merge items (Zoho item JSON) and bump their last_modified_time to now."""
        moment = now or datetime.now(UTC)
        stamp = max(float(int(moment.timestamp())), self._latest)
        modified = format_zoho_time(datetime.fromtimestamp(stamp, UTC))
        changed = []
        for raw in items:
            item_id = str(raw["item_id"])
            item = {**self._items.get(item_id, {}), **raw, "item_id": item_id, "last_modified_time": modified}
            item.setdefault("status", "active")
            item.setdefault("created_time", modified)
            self._put(item, stamp)
            changed.append(item)
        return changed

    def delete(self, item_id: str) -> dict[str, Any] | None:
        item = self._items.pop(item_id, None)
        if item is not None:
            del self._stamps[item_id]
            self._version += 1
        return item

    def page(self, query: ItemQuery, page: int, per_page: int) -> tuple[list[dict[str, Any]], bool]:
        ids = self._matching(query)
        start = (page - 1) * per_page
        chunk = ids[start : start + per_page]
        return [self._items[item_id] for item_id in chunk], start + per_page < len(ids)

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
        wanted_status = {"Status.Active": "active", "Status.Inactive": "inactive"}.get(query.filter_by)
        if wanted_status or query.search_text or query.category_id:
            needle = (query.search_text or "").lower()
            ids = [
                item_id
                for item_id in ids
                if self._matches(self._items[item_id], wanted_status, needle, query.category_id)
            ]
        if query.sort_column and query.sort_column != "last_modified_time":
            column = query.sort_column
            ids = sorted(ids, key=lambda item_id: _sort_key(self._items[item_id].get(column)))
        if query.descending:
            ids = ids[::-1]
        if len(self._query_cache) > 16:
            self._query_cache.clear()
        self._query_cache[query] = ids
        return ids

    @staticmethod
    def _matches(item: dict[str, Any], status: str | None, needle: str, category_id: str | None) -> bool:
        if status and str(item.get("status", "active")).lower() != status:
            return False
        if category_id and str(item.get("category_id")) != category_id:
            return False
        if needle:
            haystack = f"{item.get('name', '')} {item.get('sku', '')}".lower()
            return needle in haystack
        return True


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


def _sort_key(value: Any) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value or "").lower())


def parse_modified_since(value: str | None) -> float | None:
    if not value:
        return None
    moment = parse_zoho_time(value)
    if moment is None:
        raise QueryError("Invalid value passed for last_modified_time")
    return moment.timestamp()
