import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from storefront.web.envelope import Answer


@dataclass(frozen=True, slots=True)
class ProductFilters:
    category: str | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class ProductView:
    """A product as shoppers see it: sellable stock, never below zero, at the consumer price."""

    id: str
    erp_item_id: str
    sku: str | None
    name: str
    # The Arabic name from the ERP's custom field (None: the item has none).
    name_ar: str | None
    description: str | None
    category: str | None
    price: Decimal
    currency: str
    stock: int
    # Absolute; carries the picture's content hash, or points at the placeholder when it has none.
    image_url: str
    updated_at: datetime

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "erp_item_id": self.erp_item_id,
            "sku": self.sku,
            "name": self.name,
            "name_ar": self.name_ar,
            "description": self.description,
            "category": self.category,
            "price": self.price,
            "currency": self.currency,
            "stock": self.stock,
            "in_stock": self.in_stock,
            "image_url": self.image_url,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class CategoryView:
    name: str
    product_count: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "product_count": self.product_count}


class Product(Answer):
    """A product as the shoppers' app shows it."""

    id: uuid.UUID = Field(description="Our id of the product.")
    erp_item_id: str = Field(
        description="The ERP's item id; it names the product too.", examples=["4815000000000766"]
    )
    sku: str | None = Field(examples=["SKU-BAB-00766"])
    name: str = Field(examples=["Al Rafidain Baby Diapers 250 g"])
    name_ar: str | None = Field(description="The Arabic name, when the ERP has one.")
    description: str | None
    category: str | None = Field(examples=["Baby Care"])
    price: float = Field(
        description="Today's consumer price, in `currency` (a decimal amount).", examples=[44500]
    )
    currency: str = Field(examples=["IQD"])
    stock: int = Field(ge=0, description="Sellable units: the ERP's available stock less open orders.")
    in_stock: bool
    image_url: str | None
    updated_at: datetime = Field(description="When the product last changed in the mirror.")


class Category(Answer):
    name: str = Field(examples=["Baby Care"])
    product_count: int = Field(description="Listed products in the category.")
