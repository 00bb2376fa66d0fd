"""An order as a Zoho sales order: its contact, its payload, created exactly once, then confirmed.

The sales order carries our order number as its number (`ignore_auto_number_generation`), so
Zoho refuses a second one with it. When an earlier attempt may have reached Zoho (its answer was
lost, or its worker died), a refused create is followed by a look through the sales orders
(GET /salesorders documents only paging, so we page): found, the order is ours; not found after
reading every page, the refusal was real; not found within the pages we may read, nobody can
tell yet, and the order waits rather than fail, since it may exist in Zoho.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import delete, select

from storefront.db.base import utcnow
from storefront.db.dialect import upsert_insert
from storefront.db.engine import Database
from storefront.db.session import commit
from storefront.erp.client import SalesOrderWriter
from storefront.erp.errors import ErpContactNameTaken, ErpNotFound, ErpRejected, ErpUnavailable
from storefront.logging import get_logger
from storefront.orders.fulfilment import allocate
from storefront.orders.models import ErpContact

# Zoho's limit on the contact name filter, and so on the names we can look up.
CONTACT_NAME_LIMIT = 100
# Sales order statuses that hold no stock: anything else has been confirmed.
UNCONFIRMED = frozenset({"draft", "void", "pending_approval", "approved"})
# The ERP's answers that refuse a sales order (a 4xx, or a record it names that does not exist).
REFUSALS = (ErpRejected, ErpNotFound)
log = get_logger(__name__)


class SalesOrderLookupIncomplete(ErpUnavailable):
    """An earlier attempt may have created the sales order, and the pages read so far do not show it."""


class OrderToPush(Protocol):
    @property
    def number(self) -> str: ...
    @property
    def customer_name(self) -> str: ...
    @property
    def customer_email(self) -> str: ...
    @property
    def customer_phone(self) -> str | None: ...
    @property
    def notes(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


class LineToPush(Protocol):
    @property
    def erp_item_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class CreatedSalesOrder:
    salesorder_id: str
    salesorder_number: str | None
    contact_id: str | None
    status: str


def salesorder_payload(
    order: OrderToPush,
    lines: Sequence[LineToPush],
    contact_id: str,
    counted_stock: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Any]:
    """The create body: Zoho's create fields only (the currency follows the contact), numbers as numbers.

    With `counted_stock` (per item, units at each counted location: orders.fulfilment), each line
    names the location it is fulfilled from, split over several when one cannot cover it.
    """
    line_items: list[dict[str, Any]] = []
    for line in lines:
        item = {
            "item_id": line.erp_item_id,
            "name": line.name,
            "rate": line.unit_price,
            "quantity": line.quantity,
        }
        parts = allocate(line.quantity, (counted_stock or {}).get(line.erp_item_id, {}))
        line_items.extend(
            [{**item, "quantity": units, "location_id": where} for where, units in parts] or [item]
        )
    payload: dict[str, Any] = {
        "customer_id": contact_id,
        "date": f"{order.created_at:%Y-%m-%d}",
        "salesorder_number": order.number,
        "reference_number": order.number,
        "line_items": line_items,
        "notes": order.notes or "",
    }
    located = [item["location_id"] for item in line_items if "location_id" in item]
    if located:
        payload["location_id"] = located[0]
    return payload


def contact_name(name: str, email: str) -> str:
    """A contact name unique to the shopper (Zoho refuses a second contact of the same name)."""
    full = f"{name} ({email})"
    if len(full) <= CONTACT_NAME_LIMIT:
        return full
    tag = hashlib.sha256(email.lower().encode()).hexdigest()[:12]
    return f"{name[: CONTACT_NAME_LIMIT - len(tag) - 3]} ({tag})"


def created(salesorder: dict[str, Any], contact_id: str | None) -> CreatedSalesOrder:
    salesorder_id = str(salesorder.get("salesorder_id") or "")
    if not salesorder_id:
        raise ErpUnavailable("the ERP sales order has no salesorder_id")
    return CreatedSalesOrder(
        salesorder_id=salesorder_id,
        salesorder_number=str(salesorder.get("salesorder_number") or "") or None,
        contact_id=contact_id or (str(salesorder.get("customer_id") or "") or None),
        status=str(salesorder.get("status") or "draft").lower(),
    )


class Contacts:
    """Each shopper's ERP contact: remembered in the database once found or created."""

    def __init__(self, database: Database, erp: SalesOrderWriter) -> None:
        self.database = database
        self.erp = erp

    async def remembered(self, email: str) -> str | None:
        async with self.database.sessionmaker() as session:
            return await session.scalar(
                select(ErpContact.contact_id).where(ErpContact.email == email.lower())
            )

    async def find_or_create(self, name: str, email: str, phone: str | None, currency_id: str | None) -> str:
        contact_id = await self.erp.find_contact_by_email(email)
        if contact_id is None:
            unique = contact_name(name, email)
            try:
                contact_id = await self.erp.create_contact(unique, email, phone, currency_id)
            except ErpContactNameTaken:
                # The name is ours (it holds the email), so the contact is the shopper's too.
                named = await self.erp.find_contacts_by_name(unique)
                if not named:
                    raise
                contact_id = str(named[0]["contact_id"])
        await self.remember(email, contact_id)
        return contact_id

    async def remember(self, email: str, contact_id: str) -> None:
        async with self.database.write_sessionmaker() as session:
            insert = upsert_insert(session, ErpContact)
            await session.execute(
                insert.values(
                    email=email.lower(), contact_id=contact_id, created_at=utcnow()
                ).on_conflict_do_update(index_elements=["email"], set_={"contact_id": contact_id})
            )
            await commit(session)

    async def forget(self, email: str) -> None:
        async with self.database.write_sessionmaker() as session:
            await session.execute(delete(ErpContact).where(ErpContact.email == email.lower()))
            await commit(session)


