"""Pictures through HTTP: the ERP's picture appears after a sync, changes URL when it changes,
disappears when removed, and is never fetched twice. On a local folder and on a real S3 server."""

import hashlib

from tests.images.conftest import PictureShop, picture


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_a_picture_appears_after_a_sync_and_is_served_as_stored(pictures: PictureShop) -> None:
    red = picture((200, 30, 30))
    item = await pictures.add_item("Black Tea 500 g", picture_bytes=red)
    await pictures.sync()
    before = await pictures.product(item["item_id"])
    assert before["image_url"] == f"https://shop.example.com/product-images/{item['item_id']}"

    done = await pictures.fetch()
    assert done.outcomes == {"stored": 1}
    after = await pictures.product(item["item_id"])
    assert after["image_url"] == f"https://shop.example.com/product-images/{item['item_id']}/{sha256(red)}"
    served = await pictures.http.get(pictures.path_of(after["image_url"]))
    assert served.status_code == 200
    assert served.content == red
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=86400, immutable"
    assert served.headers["etag"] == f'"{sha256(red)}"'
    current = await pictures.http.get(f"/product-images/{item['item_id']}")
    assert current.content == red
    assert current.headers["cache-control"] == "public, max-age=300"


async def test_a_changed_picture_gets_a_new_url_and_the_old_one_is_gone(pictures: PictureShop) -> None:
    red, blue = picture((200, 30, 30)), picture((30, 30, 200))
    item = await pictures.add_item("Green Tea 100 g", picture_bytes=red)
    await pictures.sync()
    await pictures.fetch()
    old_url = (await pictures.product(item["item_id"]))["image_url"]

    await pictures.emulator.control.set_image(item["item_id"], blue, "image/png", webhooks=False)
    await pictures.sync("incremental")
    assert (await pictures.fetch()).outcomes == {"stored": 1}
    new_url = (await pictures.product(item["item_id"]))["image_url"]
    assert new_url.endswith(sha256(blue))
    assert new_url != old_url
    assert (await pictures.http.get(pictures.path_of(new_url))).content == blue
    gone = await pictures.http.get(pictures.path_of(old_url))
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "image_not_found"


async def test_a_removed_picture_disappears_at_the_sync_without_a_call(pictures: PictureShop) -> None:
    red = picture()
    item = await pictures.add_item("Rooibos 50 g", picture_bytes=red)
    await pictures.sync()
    await pictures.fetch()
    shown = (await pictures.product(item["item_id"]))["image_url"]

    await pictures.emulator.control.remove_image(item["item_id"])
    await pictures.sync("incremental")
    placeholder_url = f"https://shop.example.com/product-images/{item['item_id']}"
    assert (await pictures.product(item["item_id"]))["image_url"] == placeholder_url
    assert (await pictures.http.get(pictures.path_of(shown))).status_code == 404
    calls = await pictures.image_calls()
    assert (await pictures.fetch()).outcomes == {"removed": 1}
    assert await pictures.image_calls() == calls
    placeholder = await pictures.http.get(pictures.path_of(placeholder_url))
    assert placeholder.headers["etag"] == '"placeholder-0"'
    assert placeholder.content != red


async def test_an_unchanged_picture_is_not_fetched_again(pictures: PictureShop) -> None:
    await pictures.add_item("Cardamom 100 g", picture_bytes=picture())
    await pictures.sync()
    await pictures.fetch()
    assert await pictures.image_calls() == 1
    await pictures.emulator.control.put_items([], webhooks=False)
    for mode in ("full", "incremental", "full"):
        await pictures.sync(mode)
        assert (await pictures.fetch()).outcomes == {}
    assert await pictures.image_calls() == 1


async def test_a_full_sync_fetches_exactly_the_changed_pictures(pictures: PictureShop) -> None:
    """The 100,000-item case at a smaller scale: 10% of the pictures changed, 10% of the calls."""
    names = [f"Item {n:03d}" for n in range(100)]
    items = await pictures.add_items(
        names, pictures={name: picture((n, 80, 160)) for n, name in enumerate(names)}
    )
    await pictures.sync()
    await pictures.fetch()
    assert await pictures.image_calls() == 100

    changed = items[::10]
    for n, item in enumerate(changed):
        await pictures.emulator.control.set_image(
            item["item_id"], picture((n, 250, 20)), "image/png", webhooks=False
        )
    await pictures.sync("full")
    done = await pictures.fetch()
    assert done.outcomes == {"stored": 10}
    assert await pictures.image_calls() == 110
    for n, item in enumerate(changed):
        assert (await pictures.product(item["item_id"]))["image_url"].endswith(sha256(picture((n, 250, 20))))


async def test_the_same_picture_on_two_items_is_stored_once(pictures: PictureShop) -> None:
    same = picture((10, 120, 10))
    await pictures.add_items(["Mint Tea", "Lemon Tea"], pictures={"Mint Tea": same, "Lemon Tea": same})
    await pictures.sync()
    assert (await pictures.fetch()).outcomes == {"stored": 1, "known": 1}
