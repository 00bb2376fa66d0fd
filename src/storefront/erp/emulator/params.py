"""Query parameters and paging the way Zoho reads them."""

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storefront.erp.emulator.replies import BadValue

Handler = Callable[[Request], Awaitable[Response]]
# (method, path, handler, needs organization_id): what each resource module serves.
Routes = list[tuple[str, str, Handler, bool]]


def page_params(request: Request, *, maximum: int = 200) -> tuple[int, int]:
    return _int_param(request, "page", 1, 1, 1_000_000), _int_param(request, "per_page", maximum, 1, maximum)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadValue(name) from exc
    if not low <= value <= high:
        raise BadValue(name)
    return value


def paged(request: Request, rows: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    page, per_page = page_params(request)
    start = (page - 1) * per_page
    return rows[start : start + per_page], page_context(page, per_page, start + per_page < len(rows))


def page_context(page: int, per_page: int, has_more: bool) -> dict[str, Any]:
    return {"page_context": {"page": page, "per_page": per_page, "has_more_page": has_more}}


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in {"true", "false"}:
        raise BadValue(name)
    return raw.lower() == "true"
