"""Stock per location: which of the organisation's locations count toward what the shop sells.

Zoho gives an item's stock per location under `locations` (`location_id`, `location_name`,
`location_actual_available_stock`...), or in older organisations under `warehouses` with
`warehouse_*` names, in `GET /items/{id}` and `GET /itemdetails`. With every location counted,
the organisation-wide figures are the ones the shop sells from; with some, the sums over those.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from storefront.erp.quantities import parse_quantity

_FIGURES = ("stock_on_hand", "available_stock", "actual_available_stock")
# (list key, prefix of its fields): Zoho's current name first, the older one after.
_SHAPES = (("locations", "location"), ("warehouses", "warehouse"))


class LocationsMissing(ValueError):
    """Only some locations count, and the item answer carries no stock per location."""


class UnknownLocations(ValueError):
    """STOREFRONT_STOCK_LOCATIONS names locations the organisation does not have."""


@dataclass(frozen=True, slots=True)
class LocationStock:
    location_id: str
    stock_on_hand: int
    available_stock: int
    actual_available_stock: int


@dataclass(frozen=True, slots=True)
class LocationSelection:
    """The locations that count, by id or by name (case aside)."""

    names: frozenset[str]

    @classmethod
    def of(cls, names: Iterable[str] | None) -> "LocationSelection | None":
        """None (every location counts) when no names are given."""
        wanted = frozenset(name.strip().casefold() for name in names or () if name.strip())
        return cls(wanted) if wanted else None

    def counts(self, location_id: str, location_name: str) -> bool:
        return location_id.casefold() in self.names or location_name.strip().casefold() in self.names

    def check_known(self, locations: Iterable[Mapping[str, Any]]) -> None:
        """Raise UnknownLocations when a name matches none of the organisation's locations."""
        known: set[str] = set()
        for row in locations:
            known.add(str(row.get("location_id") or "").casefold())
            known.add(str(row.get("location_name") or "").strip().casefold())
        unknown = sorted(self.names - known)
        if unknown:
            raise UnknownLocations(
                f"STOREFRONT_STOCK_LOCATIONS names {', '.join(unknown)}, which the ERP does not have"
            )


def has_locations(raw: Mapping[str, Any]) -> bool:
    return any(isinstance(raw.get(key), list) for key, _ in _SHAPES)


def location_rows(raw: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any], str]] | None:
    """(id, name, row, field prefix) per location of an item answer, or None when it has none."""
    for key, prefix in _SHAPES:
        rows = raw.get(key)
        if isinstance(rows, list):
            return [
                (str(row.get(f"{prefix}_id") or ""), str(row.get(f"{prefix}_name") or ""), row, prefix)
                for row in rows
                if isinstance(row, dict) and row.get(f"{prefix}_id")
            ]
    return None


def counted_stock(raw: Mapping[str, Any], selection: LocationSelection) -> list[LocationStock]:
    """The item's stock at the counted locations; raises LocationsMissing without location rows."""
    rows = location_rows(raw)
    if rows is None:
        raise LocationsMissing("the item answer has no stock per location")
    return [
        LocationStock(
            location_id,
            *(parse_quantity(row.get(f"{prefix}_{figure}")) for figure in _FIGURES),
        )
        for location_id, name, row, prefix in rows
        if selection.counts(location_id, name)
    ]


def encode_stock(stock: Iterable[LocationStock]) -> str:
    """Actual available units per counted location, as the product row keeps them."""
    return orjson.dumps(
        {row.location_id: row.actual_available_stock for row in stock}, option=orjson.OPT_SORT_KEYS
    ).decode()


def decode_stock(text: str | None) -> dict[str, int]:
    if not text:
        return {}
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(key): int(value) for key, value in parsed.items() if isinstance(value, int)}