async def find_by_number(erp: SalesOrderWriter, number: str, max_pages: int) -> dict[str, Any] | None:
    """Our sales order by its number, reading GET /salesorders page by page.

    None: every page was read and it is not there. Raises SalesOrderLookupIncomplete when
    `max_pages` pages did not show it and more remain.
    """
    for page in range(1, max_pages + 1):
        orders, has_more = await erp.list_salesorders(page)
        for order in orders:
            if str(order.get("salesorder_number") or "") == number:
                return order
        if not has_more:
            return None
    raise SalesOrderLookupIncomplete(
        f"sales order {number} may exist: not among the {max_pages} pages read; looking again later"
    )


async def create_once(
    erp: SalesOrderWriter,
    payload: dict[str, Any],
    *,
    uncertain: bool,
    lookup_pages: int,
) -> dict[str, Any]:
    """Create the sales order, or find the one an earlier attempt created.

    `uncertain`: an earlier attempt may have reached the ERP. Raises the ERP's refusal only when
    no sales order with our number exists.
    """
    number = str(payload["salesorder_number"])
    try:
        return await erp.create_salesorder(payload)
    except REFUSALS:
        if not uncertain:
            raise
        found = await find_by_number(erp, number, lookup_pages)
        if found is None:
            raise
        log.info("salesorder_found_after_refused_create", salesorder_number=number)
        return found


async def confirm_all(erp: SalesOrderWriter, salesorder_ids: list[str]) -> dict[str, Exception | None]:
    """Confirm these drafts, in one call when the ERP takes them all; per id, None or the failure."""
    if not salesorder_ids:
        return {}
    try:
        await erp.confirm_salesorders(salesorder_ids)
        return dict.fromkeys(salesorder_ids)
    except ErpRejected:
        # One refused draft (or one confirmed already) refuses the batch: confirm one by one.
        pass
    outcome: dict[str, Exception | None] = {}
    for salesorder_id in salesorder_ids:
        try:
            await confirm_one(erp, salesorder_id)
            outcome[salesorder_id] = None
        except Exception as exc:
            outcome[salesorder_id] = exc
    return outcome


async def confirm_one(erp: SalesOrderWriter, salesorder_id: str) -> None:
    try:
        await erp.confirm_salesorder(salesorder_id)
    except ErpRejected:
        # Refused: perhaps because it is confirmed already (an answer lost before).
        current = await erp.get_salesorder(salesorder_id)
        if current is None or str(current.get("status") or "draft").lower() in UNCONFIRMED:
            raise


async def void_once(erp: SalesOrderWriter, salesorder_id: str) -> None:
    """Void the sales order; a refusal is accepted when it is void already (or gone)."""
    try:
        await erp.void_salesorder(salesorder_id)
    except REFUSALS:
        current = await erp.get_salesorder(salesorder_id)
        if current is not None and str(current.get("status") or "").lower() != "void":
            raise
