"""Contacts: create (names are unique, code 3062), read one, and the list with its documented filters."""

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storefront.erp.emulator.bodies import held_to, read_body
from storefront.erp.emulator.contract import (
    CONTACT_CREATE,
    CONTACT_FILTERS,
    CONTACT_ROW,
    CONTACT_SEARCH_FIELDS,
    CONTACT_SORT_COLUMNS,
)
from storefront.erp.emulator.item_query import sort_key
from storefront.erp.emulator.params import Routes, paged
from storefront.erp.emulator.replies import BadValue, fail, missing, ok
from storefront.erp.emulator.state import EmulatorState, now_text

DUPLICATE_NAME_CODE = 3062
ADDRESS_FIELDS = ("attention", "address", "street2", "city", "state", "zip", "country")


def _values(contact: dict[str, Any], name: str) -> list[str]:
    """The texts a search field looks at: the contact's own, or any of its contact persons'."""
    if name in {"contact_name", "company_name"}:
        return [str(contact.get(name) or "")]
    if name == "address":
        return [
            str(address.get(part) or "")
            for address in (contact.get("billing_address") or {}, contact.get("shipping_address") or {})
            for part in ADDRESS_FIELDS
        ]
    return [str(person.get(name) or "") for person in contact["contact_persons"]]


_TESTS: dict[str, Callable[[str, str], bool]] = {
    "": lambda value, wanted: value == wanted,
    "_startswith": lambda value, wanted: value.startswith(wanted),
    "_contains": lambda value, wanted: wanted in value,
}


def _row(contact: dict[str, Any]) -> dict[str, Any]:
    primary: dict[str, Any] = next((p for p in contact["contact_persons"] if p.get("is_primary_contact")), {})
    row = {name: contact.get(name, "") for name in CONTACT_ROW.fields}
    row.update(
        {
            name: str(primary.get(name) or "")
            for name in ("first_name", "last_name", "email", "phone", "mobile")
        }
    )
    return row


def contact_routes(state: EmulatorState) -> Routes:
    async def list_contacts(request: Request) -> Response:
        params = request.query_params
        filter_by = params.get("filter_by") or "Status.All"
        if filter_by not in CONTACT_FILTERS:
            raise BadValue("filter_by")
        sort_column = params.get("sort_column") or "contact_name"
        if sort_column not in CONTACT_SORT_COLUMNS:
            raise BadValue("sort_column")
        searches = [
            (name, _TESTS[variant], params[name + variant].strip().casefold())
            for name in CONTACT_SEARCH_FIELDS
            for variant in _TESTS
            if params.get(name + variant)
        ]
        text = (params.get("search_text") or "").strip().casefold()
        wanted_status = {"Status.Active": "active", "Status.Inactive": "inactive"}.get(filter_by)
        rows = []
        for contact in state.contacts.values():
            if filter_by in {"Status.Duplicate", "Status.Crm"}:
                continue  # no contact is a duplicate or comes from Zoho CRM here
            if wanted_status and contact["status"] != wanted_status:
                continue
            if text and not any(
                text in str(contact.get(key) or "").casefold() for key in ("contact_name", "notes")
            ):
                continue
            if all(
                any(test(value.casefold(), wanted) for value in _values(contact, name))
                for name, test, wanted in searches
            ):
                rows.append(_row(contact))
        rows.sort(key=lambda row: sort_key(row.get(sort_column, 0)))
        page, context = paged(request, rows)
        return ok({"contacts": page, **context})

    async def create_contact(request: Request) -> Response:
        body = held_to(CONTACT_CREATE, await read_body(request))
        name = body["contact_name"].strip()
        if not name:
            raise BadValue("contact_name")
        taken = any(
            contact["contact_name"].casefold() == name.casefold() for contact in state.contacts.values()
        )
        if taken:
            return fail(
                400,
                DUPLICATE_NAME_CODE,
                f'The contact name "{name}" already exists. Please specify a different name.',
            )
        currency_id = body.get("currency_id") or state.currencies.id_of(state.config.base_currency)
        currency_code = state.currencies.code_of(currency_id)
        if currency_code is None:
            raise BadValue("currency_id")
        persons = [
            {
                "contact_person_id": state.new_id(),
                **person,
                "is_primary_contact": person.get("is_primary_contact") is True,
            }
            for person in body.get("contact_persons", [])
        ]
        if persons and not any(person["is_primary_contact"] for person in persons):
            persons[0]["is_primary_contact"] = True
        primary: dict[str, Any] = next((p for p in persons if p["is_primary_contact"]), {})
        stamp = now_text()
        contact = {
            **body,
            "contact_id": state.new_id(),
            "contact_name": name,
            "company_name": body.get("company_name", ""),
            "contact_type": body.get("contact_type") or "customer",
            "status": "active",
            "currency_id": currency_id,
            "currency_code": currency_code,
            "primary_contact_id": primary.get("contact_person_id", ""),
            "email": str(primary.get("email") or ""),
            "phone": str(primary.get("phone") or ""),
            "contact_persons": persons,
            "created_time": stamp,
            "last_modified_time": stamp,
        }
        state.contacts[contact["contact_id"]] = contact
        return ok({"contact": contact}, status=201, message="The contact has been added.")

    async def get_contact(request: Request) -> Response:
        contact = state.contacts.get(request.path_params["contact_id"])
        if contact is None:
            return missing("Contact")
        return ok({"contact": contact})

    return [
        ("GET", "/contacts", list_contacts, True),
        ("POST", "/contacts", create_contact, True),
        ("GET", "/contacts/{contact_id}", get_contact, True),
    ]
