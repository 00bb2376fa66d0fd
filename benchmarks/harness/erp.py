"""The ERP for a benchmark: `storefront erp-emulator` in its own process, and the settings that
point Storefront's real Zoho client at it."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.harness.processes import free_port, start_storefront, terminate
from storefront.erp.emulator.control_client import EmulatorControl

# The credentials `storefront erp-emulator` accepts by default.
CREDENTIALS = {
    "STOREFRONT_ZOHO_CLIENT_ID": "emulator",
    "STOREFRONT_ZOHO_CLIENT_SECRET": "emulator",
    "STOREFRONT_ZOHO_REFRESH_TOKEN": "emulator",
    "STOREFRONT_ZOHO_ORGANIZATION_ID": "1",
}


def zoho_env(erp_url: str) -> dict[str, str]:
    """STOREFRONT_* variables for a Zoho client talking to the emulator at `erp_url`."""
    return {
        "STOREFRONT_ERP": "zoho",
        **CREDENTIALS,
        "STOREFRONT_ZOHO_ACCOUNTS_URL": erp_url,
        "STOREFRONT_ZOHO_API_URL": erp_url + "/inventory/v1",
    }


@dataclass
class Emulator:
    url: str
    process: asyncio.subprocess.Process
    control: EmulatorControl

    async def stop(self) -> None:
        await self.control.aclose()
        await terminate(self.process)


async def start_emulator(
    env: dict[str, str],
    *,
    items: int,
    rate_limit_per_minute: int = 100,
    daily_quota: int = 10_000,
    concurrent_call_limit: int = 10,
    webhook_url: str | None = None,
    log: Path | None = None,
) -> Emulator:
    """`storefront erp-emulator` with the demo catalog of `items` items, up and answering."""
    port = free_port()
    args = ["erp-emulator", "--port", str(port), "--demo-items", str(items)]
    args += ["--rate-limit-per-minute", str(rate_limit_per_minute), "--daily-quota", str(daily_quota)]
    args += ["--concurrent-call-limit", str(concurrent_call_limit)]
    if webhook_url:
        args += ["--webhook-url", webhook_url]
    process = await start_storefront(*args, env=env, log=log)
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as http:
        for _ in range(3000):
            if process.returncode is not None:
                raise RuntimeError("the ERP emulator exited")
            try:
                if (await http.get(url + "/_emulator/stats")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        else:
            await terminate(process)
            raise RuntimeError("the ERP emulator did not come up")
    return Emulator(url, process, EmulatorControl(url, timeout=300.0))
