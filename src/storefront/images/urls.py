"""The absolute URL of a product's picture, from STOREFRONT_PUBLIC_BASE_URL and never from a request.

A stored picture's URL carries its content hash, so it changes whenever the picture does and may
be cached for good; a product without one points at its own path, which serves the placeholder.
"""

from urllib.parse import quote

ROUTE_PREFIX = "/product-images"


def image_path(erp_item_id: str, content_hash: str | None) -> str:
    path = f"{ROUTE_PREFIX}/{quote(erp_item_id, safe='')}"
    return f"{path}/{content_hash}" if content_hash else path


def image_url(base_url: str, erp_item_id: str, content_hash: str | None) -> str:
    return base_url + image_path(erp_item_id, content_hash)
