from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from storefront.catalog.repository import CatalogRepository
from storefront.catalog.schemas import ProductFilters
from storefront.catalog.service import CatalogService
from storefront.db.session import ReadSession
from storefront.web.pagination import Page, page_meta, page_params
from storefront.web.responses import success

router = APIRouter(tags=["catalog"])


def catalog_service(request: Request, session: ReadSession) -> CatalogService:
    return CatalogService(CatalogRepository(session, request.app.state.settings.price_list))


Catalog = Annotated[CatalogService, Depends(catalog_service)]


@router.get("/products", summary="List products shoppers can buy")
async def list_products(
    catalog: Catalog,
    page: Annotated[Page, Depends(page_params)],
    category: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    search: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    filters = ProductFilters(category=category, search=search.strip() if search else None)
    products, has_more = await catalog.list_products(filters, page.skip, page.limit)
    return success([p.to_dict() for p in products], page_meta(page, len(products), has_more))


@router.get("/products/{product_id}", summary="One product, by our id or the ERP item id")
async def get_product(catalog: Catalog, product_id: str) -> Response:
    product = await catalog.get_product(product_id)
    return success(product.to_dict())


@router.get("/categories", summary="Categories holding at least one listed product")
async def list_categories(catalog: Catalog) -> Response:
    categories = await catalog.list_categories()
    return success([c.to_dict() for c in categories], {"count": len(categories)})
