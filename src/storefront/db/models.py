"""Every table, imported in one place for migrations and metadata."""

from storefront.catalog.models import Category, PriceList, Product, ProductPrice
from storefront.dashboard.models import DashboardSessionRecord, StoredSecret
from storefront.db.base import Base
from storefront.events.models import Event
from storefront.images.models import ProductImageFailure
from storefront.orders.models import ErpContact, IdempotencyRecord, Order, OrderLine, OrderPush
from storefront.sync.models import ListingSeen, SyncRun, WebhookDelivery

__all__ = [
    "Base",
    "Category",
    "DashboardSessionRecord",
    "ErpContact",
    "Event",
    "IdempotencyRecord",
    "ListingSeen",
    "Order",
    "OrderLine",
    "OrderPush",
    "PriceList",
    "Product",
    "ProductImageFailure",
    "ProductPrice",
    "StoredSecret",
    "SyncRun",
    "WebhookDelivery",
]
