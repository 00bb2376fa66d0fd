"""`storefront demo`: the service with its built-in ERP emulator, the catalog arriving by a full sync."""

import asyncio
import os
import secrets

import uvicorn
from rich.console import Console

from storefront.app import create_app
from storefront.config import Settings, get_settings
from storefront.db.migrate import upgrade
from storefront.demo.catalog import ARABIC_NAME_FIELD
from storefront.demo.pictures import put_demo_pictures
from storefront.logging import configure_logging, redact
from storefront.sync.command import summary_table
from storefront.sync.component import SyncComponent
from storefront.sync.schemas import SyncRequest
from storefront.web.servers import uvicorn_options

WEBHOOK_PATH = "/api/tds/webhooks/zoho"


def demo_settings(host: str, port: int, erp_port: int, products: int) -> Settings:
    """Settings from the environment, with demo defaults for whatever it leaves unset."""
    defaults = {
        "STOREFRONT_ADMIN_TOKEN": secrets.token_urlsafe(32),
        # So that anyone can try a webhook with curl; `storefront serve` refuses unsigned ones.
        "STOREFRONT_ZOHO_WEBHOOK_ALLOW_UNSIGNED": "true",
        "STOREFRONT_ZOHO_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "STOREFRONT_ERP_EMULATOR_PORT": str(erp_port),
        "STOREFRONT_ERP_EMULATOR_DEMO_ITEMS": str(products),
        "STOREFRONT_ERP_EMULATOR_RATE_LIMIT_PER_MINUTE": "0",
        "STOREFRONT_ERP_EMULATOR_WEBHOOK_URL": f"http://{host}:{port}{WEBHOOK_PATH}",
        "STOREFRONT_ZOHO_NAME_AR_FIELD": ARABIC_NAME_FIELD,
        "STOREFRONT_PUBLIC_BASE_URL": f"http://{host}:{port}",
        "STOREFRONT_IMAGE_FETCH_INTERVAL_SECONDS": "5",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    # The demo is the built-in emulator's, whatever the environment says.
    os.environ["STOREFRONT_ERP"] = "emulator"
    get_settings.cache_clear()
    return get_settings()


def run_demo(host: str, port: int, erp_port: int, products: int, console: Console) -> None:
    from storefront.cli import refuse_unsafe_settings

    settings = demo_settings(host, port, erp_port, products)
    refuse_unsafe_settings(settings)
    configure_logging(settings.log_level, settings.log_json, settings.log_database_level)
    upgrade(settings.database_url)
    asyncio.run(_serve(settings, host, port, console))


async def _serve(settings: Settings, host: str, port: int, console: Console) -> None:
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            **uvicorn_options(settings),
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await serving
            return
        await asyncio.sleep(0.05)

    emulator = app.state.erp_runtime.emulator
    if emulator is not None:
        console.print("[bold]Drawing the demo catalog's pictures...[/bold]")
        await put_demo_pictures(emulator.url, emulator.state.items.values())
    sync: SyncComponent = app.state.sync
    console.print("[bold]Syncing the catalog from the ERP...[/bold]")
    begun = await sync.service.begin_when_free(SyncRequest(mode="full"), trigger="demo", wait_seconds=120)
    run = await sync.service.execute(begun)
    console.print(summary_table(run))
    _print_urls(app.state, settings, f"http://{host}:{port}", console)
    await serving


def _print_urls(state: object, settings: Settings, base: str, console: Console) -> None:
    console.print(f"[green]Storefront demo[/green] on {base}, data in {redact(settings.database_url)}")
    console.print(f"  Products     {base}/api/consumer/products")
    console.print(f"  Categories   {base}/api/consumer/categories")
    console.print(f"  Sync status  {base}/api/consumer/sync/status")
    console.print(f"  Mobile home  {base}/api/bff/mobile/home")
    console.print(f"  Dashboard    {base}/dashboard  (sign in with the admin token)")
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if settings.operator_port is None:
        bearer = f"-H 'Authorization: Bearer {token}'"
        console.print(f"  Metrics      curl {bearer} {base}/metrics")
        console.print(f"  API schema   curl {bearer} {base}/openapi.json")
    else:
        operator = f"http://{settings.operator_host}:{settings.operator_port}"
        console.print(f"  Metrics      {operator}/metrics")
        console.print(f"  API docs     {operator}/docs")
    runtime = getattr(state, "erp_runtime", None)
    emulator = getattr(runtime, "emulator", None)
    if emulator is not None:
        console.print(
            f"  ERP emulator {emulator.url}/_emulator/stats  (change items: PUT {emulator.url}/_emulator/items)"
        )
    console.print(f"  Admin token (operator endpoints, metrics, API docs): {token}")
    if settings.zoho_webhook_allow_unsigned:
        console.print(
            "  Webhooks     unsigned deliveries accepted (STOREFRONT_ZOHO_WEBHOOK_ALLOW_UNSIGNED=true, demo only)"
        )
