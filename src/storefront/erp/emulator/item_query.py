"""GET /items as the spec documents it: filter_by, status, name/sku variants, rate bounds, ids, sorting."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from storefront.erp.emulator.contract import ITEM_FILTERS, ITEM_SORT_COLUMNS, SORT_ORDERS
from storefront.erp.items import parse_zoho_time


class QueryError(ValueError):
    """A list query the real API would refuse (code 2, invalid value for `field`)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"Invalid value passed for {field}")
        self.field = field


@dataclass(frozen=True, slots=True)
class ItemQuery:
    filter_by: str = "Status.All"
    modified_since: float | None = None
    conditions: tuple[tuple[str, Any], ...] = ()
    sort_column: str | None = None
    descending: bool = False

    def filters(self) -> bool:
        return self.filter_by not in {"Status.All", "ItemType.All"} or bool(self.conditions)


Item = Mapping[str, Any]
Locations = list[dict[str, Any]]


def _text(item: Item, name: str) -> str:
    return str(item.get(name) or "").casefold()


def _amount(item: Item, name: str) -> Decimal | None:
    try:
        return Decimal(str(item.get(name)))
    except (InvalidOperation, ValueError):
        return None


def _compare(name: str, test: Callable[[Decimal, Decimal], bool]) -> Callable[[Item, Locations, Any], bool]:
    def check(item: Item, _: Locations, wanted: Any) -> bool:
        value = _amount(item, name)
        return value is not None and test(value, wanted)

    return check


def _equal(name: str) -> Callable[[Item, Locations, Any], bool]:
    return lambda item, _, wanted: str(item.get(name) or "") == wanted


def _text_test(name: str, test: Callable[[str, str], bool]) -> Callable[[Item, Locations, Any], bool]:
    return lambda item, _, wanted: test(_text(item, name), wanted)


def _exact(value: str, wanted: str) -> bool:
    return value == wanted


def _starts(value: str, wanted: str) -> bool:
    return value.startswith(wanted)


def _contains(value: str, wanted: str) -> bool:
    return wanted in value


_NUMERIC = {
    "": lambda value, wanted: value == wanted,
    "_less_than": lambda value, wanted: value < wanted,
    "_less_equals": lambda value, wanted: value <= wanted,
    "_greater_than": lambda value, wanted: value > wanted,
    "_greater_equals": lambda value, wanted: value >= wanted,
}
CONDITIONS: dict[str, Callable[[Item, Locations, Any], bool]] = {
    "status": lambda item, _, wanted: _text(item, "status") == wanted,
    "search_text": lambda item, _, wanted: wanted in _text(item, "name") or wanted in _text(item, "sku"),
    **{
        f"name{suffix}": _text_test("name", test)
        for suffix, test in (("", _exact), ("_startswith", _starts), ("_contains", _contains))
    },
    **{
        f"sku{suffix}": _text_test("sku", test)
        for suffix, test in (("", _exact), ("_startswith", _starts), ("_contains", _contains))
    },
    **{f"rate{suffix}": _compare("rate", test) for suffix, test in _NUMERIC.items()},
    **{f"purchase_rate{suffix}": _compare("purchase_rate", test) for suffix, test in _NUMERIC.items()},
    **{
        name: _equal(name)
        for name in (
            "tax_id",
            "account_id",
            "purchase_account_id",
            "vendor_id",
            "item_id",
            "zcrm_product_id",
            "category_id",
            "group_id",
        )
    },
    "brand_ids": lambda item, _, wanted: str(item.get("brand_id") or "") in wanted,
    "manufacturer_ids": lambda item, _, wanted: str(item.get("manufacturer_id") or "") in wanted,
    "location_id": lambda _, locations, wanted: any(row["location_id"] == wanted for row in locations),
    "warehouse_id": lambda _, locations, wanted: any(row["location_id"] == wanted for row in locations),
}
_ITEM_TYPES = {
    "ItemType.Sales": {"sales", "sales_and_purchases", "inventory"},
    "ItemType.Purchases": {"purchases", "sales_and_purchases", "inventory"},
    "ItemType.SalesAndPurchases": {"sales_and_purchases", "inventory"},
    "ItemType.Inventory": {"inventory"},
}


def _passes_filter(filter_by: str, item: Item) -> bool:
    if filter_by in {"Status.All", "ItemType.All"}:
        return True
    if filter_by in {"Status.Active", "Status.Inactive"}:
        return _text(item, "status") == filter_by.split(".")[1].lower()
    if filter_by == "Status.Lowstock":
        stock, level = _amount(item, "actual_available_stock"), _amount(item, "reorder_level")
        return stock is not None and level is not None and stock < level
    if filter_by == "Status.Uncategorized":
        return not item.get("category_id")
    if filter_by == "Status.Grouped":
        return bool(item.get("group_id"))
    if filter_by in _ITEM_TYPES:
        return _text(item, "item_type") in _ITEM_TYPES[filter_by]
    if filter_by == "ItemType.NonInventory":
        return _text(item, "item_type") != "inventory" and _text(item, "product_type") != "service"
    if filter_by == "ItemType.Service":
        return _text(item, "product_type") == "service"
    return False  # Status.Unmapped: the emulator maps every item


def matches(query: ItemQuery, item: Item, locations: Locations) -> bool:
    if not _passes_filter(query.filter_by, item):
        return False
    return all(CONDITIONS[name](item, locations, wanted) for name, wanted in query.conditions)


def sort_key(value: Any) -> tuple[int, Decimal, str]:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return (0, Decimal(str(value)), "")
    return (1, Decimal(0), str(value or "").casefold())


def _condition_value(name: str, raw: str) -> Any:
    if name.startswith(("rate", "purchase_rate")):
        try:
            amount = Decimal(raw)
        except InvalidOperation as exc:
            raise QueryError(name) from exc
        if not amount.is_finite():
            raise QueryError(name)
        return amount
    if name == "status":
        if raw not in {"active", "inactive"}:
            raise QueryError(name)
        return raw
    if name in {"brand_ids", "manufacturer_ids"}:
        return frozenset(part.strip() for part in raw.split(",") if part.strip())
    if name.startswith(("name", "sku", "search_text")):
        return raw.casefold()
    return raw


def parse_item_query(params: Mapping[str, str]) -> ItemQuery:
    """The documented parameters of GET /items; anything else is ignored, as Zoho ignores it."""
    filter_by = params.get("filter_by") or "Status.All"
    if filter_by not in ITEM_FILTERS:
        raise QueryError("filter_by")
    sort_column = params.get("sort_column") or None
    if sort_column is not None and sort_column not in ITEM_SORT_COLUMNS:
        raise QueryError("sort_column")
    sort_order = params.get("sort_order") or "A"
    if sort_order not in SORT_ORDERS:
        raise QueryError("sort_order")
    if params.get("customview_id"):
        raise QueryError("customview_id")  # the emulator's organisation has no custom views
    conditions = tuple(
        (name, _condition_value(name, params[name])) for name in sorted(CONDITIONS) if params.get(name)
    )
    return ItemQuery(
        filter_by=filter_by,
        modified_since=parse_modified_since(params.get("last_modified_time")),
        conditions=conditions,
        sort_column=sort_column,
        descending=sort_order == "D",
    )


def parse_modified_since(value: str | None) -> float | None:
    if not value:
        return None
    moment = parse_zoho_time(value)
    if moment is None:
        raise QueryError("last_modified_time")
    return moment.timestamp()
