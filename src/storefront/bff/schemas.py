"""What the mobile screens send and how they read."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from storefront.catalog.schemas import Category, CategoryView, Product, ProductView
from storefront.orders.pricing import LineProblem
from storefront.orders.schemas import MAX_LINES, Order, OrderLineIn, OrderView
from storefront.web.envelope import Answer, PageMeta

LOW_STOCK = 5
StockLevel = Literal["in_stock", "low_stock", "out_of_stock"]


class CartIn(BaseModel):
    """The cart as the app holds it; `unit_price` is the price it showed, to spot a change."""

    model_config = ConfigDict(extra="forbid")

    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)


def stock_level(stock: int) -> StockLevel:
    if stock <= 0:
        return "out_of_stock"
    return "low_stock" if stock <= LOW_STOCK else "in_stock"


def availability(product: ProductView) -> dict[str, Any]:
    return {"stock": product.stock, "in_stock": product.in_stock, "level": stock_level(product.stock)}


def home_screen(
    categories: list[CategoryView], new_arrivals: list[ProductView], last_sync_at: datetime | None
) -> dict[str, Any]:
    return {
        "categories": [category.to_dict() for category in categories],
        "new_arrivals": [product.to_dict() for product in new_arrivals],
        "last_sync_at": last_sync_at,
    }


def product_screen(product: ProductView, related: list[ProductView]) -> dict[str, Any]:
    return {
        "product": product.to_dict(),
        "availability": availability(product),
        "related": [item.to_dict() for item in related],
    }


class CartLine(Answer):
    line: int = Field(description="Which line of the cart this is.")
    product_id: str = Field(description="Our id of the product, or the reference sent when none matched.")
    erp_item_id: str | None
    sku: str | None
    name: str | None
    quantity: int
    unit_price: float | None = Field(description="Today's price (a decimal amount); null when unpriced.")
    line_total: float | None
    available: int = Field(ge=0, description="Sellable units now.")
    problems: list[LineProblem] = Field(description="What keeps the line from being ordered as it is.")


class CartQuote(Answer):
    currency: str | None = Field(examples=["IQD"])
    total: float = Field(description="The sum of the priced lines (a decimal amount).")
    ok: bool = Field(description="Whether every line can be ordered as it is.")
    lines: list[CartLine]


class PlacedLine(Answer):
    line: int = Field(description="Which line of the order this is, from 1.")
    product_id: str
    erp_item_id: str
    sku: str | None
    name: str
    quantity: int
    unit_price: float = Field(description="The price the order was placed at (a decimal amount).")
    line_total: float


class PlacedPrices(Answer):
    """The order's lines at the prices it was placed at: the placement's own, not a second quote."""

    currency: str = Field(examples=["IQD"])
    total: float
    lines: list[PlacedLine]


class Checkout(Answer):
    order: Order
    quote: PlacedPrices


class Availability(Answer):
    stock: int = Field(ge=0)
    in_stock: bool
    level: StockLevel


class HomeScreen(Answer):
    categories: list[Category]
    new_arrivals: list[Product]
    last_sync_at: datetime | None = Field(description="When the catalog was last brought up to date.")


class ProductScreen(Answer):
    product: Product
    availability: Availability
    related: list[Product]


class CategoryPageMeta(PageMeta):
    category: str


class SearchPageMeta(PageMeta):
    query: str = Field(description="The search words as they were used: trimmed, spaces collapsed.")


def checkout_screen(order: OrderView) -> dict[str, Any]:
    """The order placed, and its lines at the prices the order took (the placement's own prices)."""
    return {
        "order": order.to_dict(),
        "quote": {
            "currency": order.currency,
            "total": order.total,
            "lines": [
                {
                    "line": line.line_no,
                    "product_id": line.product_id,
                    "erp_item_id": line.erp_item_id,
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "line_total": line.line_total,
                }
                for line in order.lines
            ],
        },
    }
