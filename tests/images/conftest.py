"""A service wired to the emulator with its picture storage (a local folder, or a real S3-compatible
server), and the picture fetcher run by hand."""

import io
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from PIL import Image

from storefront.app import create_app
from storefront.cache.namespaces import CATALOG
from storefront.config import Settings
from storefront.images.fetcher import FetchPass, ImageFetcher
from tests.conftest import ADMIN_TOKEN
from tests.support.catalog import zoho_item
from tests.support.emulator import EmulatorHandle
from tests.support.s3_server import ACCESS_KEY, SECRET_KEY, S3Server, running_s3_server

IMAGE_CALLS = "GET /items/{id}/image"


def picture(
    color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (400, 300), kind: str = "PNG"
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=kind)
    return out.getvalue()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with running_s3_server() as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings of each picture storage; every test using it runs on both."""
    if request.param == "local":
        return {"image_storage": "local"}
    server: S3Server = request.getfixturevalue("s3_server")
    return {
        "image_storage": "s3",
        "image_s3_bucket": server.new_bucket(),
        "image_s3_endpoint_url": server.endpoint_url,
        "image_s3_access_key_id": ACCESS_KEY,
        "image_s3_secret_access_key": SECRET_KEY,
    }


@dataclass
class PictureShop:
    http: httpx.AsyncClient
    app: FastAPI
    settings: Settings
    emulator: EmulatorHandle
    fetcher: ImageFetcher
    rates: dict[str, int] = field(default_factory=dict)

    async def add_items(
        self, names: list[str], *, pictures: dict[str, bytes] | None = None, **extra: Any
    ) -> list[dict[str, Any]]:
        """Items in the ERP, priced on the consumer book; `pictures` by name, as PNG."""
        items = [zoho_item(name, **extra) for name in names]
        await self.emulator.control.put_items(items, webhooks=False)
        self.rates.update({item["item_id"]: item["rate"] for item in items})
        await self.emulator.control.set_pricebook(self.settings.price_list, self.rates)
        for item in items:
            content = (pictures or {}).get(item["name"])
            if content is not None:
                await self.emulator.control.set_image(item["item_id"], content, "image/png", webhooks=False)
        return items

    async def add_item(
        self, name: str, *, picture_bytes: bytes | None = None, **extra: Any
    ) -> dict[str, Any]:
        pictures = {name: picture_bytes} if picture_bytes is not None else None
        return (await self.add_items([name], pictures=pictures, **extra))[0]

    async def sync(self, mode: str = "full") -> dict[str, Any]:
        response = await self.http.post(
            "/api/consumer/sync/inventory",
            params={"wait": "true"},
            json={"mode": mode},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert response.status_code == 200, response.text
        run: dict[str, Any] = response.json()["data"]
        assert run["status"] == "completed", run
        return run

    async def fetch(self) -> FetchPass:
        return await self.fetcher.run_once()

    async def product(self, item_id: str, **headers: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/consumer/products/{item_id}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()["data"]
        return body

    async def image_calls(self) -> int:
        return await self.emulator.control.calls(IMAGE_CALLS)

    def path_of(self, url: str) -> str:
        assert url.startswith(self.settings.public_base_url + "/product-images/"), url
        return url[len(self.settings.public_base_url) :]


@pytest.fixture
def picture_settings(
    emulator: EmulatorHandle, make_settings: Callable[..., Settings], storage: dict[str, Any]
) -> Settings:
    return make_settings(
        **emulator.settings_overrides(),
        public_base_url="https://shop.example.com",
        image_fetch_backoff_base_seconds=0,
        image_fetch_backoff_cap_seconds=0,
        zoho_retry_attempts=1,
        # The budget's pacing is tested in tests/erp; here pictures come as fast as the emulator serves.
        zoho_requests_per_minute=100_000,
        **storage,
    )


@pytest.fixture
async def pictures(picture_settings: Settings, emulator: EmulatorHandle) -> AsyncIterator[PictureShop]:
    application = create_app(picture_settings)
    async with LifespanManager(application):
        state = application.state
        fetcher = ImageFetcher(
            state.db, state.erp, state.image_store, picture_settings, partial(state.cache.invalidate, CATALOG)
        )
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://storefront.test") as http:
            yield PictureShop(http, application, picture_settings, emulator, fetcher)
