"""Defensive parsing of Zoho item JSON into the fields our mirror keeps."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from storefront.erp.locations import LocationSelection, counted_stock, encode_stock
from storefront.erp.quantities import parse_quantity


@dataclass(frozen=True, slots=True)
class ErpItem:
    erp_item_id: str
    name: str
    sku: str | None
    description: str | None
    category_name: str | None
    category_id: str | None
    # What identifies the item's picture in the ERP (its document id and name); None: no picture.
    image_ref: str | None
    is_active: bool
    stock_on_hand: int
    available_stock: int
    actual_available_stock: int
    rate: Decimal | None
    modified_at: datetime | None
    # The Arabic name, from the custom field the settings name (STOREFRONT_ZOHO_NAME_AR_FIELD).
    name_ar: str | None = None
    # Actual available units per counted location (erp.locations.encode_stock); None when every
    # location counts.
    location_stock: str | None = None


def parse_money(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def parse_zoho_time(value: Any) -> datetime | None:
    """Zoho writes 2023-11-18T02:02:51-0800; accept ISO variants too. Always UTC."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text, fmt).astimezone(UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def format_zoho_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def custom_field_value(raw: dict[str, Any], field: str) -> str | None:
    """The value of the item's custom field whose api_name or label is `field` (case aside).

    Zoho lists an item's custom fields under `custom_fields`, each with its customfield_id,
    label, value and (in real answers) api_name.
    """
    entries = raw.get("custom_fields")
    if not isinstance(entries, list):
        return None
    wanted = field.strip().casefold()
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        names = (entry.get("api_name"), entry.get("label"))
        if any(isinstance(name, str) and name.strip().casefold() == wanted for name in names):
            value = entry.get("value")
            return _text(value) if isinstance(value, str) else None
    return None


def image_ref(raw: dict[str, Any]) -> str | None:
    """The picture's identity: Zoho gives a new document id (or image id) and name to a new picture."""
    document = _text(raw.get("image_document_id")) or _text(raw.get("image_id"))
    name = _text(raw.get("image_name"))
    if document is None and name is None:
        return None
    return f"{document or ''}/{name or ''}"[:255]


def parse_item(
    raw: dict[str, Any],
    *,
    name_ar_field: str | None = None,
    locations: LocationSelection | None = None,
) -> ErpItem:
    """The item as the mirror keeps it; with `locations`, its stock is the sum over those locations
    (raises erp.locations.LocationsMissing when the answer has no stock per location)."""
    item_id = _text(raw.get("item_id"))
    if item_id is None:
        raise ValueError("item without item_id")
    actual = raw.get("actual_available_stock")
    available = raw.get("available_stock")
    item = ErpItem(
        erp_item_id=item_id,
        name=_text(raw.get("name")) or item_id,
        sku=_text(raw.get("sku")),
        description=_text(raw.get("description")),
        category_name=_text(raw.get("category_name")),
        category_id=_text(raw.get("category_id")),
        image_ref=image_ref(raw),
        is_active=str(raw.get("status", "active")).lower() == "active",
        stock_on_hand=parse_quantity(raw.get("stock_on_hand")),
        available_stock=parse_quantity(available if available is not None else actual),
        actual_available_stock=parse_quantity(actual if actual is not None else available),
        rate=parse_money(raw.get("rate")),
        modified_at=parse_zoho_time(raw.get("last_modified_time")),
        name_ar=custom_field_value(raw, name_ar_field) if name_ar_field else None,
    )
    if locations is None:
        return item
    stock = counted_stock(raw, locations)
    return replace(
        item,
        stock_on_hand=sum(row.stock_on_hand for row in stock),
        available_stock=sum(row.available_stock for row in stock),
        actual_available_stock=sum(row.actual_available_stock for row in stock),
        location_stock=encode_stock(stock),
    )
