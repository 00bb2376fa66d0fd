from datetime import datetime

from storefront.catalog.repository import CatalogRepository
from storefront.catalog.schemas import CategoryView, ProductFilters, ProductView
from storefront.web.errors import ProductNotFound


class CatalogService:
    """What shoppers may see: active products, priced on the consumer list, stock net of reservations."""

    def __init__(self, repository: CatalogRepository) -> None:
        self.repository = repository

    async def list_products(
        self, filters: ProductFilters, skip: int, limit: int
    ) -> tuple[list[ProductView], bool]:
        return await self.repository.list_products(filters, skip, limit)

    async def get_product(self, ref: str) -> ProductView:
        product = await self.repository.get_product(ref)
        if product is None:
            raise ProductNotFound(details={"product_id": ref})
        return product

    async def list_categories(self) -> list[CategoryView]:
        return await self.repository.list_categories()

    async def related_products(self, product: ProductView, limit: int) -> list[ProductView]:
        if product.category is None:
            return []
        return await self.repository.related_products(product.id, limit)

    async def recently_changed(self, limit: int) -> list[ProductView]:
        return await self.repository.recently_changed(limit)

    async def category_exists(self, name: str) -> bool:
        return await self.repository.category_exists(name)

    async def last_synced_at(self) -> datetime | None:
        return await self.repository.last_synced_at()
