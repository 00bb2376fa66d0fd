"""Zoho-shaped JSON answers."""

from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

NOT_FOUND_CODE = 1002
NOT_AUTHORISED = (401, 57, "You are not authorized to perform this operation")
# Zoho's answers for a URL it does not serve and a method a URL does not take (405's code unconfirmed).
UNKNOWN_URL = (404, 5, "Invalid URL Passed")
METHOD_NOT_ALLOWED = (405, 37, "The HTTP method is not allowed for the requested resource")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


class ZohoJSON(Response):
    media_type = "application/json;charset=UTF-8"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def ok(body: dict[str, Any], status: int = 200, message: str = "success") -> ZohoJSON:
    return ZohoJSON({"code": 0, "message": message, **body}, status_code=status)


def fail(status: int, code: int, message: str) -> ZohoJSON:
    return ZohoJSON({"code": code, "message": message}, status_code=status)


def invalid(field: str) -> ZohoJSON:
    return fail(400, 2, f"Invalid value passed for {field}")


def missing(what: str) -> ZohoJSON:
    return fail(404, NOT_FOUND_CODE, f"{what} does not exist.")


class BadValue(Exception):
    """A request Zoho refuses with code 2, naming the offending field."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class DroppedAnswer(Response):
    """Starts a 201 and closes the connection before the body: the work is done, the answer is lost."""

    def __init__(self) -> None:
        super().__init__(status_code=201)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
