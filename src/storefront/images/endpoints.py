"""GET /product-images/{erp_item_id}[/{content_hash}][?w=]: product pictures for the shoppers' app."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from storefront.images.content import VARIANT_WIDTHS
from storefront.images.repository import ShownPicture, shown_picture
from storefront.images.serving import (
    CHANGING,
    IMMUTABLE,
    ImageNotFound,
    PictureServer,
    WidthNotOffered,
    checked_width,
    image_response,
)
from storefront.images.urls import ROUTE_PREFIX
from storefront.web.contract import raises
from storefront.web.edge import EdgeRoute
from storefront.web.errors import ProductNotFound

router = APIRouter(route_class=EdgeRoute, prefix=ROUTE_PREFIX, tags=["images"])
Width = Annotated[
    int | None,
    Query(
        ge=1,
        le=max(VARIANT_WIDTHS),
        description=f"A width to scale the picture down to: one of {', '.join(map(str, VARIANT_WIDTHS))}.",
    ),
]
_PICTURE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The picture (or the placeholder).",
        "headers": {
            "ETag": {"description": "The picture's strong validator.", "schema": {"type": "string"}},
            "Cache-Control": {
                "description": "public, max-age=86400, immutable by content hash; shorter for the current picture.",
                "schema": {"type": "string"},
            },
        },
    },
    304: {"description": "Not modified: the picture If-None-Match names is the current one."},
}


async def _shown(request: Request, erp_item_id: str) -> ShownPicture:
    async with request.app.state.db.sessionmaker() as session:
        picture = await shown_picture(session, erp_item_id)
    if picture is None:
        raise ProductNotFound(details={"erp_item_id": erp_item_id})
    return picture


def _server(request: Request) -> PictureServer:
    server: PictureServer = request.app.state.picture_server
    return server


@router.get(
    "/{erp_item_id}",
    summary="A product's current picture, or the placeholder when it has none",
    response_class=Response,
    responses={**_PICTURE, **raises(ProductNotFound, WidthNotOffered)},
)
async def current_picture(request: Request, erp_item_id: str, w: Width = None) -> Response:
    width = checked_width(w)
    answer = await _server(request).answer(await _shown(request, erp_item_id), width)
    return image_response(request, answer, CHANGING)


@router.get(
    "/{erp_item_id}/{content_hash}",
    summary="A product's picture by its content hash (as in image_url): cacheable for good",
    response_class=Response,
    responses={**_PICTURE, **raises(ProductNotFound, ImageNotFound, WidthNotOffered)},
)
async def picture_by_content(
    request: Request, erp_item_id: str, content_hash: str, w: Width = None
) -> Response:
    width = checked_width(w)
    picture = await _shown(request, erp_item_id)
    if picture.content_hash is None or picture.content_hash != content_hash:
        raise ImageNotFound(details={"erp_item_id": erp_item_id})
    answer = await _server(request).answer(picture, width)
    return image_response(request, answer, IMMUTABLE)
