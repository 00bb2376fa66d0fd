"""What a route's OpenAPI operation says besides its success model: each error status it can answer
with the `error.code` values it can carry, and the headers a client relies on.

A route names the errors its endpoint raises with `responses=raises(ProductNotFound, ...)`;
`EdgeRoute` adds the ones every route can answer (validation, 500), those of its gates (401, 429),
of its body (413, 415) and of caching (304), and renders them all with `answers`. The codes come
from the error classes (storefront.web.errors and the domain errors), so each is said once.

An error answer's schema is the shared `ErrorEnvelope` with, beside the reference, the codes that
status can carry: JSON Schema validators (the schemathesis run) hold every answer to that list,
while client generators see the one `ErrorEnvelope` type, and a code added later does not break them.
"""

from collections.abc import Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from storefront.web.envelope import ErrorEnvelope
from storefront.web.errors import NotFound, StorefrontError, Unprocessable

Responses = dict[int | str, dict[str, Any]]
ErrorClass = type[StorefrontError]

# Inside a `responses=` entry until EdgeRoute renders it: the error classes answered with that status.
_RAISES = "x-storefront-raises"
# Every route: FastAPI's own validation and the edge's refusal of unstorable text answer 422
# `validation_error`; anything unforeseen answers 500 `internal_error`.
ALWAYS: tuple[ErrorClass, ...] = (Unprocessable, StorefrontError)
# A route with path parameters: a value holding "/" names no route at all.
WITH_PATH_PARAMETERS: tuple[ErrorClass, ...] = (NotFound,)

ADMIN_SECURITY_SCHEME = "adminToken"
SECURITY_SCHEMES = {
    ADMIN_SECURITY_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "The operator's admin token (STOREFRONT_ADMIN_TOKEN).",
    }
}

_STRING = {"type": "string"}
# The headers a client relies on, defined once in the document's components.
HEADERS: dict[str, dict[str, Any]] = {
    "RequestId": {
        "description": "This request's id: the caller's X-Request-ID when it sent a safe one, else a new one.",
        "required": True,
        "schema": _STRING,
    },
    "NoStore": {
        "description": "`no-store`: the answer must not be kept by a cache.",
        "required": True,
        "schema": _STRING,
    },
    "PublicMaxAge": {
        "description": "`public, max-age=<seconds>`: how long the answer may be reused.",
        "required": True,
        "schema": _STRING,
    },
    "ETag": {
        "description": "A strong validator of the body; send it in If-None-Match to get 304 while it holds.",
        "required": True,
        "schema": _STRING,
    },
    "XCache": {
        "description": "How the service's own cache answered.",
        "required": True,
        "schema": {"type": "string", "enum": ["hit", "miss", "stale", "bypass"]},
    },
    "RetryAfter": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWWAuthenticate": {"description": "`Bearer`.", "required": True, "schema": _STRING},
}


def _header(name: str) -> dict[str, str]:
    assert name in HEADERS
    return {"$ref": f"#/components/headers/{name}"}


REQUEST_ID = _header("RequestId")
NO_STORE = _header("NoStore")
_ERROR_HEADERS: Mapping[int, Mapping[str, Any]] = {
    401: {"WWW-Authenticate": _header("WWWAuthenticate")},
    429: {"Retry-After": _header("RetryAfter")},
}


def raises(*errors: ErrorClass) -> Responses:
    """`responses=` of a route whose endpoint raises these errors (the common ones are added)."""
    grouped: dict[int, list[ErrorClass]] = {}
    for error in errors:
        grouped.setdefault(error.status_code, []).append(error)
    return {status: {_RAISES: tuple(classes)} for status, classes in grouped.items()}


def success_headers(cached: bool) -> dict[str, Any]:
    if cached:
        return {
            "X-Request-ID": REQUEST_ID,
            "Cache-Control": _header("PublicMaxAge"),
            "ETag": _header("ETag"),
            "X-Cache": _header("XCache"),
        }
    return {"X-Request-ID": REQUEST_ID, "Cache-Control": NO_STORE}


def not_modified() -> dict[str, Any]:
    return {
        "description": "Not Modified: the ETag sent in If-None-Match is still current; no body.",
        "headers": success_headers(cached=True),
    }


