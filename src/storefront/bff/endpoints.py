from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from storefront.bff.cart import router as cart_router
from storefront.bff.schemas import CategoryPageMeta, HomeScreen, ProductScreen, SearchPageMeta
from storefront.bff.service import CategoryNotFound, MobileScreens
from storefront.cache import CATALOG, SYNC_STATUS, CachedRoute, cached, cached_response
from storefront.catalog.endpoints import LIST_ENTRIES, PRODUCT_ENTRIES
from storefront.catalog.repository import CatalogRepository
from storefront.catalog.schemas import Product
from storefront.catalog.service import CatalogService
from storefront.db.session import CatalogSession
from storefront.sync.repository import SyncRunRepository
from storefront.web.contract import raises
from storefront.web.edge import EdgeRoute
from storefront.web.envelope import envelope
from storefront.web.errors import ProductNotFound
from storefront.web.pagination import Page, page_meta, page_params
from storefront.web.query import normalise_search

router = APIRouter(route_class=EdgeRoute, tags=["bff-mobile"])

# Every screen shows products, so every screen obeys the catalog's invalidation; the home screen
# also shows the last sync time, which every finished sync changes.
HOME = CachedRoute("bff:home", ttl_seconds=60, namespaces=(CATALOG, SYNC_STATUS))
PRODUCT = CachedRoute("bff:product", ttl_seconds=300, namespaces=(CATALOG,), max_entries=PRODUCT_ENTRIES)
CATEGORY = CachedRoute("bff:category", ttl_seconds=300, namespaces=(CATALOG,), max_entries=LIST_ENTRIES)
SEARCH = CachedRoute(
    "bff:search",
    ttl_seconds=120,
    namespaces=(CATALOG,),
    max_entries=LIST_ENTRIES,
    canonical={"q": normalise_search},
)


def mobile_screens(request: Request, session: CatalogSession) -> MobileScreens:
    catalog = CatalogService(
        CatalogRepository(
            session, request.app.state.settings.price_list, request.app.state.settings.public_base_url
        )
    )
    return MobileScreens(catalog, SyncRunRepository(session))


Screens = Annotated[MobileScreens, Depends(mobile_screens)]


@router.get(
    "/home",
    summary="Home screen: categories, new arrivals, last sync time",
    response_model=envelope(HomeScreen),
)
@cached(HOME)
async def home(request: Request, screens: Screens) -> Response:
    async def compute() -> tuple[Any, dict[str, Any]]:
        return await screens.home(), {}

    return await cached_response(request, compute)


@router.get(
    "/products/{product_id}",
    summary="Product screen: the product, its availability, related products",
    response_model=envelope(ProductScreen),
    responses=raises(ProductNotFound),
)
@cached(PRODUCT)
async def product(
    request: Request, screens: Screens, product_id: Annotated[str, Path(min_length=1, max_length=64)]
) -> Response:
    async def compute() -> tuple[Any, dict[str, Any]]:
        return await screens.product(product_id), {}

    return await cached_response(request, compute)


@router.get(
    "/categories/{name}/products",
    summary="Category screen: its products, a page at a time",
    response_model=envelope(list[Product], CategoryPageMeta, "CategoryProductPage"),
    responses=raises(CategoryNotFound),
)
@cached(CATEGORY)
async def category_products(
    request: Request,
    screens: Screens,
    page: Annotated[Page, Depends(page_params)],
    name: Annotated[str, Path(min_length=1, max_length=255)],
) -> Response:
    async def compute() -> tuple[Any, dict[str, Any]]:
        products, has_more = await screens.category(name, page.skip, page.limit)
        meta = page_meta(page, len(products), has_more)
        return [p.to_dict() for p in products], {**meta, "category": name}

    return await cached_response(request, compute)


@router.get(
    "/search",
    summary="Search screen: the products the words find, best matches first",
    response_model=envelope(list[Product], SearchPageMeta, "SearchPage"),
)
@cached(SEARCH)
async def search(
    request: Request,
    screens: Screens,
    page: Annotated[Page, Depends(page_params)],
    q: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    async def compute() -> tuple[Any, dict[str, Any]]:
        query = normalise_search(q)
        products, has_more = await screens.search(query, page.skip, page.limit) if query else ([], False)
        meta = page_meta(page, len(products), has_more)
        return [p.to_dict() for p in products], {**meta, "query": query}

    return await cached_response(request, compute)


router.include_router(cart_router)
