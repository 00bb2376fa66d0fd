"""Request bodies as Zoho reads them: JSON (or the legacy JSONString form field), held to the spec's shape."""

from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from starlette.requests import Request

from storefront.erp.emulator.contract import INT, NUM, Obj, Shape, violations
from storefront.erp.emulator.recorder import FORM_TYPES
from storefront.erp.emulator.replies import BadValue


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object sent; an empty body is an empty object (a status change sends none)."""
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        raw: Any = form.get("JSONString", "{}")
    else:
        raw = await request.body()
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        raise BadValue("JSONString") from exc
    if not isinstance(body, dict):
        raise BadValue("JSONString")
    return body


def held_to(
    shape: Obj, body: dict[str, Any], *, drop_unknown: bool = False, numbers_from_text: bool = False
) -> dict[str, Any]:
    """The body when it fits `shape` (no undocumented field, JSON types as documented, required there).

    The two switches model a lenient server, for tests of clients that still break those rules.
    """
    if drop_unknown:
        body = _known_only(shape, body)
    if numbers_from_text:
        body = _numbers(shape, body)
    problems = violations(shape, body)
    if problems:
        where, _ = problems[0]
        raise BadValue(where.rsplit(".", 1)[-1])
    return body


def _known_only(shape: Shape, value: Any) -> Any:
    if isinstance(shape, Obj) and isinstance(value, dict):
        return {
            key: _known_only(shape.fields[key], item) for key, item in value.items() if key in shape.fields
        }
    if isinstance(shape, list) and isinstance(value, list):
        return [_known_only(shape[0], item) for item in value]
    return value


def _numbers(shape: Shape, value: Any) -> Any:
    if isinstance(shape, Obj) and isinstance(value, dict):
        return {
            key: _numbers(shape.fields[key], item) if key in shape.fields else item
            for key, item in value.items()
        }
    if isinstance(shape, list) and isinstance(value, list):
        return [_numbers(shape[0], item) for item in value]
    if shape in (NUM, INT) and isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return int(number) if number == number.to_integral_value() else float(number)
    return value
