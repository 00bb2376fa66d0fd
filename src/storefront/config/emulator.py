"""The built-in ERP emulator, when a process runs one (ERP=emulator: the demo and the tests)."""

from pydantic import BaseModel, Field


class EmulatorSettings(BaseModel):
    # The built-in ERP emulator (ERP=emulator): where it listens (port 0: any free one), its demo
    # catalog size, its per-minute rate limit (0: none) and where it sends item webhooks.
    erp_emulator_host: str = "127.0.0.1"
    erp_emulator_port: int = Field(default=0, ge=0, le=65535)
    erp_emulator_demo_items: int = Field(default=1000, ge=0)
    erp_emulator_rate_limit_per_minute: int = Field(default=100, ge=0)
    erp_emulator_webhook_url: str | None = None
