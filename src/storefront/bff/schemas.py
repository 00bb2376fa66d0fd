"""What the mobile screens send and how they read."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from storefront.catalog.schemas import CategoryView, ProductView
from storefront.orders.schemas import MAX_LINES, OrderLineIn, OrderView

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


def checkout_screen(order: OrderView) -> dict[str, Any]:
    """The order placed, and its lines priced as the order took them (the placement's own prices)."""
    return {
        "order": order.to_dict(),
        "quote": {
            "currency": order.currency,
            "total": order.total,
            "ok": True,
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
                    "problems": [],
                }
                for line in order.lines
            ],
        },
    }
