"""Pictures that cannot be had: types Zoho cannot send and oversized ones are refused and logged,
failed calls are retried with backoff per item, and the daily reserve stops the fetcher."""

from typing import Any

import pytest

from storefront.erp.errors import ErpQuotaExhausted
from tests.conftest import ADMIN_TOKEN
from tests.images.conftest import PictureShop, picture


async def _failures(pictures: PictureShop) -> str:
    """The dashboard page, signed in."""
    signed_in = await pictures.http.post("/dashboard/login", data={"token": ADMIN_TOKEN})
    assert signed_in.status_code == 303, signed_in.text
    page = await pictures.http.get("/dashboard")
    assert page.status_code == 200
    return page.text


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10, "image/png"),
    ],
    ids=["svg", "png-header-only"],
)
async def test_what_is_not_a_picture_zoho_sends_is_refused_and_logged(
    pictures: PictureShop, content: bytes, content_type: str, capsys: pytest.CaptureFixture[str]
) -> None:
    item = await pictures.add_item("Odd Picture")
    await pictures.emulator.control.set_image(item["item_id"], content, content_type, webhooks=False)
    await pictures.sync()
    assert (await pictures.fetch()).outcomes == {"refused": 1}
    assert "image_refused" in capsys.readouterr().err
    product = await pictures.product(item["item_id"])
    assert product["image_url"].endswith(f"/product-images/{item['item_id']}")
    assert (await pictures.fetch()).outcomes == {}, "a refused picture waits for the ERP to change it"
    await pictures.emulator.control.set_image(item["item_id"], picture(), "image/png", webhooks=False)
    await pictures.sync("incremental")
    assert (await pictures.fetch()).outcomes == {"stored": 1}


async def test_an_oversized_picture_is_refused_without_reading_it_all(
    pictures: PictureShop, picture_settings: Any
) -> None:
    pictures.fetcher.settings = picture_settings.model_copy(update={"image_max_bytes": 2048})
    noisy = picture(size=(600, 600), kind="BMP")
    await pictures.add_item("Huge Picture", picture_bytes=noisy)
    await pictures.sync()
    assert (await pictures.fetch()).outcomes == {"refused": 1}
    assert "larger than 2048 bytes" in await _failures(pictures)


async def test_a_failed_fetch_is_retried_with_backoff(pictures: PictureShop) -> None:
    item = await pictures.add_item("Flaky Picture", picture_bytes=picture())
    await pictures.sync()
    await pictures.emulator.control.faults(fail_next=1)
    assert (await pictures.fetch()).outcomes == {"failed": 1}
    page = await _failures(pictures)
    assert item["item_id"] in page.split('id="image-failures"')[1].split("</table>")[0]
    # Backoff 0 in these settings: due again at once.
    assert (await pictures.fetch()).outcomes == {"stored": 1}
    assert "No picture failed to be fetched." in await _failures(pictures)


async def test_a_failed_fetch_waits_for_its_backoff(pictures: PictureShop, picture_settings: Any) -> None:
    pictures.fetcher.settings = picture_settings.model_copy(
        update={"image_fetch_backoff_base_seconds": 3600, "image_fetch_backoff_cap_seconds": 3600}
    )
    await pictures.add_item("Slow Picture", picture_bytes=picture())
    await pictures.sync()
    await pictures.emulator.control.faults(fail_next=1)
    assert (await pictures.fetch()).outcomes == {"failed": 1}
    calls = await pictures.image_calls()
    assert (await pictures.fetch()).outcomes == {}
    assert await pictures.image_calls() == calls


async def test_pictures_stop_at_the_daily_reserve_kept_for_order_pushes(pictures: PictureShop) -> None:
    await pictures.add_item("Reserved Picture", picture_bytes=picture())
    await pictures.sync()
    # The emulator reports a day with less than the 10% reserve left.
    await pictures.emulator.control.configure(daily_quota=1000)
    await pictures.emulator.control.set_quota(spend=950)
    await pictures.app.state.erp.list_locations()  # an answer carrying the quota headers
    with pytest.raises(ErpQuotaExhausted):
        await pictures.fetch()
    assert await pictures.image_calls() == 0
    page = await pictures.http.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert "storefront_image_fetches_total" in page.text
