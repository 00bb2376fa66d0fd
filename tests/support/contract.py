"""Hold an answer to the application's OpenAPI document (status, media type, headers, body)."""

from datetime import timedelta

import httpx
import schemathesis
from fastapi import FastAPI
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import compile_path

CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def assert_documented(app: FastAPI, method: str, path_template: str, response: httpx.Response) -> None:
    """Raise unless `response` (to a request of the operation at `path_template`) is as documented."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    matched = compile_path(path_template)[0].match(response.request.url.path)
    assert matched is not None, (path_template, response.request.url.path)
    case = schema[path_template][method].Case(path_parameters=matched.groupdict())
    response.read()
    if not hasattr(response, "_elapsed"):
        response.elapsed = timedelta(0)
    case.validate_response(response, checks=CONFORMANCE)
