"""The OpenAPI document is the contract the app team generates its client from: it is valid OpenAPI
3.1, describes every success and error body, and is committed (docs/openapi.json) so that a change
to the contract shows in review.

When this test reports a difference on purpose, regenerate the committed copy with
`make openapi` (that is `.venv/bin/storefront openapi --output docs/openapi.json`).
"""

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from openapi_spec_validator import OpenAPIV31SpecValidator
from typer.testing import CliRunner

import storefront.app
from storefront.cli import cli
from storefront.web.errors import StorefrontError

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"
API_DOC = ROOT / "docs" / "api.md"
REGENERATE = "regenerate it with `make openapi` (.venv/bin/storefront openapi --output docs/openapi.json)"
ERROR_ENVELOPE = "#/components/schemas/ErrorEnvelope"


@pytest.fixture
async def document(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/openapi.json", headers=admin_headers)
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def all_error_classes() -> list[type[StorefrontError]]:
    found: list[type[StorefrontError]] = []
    pending: list[type[StorefrontError]] = [StorefrontError]
    while pending:
        error = pending.pop()
        found.append(error)
        pending.extend(error.__subclasses__())
    return found


async def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    errors = [str(error) for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


async def test_every_success_body_is_an_envelope_with_a_model(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        successes = {status: r for status, r in operation["responses"].items() if status.startswith("2")}
        assert successes, (method, path)
        for status, response in successes.items():
            if "application/json" not in response["content"]:
                # Pictures: a binary body, its validator and caching documented.
                assert set(response["content"]) == {"image/*"}, (method, path, status)
                assert {"ETag", "Cache-Control"} <= set(response["headers"]), (method, path)
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema != {"type": "string"}, (method, path, status)
            envelope = resolve(document, schema["$ref"])
            assert envelope["properties"]["status"] == {
                "type": "string",
                "const": "success",
                "title": "Status",
            }
            assert envelope["required"] == ["status", "data", "meta"], (method, path)
            data = envelope["properties"]["data"]
            assert "$ref" in data or "$ref" in data.get("items", {}), (method, path, data)
            assert envelope["additionalProperties"] is False
            assert set(response["headers"]) >= {"X-Request-ID", "Cache-Control"}, (method, path, status)


async def test_every_error_answer_is_the_envelope_with_its_codes(document: dict[str, Any]) -> None:
    known = {error.code: error.status_code for error in all_error_classes()}
    for method, path, operation in operations(document):
        statuses = [status for status in operation["responses"] if status[0] in "45"]
        assert {"422", "500"} <= set(statuses), (method, path)
        for status in statuses:
            response = operation["responses"][status]
            schema = response["content"]["application/json"]["schema"]
            assert schema["$ref"] == ERROR_ENVELOPE, (method, path, status)
            codes = schema["properties"]["error"]["properties"]["code"]["enum"]
            assert codes, (method, path, status)
            for code in codes:
                assert known.get(code) == int(status), f"{method} {path} {status}: {code} is no error class's"
                assert f"`{code}`" in response["description"]
                assert response["content"]["application/json"]["examples"][code] == {
                    "$ref": f"#/components/examples/{code}"
                }
            assert "X-Request-ID" in response["headers"]
    text = json.dumps(document)
    assert "HTTPValidationError" not in text, "FastAPI's own 422 schema must not appear"


async def test_declared_error_codes_constrain_answers(document: dict[str, Any]) -> None:
    """The codes listed beside the ErrorEnvelope reference are enforced by a validator."""
    schema = schemathesis.openapi.from_dict(document)
    operation = schema["/api/consumer/products/{product_id}"]["GET"]

    def answer(code: str) -> httpx.Response:
        body = {
            "status": "error",
            "error": {"code": code, "message": "m", "details": None},
            "meta": {"request_id": "r"},
        }
        headers = {"X-Request-ID": "r", "Cache-Control": "no-store"}
        request = httpx.Request("GET", "http://storefront.test/api/consumer/products/x")
        response = httpx.Response(404, json=body, headers=headers, request=request)
        response.elapsed = timedelta(0)
        return response

    operation.validate_response(answer("product_not_found"))
    with pytest.raises(AssertionError, match="made_up"):
        operation.validate_response(answer("made_up"))


async def test_operation_ids_name_the_endpoints(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert {"list_products", "get_product", "place_order", "get_order", "cart_quote", "checkout"} <= set(ids)


async def test_admin_operations_name_the_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer"
    for method, path, operation in operations(document):
        admin = path.startswith("/api/tds/") and path != "/api/tds/webhooks/zoho"
        admin = admin or path == "/api/consumer/sync/inventory"
        assert (operation.get("security") == [{"adminToken": []}]) == admin, (method, path)
        assert ("401" in operation["responses"]) == (admin or path == "/api/tds/webhooks/zoho"), (
            method,
            path,
        )


async def test_cached_reads_document_etag_and_304(document: dict[str, Any]) -> None:
    cached = [
        (m, p)
        for m, p, o in operations(document)
        if "304" in o["responses"] and "application/json" in o["responses"]["200"]["content"]
    ]
    assert ("GET", "/api/consumer/products") in cached
    assert ("GET", "/api/bff/mobile/home") in cached
    for method, path in cached:
        headers = document["paths"][path][method.lower()]["responses"]["200"]["headers"]
        assert {"ETag", "Cache-Control", "X-Cache"} <= set(headers), path


async def test_the_committed_document_is_current(document: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text())
    assert committed == document, (
        f"the API contract differs from docs/openapi.json: review the change and {REGENERATE}"
    )
    assert COMMITTED.read_text() == storefront.app.openapi_text(), (
        f"docs/openapi.json is not as written: {REGENERATE}"
    )


def test_the_cli_writes_the_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    result = CliRunner().invoke(cli, ["openapi", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["paths"].keys() == json.loads(COMMITTED.read_text())["paths"].keys()


def test_docs_api_md_lists_every_error_code_with_its_status() -> None:
    document = json.loads(COMMITTED.read_text())
    documented = {
        (code, int(status))
        for _, _, operation in operations(document)
        for status, response in operation["responses"].items()
        if status[0] in "45"
        for code in response["content"]["application/json"]["schema"]["properties"]["error"]["properties"][
            "code"
        ]["enum"]
    }
    table = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", API_DOC.read_text(), re.MULTILINE)
    assert {(code, int(status)) for code, status in table} == documented, "docs/api.md's error code table"
