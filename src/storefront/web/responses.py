"""The response envelope, encoded with orjson."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse as StarletteJSONResponse

from storefront.web.request_context import current_request_id


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)


class JSONResponse(StarletteJSONResponse):
    """JSON by orjson. A JSON response class, so that FastAPI documents the routes' models as JSON."""

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


def success_body(data: Any, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"status": "success", "data": data, "meta": {"request_id": current_request_id(), **(meta or {})}}


def success(
    data: Any,
    meta: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    background: BackgroundTask | None = None,
) -> JSONResponse:
    return JSONResponse(
        success_body(data, meta), status_code=status_code, headers=headers, background=background
    )


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {
        "status": "error",
        "error": {"code": code, "message": message, "details": details},
        "meta": {"request_id": current_request_id()},
    }


def error(
    status_code: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status_code, headers=headers)
