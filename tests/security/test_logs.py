"""Finding 7, logs: at DEBUG, the logs of placing and reading an order hold no customer details,
token or secret (the database drivers would log every statement's parameters)."""

import logging
from collections.abc import Callable

import pytest

from storefront.config import Settings
from tests.conftest import ADMIN_TOKEN
from tests.security.conftest import shop
from tests.support.catalog import seed, zoho_item

EMAIL = "layla.private@example.com"
PHONE = "+9647711122233"
NAME = "Layla Hidden-Name"
WEBHOOK_SECRET = "webhook-secret-never-logged-5f2a"
SESSION_SECRET = "session-secret-never-logged-9c1d"


async def test_an_order_at_debug_logs_no_personal_data_or_secret(
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tea = zoho_item("Logged Tea", stock=10, rate=1000)
    settings = make_settings(
        log_level="DEBUG", zoho_webhook_secret=WEBHOOK_SECRET, dashboard_session_secret=SESSION_SECRET
    )
    await seed(settings, [tea])
    caplog.set_level(logging.DEBUG)
    async with shop(settings) as client:
        body = {
            "customer": {"name": NAME, "email": EMAIL, "phone": PHONE},
            "notes": "ring twice",
            "lines": [{"product_id": tea["item_id"], "quantity": 2}],
        }
        placed = await client.post(
            "/api/consumer/orders", json=body, headers={"Idempotency-Key": "log-test-1"}
        )
        assert placed.status_code == 201, placed.text
        again = await client.post(
            "/api/consumer/orders", json=body, headers={"Idempotency-Key": "log-test-1"}
        )
        assert again.status_code == 201
        assert (await client.get(f"/api/consumer/orders/{placed.json()['data']['id']}")).status_code == 200
        operator = await client.get("/api/tds/orders", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert operator.status_code == 200
        assert (await client.post("/dashboard/login", data={"token": ADMIN_TOKEN})).status_code == 303
    logged = caplog.text + capsys.readouterr().err
    assert "request" in logged  # DEBUG lines were written
    for secret in (EMAIL, PHONE, NAME, "ring twice", ADMIN_TOKEN, WEBHOOK_SECRET, SESSION_SECRET):
        assert secret not in logged, secret
