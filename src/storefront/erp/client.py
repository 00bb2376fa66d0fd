"""What the service needs from an ERP; the Zoho client implements it (the emulator speaks Zoho)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from storefront.erp.budget import DailyQuota, Priority


@dataclass(frozen=True, slots=True)
class PriceBook:
    pricebook_id: str
    name: str
    currency: str
    rates: dict[str, Decimal]
    # The ERP's id of the book's currency: contacts created for orders priced from it carry it.
    currency_id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of a listing: raw Zoho item objects, and whether another page follows."""

    items: list[dict[str, Any]]
    has_more: bool


@dataclass(frozen=True, slots=True)
class ItemImage:
    """An item's picture as the ERP sent it: its bytes and the content type it named."""

    content: bytes
    content_type: str


class ItemReader(Protocol):
    async def list_items(
        self, *, page: int = 1, modified_after: datetime | None = None, include_inactive: bool = True
    ) -> ItemPage: ...

    async def get_item(self, item_id: str) -> dict[str, Any] | None:
        """The item, or None only when the ERP says it does not exist."""
        ...

    async def get_item_details(self, item_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The items that exist among these ids (several per call)."""
        ...

    async def get_pricebook(self, name: str) -> PriceBook | None:
        """The price book with this name and its per-item rates, or None when there is none."""
        ...

    async def get_item_image(self, item_id: str, max_bytes: int) -> ItemImage | None:
        """The item's picture, or None when the ERP says it has none."""
        ...

    async def list_locations(self) -> list[dict[str, Any]]:
        """The organisation's stock locations."""
        ...


class SalesOrderWriter(Protocol):
    async def find_contact_by_email(self, email: str) -> str | None: ...

    async def find_contacts_by_name(self, name: str) -> list[dict[str, Any]]: ...

    async def create_contact(
        self, name: str, email: str, phone: str | None, currency_id: str | None = None
    ) -> str: ...

    async def create_salesorder(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /salesorders; the answer's `salesorder` (or `sales_order`) object."""
        ...

    async def get_salesorder(self, salesorder_id: str) -> dict[str, Any] | None: ...

    async def list_salesorders(self, page: int) -> tuple[list[dict[str, Any]], bool]: ...

    async def confirm_salesorders(self, salesorder_ids: Sequence[str]) -> None: ...

    async def confirm_salesorder(self, salesorder_id: str) -> None: ...

    async def void_salesorder(self, salesorder_id: str) -> None: ...


class ErpClient(ItemReader, SalesOrderWriter, Protocol):
    def with_priority(self, priority: Priority) -> "ErpClient":
        """The same client whose calls draw on the shared budget at this priority."""
        ...

    async def paused_until(self) -> float | None: ...

    async def daily_quota(self) -> DailyQuota | None: ...

    async def budget_remaining(self) -> int: ...

    async def aclose(self) -> None: ...
