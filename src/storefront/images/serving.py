"""A product's picture as an HTTP answer: the original or a sized variant (made once, then kept),
or the placeholder; a strong ETag, and 304 when the client holds it already."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from storefront.images.content import CONTENT_TYPES, VARIANT_WIDTHS, placeholder, variant, variant_type
from storefront.images.repository import ShownPicture
from storefront.images.storage import ImageStore, original_key, variant_key
from storefront.metrics import IMAGE_BYTES_STORED
from storefront.web.errors import NotFound, Unprocessable

# A content-addressed URL never changes what it serves; the product's own path may.
IMMUTABLE = "public, max-age=86400, immutable"
CHANGING = "public, max-age=300"


class ImageNotFound(NotFound):
    code = "image_not_found"
    message = "The picture was not found."


class WidthNotOffered(Unprocessable):
    message = "The picture is not made in that width."


@dataclass(frozen=True, slots=True)
class ImageAnswer:
    content: bytes
    content_type: str
    etag: str


def checked_width(width: int | None) -> int | None:
    if width is not None and width not in VARIANT_WIDTHS:
        raise WidthNotOffered(details={"w": width, "widths": list(VARIANT_WIDTHS)})
    return width


class PictureServer:
    """Reads pictures from the store; makes a missing variant once per process at a time."""

    def __init__(self, store: ImageStore) -> None:
        self.store = store
        self._making: dict[str, asyncio.Lock] = {}

    async def answer(self, picture: ShownPicture, width: int | None) -> ImageAnswer:
        if picture.content_hash is None or picture.file_type is None:
            size = width or 0
            data = placeholder(width) if width else placeholder()
            return ImageAnswer(data, "image/png", f'"placeholder-{size}"')
        content_hash, file_type = picture.content_hash, picture.file_type
        if width is None:
            original = await self.store.get(original_key(content_hash, file_type))
            if original is None:
                raise ImageNotFound()
            return ImageAnswer(original, CONTENT_TYPES[file_type], f'"{content_hash}"')
        kind = variant_type(file_type)
        data = await self._variant(content_hash, file_type, width)
        return ImageAnswer(data, CONTENT_TYPES[kind], f'"{content_hash}-w{width}"')

    async def _variant(self, content_hash: str, file_type: str, width: int) -> bytes:
        key = variant_key(content_hash, width, variant_type(file_type))
        stored = await self.store.get(key)
        if stored is not None:
            return stored
        lock = self._making.setdefault(key, asyncio.Lock())
        async with lock:
            stored = await self.store.get(key)
            if stored is not None:
                return stored
            original = await self.store.get(original_key(content_hash, file_type))
            if original is None:
                raise ImageNotFound()
            made = await asyncio.to_thread(variant, original, file_type, width)
            await self.store.put(key, made, CONTENT_TYPES[variant_type(file_type)])
            IMAGE_BYTES_STORED.inc(len(made))
        self._making.pop(key, None)
        return made


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags: Sequence[str] = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def image_response(request: Request, answer: ImageAnswer, cache_control: str) -> Response:
    headers = {"ETag": answer.etag, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if matches(request.headers.get("if-none-match"), answer.etag):
        return Response(status_code=304, headers=headers)
    return Response(answer.content, media_type=answer.content_type, headers=headers)
