"""Findings 4 and 7 on the real servers: both cap request header sizes, and both honour proxy
headers from the configured trusted proxies only (the dashboard cookie is Secure behind TLS)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.support import databases

ADMIN_TOKEN = "a-production-length-admin-token-0123456789"
STOREFRONT = [sys.executable, "-m", "storefront"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(server: str, database: databases.TestDatabase, **env: str) -> Iterator[str]:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STOREFRONT_")}
    environment.update(
        {
            "STOREFRONT_DATABASE_URL": database.url,
            "STOREFRONT_ERP": "emulator",
            "STOREFRONT_ADMIN_TOKEN": ADMIN_TOKEN,
            "STOREFRONT_RUN_BACKGROUND_TASKS": "false",
            "STOREFRONT_LOG_LEVEL": "WARNING",
            **env,
        }
    )
    process = subprocess.Popen(
        [*STOREFRONT, "serve", "--server", server, "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the server exited"
            try:
                if httpx.get(base + "/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_request_headers_are_capped(server: str, clean_database: databases.TestDatabase) -> None:
    with serving(server, clean_database) as base:
        assert httpx.get(base + "/health/live", headers={"X-Fill": "a" * 8000}).status_code == 200
        for size in (20_000, 1_000_000):
            try:
                status = httpx.get(base + "/health/live", headers={"X-Fill": "a" * size}).status_code
            except httpx.TransportError:
                status = 0  # the connection was closed on the oversized head
            assert status in (431, 0), size
        assert httpx.get(base + "/health/live").status_code == 200


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_proxy_headers_count_only_from_trusted_proxies(
    server: str, clean_database: databases.TestDatabase
) -> None:
    tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.50"}
    with serving(server, clean_database) as base:
        response = httpx.post(base + "/dashboard/login", data={"token": ADMIN_TOKEN}, headers=tls)
        assert response.status_code == 303
        assert "secure" not in response.headers["set-cookie"].lower()
    with serving(server, clean_database, STOREFRONT_TRUSTED_PROXIES='["127.0.0.1"]') as base:
        response = httpx.post(base + "/dashboard/login", data={"token": ADMIN_TOKEN}, headers=tls)
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()
