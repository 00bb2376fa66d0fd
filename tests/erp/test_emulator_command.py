"""`storefront erp-emulator` serves the emulator as its own process."""

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

STOREFRONT = str(Path(sys.executable).with_name("storefront"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_command_serves_a_configured_emulator() -> None:
    port = free_port()
    env = {**os.environ, "STOREFRONT_ZOHO_CLIENT_SECRET": "from-env"}
    process = await asyncio.create_subprocess_exec(
        *[STOREFRONT, "erp-emulator", "--port", str(port), "--demo-items", "30", "--organization-id", "77"],
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            for _ in range(100):
                try:
                    stats = (await http.get("/_emulator/stats")).json()
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the emulator command did not start")
            assert stats["items"] == 30
            form = {"grant_type": "refresh_token", "client_id": "emulator", "refresh_token": "emulator"}
            refused = await http.post("/oauth/v2/token", data={**form, "client_secret": "emulator"})
            assert refused.json() == {"error": "invalid_client"}
            token = (await http.post("/oauth/v2/token", data={**form, "client_secret": "from-env"})).json()
            answer = await http.get(
                "/inventory/v1/items",
                params={"organization_id": "77", "per_page": 10},
                headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"},
            )
            assert answer.json()["page_context"]["has_more_page"] is True
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(10):
            await process.wait()
