"""Cross-origin calls from the browser front ends listed in STOREFRONT_CORS_ORIGINS (none by default).

Cache hits are answered before the middleware stack (storefront.cache.fastpath) and add the same
headers themselves.
"""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

EXPOSED_HEADERS = ["ETag", "Retry-After", "X-Cache", "X-Request-ID"]
EXPOSED_HEADERS_VALUE = ", ".join(EXPOSED_HEADERS).encode()


def allow_origins(app: FastAPI, origins: list[str]) -> None:
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match", "X-Request-ID"],
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
