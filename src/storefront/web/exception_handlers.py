"""Render every error, ours and the framework's, in the one error envelope."""

from itertools import pairwise
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from storefront.web.errors import StorefrontError
from storefront.web.responses import error

_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "A valid admin token is required."),
    403: ("forbidden", "This operation is not allowed."),
    404: ("not_found", "The resource was not found."),
    405: ("method_not_allowed", "The method is not allowed on this resource."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "The request body must be JSON."),
    429: ("rate_limited", "Too many requests."),
}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for problem in exc.errors():
        loc = list(problem.get("loc", ()))
        detail: dict[str, Any] = {
            "loc": [str(part) for part in loc],
            "message": problem.get("msg", "invalid value"),
            "type": problem.get("type", "value_error"),
        }
        line = _line_number(loc)
        if line is not None:
            detail["line"] = line
        details.append(detail)
    return details


def _line_number(loc: list[Any]) -> int | None:
    """An order or cart line a problem is in, numbered from 1 like the lines of an order
    (`loc` keeps the JSON path, whose array index counts from 0)."""
    for name, index in pairwise(loc):
        if name == "lines" and isinstance(index, int):
            return index + 1
    return None


async def storefront_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StorefrontError)
    return error(exc.status_code, exc.code, exc.message, exc.details, headers=exc.headers or None)


async def validation_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error(422, "validation_error", "The request is invalid.", _validation_details(exc))


async def http_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", "The request failed."))
    headers = exc.headers
    if exc.status_code == 401 and not headers:
        headers = {"WWW-Authenticate": "Bearer"}
    return error(exc.status_code, code, message, headers=headers)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StorefrontError, storefront_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
