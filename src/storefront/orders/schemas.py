"""What a shopper sends to place an order, and how an order reads back."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from storefront.web.envelope import Answer

MAX_LINES = 100
MAX_QUANTITY = 1000

ProductRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# RFC 5321: a mailbox's local part holds at most 64 octets.
MAX_EMAIL_LOCAL_PART = 64


def _local_part_fits(email: str) -> str:
    if len(email.rpartition("@")[0].encode()) > MAX_EMAIL_LOCAL_PART:
        raise ValueError(f"the part before @ is longer than {MAX_EMAIL_LOCAL_PART} characters")
    return email


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    email: Annotated[EmailStr, AfterValidator(_local_part_fits)]
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: ProductRef = Field(description="Our product id or the ERP item id.")
    quantity: int = Field(ge=1, le=MAX_QUANTITY, strict=True)
    unit_price: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=18,
        decimal_places=4,
        allow_inf_nan=False,
        description="The price the shopper saw; when it differs from today's, the order is refused.",
    )


class PlaceOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: CustomerIn
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None

    @model_validator(mode="after")
    def _each_product_once(self) -> "PlaceOrderIn":
        seen: dict[str, int] = {}
        for number, line in enumerate(self.lines, start=1):
            if line.product_id in seen:
                raise ValueError(
                    f"lines {seen[line.product_id]} and {number} name the same product {line.product_id}"
                )
            seen[line.product_id] = number
        return self


@dataclass(frozen=True, slots=True)
class OrderLineView:
    line_no: int
    product_id: str
    erp_item_id: str
    sku: str | None
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "product_id": self.product_id,
            "erp_item_id": self.erp_item_id,
            "sku": self.sku,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "line_total": self.line_total,
        }


@dataclass(frozen=True, slots=True)
class OrderView:
    id: str
    number: str
    status: str
    customer_name: str
    customer_email: str
    customer_phone: str | None
    notes: str | None
    currency: str
    total: Decimal
    lines: list[OrderLineView]
    erp_salesorder_id: str | None
    erp_salesorder_number: str | None
    created_at: datetime
    confirmed_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "status": self.status,
            "customer": {
                "name": self.customer_name,
                "email": self.customer_email,
                "phone": self.customer_phone,
            },
            "notes": self.notes,
            "currency": self.currency,
            "total": self.total,
            "lines": [line.to_dict() for line in self.lines],
            "erp_salesorder_id": self.erp_salesorder_id,
            "erp_salesorder_number": self.erp_salesorder_number,
            "created_at": self.created_at,
            "confirmed_at": self.confirmed_at,
            "failed_at": self.failed_at,
            "cancelled_at": self.cancelled_at,
        }


@dataclass(frozen=True, slots=True)
class PushView:
    """An order as the operator sees it: with its push's progress."""

    order: OrderView
    push_status: str
    push_action: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = self.order.to_dict()
        data["push"] = {
            "status": self.push_status,
            "action": self.push_action,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "next_attempt_at": self.next_attempt_at,
        }
        return data


class Customer(Answer):
    name: str = Field(examples=["Zainab Ali"])
    email: str = Field(examples=["zainab@example.com"])
    phone: str | None = Field(examples=["+9647700000000"])


class OrderLine(Answer):
    line_no: int = Field(description="The line's number in the order, from 1.")
    product_id: str = Field(description="Our id of the product.")
    erp_item_id: str
    sku: str | None
    name: str
    quantity: int
    unit_price: float = Field(description="The price the line was ordered at (a decimal amount).")
    line_total: float


class Order(Answer):
    """An order: `accepted` once taken (its stock reserved), `confirmed` once the ERP holds its sales
    order, `failed` when the ERP refused it (its stock given back), or `cancelled`."""

    id: uuid.UUID = Field(description="The order's id (unguessable: it is how the shopper reads it back).")
    number: str = Field(description="Our order number, also the ERP sales order's number.")
    status: str = Field(examples=["accepted"])
    customer: Customer
    notes: str | None
    currency: str = Field(examples=["IQD"])
    total: float = Field(description="The sum of the line totals (a decimal amount).")
    lines: list[OrderLine]
    erp_salesorder_id: str | None
    erp_salesorder_number: str | None
    created_at: datetime
    confirmed_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None


class OrderPush(Answer):
    """How far the order's push to the ERP is: the creation of its sales order, or, for an order
    cancelled after it may have reached the ERP, the voiding of it."""

    status: str = Field(description="pending, done, failed or withdrawn (cancelled before it was sent).")
    action: str = Field(description="create or void.")
    attempts: int
    last_error: str | None
    next_attempt_at: datetime


class OrderWithPush(Order):
    push: OrderPush
