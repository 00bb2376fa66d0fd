from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from storefront.bff.service import MobileScreens
from storefront.catalog.repository import CatalogRepository
from storefront.catalog.service import CatalogService
from storefront.db.session import ReadSession
from storefront.web.pagination import Page, page_meta, page_params
from storefront.web.responses import success

router = APIRouter(tags=["bff-mobile"])


def mobile_screens(request: Request, session: ReadSession) -> MobileScreens:
    return MobileScreens(CatalogService(CatalogRepository(session, request.app.state.settings.price_list)))


Screens = Annotated[MobileScreens, Depends(mobile_screens)]


@router.get("/home", summary="Home screen: categories, new arrivals, last sync time")
async def home(screens: Screens) -> Response:
    return success(await screens.home())


@router.get(
    "/products/{product_id}", summary="Product screen: the product, its availability, related products"
)
async def product(
    screens: Screens, product_id: Annotated[str, Path(min_length=1, max_length=64)]
) -> Response:
    return success(await screens.product(product_id))


@router.get("/categories/{name}/products", summary="Category screen: its products, a page at a time")
async def category_products(
    screens: Screens,
    page: Annotated[Page, Depends(page_params)],
    name: Annotated[str, Path(min_length=1, max_length=255)],
) -> Response:
    products, has_more = await screens.category(name, page.skip, page.limit)
    meta = page_meta(page, len(products), has_more)
    return success([p.to_dict() for p in products], {**meta, "category": name})


@router.get("/search", summary="Search screen: products whose name or SKU holds the words")
async def search(
    screens: Screens,
    page: Annotated[Page, Depends(page_params)],
    q: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    query = q.strip()
    products, has_more = await screens.search(query, page.skip, page.limit) if query else ([], False)
    meta = page_meta(page, len(products), has_more)
    return success([p.to_dict() for p in products], {**meta, "query": query})
