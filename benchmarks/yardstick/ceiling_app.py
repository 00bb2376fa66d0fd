"""The framework ceiling on this machine: a bare ASGI app answering pre-encoded bytes.

The same app as the project's yardstick (../shared/yardsticks/ceiling_app.py), shipped so that a
clone without it can measure against the same ceiling.
"""

from typing import Any

BODY = (
    b'{"status":"success","data":['
    + b",".join(b'{"id":%d,"name":"Product %d","price":1000.0}' % (i, i) for i in range(50))
    + b"]}"
)
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
