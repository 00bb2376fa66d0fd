"""A production start never falls back to a fake ERP: `serve`, `sync` and `worker` refuse to start
without one, naming what to set; only `storefront demo` and the tests choose the emulator."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

STOREFRONT = str(Path(sys.executable).with_name("storefront"))


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STOREFRONT_")}
    environment.update(STOREFRONT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}", **env)
    return subprocess.run(
        [STOREFRONT, *args], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["sync"], ["worker"]])
def test_nothing_that_talks_to_the_erp_starts_without_one(tmp_path: Path, command: list[str]) -> None:
    result = run(tmp_path, *command)
    assert result.returncode == 2
    assert "STOREFRONT_ERP is not set" in result.stderr


def test_zoho_without_its_credentials_is_refused_naming_each_one(tmp_path: Path) -> None:
    result = run(
        tmp_path, "serve", "--port", "1", STOREFRONT_ERP="zoho", STOREFRONT_ZOHO_CLIENT_ID="1000.ABC"
    )
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    for name in (
        "STOREFRONT_ZOHO_CLIENT_SECRET",
        "STOREFRONT_ZOHO_REFRESH_TOKEN",
        "STOREFRONT_ZOHO_ORGANIZATION_ID",
    ):
        assert name in message
    assert "STOREFRONT_ZOHO_CLIENT_ID " not in message


async def test_the_app_itself_does_not_start_without_an_erp(tmp_path: Path) -> None:
    """Started by a server directly (the app factory), it fails at startup, saying why."""
    from asgi_lifespan import LifespanManager

    from storefront.app import create_app
    from storefront.config import Settings
    from storefront.erp.runtime import ErpNotConfigured

    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    with pytest.raises(ErpNotConfigured, match="STOREFRONT_ERP is not set"):
        async with LifespanManager(create_app(settings)):
            pass
