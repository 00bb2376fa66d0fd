"""Zoho's published OpenAPI files as a judge of emulator answers and of client requests.

The files live beside the repository (../shared/zoho-oas, or STOREFRONT_ZOHO_OAS); they are read
where they are, never copied. Tests that need them skip with SKIP_REASON when they are absent.
Answers are held to the documented schema of their status (error answers to Zoho's envelope);
requests are held to the documented path, parameters and body, with no undocumented field.
"""

import copy
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

OAS_DIR = Path(
    os.environ.get("STOREFRONT_ZOHO_OAS") or Path(__file__).resolve().parents[3] / "shared" / "zoho-oas"
)
SKIP_REASON = f"Zoho's OpenAPI files are not at {OAS_DIR} (set STOREFRONT_ZOHO_OAS to where they are)"

# Where the files and Zoho part ways (their README, ../zoho-api.md), said once:
# real answers put a created sales order under "salesorder", the file under "sales_order";
ANSWER_KEYS = {("POST", "/salesorders"): ("salesorder", "sales_order")}
# GET /pricebooks/{pricebook_id} is not in the files; its answer is the files' pricebook object;
UNDOCUMENTED = {("GET", "/pricebooks/{pricebook_id}"): ("pricelists.yml", "update-pricebook-response")}
# salesorder_number is listed as required, but the operation's own text makes it mandatory only
# with ignore_auto_number_generation=true.
CONDITIONALLY_REQUIRED = {("POST", "/salesorders", "salesorder_number"): "ignore_auto_number_generation"}
_VARIANTS = re.compile(r"<code>\s*([a-z_]+)\s*</code>")


def available() -> bool:
    return OAS_DIR.is_dir() and any(OAS_DIR.glob("*.yml"))


@dataclass(frozen=True)
class Problem:
    kind: str  # path, parameter, field, type, required, status, answer
    text: str


@dataclass(frozen=True)
class SpecOperation:
    method: str
    template: str
    pattern: re.Pattern[str]
    uri: str
    pointer: str  # JSON pointer of the operation in its file
    parameters: dict[str, dict[str, Any]]  # query parameters by name (variants included)
    operation: dict[str, Any]

    def schema_ref(self, *parts: str) -> str:
        return self.uri + "#" + self.pointer + "".join("/" + _escape(part) for part in parts)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _closed(node: Any) -> Any:
    """The same schema with every documented object closed to undocumented fields."""
    if isinstance(node, dict):
        closed = {key: _closed(value) for key, value in node.items()}
        if "properties" in closed:
            closed.setdefault("additionalProperties", False)
        return closed
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


