"""Small pictures for the demo catalog, drawn at start and put into the ERP emulator like Zoho's own."""

import hashlib
import io

from PIL import Image, ImageDraw

from storefront.erp.emulator.control_client import EmulatorControl

SIZE = 240


def demo_picture(name: str, category: str | None) -> bytes:
    """A JPEG: the category's colour, a shape and the item's initials, different for every item."""
    digest = hashlib.sha256(f"{category}|{name}".encode()).digest()
    hue = hashlib.sha256((category or "").encode()).digest()
    background = (120 + hue[0] % 120, 120 + hue[1] % 120, 120 + hue[2] % 120)
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    inset = 40 + digest[0] % 30
    shape = (inset, inset, SIZE - inset, SIZE - inset)
    fill = (digest[1], digest[2], digest[3])
    if digest[4] % 2:
        draw.ellipse(shape, fill=fill, outline=(255, 255, 255), width=4)
    else:
        draw.rounded_rectangle(shape, radius=24, fill=fill, outline=(255, 255, 255), width=4)
    initials = "".join(word[0] for word in name.split()[:2] if word).upper() or "?"
    draw.text((SIZE // 2, SIZE // 2), initials, fill=(255, 255, 255), anchor="mm", font_size=56)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


async def put_demo_pictures(emulator_url: str, items: list[dict[str, object]]) -> int:
    """Give every item a picture in the emulator (no webhooks: the sync that follows reads them)."""
    control = EmulatorControl(emulator_url)
    try:
        for item in items:
            category = item.get("category_name")
            picture = demo_picture(
                str(item.get("name") or item["item_id"]), str(category) if category else None
            )
            await control.set_image(str(item["item_id"]), picture, "image/jpeg", webhooks=False)
    finally:
        await control.aclose()
    return len(items)
