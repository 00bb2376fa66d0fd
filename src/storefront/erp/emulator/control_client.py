"""A small client for the emulator's control API (tests, the demo, benchmarks)."""

from typing import Any

import httpx


class EmulatorControl:
    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        self._http = httpx.AsyncClient(base_url=url.rstrip("/") + "/_emulator", timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self._http.request(method, path, **kwargs)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def reset(self) -> None:
        await self._call("POST", "/reset")

    async def put_items(self, items: list[dict[str, Any]], *, webhooks: bool = True) -> dict[str, Any]:
        params = {} if webhooks else {"webhooks": "false"}
        return await self._call("PUT", "/items", json=items, params=params)

    async def delete_item(self, item_id: str) -> None:
        await self._call("DELETE", f"/items/{item_id}")

    async def set_pricebook(self, name: str, rates: dict[str, Any], currency: str = "IQD") -> str:
        body = await self._call("PUT", f"/pricebooks/{name}", json={"currency": currency, "rates": rates})
        return str(body["pricebook_id"])

    async def faults(self, **faults: Any) -> dict[str, Any]:
        body = await self._call("PUT", "/faults", json=faults)
        return dict(body["faults"])

    async def configure(self, **options: Any) -> dict[str, Any]:
        body = await self._call("PUT", "/config", json=options)
        return dict(body["config"])

    async def salesorders(self) -> list[dict[str, Any]]:
        return list((await self._call("GET", "/salesorders"))["salesorders"])

    async def contacts(self) -> list[dict[str, Any]]:
        return list((await self._call("GET", "/contacts"))["contacts"])

    async def stats(self) -> dict[str, Any]:
        return await self._call("GET", "/stats")

    async def calls(self, endpoint: str, status: int | None = None) -> int:
        """How many calls an endpoint ("GET /items") answered, with this status or any."""
        by_status: dict[str, int] = (await self.stats())["calls"].get(endpoint, {})
        if status is not None:
            return by_status.get(str(status), 0)
        return sum(by_status.values())
