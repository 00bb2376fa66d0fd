"""Options of the two HTTP servers `storefront serve` runs: header size caps, no proxy headers of
their own (the application believes them from STOREFRONT_TRUSTED_PROXIES only, storefront.web.clients).
"""

from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from storefront.config import Settings

_TOO_LARGE = (
    b'{"status":"error","error":{"code":"headers_too_large",'
    b'"message":"The request line and headers are too large.","details":null},"meta":{"request_id":null}}'
)


class _HeadersTooLarge(httptools.HttpParserCallbackError):
    pass


def capped_httptools(max_header_bytes: int) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, answering 431 once the request line and headers exceed the cap
    (httptools itself has no limit)."""

    class HeaderCappedHttpToolsProtocol(HttpToolsProtocol):
        _header_bytes = 0
        _too_large = False

        def on_message_begin(self) -> None:
            self._header_bytes = 0
            super().on_message_begin()

        def _count(self, size: int) -> None:
            self._header_bytes += size
            if self._header_bytes > max_header_bytes:
                self._too_large = True
                raise _HeadersTooLarge()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def send_400_response(self, msg: str) -> None:
            if not self._too_large:
                super().send_400_response(msg)
                return
            head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            head += b"content-length: " + str(len(_TOO_LARGE)).encode() + b"\r\nconnection: close\r\n\r\n"
            self.transport.write(head + _TOO_LARGE)
            self.transport.close()

    return HeaderCappedHttpToolsProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {"http": capped_httptools(settings.max_header_bytes), "proxy_headers": False}


def granian_arguments(settings: Settings, host: str, port: int, workers: int) -> list[str]:
    """granian's command line serving the app, as `storefront serve` runs it."""
    return [
        *("--interface", "asgi", "--host", host, "--port", str(port), "--workers", str(workers)),
        *("--loop", "uvloop", "--log-level", "warning", "--no-access-log"),
        # hyper's read buffer holds the request line and headers: a request whose head does not
        # fit is answered 431.
        *("--http1-buffer-size", str(settings.max_header_bytes)),
        *("--http2-max-headers-size", str(settings.max_header_bytes)),
        *("--factory", "storefront.app:create_app"),
    ]
