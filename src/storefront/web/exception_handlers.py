"""Render every error, ours and the framework's, in the one error envelope."""

from itertools import pairwise
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from storefront.web.errors import (
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    StorefrontError,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
)
from storefront.web.responses import error

# The errors the framework itself raises (no route, wrong method, ...), by status.
_FRAMEWORK_ERRORS: dict[int, type[StorefrontError]] = {
    error.status_code: error
    for error in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        PayloadTooLarge,
        UnsupportedMediaType,
        TooManyRequests,
    )
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
    return error(
        Unprocessable.status_code, Unprocessable.code, Unprocessable.message, _validation_details(exc)
    )


async def http_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    known = _FRAMEWORK_ERRORS.get(exc.status_code)
    code, message = (known.code, known.message) if known else ("http_error", "The request failed.")
    headers = exc.headers or (dict(known.headers) if known and known.headers else None)
    return error(exc.status_code, code, message, headers=headers)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StorefrontError, storefront_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
