from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from storefront.cache import CATALOG, CachedRoute, cached, cached_response
from storefront.catalog.repository import CatalogRepository
from storefront.catalog.schemas import Category, Product, ProductFilters
from storefront.catalog.service import CatalogService
from storefront.db.session import CatalogSession
from storefront.web.contract import raises
from storefront.web.edge import EdgeRoute
from storefront.web.envelope import CountMeta, PageMeta, envelope
from storefront.web.errors import ProductNotFound
from storefront.web.pagination import Page, page_meta, page_params
from storefront.web.query import normalise_search

LIST_ENTRIES = 500
PRODUCT_ENTRIES = 10_000
router = APIRouter(route_class=EdgeRoute, tags=["catalog"])

# Lists are large and their query space is wide: fewer distinct answers are kept than of products.
PRODUCTS = CachedRoute(
    "consumer:products",
    ttl_seconds=300,
    namespaces=(CATALOG,),
    max_entries=LIST_ENTRIES,
    canonical={"search": normalise_search},
)
PRODUCT = CachedRoute("consumer:product", ttl_seconds=300, namespaces=(CATALOG,), max_entries=PRODUCT_ENTRIES)
CATEGORIES = CachedRoute("consumer:categories", ttl_seconds=600, namespaces=(CATALOG,))


def catalog_service(request: Request, session: CatalogSession) -> CatalogService:
    return CatalogService(
        CatalogRepository(
            session, request.app.state.settings.price_list, request.app.state.settings.public_base_url
        )
    )


Catalog = Annotated[CatalogService, Depends(catalog_service)]


@router.get(
    "/products",
    summary="List products shoppers can buy",
    response_model=envelope(list[Product], PageMeta, "ProductPage"),
)
@cached(PRODUCTS)
async def list_products(
    request: Request,
    catalog: Catalog,
    page: Annotated[Page, Depends(page_params)],
    category: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    search: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Words to find in the English or Arabic name or the SKU; best matches first.",
        ),
    ] = None,
) -> Response:
    async def compute() -> tuple[Any, dict[str, Any]]:
        filters = ProductFilters(
            category=category, search=normalise_search(search) or None if search else None
        )
        products, has_more = await catalog.list_products(filters, page.skip, page.limit)
        return [p.to_dict() for p in products], page_meta(page, len(products), has_more)

    return await cached_response(request, compute)


@router.get(
    "/products/{product_id}",
    summary="One product, by our id or the ERP item id",
    response_model=envelope(Product),
    responses=raises(ProductNotFound),
)
@cached(PRODUCT)
async def get_product(request: Request, catalog: Catalog, product_id: str) -> Response:
    async def compute() -> tuple[Any, dict[str, Any]]:
        return (await catalog.get_product(product_id)).to_dict(), {}

    return await cached_response(request, compute)


@router.get(
    "/categories",
    summary="Categories holding at least one listed product",
    response_model=envelope(list[Category], CountMeta, "CategoryList"),
)
@cached(CATEGORIES)
async def list_categories(request: Request, catalog: Catalog) -> Response:
    async def compute() -> tuple[Any, dict[str, Any]]:
        categories = await catalog.list_categories()
        return [c.to_dict() for c in categories], {"count": len(categories)}

    return await cached_response(request, compute)
