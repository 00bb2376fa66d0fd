"""The screens, each assembled from the catalog service in one call."""

from datetime import datetime
from typing import Any

from storefront.bff.schemas import home_screen, product_screen
from storefront.catalog.schemas import ProductFilters, ProductView
from storefront.catalog.service import CatalogService
from storefront.sync.repository import SyncRunRepository
from storefront.web.errors import NotFound

NEW_ARRIVALS = 10
RELATED = 8


class CategoryNotFound(NotFound):
    code = "category_not_found"
    message = "The category was not found."


class MobileScreens:
    def __init__(self, catalog: CatalogService, sync_runs: SyncRunRepository) -> None:
        self.catalog = catalog
        self.sync_runs = sync_runs

    async def home(self) -> dict[str, Any]:
        return home_screen(
            await self.catalog.list_categories(),
            await self.catalog.recently_changed(NEW_ARRIVALS),
            await self.last_sync_at(),
        )

    async def last_sync_at(self) -> datetime | None:
        """When the last completed sync finished; for a mirror filled otherwise, its last write."""
        run = await self.sync_runs.last_completed()
        if run is not None and run.finished_at is not None:
            return run.finished_at
        return await self.catalog.last_synced_at()

    async def product(self, ref: str) -> dict[str, Any]:
        product = await self.catalog.get_product(ref)
        return product_screen(product, await self.catalog.related_products(product, RELATED))

    async def category(self, name: str, skip: int, limit: int) -> tuple[list[ProductView], bool]:
        if not await self.catalog.category_exists(name):
            raise CategoryNotFound(details={"category": name})
        return await self.catalog.list_products(ProductFilters(category=name), skip, limit)

    async def search(self, query: str, skip: int, limit: int) -> tuple[list[ProductView], bool]:
        return await self.catalog.list_products(ProductFilters(search=query), skip, limit)
