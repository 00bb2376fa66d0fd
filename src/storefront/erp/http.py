"""One TLS context per process: building one loads the CA bundle, which is slow."""

import ssl
from functools import cache

import httpx


@cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
