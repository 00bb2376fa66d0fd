from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STOREFRONT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./storefront.db"
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    # Test each pooled connection with a round trip before use. Off by default: a connection the
    # server dropped fails one request, and SQLAlchemy then replaces every pooled connection.
    # Turn it on where idle connections are cut silently (a proxy or firewall with idle timeouts).
    database_pool_pre_ping: bool = False
    redis_url: str | None = None
    # Read cache: keys are namespaced by the prefix, so deployments (and test runs) never collide.
    cache_prefix: str = "storefront"
    cache_ttl_overrides: dict[str, float] = Field(default_factory=dict)
    cache_l1_max_entries: int = Field(default=1024, ge=0)
    cache_memory_max_entries: int = Field(default=10_000, ge=0)
    cache_stale_grace_seconds: float = Field(default=30.0, ge=0)
    cache_lock_seconds: float = Field(default=5.0, gt=0)
    cache_lock_wait_seconds: float = Field(default=1.0, ge=0)
    cache_redis_timeout_seconds: float = Field(default=0.5, gt=0)
    cache_retry_after_seconds: float = Field(default=2.0, ge=0)
    admin_token: SecretStr | None = None

    erp: Literal["emulator", "zoho"] = "emulator"
    zoho_accounts_url: str = "https://accounts.zoho.com"
    zoho_api_url: str = "https://www.zohoapis.com/inventory/v1"
    zoho_client_id: str = "emulator"
    zoho_client_secret: SecretStr = SecretStr("emulator")
    zoho_refresh_token: SecretStr = SecretStr("emulator")
    zoho_organization_id: str = "1"
    zoho_webhook_secret: SecretStr | None = None
    zoho_requests_per_minute: int = Field(default=90, ge=1)
    # The Zoho item custom field (its api_name or label) holding the item's Arabic name; unset: none.
    zoho_name_ar_field: str | None = None
    # The Zoho client: Redis key prefix (token and budget shared by processes), retries of reads,
    # how long a call may wait for the request budget, token refresh margin and throttle cool-down,
    # and how long every process holds off after a 429.
    zoho_key_prefix: str = "storefront"
    zoho_retry_attempts: int = Field(default=4, ge=1)
    zoho_retry_base_delay_seconds: float = Field(default=0.5, ge=0)
    zoho_retry_deadline_seconds: float = Field(default=30.0, gt=0)
    zoho_budget_max_wait_seconds: float = Field(default=30.0, ge=0)
    zoho_token_refresh_margin_seconds: float = Field(default=300.0, ge=0)
    zoho_token_throttle_cooldown_seconds: float = Field(default=600.0, ge=0)
    zoho_rate_limit_cooldown_seconds: float = Field(default=0.0, ge=0)
    # The built-in ERP emulator (ERP=emulator): where it listens (port 0: any free one), its demo
    # catalog size, its per-minute rate limit (0: none) and where it sends item webhooks.
    erp_emulator_host: str = "127.0.0.1"
    erp_emulator_port: int = Field(default=0, ge=0, le=65535)
    erp_emulator_demo_items: int = Field(default=1000, ge=0)
    erp_emulator_rate_limit_per_minute: int = Field(default=100, ge=0)
    erp_emulator_webhook_url: str | None = None

    price_list: str = "consumer_iqd"
    # The order push to the ERP: poll interval of idle workers, how long a claim is held, when to give up.
    order_push_poll_interval_seconds: float = Field(default=1.0, gt=0)
    order_push_lease_seconds: float = Field(default=120.0, gt=0)
    order_push_max_attempts: int = Field(default=12, ge=1)
    order_push_backoff_base_seconds: float = Field(default=2.0, ge=0)
    order_push_backoff_cap_seconds: float = Field(default=600.0, ge=0)
    order_push_batch_size: int = Field(default=8, ge=1, le=100)
    sync_interval_seconds: float = Field(default=300.0, ge=0)
    run_background_tasks: bool = True

    log_level: str = "INFO"
    log_json: bool | None = None

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("redis_url")
    @classmethod
    def _empty_redis_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
