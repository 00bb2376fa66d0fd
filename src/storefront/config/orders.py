"""Orders: the price list they are priced from, what one may hold, and their push to the ERP."""

from decimal import Decimal

from pydantic import BaseModel, Field


class OrderSettings(BaseModel):
    price_list: str = "consumer_iqd"
    # The order push to the ERP: poll interval of idle workers, how long a claim is held, when to give up.
    order_push_poll_interval_seconds: float = Field(default=1.0, gt=0)
    order_push_lease_seconds: float = Field(default=120.0, gt=0)
    order_push_max_attempts: int = Field(default=12, ge=1)
    order_push_backoff_base_seconds: float = Field(default=2.0, ge=0)
    order_push_backoff_cap_seconds: float = Field(default=600.0, ge=0)
    order_push_batch_size: int = Field(default=8, ge=1, le=100)
    order_max_units_per_line: int = Field(default=50, ge=1, le=1000)
    order_max_units_per_order: int = Field(default=200, ge=1)
    # In the price list's currency.
    order_max_value: Decimal = Field(default=Decimal(5_000_000), gt=0)
