from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storefront.erp import regions


def blank_is_unset(value: Any) -> Any:
    """A secret set to nothing (`VAR=`, or `${VAR}` left empty by a compose file) is no secret."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        return value.strip() or None
    return value


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
    # Cached entries per cached route (JSON map of route prefix to a count), beyond each route's own
    # bound: when a route has stored that many entries in one TTL window, further answers are
    # computed but not stored (docs/cache.md).
    cache_max_entries_overrides: dict[str, int] = Field(default_factory=dict)
    admin_token: SecretStr | None = None
    # The dashboard's session signing key; unset: generated once and kept in the database.
    dashboard_session_secret: SecretStr | None = None
    dashboard_session_hours: float = Field(default=8.0, gt=0, le=24 * 30)
    # Always mark the dashboard cookie Secure (it is anyway when the request came over HTTPS).
    dashboard_cookie_secure: bool = False

    # Abuse control (docs/security.md). Rates in the `limits` notation: "10/minute", "100 per hour",
    # several separated by ";". Counted per client, in Redis when it is set, else in this process.
    rate_limit_orders: str = "10/minute;60/hour"
    rate_limit_quotes: str = "60/minute"
    rate_limit_admin_failures: str = "10/minute;50/hour"
    # Proxies (IPs or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Browser origins allowed to call the API (CORS); none by default.
    cors_origins: list[str] = Field(default_factory=list)
    order_max_units_per_line: int = Field(default=50, ge=1, le=1000)
    order_max_units_per_order: int = Field(default=200, ge=1)
    # In the price list's currency.
    order_max_value: Decimal = Field(default=Decimal(5_000_000), gt=0)
    # Request limits: body bytes (orders, checkout and quotes; webhooks; everything else) and header bytes.
    max_order_body_bytes: int = Field(default=32_768, ge=1024)
    max_webhook_body_bytes: int = Field(default=1_000_000, ge=1024)
    max_body_bytes: int = Field(default=65_536, ge=1024)
    max_header_bytes: int = Field(default=16_384, ge=8192)
    # /metrics and the API docs: unset, on the service port behind the admin token; set, on this
    # port of OPERATOR_HOST without a token, and not on the service port.
    operator_port: int | None = Field(default=None, ge=1, le=65535)
    operator_host: str = "127.0.0.1"

    # Unset, nothing that talks to an ERP starts: a deployment that forgets it sells nothing fake.
    erp: Literal["emulator", "zoho"] | None = None
    # The organisation's data centre sets both hosts; an explicit URL overrides its host.
    zoho_region: regions.ZohoRegion = "com"
    zoho_accounts_url: str = ""
    zoho_api_url: str = ""
    zoho_client_id: str = ""
    zoho_client_secret: SecretStr = SecretStr("")
    zoho_refresh_token: SecretStr = SecretStr("")
    zoho_organization_id: str = ""
    zoho_webhook_secret: SecretStr | None = None
    # Accept webhook deliveries that carry no signature (the demo); signed ones are still checked.
    zoho_webhook_allow_unsigned: bool = False
    zoho_webhook_max_items: int = Field(default=50, ge=1, le=500)
    zoho_webhook_retention_days: float = Field(default=7.0, gt=0)
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
    # Calls in flight at once per organisation, across processes (Zoho: 5 on free plans, 10 paid).
    zoho_max_concurrent_calls: int = Field(default=5, ge=1)
    # The share of the per-minute budget each kind of work may fill; order pushes may use it all,
    # so a sync or a stream of webhooks never starves them.
    zoho_settle_budget_share: float = Field(default=0.9, gt=0, le=1)
    zoho_webhook_budget_share: float = Field(default=0.8, gt=0, le=1)
    zoho_sync_budget_share: float = Field(default=0.7, gt=0, le=1)
    # Product pictures come last: they wait behind syncs, webhooks and order pushes.
    zoho_image_budget_share: float = Field(default=0.5, gt=0, le=1)
    # Syncs and webhooks stop when less than this share of the daily quota is left: the rest is
    # kept for order pushes.
    zoho_daily_reserve_share: float = Field(default=0.1, ge=0, lt=1)
    # How long all ERP traffic pauses after a spent daily quota when Zoho names no reset time.
    zoho_quota_pause_seconds: float = Field(default=3600.0, gt=0)
    # Sales orders are confirmed after creation (Zoho commits stock for confirmed orders);
    # false leaves them as drafts for someone to confirm in Zoho.
    zoho_confirm_salesorders: bool = True
    # After a lost answer, how many pages of sales orders (200 each) to read looking for ours.
    zoho_salesorder_lookup_max_pages: int = Field(default=25, ge=1)
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
    # Incremental runs re-read from this long before the last modification they saw.
    sync_overlap_seconds: float = Field(default=60.0, ge=0)
    # A listing run writes what it has read every this many items or seconds, whichever comes
    # first, in one transaction that also records where it stands (it resumes from there).
    sync_apply_batch_items: int = Field(default=5000, ge=1)
    sync_apply_batch_seconds: float = Field(default=5.0, gt=0)
    # A full sync interrupted by a restart or a spent quota resumes within this long; older, it starts over.
    sync_resume_window_seconds: float = Field(default=86400.0, ge=0)
    # A run that would unprice more than this share of the listed products (and more than the
    # minimum count) stops before writing prices: a price book emptied or replaced by mistake.
    sync_max_unpriced_share: float = Field(default=0.2, ge=0, le=1)
    sync_max_unpriced_min_items: int = Field(default=10, ge=0)
    # Scheduled runs re-read the price book (two calls or more) at most this often.
    sync_pricebook_refresh_seconds: float = Field(default=3600.0, ge=0)
    # Confirmed orders' items are re-read this long after confirmation, so their reservations end.
    settle_interval_seconds: float = Field(default=10.0, gt=0)
    run_background_tasks: bool = True

    # Where absolute URLs the service hands out (product pictures) point: never the Host header.
    public_base_url: str = "http://127.0.0.1:8000"
    # Stock locations that count toward sellable stock: Zoho location ids or names, separated by
    # commas; "all" counts the organisation-wide figures (docs/sync.md).
    stock_locations: str = "all"
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

    log_level: str = "INFO"
    log_json: bool | None = None
    # Database driver loggers (sqlalchemy.engine, asyncpg, aiosqlite) log statements and their
    # parameters, customer details included: they stay at WARNING unless this names a level.
    log_database_level: str = "WARNING"

    @field_validator("public_base_url")
    @classmethod
    def _absolute_base(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
            raise ValueError("must be an absolute http(s) URL without query or fragment")
        return value.strip().rstrip("/")

    @field_validator("image_s3_secret_access_key", mode="before")
    @classmethod
    def _blank_s3_secret_is_unset(cls, value: Any) -> Any:
        return blank_is_unset(value)

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> "Settings":
        if self.image_storage == "s3" and not self.image_s3_bucket:
            raise ValueError("STOREFRONT_IMAGE_STORAGE=s3 needs STOREFRONT_IMAGE_S3_BUCKET")
        return self

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("admin_token", "dashboard_session_secret", "zoho_webhook_secret", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: Any) -> Any:
        return blank_is_unset(value)

    @field_validator("rate_limit_orders", "rate_limit_quotes", "rate_limit_admin_failures")
    @classmethod
    def _rates_parse(cls, value: str) -> str:
        parse_many(value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _empty_redis_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _zoho_hosts_from_region(self) -> "Settings":
        self.zoho_accounts_url = self.zoho_accounts_url or regions.accounts_url(self.zoho_region)
        self.zoho_api_url = self.zoho_api_url or regions.api_url(self.zoho_region)
        return self

    def erp_problem(self) -> str | None:
        """Why this configuration cannot talk to an ERP, naming the variables to set; None when it can."""
        if self.erp is None:
            return (
                "STOREFRONT_ERP is not set: set it to `zoho` with the STOREFRONT_ZOHO_* credentials "
                "(`storefront demo` runs the built-in emulator)"
            )
        if self.erp == "emulator":
            return None
        missing = [
            f"STOREFRONT_{name.upper()}"
            for name, value in (
                ("zoho_client_id", self.zoho_client_id),
                ("zoho_client_secret", self.zoho_client_secret.get_secret_value()),
                ("zoho_refresh_token", self.zoho_refresh_token.get_secret_value()),
                ("zoho_organization_id", self.zoho_organization_id),
            )
            if not value.strip()
        ]
        return f"STOREFRONT_ERP=zoho needs {', '.join(missing)}" if missing else None

    @property
    def counted_locations(self) -> tuple[str, ...] | None:
        """The stock locations named (ids or names), or None when every location counts."""
        names = tuple(part.strip() for part in self.stock_locations.split(",") if part.strip())
        if not names or (len(names) == 1 and names[0].casefold() == "all"):
            return None
        return names

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
