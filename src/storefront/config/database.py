"""Where the system of record lives, and how this process holds its connections."""

from pydantic import BaseModel, Field, field_validator


def normalize_database_url(url: str) -> str:
    """Map plain driver URLs to the async drivers the service runs on."""
    for plain, async_prefix in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return async_prefix + url[len(plain) :]
    return url


class DatabaseSettings(BaseModel):
    database_url: str = "sqlite+aiosqlite:///./storefront.db"
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    # Test each pooled connection with a round trip before use. Off by default: a connection the
    # server dropped fails one request, and SQLAlchemy then replaces every pooled connection.
    # Turn it on where idle connections are cut silently (a proxy or firewall with idle timeouts).
    database_pool_pre_ping: bool = False

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
