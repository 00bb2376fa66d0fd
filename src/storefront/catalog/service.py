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
