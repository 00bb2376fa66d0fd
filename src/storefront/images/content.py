"""What a picture is: its bytes checked by decoding them, its content address, its sized variants.

Zoho takes item pictures in GIF, PNG, JPEG, BMP and WebP (at most 7 MB); only those are stored,
and only when Pillow decodes the whole picture, not when the bytes merely start like one.
Variants are made once per width and stored beside the original (storefront.images.storage).
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, UnidentifiedImageError

# Pillow format -> (file type, content type) of the pictures Zoho can send.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "BMP": ("bmp", "image/bmp"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = {file_type: content_type for file_type, content_type in FORMATS.values()}
# The widths a variant may have (`?w=`): a handful, so every variant is made once and kept.
VARIANT_WIDTHS = (160, 320, 640, 1024)
# How a variant of each file type is written: lossy stays lossy, the rest becomes PNG.
_VARIANT_FORMAT = {"jpg": "JPEG", "webp": "WEBP", "png": "PNG", "gif": "PNG", "bmp": "PNG"}
PLACEHOLDER_SIZE = 512


class RefusedImage(ValueError):
    """Bytes that are not a picture we store: not an image Zoho can send, undecodable, too large."""


@dataclass(frozen=True, slots=True)
class Picture:
    content_hash: str
    file_type: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.file_type]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inspect(data: bytes, *, max_bytes: int, max_pixels: int) -> Picture:
    """The picture these bytes are; raises RefusedImage unless they decode as a type Zoho sends."""
    if len(data) > max_bytes:
        raise RefusedImage(f"larger than {max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = FORMATS.get(image.format or "")
                if kind is None:
                    raise RefusedImage(f"not a picture type Zoho sends ({image.format or 'unknown'})")
                width, height = image.size
                if width * height > max_pixels:
                    raise RefusedImage(f"more than {max_pixels} pixels")
                image.load()
    except RefusedImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise RefusedImage(f"not a readable picture ({type(exc).__name__})") from None
    except Image.DecompressionBombWarning:
        raise RefusedImage(f"more than {max_pixels} pixels") from None
    return Picture(content_hash(data), kind[0], width, height)


def variant_type(file_type: str) -> str:
    """The file type of a variant of a picture of this type."""
    return "jpg" if _VARIANT_FORMAT[file_type] == "JPEG" else _VARIANT_FORMAT[file_type].lower()


def variant(data: bytes, file_type: str, width: int) -> bytes:
    """The picture scaled down to `width` (never up), written as `variant_type(file_type)`."""
    with Image.open(io.BytesIO(data)) as image:
        image.seek(0)
        frame = image.convert("RGBA") if image.mode in {"P", "LA", "PA"} else image.copy()
    target = _VARIANT_FORMAT[file_type]
    if frame.width > width:
        frame.thumbnail((width, max(1, round(frame.height * width / frame.width))), Image.Resampling.LANCZOS)
    if target == "JPEG" and frame.mode not in {"RGB", "L"}:
        frame = frame.convert("RGB")
    out = io.BytesIO()
    frame.save(out, format=target, **({"quality": 85, "optimize": True} if target == "JPEG" else {}))
    return out.getvalue()


@cache
def placeholder(width: int = PLACEHOLDER_SIZE) -> bytes:
    """The picture of a product without one: a plain PNG, made once per width."""
    size = max(16, width)
    image = Image.new("RGB", (size, size), (238, 240, 243))
    draw = ImageDraw.Draw(image)
    inset = size // 4
    draw.rectangle(
        (inset, inset, size - inset, size - inset), outline=(190, 195, 202), width=max(2, size // 64)
    )
    draw.line((inset, size - inset, size // 2, size // 2), fill=(190, 195, 202), width=max(2, size // 64))
    draw.line(
        (size // 2, size // 2, size - inset, size - inset), fill=(190, 195, 202), width=max(2, size // 64)
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
