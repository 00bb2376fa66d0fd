"""The settings, from STOREFRONT_* environment variables (or a .env file), grouped by concern.

Each group is a class of its own module, and each setting is defined, with its one default, in
exactly one of them; `Settings` is all of them at once, so code reads `settings.database_url`
whichever group it lives in.
"""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from storefront.config.cache import CacheSettings
from storefront.config.database import DatabaseSettings, normalize_database_url
from storefront.config.emulator import EmulatorSettings
from storefront.config.images import ImageSettings
from storefront.config.orders import OrderSettings
from storefront.config.process import ProcessSettings
from storefront.config.secrets import blank_is_unset
from storefront.config.sync import SyncSettings
from storefront.config.web import WebSettings
from storefront.config.zoho import ZohoSettings


class Settings(
    DatabaseSettings,
    CacheSettings,
    WebSettings,
    ZohoSettings,
    EmulatorSettings,
    OrderSettings,
    SyncSettings,
    ImageSettings,
    ProcessSettings,
    BaseSettings,
):
    model_config = SettingsConfigDict(env_prefix="STOREFRONT_", env_file=".env", extra="ignore")


@lru_cache
def get_settings() -> Settings:
    return Settings()


__all__ = ["Settings", "blank_is_unset", "get_settings", "normalize_database_url"]