def _example(error: ErrorClass) -> dict[str, Any]:
    return {
        "summary": error.message,
        "value": {
            "status": "error",
            "error": {"code": error.code, "message": error.message, "details": None},
            "meta": {"request_id": "7710cba01dd4414baa1a2a1cd036ecf7"},
        },
    }


def error_answer(status: int, errors: Iterable[ErrorClass]) -> dict[str, Any]:
    """The response object of one error status: its codes (enumerated), an example of each, headers."""
    by_code: dict[str, ErrorClass] = {}
    for error in errors:
        by_code.setdefault(error.code, error)
    codes = sorted(by_code)
    listed = "".join(f"\n- `{code}`: {by_code[code].message}" for code in codes)
    headers: dict[str, Any] = {"X-Request-ID": REQUEST_ID, "Cache-Control": NO_STORE}
    headers.update(_ERROR_HEADERS.get(status, {}))
    return {
        "model": ErrorEnvelope,
        "description": f"{HTTPStatus(status).phrase}; `error.code` is one of:\n{listed}",
        "headers": headers,
        "content": {
            "application/json": {
                "schema": {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
                "examples": {code: _example(by_code[code]) for code in codes},
            }
        },
    }


def raised(responses: Mapping[int | str, Mapping[str, Any]]) -> dict[int, list[ErrorClass]]:
    """The error classes named by `raises` in a route's `responses=`, by status."""
    found: dict[int, list[ErrorClass]] = {}
    for status, response in responses.items():
        for error in response.get(_RAISES, ()):
            found.setdefault(int(status), []).append(error)
    return found


def answers(
    responses: Mapping[int | str, Mapping[str, Any]],
    errors: Iterable[ErrorClass],
    success_statuses: Iterable[int],
    cached: bool,
) -> Responses:
    """A route's complete `responses=`: what it declared, its errors rendered, headers on every answer."""
    rendered: Responses = {
        status: {key: value for key, value in response.items() if key != _RAISES}
        for status, response in responses.items()
    }
    by_status = raised(responses)
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error)
    for status, classes in by_status.items():
        rendered[status] = {**rendered.get(status, {}), **error_answer(status, classes)}
    for status in success_statuses:
        entry = rendered.setdefault(status, {})
        entry["headers"] = {**success_headers(cached), **entry.get("headers", {})}
    if cached:
        rendered[304] = not_modified()
    return {status: rendered[status] for status in sorted(rendered, key=str)}


DESCRIPTION = """Every answer is an envelope. Success: `{"status": "success", "data": ..., "meta":
{"request_id": ...}}`, lists with their paging in `meta` (`skip`, `limit`, `count`, `has_more`,
`total` where cheap). Error: `{"status": "error", "error": {"code", "message", "details"}, "meta":
{"request_id": ...}}`, with the HTTP status and the `error.code` values each operation lists.

Every answer carries `X-Request-ID` (the caller's, when it sends a safe one) and `Cache-Control`:
cached reads are `public, max-age=<seconds>` with a strong `ETag` (send it in `If-None-Match` for a
304), everything else `no-store`. A 429 says `Retry-After`. Operator operations need the admin
token as a bearer token."""


def _example_maps(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    if "examples" in media:
                        yield media["examples"]


def _share_error_examples(document: dict[str, Any]) -> None:
    """Move each error code's example into the components, once, and refer to it."""
    shared: dict[str, Any] = {}
    for examples in _example_maps(document):
        for code, example in examples.items():
            value = example.get("value", {})
            if value.get("status") != "error":
                continue
            value["error"].setdefault("details", None)  # FastAPI leaves out null values
            shared.setdefault(code, example)
            examples[code] = {"$ref": f"#/components/examples/{code}"}
    document.setdefault("components", {})["examples"] = dict(sorted(shared.items()))


def document_contract(app: FastAPI) -> None:
    """Complete the application's OpenAPI document: the headers, error examples and the admin
    token's security scheme its operations refer to."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _share_error_examples(document)
            components = document.setdefault("components", {})
            components["headers"] = HEADERS
            components["securitySchemes"] = SECURITY_SCHEMES
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
