"""STOREFRONT_DATABASE_READ_URL is refused at start unless the primary is PostgreSQL, and the
refusal names the variables, never the URLs' passwords."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from storefront.app import create_app
from storefront.config import Settings
from storefront.db.engine import ReplicaNotConfigured

STOREFRONT = str(Path(sys.executable).with_name("storefront"))
READ_URL = "postgresql://shop:replica-secret-51f0@replica.internal:5432/shop"


async def test_a_replica_of_sqlite_does_not_start(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'shop.db'}", database_read_url=READ_URL)

    with pytest.raises(ReplicaNotConfigured) as raised:
        async with LifespanManager(create_app(settings)):
            pass

    message = str(raised.value)
    assert "STOREFRONT_DATABASE_READ_URL needs a PostgreSQL STOREFRONT_DATABASE_URL" in message
    assert "replica-secret" not in message


def test_serve_refuses_a_read_url_that_is_no_postgresql_naming_no_secret(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STOREFRONT_")}
    environment.update(
        STOREFRONT_DATABASE_URL="postgresql://shop:primary-secret-77aa@127.0.0.1:1/shop",
        STOREFRONT_DATABASE_READ_URL=f"sqlite:///{tmp_path / 'replica-secret.db'}",
        STOREFRONT_ERP="emulator",
        COLUMNS="400",  # the error box on one line
    )
    result = subprocess.run(
        [STOREFRONT, "serve", "--port", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    output = " ".join((result.stdout + result.stderr).split())
    assert "STOREFRONT_DATABASE_READ_URL must name a PostgreSQL replica" in output
    assert "secret" not in output
