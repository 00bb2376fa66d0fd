"""Request bodies as Zoho reads them: JSON (or the legacy JSONString form field), held to the spec's shape."""

from typing import Any

import orjson
from starlette.requests import Request

from storefront.erp.emulator.contract import Obj, violations
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


def held_to(shape: Obj, body: dict[str, Any]) -> dict[str, Any]:
    """The body when it fits `shape` (no undocumented field, JSON types as documented, required there)."""
    problems = violations(shape, body)
    if problems:
        where, _ = problems[0]
        raise BadValue(where.rsplit(".", 1)[-1])
    return body