class ZohoSpec:
    def __init__(self, directory: Path) -> None:
        open_registry: Registry[Any] = Registry()
        closed_registry: Registry[Any] = Registry()
        self.operations: list[SpecOperation] = []
        for path in sorted(directory.glob("*.yml")):
            document = yaml.safe_load(path.read_text())
            uri = f"urn:zoho-oas:{path.name}"
            open_registry = open_registry.with_resource(uri, Resource.from_contents(document, DRAFT7))
            closed_registry = closed_registry.with_resource(
                uri, Resource.from_contents(_closed(copy.deepcopy(document)), DRAFT7)
            )
            self.operations.extend(_operations(document, uri))
        self.registry = open_registry.crawl()
        self.closed_registry = closed_registry.crawl()
        self.operations.sort(key=lambda op: op.template.count("{"))  # literal paths win over templates

    def find(self, method: str, path: str) -> SpecOperation | None:
        return next(
            (op for op in self.operations if op.method == method and op.pattern.fullmatch(path)), None
        )

    def _validate(self, ref: str, instance: Any, *, closed: bool = False) -> list[jsonschema.ValidationError]:
        registry = self.closed_registry if closed else self.registry
        validator = jsonschema.Draft7Validator({"$ref": ref}, registry=registry)
        return list(validator.iter_errors(instance))

    def resolved(self, ref: str, depth: int = 0) -> Any:
        """The schema at `ref` with every $ref in it replaced by what it names."""
        resolver = self.registry.resolver()
        found = resolver.lookup(ref)
        return _inline(found.contents, found.resolver, depth)

    # --- answers -----------------------------------------------------------------------------

    def answer_problems(self, method: str, path: str, status: int, body: Any) -> list[Problem]:
        if status >= 400:
            if (
                isinstance(body, dict)
                and isinstance(body.get("code"), int)
                and body["code"] != 0
                and isinstance(body.get("message"), str)
            ):
                return []
            return [Problem("answer", f"{status}: not Zoho's error envelope: {body!r:.200}")]
        op = self.find(method, path)
        if op is None:
            return self._undocumented_answer(method, path, body)
        responses = op.operation.get("responses", {})
        if str(status) not in responses:
            return [
                Problem(
                    "status", f"{method} {op.template} answered {status}; documented: {sorted(responses)}"
                )
            ]
        content = responses[str(status)].get("content", {}).get("application/json")
        if content is None:
            return []  # a binary answer (the item image)
        real, documented = ANSWER_KEYS.get((method, op.template), (None, None))
        if real and documented and isinstance(body, dict) and real in body:
            body = {**{k: v for k, v in body.items() if k != real}, documented: body[real]}
        ref = op.schema_ref("responses", str(status), "content", "application/json", "schema")
        return [Problem("answer", _describe(error)) for error in self._validate(ref, body)]

    def _undocumented_answer(self, method: str, path: str, body: Any) -> list[Problem]:
        for (known_method, template), (file_name, schema) in UNDOCUMENTED.items():
            if known_method == method and _pattern(template).fullmatch(path):
                ref = f"urn:zoho-oas:{file_name}#/components/schemas/{schema}"
                return [Problem("answer", _describe(error)) for error in self._validate(ref, body)]
        return [Problem("path", f"{method} {path} is not in Zoho's files")]

    # --- requests ----------------------------------------------------------------------------

    def request_problems(self, recorded: dict[str, Any]) -> list[Problem]:
        method, path = recorded["method"], recorded["path"]
        op = self.find(method, path)
        if op is None:
            if any(m == method and _pattern(t).fullmatch(path) for m, t in UNDOCUMENTED):
                return self._query_problems(
                    {"organization_id": {"required": True, "schema": {"type": "string"}}}, recorded
                )
            return [Problem("path", f"{method} {path} is not in Zoho's files")]
        problems = self._query_problems(op.parameters, recorded)
        body = _json_body(recorded)
        content = op.operation.get("requestBody", {}).get("content", {})
        if body is not None and "application/json" in content:
            ref = op.schema_ref("requestBody", "content", "application/json", "schema")
            query = dict(recorded["query"])
            for error in self._validate(ref, body, closed=True):
                problem = _classify(error)
                flag = CONDITIONALLY_REQUIRED.get((method, op.template, _missing_field(error)))
                if problem.kind == "required" and flag and query.get(flag, "").lower() != "true":
                    continue
                problems.append(problem)
        elif body is not None:
            problems.append(Problem("field", f"{method} {op.template} takes no JSON body"))
        return problems

    def _query_problems(
        self, documented: dict[str, dict[str, Any]], recorded: dict[str, Any]
    ) -> list[Problem]:
        problems = []
        sent = dict(recorded["query"])
        for name, value in recorded["query"]:
            parameter = documented.get(name)
            if parameter is None:
                problems.append(
                    Problem(
                        "parameter",
                        f"{name} is not a documented parameter of {recorded['method']} {recorded['path']}",
                    )
                )
            elif not _parameter_ok(parameter.get("schema", {}), value):
                problems.append(
                    Problem("type", f"{name}={value!r} is not a {parameter['schema'].get('type')}")
                )
        problems.extend(
            Problem("required", f"{name} is required")
            for name, parameter in documented.items()
            if parameter.get("required") and name not in sent
        )
        return problems


def _operations(document: dict[str, Any], uri: str) -> Iterable[SpecOperation]:
    shared = document.get("components", {}).get("parameters", {})

    def resolve(parameter: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in parameter:
            return dict(shared[parameter["$ref"].rsplit("/", 1)[-1]])
        return parameter

    for template, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "delete"}:
                continue
            parameters = {}
            for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
                parameter = resolve(raw)
                if parameter.get("in") != "query":
                    continue
                parameters[parameter["name"]] = parameter
                if "Variants" in parameter.get("description", ""):
                    variants = parameter["description"].split("Variants", 1)[1]
                    for name in _VARIANTS.findall(variants):
                        parameters.setdefault(name, {**parameter, "name": name, "required": False})
            pointer = f"/paths/{_escape(template)}/{method}"
            yield SpecOperation(
                method.upper(), template, _pattern(template), uri, pointer, parameters, operation
            )


def _inline(node: Any, resolver: Any, depth: int) -> Any:
    if isinstance(node, dict):
        if "$ref" in node and depth < 20:
            found = resolver.lookup(node["$ref"])
            return _inline(found.contents, found.resolver, depth + 1)
        return {key: _inline(value, resolver, depth) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, resolver, depth) for item in node]
    return node


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))


def _parameter_ok(schema: dict[str, Any], value: str) -> bool:
    kind = schema.get("type", "string")
    if kind == "integer":
        return re.fullmatch(r"-?\d+", value) is not None
    if kind == "number":
        return re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
    if kind == "boolean":
        return value in {"true", "false"}
    if "enum" in schema:
        return value in schema["enum"]
    return True


def _json_body(recorded: dict[str, Any]) -> Any:
    if recorded.get("form") is not None:
        fields = dict(recorded["form"])
        return orjson.loads(fields["JSONString"]) if "JSONString" in fields else None
    return recorded.get("json")


def _missing_field(error: jsonschema.ValidationError) -> str:
    match = re.match(r"'([^']+)' is a required property", error.message)
    return match.group(1) if match else ""


def _classify(error: jsonschema.ValidationError) -> Problem:
    kind = {"additionalProperties": "field", "required": "required"}.get(str(error.validator), "type")
    return Problem(kind, _describe(error))


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "(the body)"
    return f"{where}: {error.message}"


@cache
def spec() -> ZohoSpec:
    return ZohoSpec(OAS_DIR)
