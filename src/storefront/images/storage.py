"""Where pictures are kept, by content: a local folder (the default) or S3-compatible storage.

Keys name the content (the SHA-256 of the original's bytes), so a stored object never changes:
writing one again writes the same bytes, and a reader never sees half a picture (the local
folder writes a temporary file and renames it into place; an S3 PUT is atomic by itself).
"""

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from storefront.config import Settings


def original_key(content_hash: str, file_type: str) -> str:
    return f"originals/{content_hash[:2]}/{content_hash}.{file_type}"


def variant_key(content_hash: str, width: int, file_type: str) -> str:
    return f"variants/{content_hash[:2]}/{content_hash}-w{width}.{file_type}"


class ImageStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store these bytes under the key, all at once."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes under the key, or None."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def aclose(self) -> None: ...


class LocalImageStore:
    """A folder (created on first write); each object is a file under its key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"not a storage key: {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def aclose(self) -> None:
        return None


_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3ImageStore:
    """A bucket of S3 or an S3-compatible service (MinIO, Ceph, R2...), under a key prefix."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        # boto3 is imported by the process that stores pictures in S3, not by every one.
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError

        self.bucket = bucket
        self.prefix = prefix
        self._client_error: type[ClientError] = ClientError
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=10),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=self.prefix + key,
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes | None:
        try:
            answer = await asyncio.to_thread(
                self._client.get_object, Bucket=self.bucket, Key=self.prefix + key
            )
        except self._client_error as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _MISSING:
                return None
            raise
        body = answer["Body"]
        try:
            data: bytes = await asyncio.to_thread(body.read)
        finally:
            body.close()
        return data

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self._client.head_object, Bucket=self.bucket, Key=self.prefix + key)
        except self._client_error as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _MISSING:
                return False
            raise
        return True

    async def aclose(self) -> None:
        await asyncio.to_thread(self._client.close)


def open_image_store(settings: Settings) -> ImageStore:
    if settings.image_storage == "s3":
        assert settings.image_s3_bucket is not None
        secret = settings.image_s3_secret_access_key
        return S3ImageStore(
            settings.image_s3_bucket,
            prefix=settings.image_s3_prefix,
            endpoint_url=settings.image_s3_endpoint_url,
            region=settings.image_s3_region,
            access_key_id=settings.image_s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
    return LocalImageStore(settings.data_dir / "images")
