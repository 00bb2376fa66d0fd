"""The organisation and its settings: organizations, locations, price books."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storefront.erp.emulator.catalogs import PriceBook
from storefront.erp.emulator.contract import LOCATION_TYPES
from storefront.erp.emulator.params import Routes, bool_param, paged
from storefront.erp.emulator.replies import NOT_AUTHORISED, BadValue, fail, missing, ok
from storefront.erp.emulator.state import EmulatorState

PRICEBOOK_FILTERS = ("SalesOrPurchaseType.All", "SalesOrPurchaseType.Sales", "SalesOrPurchaseType.Purchases")


def settings_routes(state: EmulatorState) -> Routes:
    def organization() -> dict[str, Any]:
        config = state.config
        return {
            "organization_id": config.organization_id,
            "name": config.organization_name,
            "contact_name": config.organization_name,
            "email": "erp@example.com",
            "is_default_org": True,
            "time_zone": "Asia/Baghdad",
            "language_code": "en",
            "currency_id": state.currencies.id_of(config.base_currency),
            "currency_code": config.base_currency,
            "currency_symbol": config.base_currency,
            "price_precision": 2,
            "is_org_active": True,
        }

    async def list_organizations(request: Request) -> Response:
        return ok({"organizations": [organization()]})

    async def get_organization(request: Request) -> Response:
        if request.path_params["organization_id"] != state.config.organization_id:
            return fail(*NOT_AUTHORISED)
        return ok({"organization": organization()})

    def location_row(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "location_id": row["location_id"],
            "location_name": row["location_name"],
            "type": row["type"],
            "status": row["status"],
            "is_primary_location": row["is_primary"],
            "is_location_active": row["status"] == "active",
            "parent_location_id": "",
        }

    async def list_locations(request: Request) -> Response:
        bool_param(request, "is_hierarchical_response")
        wanted = request.query_params.get("location_type")
        if wanted is not None and wanted not in LOCATION_TYPES:
            raise BadValue("location_type")
        rows = [location_row(row) for row in state.locations.values() if wanted in (None, row["type"])]
        return ok({"locations": rows})

    async def get_location(request: Request) -> Response:
        row = state.locations.get(request.path_params["location_id"])
        if row is None:
            return missing("Location")
        return ok({"location": location_row(row)})

    def book_summary(book: PriceBook) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "pricebook_id": book.pricebook_id,
            "name": book.name,
            "currency_id": state.currencies.id_of(book.currency_code),
            "currency_code": book.currency_code,
            "pricebook_type": book.pricebook_type,
            "decimal_place": 2,
            "rounding_type": "no_rounding",
            "sales_or_purchase_type": "sales",
            "is_default": False,
            "status": "active",
        }
        if book.pricebook_type == "fixed_percentage":
            summary.update(percentage=book.percentage, is_increase=book.is_increase)
        else:
            summary["pricing_scheme"] = book.pricing_scheme
        return summary

    def book_items(book: PriceBook) -> list[dict[str, Any]]:
        if book.pricebook_type == "fixed_percentage":
            return []  # the book's rule is its percentage; it has no per-item rates
        rows: list[dict[str, Any]] = []
        per_item = book.brackets if book.pricing_scheme == "volume" else book.rates
        for item_id, priced in per_item.items():
            item = state.items.get(item_id)
            row: dict[str, Any] = {
                "pricebook_item_id": f"{book.pricebook_id}{len(rows) + 1:04d}",
                "item_id": item_id,
                "pricing_scheme": book.pricing_scheme,
            }
            if item is not None:
                row["name"] = str(item.get("name") or "")
            if isinstance(priced, list):
                row["price_brackets"] = priced
            else:
                row["pricebook_rate"] = priced
            rows.append(row)
        return rows

    async def list_pricebooks(request: Request) -> Response:
        filter_by = request.query_params.get("filter_by") or PRICEBOOK_FILTERS[0]
        if filter_by not in PRICEBOOK_FILTERS:
            raise BadValue("filter_by")
        text = (request.query_params.get("search_text") or "").casefold()
        books = [
            book_summary(book)
            for book in state.pricebooks.values()
            if filter_by != "SalesOrPurchaseType.Purchases" and text in book.name.casefold()
        ]
        rows, context = paged(request, books)
        return ok({"pricebooks": rows, **context})

    async def get_pricebook(request: Request) -> Response:
        book = state.pricebooks.by_id(request.path_params["pricebook_id"])
        if book is None:
            return missing("Price list")
        return ok({"pricebook": {**book_summary(book), "pricebook_items": book_items(book)}})

    return [
        ("GET", "/organizations", list_organizations, False),
        ("GET", "/organizations/{organization_id}", get_organization, False),
        ("GET", "/locations", list_locations, True),
        ("GET", "/locations/{location_id}", get_location, True),
        ("GET", "/pricebooks", list_pricebooks, True),
        ("GET", "/pricebooks/{pricebook_id}", get_pricebook, True),
    ]
