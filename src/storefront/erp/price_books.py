"""A price book answer read as it arrives: the book's fields, and its rows as (item id, rate).

A book prices every item of the catalog, so its answer is the largest Zoho sends (about 16 MB
for 100,000 items). Parsed whole, it would be held three times over: the bytes, a JSON object
per row with every field the ERP writes, and the rates taken from them. Read as a stream of
JSON events, only the rates are kept. The answer is read as `ZohoClient.get_pricebook` read the
whole object: the book under `pricebook` (or `price_book`), its rows under `pricebook_items`
(or `price_book_items`, or `items`), each row's rate its `pricebook_rate` (or `rate`); a row
that names no item or gives no usable rate is skipped.
"""

from decimal import Decimal
from typing import Any

import ijson

from storefront.erp.items import parse_money

_BOOK_KEYS = ("pricebook", "price_book")
_ROW_KEYS = ("pricebook_items", "price_book_items", "items")
# The book's own fields the client reads.
BOOK_FIELDS = ("pricebook_type", "pricing_scheme", "currency_code", "currency_id")
_ROW_FIELDS = ("item_id", "pricebook_rate", "rate")
_SCALARS = frozenset({"null", "boolean", "integer", "double", "number", "string"})


class PriceBookStream:
    """Feed it the answer's bytes in pieces; then read `code`, `message`, `fields` and `rates`."""

    def __init__(self) -> None:
        self._events: Any = ijson.sendable_list()
        self._parser: Any = ijson.parse_coro(self._events)
        self._answer: dict[str, Any] = {}
        self._books: dict[str, dict[str, Any]] = {key: {} for key in _BOOK_KEYS}
        # Per book and row list: the rates in the order the rows came.
        self._rates: dict[tuple[str, str], dict[str, Decimal]] = {}
        self._row: dict[str, Any] | None = None
        # Rates repeat across a catalog: one Decimal per distinct rate written.
        self._amounts: dict[tuple[type, Any], Decimal | None] = {}
        # Whether the answer is a JSON object, and JSON throughout.
        self.is_object = False
        self.readable = True

    def feed(self, chunk: bytes) -> None:
        """Read these bytes; from bytes that are not JSON on, `readable` is False."""
        if self.readable:
            try:
                self._parser.send(chunk)
            except ijson.JSONError:
                self.readable = False
            self._take_events()

    def close(self) -> None:
        """The end of the answer: incomplete JSON leaves `readable` False."""
        if self.readable:
            try:
                self._parser.close()
            except ijson.JSONError:
                self.readable = False
            self._take_events()

    def _take_events(self) -> None:
        for prefix, event, value in self._events:
            self._take(prefix, event, value)
        del self._events[:]

    def _take(self, prefix: str, event: str, value: Any) -> None:
        if not prefix:
            self.is_object = self.is_object or event == "start_map"
            return
        parts = prefix.split(".")
        depth = len(parts)
        if depth == 1:
            if event in _SCALARS:
                self._answer[prefix] = value
        elif depth == 2:
            if parts[0] in self._books and parts[1] in BOOK_FIELDS and event in _SCALARS:
                self._books[parts[0]][parts[1]] = value
        elif depth == 3:
            if self._in_rows(parts):
                self._row_event(parts[0], parts[1], event)
        elif depth == 4 and parts[3] in _ROW_FIELDS and event in _SCALARS and self._in_rows(parts):
            (self._row if self._row is not None else {}).setdefault(parts[3], value)

    def _in_rows(self, parts: list[str]) -> bool:
        """Whether the path (book, rows, "item", ...) is in a row of a book's row list."""
        return parts[0] in self._books and parts[1] in _ROW_KEYS and parts[2] == "item"

    def _row_event(self, book: str, rows: str, event: str) -> None:
        if event == "start_map":
            self._row = {}
        elif event == "end_map" and self._row is not None:
            row, self._row = self._row, None
            item_id = row.get("item_id")
            rate = self._amount(row["pricebook_rate"] if "pricebook_rate" in row else row.get("rate"))
            if item_id and rate is not None:
                self._rates.setdefault((book, rows), {})[str(item_id)] = rate

    def _amount(self, value: Any) -> Decimal | None:
        key = (type(value), value)
        if key not in self._amounts:
            self._amounts[key] = parse_money(value)
        return self._amounts[key]

    @property
    def code(self) -> Any:
        return self._answer.get("code")

    @property
    def message(self) -> str:
        return str(self._answer.get("message") or "")

    def _book(self) -> str:
        """The key the answer's book is under: the first that holds anything."""
        for key in _BOOK_KEYS:
            if self._books[key] or any(book == key for book, _ in self._rates):
                return key
        return _BOOK_KEYS[0]

    @property
    def fields(self) -> dict[str, Any]:
        return self._books[self._book()]

    @property
    def rates(self) -> dict[str, Decimal]:
        book = self._book()
        for rows in _ROW_KEYS:
            if (book, rows) in self._rates:
                return self._rates[(book, rows)]
        return {}
