"""What Storefront uses of Zoho Inventory's API, as facts: paths, parameters, fields and JSON types.

Written from Zoho's published OpenAPI files (the tests compare the two where those files are at
hand). The emulator serves exactly these operations and refuses request bodies that break the
shapes below; the tests check the emulator's answers and the client's requests against them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

STR, NUM, INT, BOOL = "string", "number", "integer", "boolean"


@dataclass(frozen=True)
class Obj:
    """A JSON object: its documented fields (name -> shape) and the required ones."""

    fields: Mapping[str, "Shape"]
    required: tuple[str, ...] = ()


Shape: TypeAlias = str | Obj | list["Shape"]  # a JSON type name, an object, or [shape] for an array of it


def obj(fields: Mapping[str, Shape], required: tuple[str, ...] = ()) -> Obj:
    return Obj(dict(fields), required)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == STR:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return kind == NUM or float(value).is_integer()


def violations(shape: Shape, value: Any, where: str = "", *, closed: bool = True) -> list[tuple[str, str]]:
    """(field path, problem) for each way `value` breaks `shape`: wrong type, missing, and (closed)
    a field the shape does not document. Answers may carry more fields than the contract names."""
    if isinstance(shape, str):
        return [] if _type_ok(shape, value) else [(where, f"expected a JSON {shape}")]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [(where, "expected a JSON array")]
        return [problem for item in value for problem in violations(shape[0], item, where, closed=closed)]
    if not isinstance(value, dict):
        return [(where, "expected a JSON object")]
    found: list[tuple[str, str]] = []
    for name, item in value.items():
        inner = f"{where}.{name}" if where else name
        if name in shape.fields:
            found.extend(violations(shape.fields[name], item, inner, closed=closed))
        elif closed:
            found.append((inner, "not a documented field"))
    found.extend(
        (f"{where}.{name}" if where else name, "required") for name in shape.required if name not in value
    )
    return found


@dataclass(frozen=True)
class Operation:
    """One operation: where it lives, what it takes, what it answers with."""

    method: str
    path: str  # as the spec writes it, relative to /inventory/v1
    query: Mapping[str, str] = field(default_factory=dict)  # documented parameters and their types
    body: Obj | None = None
    status: int = 200
    answer: Obj | None = None  # the fields Storefront relies on, and their types
    needs_organization: bool = True


PAGE_CONTEXT = obj(
    {"page": INT, "per_page": INT, "has_more_page": BOOL}, required=("page", "per_page", "has_more_page")
)
ENVELOPE = {"code": INT, "message": STR}
ENVELOPE_REQUIRED = ("code", "message")


def answer(fields: Mapping[str, Shape], *required: str) -> Obj:
    """A success answer: code and message, plus these fields."""
    return obj({**ENVELOPE, **fields}, ENVELOPE_REQUIRED + required)


LOCATION_STOCK = obj(
    {
        "location_id": STR,
        "location_name": STR,
        "status": STR,
        "is_primary": BOOL,
        # The spec types the per-location figures as strings, unlike the org-wide ones.
        "location_stock_on_hand": STR,
        "location_available_stock": STR,
        "location_actual_available_stock": STR,
    },
    (
        "location_id",
        "location_name",
        "location_stock_on_hand",
        "location_available_stock",
        "location_actual_available_stock",
    ),
)
CUSTOM_FIELD = obj(
    {"customfield_id": STR, "label": STR, "api_name": STR, "value": STR}, ("customfield_id", "label", "value")
)
ITEM = obj(
    {
        "item_id": STR,
        "name": STR,
        "sku": STR,
        "description": STR,
        "rate": NUM,
        "purchase_rate": NUM,
        "status": STR,
        "unit": STR,
        "item_type": STR,
        "product_type": STR,
        "category_id": STR,
        "category_name": STR,
        "group_id": STR,
        "group_name": STR,
        "brand": STR,
        "reorder_level": NUM,
        "stock_on_hand": NUM,
        "available_stock": NUM,
        "actual_available_stock": NUM,
        "image_id": STR,
        "image_name": STR,
        "image_type": STR,
        "image_document_id": STR,
        "created_time": STR,
        "last_modified_time": STR,
        "custom_fields": [CUSTOM_FIELD],
        "locations": [LOCATION_STOCK],
    },
    (
        "item_id",
        "name",
        "status",
        "rate",
        "last_modified_time",
        "image_name",
        "image_id",
        "image_type",
        "image_document_id",
    ),
)
ITEM_LIST_QUERY = {
    "page": INT,
    "per_page": INT,
    "search_text": STR,
    "filter_by": STR,
    "sort_column": STR,
    "sort_order": STR,
    "status": STR,
    "name": STR,
    "name_startswith": STR,
    "name_contains": STR,
    "sku": STR,
    "sku_startswith": STR,
    "sku_contains": STR,
    "rate": NUM,
    "rate_less_than": NUM,
    "rate_less_equals": NUM,
    "rate_greater_than": NUM,
    "rate_greater_equals": NUM,
    "purchase_rate": NUM,
    "purchase_rate_less_than": NUM,
    "purchase_rate_less_equals": NUM,
    "purchase_rate_greater_than": NUM,
    "purchase_rate_greater_equals": NUM,
    "tax_id": STR,
    "account_id": STR,
    "purchase_account_id": STR,
    "customview_id": STR,
    "vendor_id": STR,
    "item_id": STR,
    "zcrm_product_id": STR,
    "last_modified_time": STR,
    "category_id": STR,
    "brand_ids": STR,
    "manufacturer_ids": STR,
    "warehouse_id": STR,
    "location_id": STR,
    "group_id": STR,
}
# Allowed values the spec lists in the parameters' descriptions.
ITEM_FILTERS = (
    "Status.All",
    "Status.Active",
    "Status.Inactive",
    "Status.Lowstock",
    "Status.Unmapped",
    "Status.Uncategorized",
    "Status.Grouped",
    "ItemType.All",
    "ItemType.Sales",
    "ItemType.Purchases",
    "ItemType.SalesAndPurchases",
    "ItemType.Inventory",
    "ItemType.NonInventory",
    "ItemType.Service",
)
ITEM_SORT_COLUMNS = (
    "name",
    "sku",
    "rate",
    "purchase_rate",
    "created_time",
    "last_modified_time",
    "reorder_level",
    "stock_on_hand",
)
SORT_ORDERS = ("A", "D")

PRICEBOOK_ITEM = obj(
    {
        "item_id": STR,
        "name": STR,
        "pricebook_rate": NUM,
        "pricebook_item_id": STR,
        "pricebook_discount": STR,
        "pricing_scheme": STR,
        "price_brackets": [
            obj({"pricebook_item_id": STR, "start_quantity": NUM, "end_quantity": NUM, "pricebook_rate": NUM})
        ],
    },
    ("item_id",),
)
PRICEBOOK = obj(
    {
        "pricebook_id": STR,
        "name": STR,
        "currency_id": STR,
        "currency_code": STR,
        "pricebook_type": STR,
        "pricing_scheme": STR,
        "percentage": NUM,
        "is_increase": BOOL,
        "decimal_place": INT,
        "rounding_type": STR,
        "sales_or_purchase_type": STR,
        "is_default": BOOL,
        "status": STR,
        "pricebook_items": [PRICEBOOK_ITEM],
    },
    ("pricebook_id", "name", "currency_code", "pricebook_type", "status"),
)
PRICEBOOK_TYPES = ("per_item", "fixed_percentage")
PRICING_SCHEMES = ("unit", "volume")

CONTACT_PERSON = obj(
    {
        "contact_person_id": STR,
        "salutation": STR,
        "first_name": STR,
        "last_name": STR,
        "email": STR,
        "phone": STR,
        "mobile": STR,
        "is_primary_contact": BOOL,
    }
)
CONTACT = obj(
    {
        "contact_id": STR,
        "contact_name": STR,
        "company_name": STR,
        "contact_type": STR,
        "status": STR,
        "currency_id": STR,
        "currency_code": STR,
        "primary_contact_id": STR,
        "notes": STR,
        "contact_persons": [CONTACT_PERSON],
        "created_time": STR,
        "last_modified_time": STR,
    },
    ("contact_id", "contact_name", "currency_id", "currency_code", "contact_persons"),
)
CONTACT_ROW = obj(
    {
        "contact_id": STR,
        "contact_name": STR,
        "company_name": STR,
        "contact_type": STR,
        "status": STR,
        "currency_id": STR,
        "currency_code": STR,
        "first_name": STR,
        "last_name": STR,
        "email": STR,
        "phone": STR,
        "mobile": STR,
        "created_time": STR,
        "last_modified_time": STR,
    },
    ("contact_id", "contact_name", "email"),
)
CONTACT_SEARCH_FIELDS = (
    "contact_name",
    "company_name",
    "first_name",
    "last_name",
    "address",
    "email",
    "phone",
)
# Each search field also has the _startswith and _contains variants the spec names in its description.
CONTACT_LIST_QUERY = {
    **{
        f"{name}{variant}": STR
        for name in CONTACT_SEARCH_FIELDS
        for variant in ("", "_startswith", "_contains")
    },
    "filter_by": STR,
    "search_text": STR,
    "sort_column": STR,
    "page": INT,
    "per_page": INT,
}
CONTACT_FILTERS = ("Status.All", "Status.Active", "Status.Inactive", "Status.Duplicate", "Status.Crm")
CONTACT_SORT_COLUMNS = (
    "contact_name",
    "first_name",
    "last_name",
    "email",
    "outstanding_receivable_amount",
    "created_time",
    "last_modified_time",
)
CONTACT_CREATE = obj(
    {
        "contact_name": STR,
        "company_name": STR,
        "payment_terms": INT,
        "currency_id": STR,
        "website": STR,
        "contact_type": STR,
        "custom_fields": [
            obj(
                {
                    "value": STR,
                    "index": INT,
                }
            )
        ],
        "opening_balances": [
            obj(
                {
                    "location_id": STR,
                    "exchange_rate": NUM,
                    "opening_balance_amount": NUM,
                }
            )
        ],
        "billing_address": obj(
            {
                "attention": STR,
                "address": STR,
                "street2": STR,
                "city": STR,
                "state": STR,
                "zip": STR,
                "country": STR,
            }
        ),
        "shipping_address": obj(
            {
                "attention": STR,
                "address": STR,
                "street2": STR,
                "city": STR,
                "state": STR,
                "zip": STR,
                "country": STR,
            }
        ),
        "contact_persons": [
            obj(
                {
                    "salutation": STR,
                    "first_name": STR,
                    "last_name": STR,
                    "email": STR,
                    "phone": STR,
                    "mobile": STR,
                    "is_primary_contact": BOOL,
                    "communication_preference": obj(
                        {
                            "is_sms_enabled": BOOL,
                            "is_whatsapp_enabled": BOOL,
                        }
                    ),
                }
            )
        ],
        "default_templates": obj(
            {
                "invoice_template_id": STR,
                "invoice_template_name": STR,
                "estimate_template_id": STR,
                "estimate_template_name": STR,
                "creditnote_template_id": STR,
                "creditnote_template_name": STR,
                "invoice_email_template_id": STR,
                "invoice_email_template_name": STR,
                "estimate_email_template_id": STR,
                "estimate_email_template_name": STR,
                "creditnote_email_template_id": STR,
                "creditnote_email_template_name": STR,
            }
        ),
        "language_code": STR,
        "notes": STR,
        "vat_reg_no": STR,
        "tax_reg_no": STR,
        "country_code": STR,
        "vat_treatment": STR,
        "tax_treatment": STR,
        "tax_regime": STR,
        "legal_name": STR,
        "is_tds_registered": BOOL,
        "avatax_exempt_no": STR,
        "avatax_use_code": STR,
        "tax_exemption_id": STR,
        "tax_authority_id": STR,
        "tax_id": BOOL,
        "is_taxable": BOOL,
        "facebook": STR,
        "twitter": STR,
        "place_of_contact": STR,
        "gst_no": STR,
        "gst_treatment": STR,
        "tax_authority_name": STR,
        "tax_exemption_code": STR,
    },
    required=("contact_name",),
)

LINE_ITEM = obj(
    {
        "line_item_id": STR,
        "item_id": STR,
        "name": STR,
        "sku": STR,
        "item_order": INT,
        "rate": NUM,
        "quantity": NUM,
        "unit": STR,
        "item_total": NUM,
        "location_id": STR,
        "location_name": STR,
    },
    ("line_item_id", "item_id", "rate", "quantity", "item_total"),
)
SALESORDER = obj(
    {
        "salesorder_id": STR,
        "salesorder_number": STR,
        "date": STR,
        "status": STR,
        "reference_number": STR,
        "customer_id": STR,
        "customer_name": STR,
        "currency_id": STR,
        "currency_code": STR,
        "exchange_rate": NUM,
        "location_id": STR,
        "location_name": STR,
        "line_items": [LINE_ITEM],
        "sub_total": NUM,
        "tax_total": NUM,
        "total": NUM,
        "notes": STR,
        "custom_fields": [obj({"customfield_id": STR, "label": STR, "value": STR})],
        "created_time": STR,
        "last_modified_time": STR,
    },
    ("salesorder_id", "salesorder_number", "status", "customer_id", "currency_code", "line_items", "total"),
)
SALESORDER_ROW = obj(
    {
        "salesorder_id": STR,
        "salesorder_number": STR,
        "reference_number": STR,
        "customer_id": STR,
        "customer_name": STR,
        "status": STR,
        "date": STR,
        "currency_code": STR,
        "total": NUM,
        "created_time": STR,
        "last_modified_time": STR,
    },
    ("salesorder_id", "salesorder_number", "status", "total"),
)
# The spec also lists salesorder_number as required; its own description says the number is
# mandatory only with ignore_auto_number_generation=true, which is how the emulator applies it.
SALESORDER_CREATE = obj(
    {
        "customer_id": STR,
        "salesorder_number": STR,
        "date": STR,
        "shipment_date": STR,
        "custom_fields": [
            obj(
                {
                    "customfield_id": STR,
                    "label": STR,
                    "value": STR,
                }
            )
        ],
        "reference_number": STR,
        "location_id": STR,
        "line_items": [
            obj(
                {
                    "item_id": STR,
                    "name": STR,
                    "description": STR,
                    "rate": NUM,
                    "quantity": NUM,
                    "unit": STR,
                    "tax_id": STR,
                    "tds_tax_id": STR,
                    "tax_name": STR,
                    "tax_type": STR,
                    "tax_percentage": NUM,
                    "item_total": NUM,
                    "mapped_items": [
                        obj(
                            {
                                "item_id": STR,
                                "item_order": INT,
                                "name": STR,
                                "description": STR,
                                "quantity": NUM,
                                "warehouse_id": STR,
                                "location_id": STR,
                                "mapped_items": [
                                    obj(
                                        {
                                            "item_id": STR,
                                            "item_order": INT,
                                            "name": STR,
                                            "description": STR,
                                            "quantity": NUM,
                                            "warehouse_id": STR,
                                            "location_id": STR,
                                        }
                                    )
                                ],
                            }
                        )
                    ],
                    "location_id": STR,
                    "hsn_or_sac": STR,
                    "sat_item_key_code": STR,
                    "unitkey_code": STR,
                    "item_custom_fields": [
                        obj(
                            {
                                "label": STR,
                                "value": STR,
                            }
                        )
                    ],
                }
            )
        ],
        "contact_persons_associated": [
            obj(
                {
                    "contact_person_id": STR,
                    "communication_preference": obj(
                        {
                            "is_email_enabled": BOOL,
                            "is_whatsapp_enabled": BOOL,
                        }
                    ),
                }
            )
        ],
        "notes": STR,
        "terms": STR,
        "discount": NUM,
        "is_discount_before_tax": BOOL,
        "discount_type": STR,
        "shipping_charge": NUM,
        "delivery_method": STR,
        "adjustment": NUM,
        "pricebook_id": STR,
        "salesperson_id": STR,
        "adjustment_description": STR,
        "is_inclusive_tax": BOOL,
        "exchange_rate": NUM,
        "template_id": STR,
        "documents": [
            obj(
                {
                    "can_send_in_mail": BOOL,
                    "file_name": STR,
                    "file_type": STR,
                    "file_size_formatted": STR,
                    "attachment_order": INT,
                    "document_id": STR,
                    "file_size": INT,
                }
            )
        ],
        "billing_address_id": STR,
        "shipping_address_id": STR,
        "place_of_supply": STR,
        "gst_treatment": STR,
        "gst_no": STR,
    },
    required=("customer_id", "line_items"),
)

ORGANIZATION = obj(
    {
        "organization_id": STR,
        "name": STR,
        "contact_name": STR,
        "email": STR,
        "is_default_org": BOOL,
        "time_zone": STR,
        "language_code": STR,
        "currency_id": STR,
        "currency_code": STR,
        "currency_symbol": STR,
        "price_precision": NUM,
        "is_org_active": BOOL,
    },
    ("organization_id", "name", "currency_code"),
)
LOCATION = obj(
    {
        "location_id": STR,
        "location_name": STR,
        "type": STR,
        "status": STR,
        "is_primary_location": BOOL,
        "is_location_active": BOOL,
        "parent_location_id": STR,
    },
    ("location_id", "location_name"),
)
LOCATION_TYPES = ("general", "line_item_only")
ITEMGROUP = obj(
    {
        "group_id": STR,
        "group_name": STR,
        "unit": STR,
        "status": STR,
        "image_id": STR,
        "image_name": STR,
        "image_type": STR,
        "created_time": STR,
        "last_modified_time": STR,
    },
    ("group_id", "group_name"),
)
PAGING = {"page": INT, "per_page": INT}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/items",
        ITEM_LIST_QUERY,
        answer=answer({"items": [ITEM], "page_context": PAGE_CONTEXT}, "items", "page_context"),
    ),
    Operation("GET", "/itemdetails", {"item_ids": STR}, answer=answer({"items": [ITEM]}, "items")),
    Operation("GET", "/items/{item_id}", answer=answer({"item": ITEM}, "item")),
    Operation("GET", "/items/{item_id}/image", {"preview": BOOL}),
    Operation(
        "GET",
        "/pricebooks",
        {**PAGING, "filter_by": STR, "search_text": STR},
        answer=answer(
            {"pricebooks": [PRICEBOOK], "page_context": PAGE_CONTEXT}, "pricebooks", "page_context"
        ),
    ),
    # Not in the published files; zoho-api.md has it (the answer is the spec's pricebook object).
    Operation("GET", "/pricebooks/{pricebook_id}", answer=answer({"pricebook": PRICEBOOK}, "pricebook")),
    Operation(
        "GET",
        "/contacts",
        CONTACT_LIST_QUERY,
        answer=answer({"contacts": [CONTACT_ROW], "page_context": PAGE_CONTEXT}, "contacts", "page_context"),
    ),
    Operation(
        "POST", "/contacts", body=CONTACT_CREATE, status=201, answer=answer({"contact": CONTACT}, "contact")
    ),
    Operation("GET", "/contacts/{contact_id}", answer=answer({"contact": CONTACT}, "contact")),
    Operation(
        "GET",
        "/salesorders",
        PAGING,
        answer=answer(
            {"salesorders": [SALESORDER_ROW], "page_context": PAGE_CONTEXT}, "salesorders", "page_context"
        ),
    ),
    Operation(
        "POST",
        "/salesorders",
        {"ignore_auto_number_generation": BOOL},
        body=SALESORDER_CREATE,
        status=201,
        answer=answer({"salesorder": SALESORDER}, "salesorder"),
    ),
    Operation("GET", "/salesorders/{salesorder_id}", answer=answer({"salesorder": SALESORDER}, "salesorder")),
    Operation("POST", "/salesorders/status/confirmed", {"salesorder_ids": STR}, answer=answer({})),
    Operation("POST", "/salesorders/{salesorder_id}/status/confirmed", answer=answer({})),
    Operation("POST", "/salesorders/{salesorder_id}/status/void", answer=answer({})),
    Operation(
        "GET",
        "/organizations",
        answer=answer({"organizations": [ORGANIZATION]}, "organizations"),
        needs_organization=False,
    ),
    Operation(
        "GET",
        "/organizations/{organization_id}",
        answer=answer({"organization": ORGANIZATION}, "organization"),
        needs_organization=False,
    ),
    Operation(
        "GET",
        "/locations",
        {"is_hierarchical_response": BOOL, "location_type": STR},
        answer=answer({"locations": [LOCATION]}, "locations"),
    ),
    Operation("GET", "/locations/{location_id}", answer=answer({"location": LOCATION}, "location")),
    Operation(
        "GET",
        "/itemgroups",
        PAGING,
        answer=answer(
            {"itemgroups": [ITEMGROUP], "page_context": PAGE_CONTEXT}, "itemgroups", "page_context"
        ),
    ),
    # The spec puts the group's fields at the top level of this answer.
    Operation("GET", "/itemgroups/{itemgroup_id}", answer=answer({**ITEMGROUP.fields}, *ITEMGROUP.required)),
)


def _matches(template: str, path: str) -> bool:
    parts, wanted = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(wanted) and all(
        p.startswith("{") or p == w for p, w in zip(parts, wanted, strict=True)
    )


def operation_for(method: str, path: str) -> Operation | None:
    """The contract's operation for a request path (below the API base); literal paths win."""
    found = [op for op in OPERATIONS if op.method == method and _matches(op.path, path)]
    return min(found, key=lambda op: op.path.count("{"), default=None)
