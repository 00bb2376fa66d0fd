"""Where the system of record lives, and how this process holds its connections."""

from typing import Any

from pydantic import BaseModel, Field, field_validator

from storefront.config.secrets import blank_is_unset


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
    # A streaming replica of the PostgreSQL primary for catalog reads (docs/database.md): a read is
    # served there only when the replica has replayed every catalog write the shop has announced.
    database_read_url: str | None = None
    database_read_connect_timeout_seconds: float = Field(default=2.0, gt=0)
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

    @field_validator("database_read_url", mode="before")
    @classmethod
    def _read_url_async_driver(cls, value: Any) -> Any:
        value = blank_is_unset(value)
        return normalize_database_url(value) if isinstance(value, str) else value

    def database_read_problem(self) -> str | None:
        """Why the read URL cannot be used, naming the variables (never their values); None when it can."""
        if self.database_read_url is None:
            return None
        if not self.database_url.startswith("postgresql"):
            return "STOREFRONT_DATABASE_READ_URL needs a PostgreSQL STOREFRONT_DATABASE_URL (its primary)"
        if not self.database_read_url.startswith("postgresql"):
            return "STOREFRONT_DATABASE_READ_URL must name a PostgreSQL replica (postgresql://...)"
        return None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
