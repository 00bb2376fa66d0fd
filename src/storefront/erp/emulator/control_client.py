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

    async def set_pricebook(
        self, name: str, rates: dict[str, Any], currency: str = "IQD", **options: Any
    ) -> str:
        """Options: pricebook_type (per_item, fixed_percentage), percentage, is_increase,
        pricing_scheme (unit, volume) and brackets ({item_id: [{start_quantity, end_quantity, pricebook_rate}]})."""
        body = await self._call(
            "PUT", f"/pricebooks/{name}", json={"currency": currency, "rates": rates, **options}
        )
        return str(body["pricebook_id"])

    async def set_image(
        self, item_id: str, content: bytes, content_type: str = "image/jpeg", *, webhooks: bool = True
    ) -> dict[str, Any]:
        params = {} if webhooks else {"webhooks": "false"}
        return await self._call(
            "PUT",
            f"/items/{item_id}/image",
            content=content,
            headers={"Content-Type": content_type},
            params=params,
        )

    async def remove_image(self, item_id: str) -> None:
        await self._call("DELETE", f"/items/{item_id}/image")

    async def set_stock(self, item_id: str, **stock: Any) -> dict[str, Any]:
        """A stock movement (last_modified_time untouched): `locations=[...]` or org-wide figures."""
        return await self._call("PUT", f"/items/{item_id}/stock", json=stock)

    async def set_locations(self, locations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list((await self._call("PUT", "/locations", json=locations))["locations"])

    async def quota(self) -> dict[str, Any]:
        return await self._call("GET", "/quota")

    async def set_quota(self, **changes: Any) -> dict[str, Any]:
        """Any of daily_quota=n, spend=n, restart_day=True."""
        return await self._call("PUT", "/quota", json=changes)

    async def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The API requests received (method, path, query, content_type, json, form), oldest first."""
        return list((await self._call("GET", "/requests", params={"since": since}))["requests"])

    async def clear_requests(self) -> None:
        await self._call("DELETE", "/requests")

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
