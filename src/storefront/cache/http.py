"""HTTP caching of a cached entry: strong ETag, If-None-Match -> 304, Cache-Control = TTL."""

from starlette.responses import Response

from storefront.cache.entry import CacheEntry
from storefront.web.request_context import accept_or_make_request_id, current_request_id

CONTENT_TYPE = b"application/json"


def etag_matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == b"*":
        return True
    return any(candidate.strip() == etag for candidate in if_none_match.split(b","))


def request_id() -> str:
    return current_request_id() or accept_or_make_request_id(None)


def entry_response(
    entry: CacheEntry, cache_control: bytes, outcome: str, if_none_match: str | None
) -> Response:
    headers = {"etag": entry.etag.decode(), "cache-control": cache_control.decode(), "x-cache": outcome}
    if etag_matches(if_none_match.encode("latin-1") if if_none_match else None, entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body(request_id()), headers=headers, media_type=CONTENT_TYPE.decode())
