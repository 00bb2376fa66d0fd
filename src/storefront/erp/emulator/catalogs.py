"""The organisation's settings the emulator serves: currencies, locations and price books."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import count
from typing import Any

from storefront.erp.emulator.contract import PRICEBOOK_TYPES, PRICING_SCHEMES

PRIMARY_LOCATION_ID = "460000000000001"
PRIMARY_LOCATION_NAME = "Main Warehouse"


class Currencies:
    """Currency codes and their ids; the organisation's base currency always exists."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._next = count(1)

    def reset(self, base: str) -> None:
        self._ids = {}
        self._next = count(1)
        self.base = base
        self.ensure(base)

    def ensure(self, code: str) -> str:
        if code not in self._ids:
            self._ids[code] = str(460000000001000 + next(self._next))
        return self._ids[code]

    def code_of(self, currency_id: str) -> str | None:
        return next((code for code, known in self._ids.items() if known == currency_id), None)

    def id_of(self, code: str) -> str:
        return self._ids[code]


class Locations:
    """The organisation's locations (warehouses); one is primary."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}
        self.put(
            [{"location_id": PRIMARY_LOCATION_ID, "location_name": PRIMARY_LOCATION_NAME, "is_primary": True}]
        )

    def put(self, rows: list[Any]) -> None:
        """Replace the locations; exactly one must be primary (the first, when none says so)."""
        parsed: dict[str, dict[str, Any]] = {}
        for row in rows:
            if not isinstance(row, dict) or not str(row.get("location_id") or "").strip():
                raise ValueError("each location needs a location_id")
            location_id = str(row["location_id"])
            parsed[location_id] = {
                "location_id": location_id,
                "location_name": str(row.get("location_name") or location_id),
                "type": "general",
                "status": "active" if row.get("status", "active") == "active" else "inactive",
                "is_primary": row.get("is_primary") is True,
            }
        if not parsed:
            raise ValueError("at least one location is needed")
        primaries = [row for row in parsed.values() if row["is_primary"]]
        if len(primaries) > 1:
            raise ValueError("only one location can be primary")
        if not primaries:
            next(iter(parsed.values()))["is_primary"] = True
        self._rows = parsed

    def ensure(self, location_id: str, name: str | None) -> dict[str, Any]:
        if location_id not in self._rows:
            self._rows[location_id] = {
                "location_id": location_id,
                "location_name": name or location_id,
                "type": "general",
                "status": "active",
                "is_primary": False,
            }
        return self._rows[location_id]

    def get(self, location_id: str) -> dict[str, Any] | None:
        return self._rows.get(location_id)

    def primary(self) -> dict[str, Any]:
        return next(row for row in self._rows.values() if row["is_primary"])

    def values(self) -> list[dict[str, Any]]:
        return list(self._rows.values())


@dataclass
class PriceBook:
    pricebook_id: str
    name: str
    currency_code: str
    pricebook_type: str = "per_item"
    pricing_scheme: str = "unit"
    percentage: Decimal = Decimal(0)
    is_increase: bool = True
    rates: dict[str, Decimal] = field(default_factory=dict)
    brackets: dict[str, list[dict[str, Decimal]]] = field(default_factory=dict)


def _amount(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{what} is not a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{what} is not a number") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{what} must be a number at least 0")
    return amount


def _brackets(item_id: str, rows: Any) -> list[dict[str, Decimal]]:
    if not isinstance(rows, list) or not rows:
        raise ValueError(
            f"brackets for {item_id} must be a list of {{start_quantity, end_quantity, pricebook_rate}}"
        )
    parsed = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError(f"brackets for {item_id} must be objects")
        bracket = {
            "start_quantity": _amount(row.get("start_quantity"), f"start_quantity for {item_id}"),
            "pricebook_rate": _amount(row.get("pricebook_rate"), f"pricebook_rate for {item_id}"),
        }
        if row.get("end_quantity") is not None:
            bracket["end_quantity"] = _amount(row["end_quantity"], f"end_quantity for {item_id}")
        parsed.append(bracket)
    return parsed


class PriceBooks:
    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._books: dict[str, PriceBook] = {}
        self._next = count(1)

    def __getitem__(self, name: str) -> PriceBook:
        return self._books[name]

    def values(self) -> list[PriceBook]:
        return list(self._books.values())

    def by_id(self, pricebook_id: str) -> PriceBook | None:
        return next((book for book in self._books.values() if book.pricebook_id == pricebook_id), None)

    def put(self, name: str, currency: str, body: dict[str, Any]) -> PriceBook:
        """Create or replace the book `name` from a control body; refuses a bad one whole."""
        kind = body.get("pricebook_type", "per_item")
        scheme = body.get("pricing_scheme", "unit")
        if kind not in PRICEBOOK_TYPES:
            raise ValueError(f"pricebook_type must be one of {', '.join(PRICEBOOK_TYPES)}")
        if scheme not in PRICING_SCHEMES:
            raise ValueError(f"pricing_scheme must be one of {', '.join(PRICING_SCHEMES)}")
        rates = body.get("rates") or {}
        brackets = body.get("brackets") or {}
        if not isinstance(rates, dict) or not isinstance(brackets, dict):
            raise ValueError('expected {"rates": {"<item_id>": rate}} (and "brackets" for volume pricing)')
        is_increase = body.get("is_increase", True)
        if not isinstance(is_increase, bool):
            raise ValueError("is_increase must be true or false")
        existing = self._books.get(name)
        book = PriceBook(
            pricebook_id=existing.pricebook_id if existing else str(460000000002000 + next(self._next)),
            name=name,
            currency_code=currency,
            pricebook_type=kind,
            pricing_scheme=scheme,
            percentage=_amount(body.get("percentage", 0), "percentage"),
            is_increase=is_increase,
            rates={str(item_id): _amount(rate, f"rate for {item_id}") for item_id, rate in rates.items()},
            brackets={str(item_id): _brackets(str(item_id), rows) for item_id, rows in brackets.items()},
        )
        self._books[name] = book
        return book
