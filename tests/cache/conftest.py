from collections.abc import Callable

import pytest

from storefront.config import Settings
from tests.support.cache import cache_settings

__all__ = ["cache_settings"]


@pytest.fixture
def settings(cache_settings: Callable[..., Settings]) -> Settings:
    """Every app in these tests runs on both cache backends."""
    return cache_settings()
