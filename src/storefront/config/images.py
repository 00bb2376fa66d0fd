"""Product pictures: where they are kept and how they are fetched (docs/images.md)."""

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from storefront.config.secrets import blank_is_unset


class ImageSettings(BaseModel):
    # Files the service keeps (product pictures, with the local image storage).
    data_dir: Path = Path("./storefront-data")
    # Product pictures (docs/images.md): where they are stored, how large one may be, how the
    # background fetcher paces and retries itself.
    image_storage: Literal["local", "s3"] = "local"
    image_s3_bucket: str | None = None
    image_s3_endpoint_url: str | None = None
    image_s3_region: str = "us-east-1"
    image_s3_access_key_id: str | None = None
    image_s3_secret_access_key: SecretStr | None = None
    image_s3_prefix: str = "storefront-images/"
    image_max_bytes: int = Field(default=7 * 1024 * 1024, ge=1024)
    image_max_pixels: int = Field(default=40_000_000, ge=1)
    image_fetch_interval_seconds: float = Field(default=30.0, gt=0)
    image_fetch_max_attempts: int = Field(default=8, ge=1)
    image_fetch_backoff_base_seconds: float = Field(default=60.0, ge=0)
    image_fetch_backoff_cap_seconds: float = Field(default=21600.0, ge=0)

    @field_validator("image_s3_secret_access_key", mode="before")
    @classmethod
    def _blank_s3_secret_is_unset(cls, value: Any) -> Any:
        return blank_is_unset(value)

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> "ImageSettings":
        if self.image_storage == "s3" and not self.image_s3_bucket:
            raise ValueError("STOREFRONT_IMAGE_STORAGE=s3 needs STOREFRONT_IMAGE_S3_BUCKET")
        return self
