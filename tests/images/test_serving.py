"""The picture endpoints: ETag and 304, variants made once, the placeholder, image_url from the
configured base and never from the Host header."""

import io

from PIL import Image

from storefront.images.content import content_hash
from storefront.images.storage import variant_key
from tests.images.conftest import PictureShop, picture


async def test_etag_answers_304_and_a_variant_is_made_once(pictures: PictureShop) -> None:
    red = picture(size=(800, 600))
    item = await pictures.add_item("Saffron 5 g", picture_bytes=red)
    await pictures.sync()
    await pictures.fetch()
    path = pictures.path_of((await pictures.product(item["item_id"]))["image_url"])

    first = await pictures.http.get(path)
    again = await pictures.http.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "public, max-age=86400, immutable"

    key = variant_key(content_hash(red), 320, "png")
    assert not await pictures.app.state.image_store.exists(key)
    small = await pictures.http.get(path, params={"w": 320})
    assert small.status_code == 200
    assert Image.open(io.BytesIO(small.content)).size == (320, 240)
    assert small.headers["etag"] == f'"{content_hash(red)}-w320"'
    assert await pictures.app.state.image_store.get(key) == small.content
    cached = await pictures.http.get(
        path, params={"w": 320}, headers={"If-None-Match": small.headers["etag"]}
    )
    assert cached.status_code == 304

    refused = await pictures.http.get(path, params={"w": 333})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "validation_error"
    beyond_any_integer = await pictures.http.get(path, params={"w": "1" * 40})
    assert beyond_any_integer.status_code == 422
    assert beyond_any_integer.json()["error"]["code"] == "validation_error"


async def test_a_product_without_a_picture_serves_the_placeholder(pictures: PictureShop) -> None:
    item = await pictures.add_item("Plain Biscuits")
    await pictures.sync()
    product = await pictures.product(item["item_id"])
    assert product["image_url"] == f"https://shop.example.com/product-images/{item['item_id']}"
    answer = await pictures.http.get(pictures.path_of(product["image_url"]))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(answer.content)).format == "PNG"
    assert (
        await pictures.http.get(
            f"/product-images/{item['item_id']}", headers={"If-None-Match": answer.headers["etag"]}
        )
    ).status_code == 304
    small = await pictures.http.get(f"/product-images/{item['item_id']}", params={"w": 160})
    assert Image.open(io.BytesIO(small.content)).size == (160, 160)
    unknown = await pictures.http.get("/product-images/4815999")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "product_not_found"


async def test_image_url_ignores_a_forged_host_header(pictures: PictureShop) -> None:
    item = await pictures.add_item("Date Syrup", picture_bytes=picture())
    await pictures.sync()
    await pictures.fetch()
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    for path in (f"/api/consumer/products/{item['item_id']}", "/api/consumer/products?limit=5"):
        body = (await pictures.http.get(path, headers=forged)).json()["data"]
        for product in body if isinstance(body, list) else [body]:
            assert product["image_url"].startswith("https://shop.example.com/product-images/")
    screen = (await pictures.http.get(f"/api/bff/mobile/products/{item['item_id']}", headers=forged)).json()
    assert screen["data"]["product"]["image_url"].startswith("https://shop.example.com/product-images/")
    home = (await pictures.http.get("/api/bff/mobile/home", headers=forged)).json()["data"]
    assert all(p["image_url"].startswith("https://shop.example.com/") for p in home["new_arrivals"])
