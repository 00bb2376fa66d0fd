"""The ERP: which one, where it is, its credentials, and how the client spends its budget."""

from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from storefront.config.secrets import blank_is_unset
from storefront.erp import regions


class ZohoSettings(BaseModel):
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
    # Stock locations that count toward sellable stock: Zoho location ids or names, separated by
    # commas; "all" counts the organisation-wide figures (docs/sync.md).
    stock_locations: str = "all"

    @field_validator("zoho_webhook_secret", mode="before")
    @classmethod
    def _blank_webhook_secret_is_unset(cls, value: Any) -> Any:
        return blank_is_unset(value)

    @model_validator(mode="after")
    def _zoho_hosts_from_region(self) -> "ZohoSettings":
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
