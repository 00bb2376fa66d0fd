"""What the service needs from an ERP; the Zoho client implements it (the emulator speaks Zoho)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class PriceBook:
    pricebook_id: str
    name: str
    currency: str
    rates: dict[str, Decimal]


class ErpClient(Protocol):
    def iter_item_pages(
        self, *, modified_since: datetime | None = None, include_inactive: bool = True
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Raw Zoho item objects, one list per page, following has_more_page."""
        ...

    async def get_item(self, item_id: str) -> dict[str, Any] | None: ...

    async def get_pricebook(self, name: str) -> PriceBook | None:
        """The price book with this name and its per-item rates, or None when there is none."""
        ...

    async def find_contact_by_email(self, email: str) -> str | None: ...

    async def create_contact(self, name: str, email: str, phone: str | None) -> str: ...

    async def find_salesorder_by_reference(self, reference_number: str) -> dict[str, Any] | None: ...

    async def create_salesorder(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /salesorders; the answer's `salesorder` (or `sales_order`) object."""
        ...

    async def aclose(self) -> None: ...
