"""Zoho data centres: each has its own accounts (OAuth) host and API host."""

from typing import Literal

ZohoRegion = Literal["com", "eu", "in", "com.au", "jp", "ca", "sa", "com.cn"]

# Canada's accounts host is the only one outside the accounts.zoho.<dc> pattern.
_ACCOUNTS_HOSTS: dict[str, str] = {"ca": "accounts.zohocloud.ca"}
INVENTORY_PATH = "/inventory/v1"


def accounts_url(region: ZohoRegion) -> str:
    return f"https://{_ACCOUNTS_HOSTS.get(region, f'accounts.zoho.{region}')}"


def api_url(region: ZohoRegion) -> str:
    """The Inventory API of the region; Books is `.../books/v3` on the same host."""
    return f"https://www.zohoapis.{region}{INVENTORY_PATH}"
