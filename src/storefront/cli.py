"""The `storefront` command."""

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from storefront.config import Settings, get_settings
from storefront.db.migrate import upgrade
from storefront.logging import configure_logging, redact
from storefront.web.auth import MIN_ADMIN_TOKEN_LENGTH
from storefront.web.servers import granian_arguments, uvicorn_options

cli = typer.Typer(
    help="Storefront: catalog, stock and orders between a Zoho ERP and a shoppers' app.", no_args_is_help=True
)
console = Console()


@cli.command()
def migrate() -> None:
    """Apply database migrations up to the latest schema."""
    settings = get_settings()
    upgrade(settings.database_url)
    console.print(f"[green]Migrated[/green] {redact(settings.database_url)}")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    server: Annotated[
        str, typer.Option(help="granian (measured fastest: docs/cache.md) or uvicorn.")
    ] = "granian",
) -> None:
    """Serve the API (run `storefront migrate` first)."""
    settings = get_settings()
    refuse_unsafe_settings(settings)
    if workers > 1:
        # Workers add up their metrics through files in one shared directory (docs/metrics.md).
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="storefront-metrics-"))
    if workers > 1 and not settings.redis_url:
        # The in-process cache cannot see another worker's writes: it would serve stale stock.
        raise typer.BadParameter(
            "several workers need STOREFRONT_REDIS_URL (a shared cache)", param_hint="--workers"
        )
    if server == "uvicorn":
        uvicorn.run(
            "storefront.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            log_level="warning",
            access_log=False,
            **uvicorn_options(settings),
        )
        return
    if server != "granian":
        raise typer.BadParameter("choose granian or uvicorn", param_hint="--server")
    # The server's supervising process is started afresh: it holds granian alone rather than
    # everything this command imported, and the worker it forks imports only what the app needs.
    os.execv(  # noqa: S606 - this interpreter, our own arguments
        sys.executable, [sys.executable, "-m", "granian", *granian_arguments(settings, host, port, workers)]
    )


def refuse_unsafe_settings(settings: Settings) -> None:
    """What a start facing the network must not run with (docs/security.md)."""
    refuse_without_erp(settings)
    problem = settings.database_read_problem()
    if problem is not None:
        raise typer.BadParameter(problem, param_hint="STOREFRONT_DATABASE_READ_URL")
    token = settings.admin_token
    if token is not None and len(token.get_secret_value()) < MIN_ADMIN_TOKEN_LENGTH:
        raise typer.BadParameter(
            f"STOREFRONT_ADMIN_TOKEN is shorter than {MIN_ADMIN_TOKEN_LENGTH} characters; "
            "make one with `openssl rand -hex 32`",
            param_hint="STOREFRONT_ADMIN_TOKEN",
        )
    if "public_base_url" not in settings.model_fields_set:
        console.print(
            "[yellow]Warning:[/yellow] STOREFRONT_PUBLIC_BASE_URL is not set: product picture URLs "
            f"point at {settings.public_base_url}; set it to the address shoppers reach this service at"
        )
    if settings.zoho_webhook_allow_unsigned:
        console.print(
            "[yellow]Warning:[/yellow] STOREFRONT_ZOHO_WEBHOOK_ALLOW_UNSIGNED=true: "
            "anyone can make this service call the ERP through its webhook"
        )


def refuse_without_erp(settings: Settings) -> None:
    """A command that talks to the ERP never starts on a fake one by default."""
    problem = settings.erp_problem()
    if problem is not None:
        raise typer.BadParameter(problem, param_hint="STOREFRONT_ERP")
    if settings.erp == "emulator":
        console.print(
            "[yellow]Warning:[/yellow] STOREFRONT_ERP=emulator: the built-in emulator's demo catalog, "
            "not a real ERP"
        )


@cli.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    erp_port: Annotated[int, typer.Option(help="Port of the built-in ERP emulator.")] = 8090,
    products: Annotated[int, typer.Option(min=10, max=100_000, help="Demo catalog size.")] = 1000,
) -> None:
    """Run the embedded default: a SQLite file and the built-in ERP emulator, synced at start."""
    from storefront.demo.run import run_demo

    run_demo(host, port, erp_port, products, console)


@cli.command()
def sync(
    mode: Annotated[str, typer.Option(help="full or incremental.")] = "incremental",
    items: Annotated[str | None, typer.Option(help="Sync only these ERP item ids (comma-separated).")] = None,
) -> None:
    """Sync the catalog from the ERP now; prints a summary of the run."""
    from storefront.sync.command import run_sync_command

    settings = get_settings()
    refuse_without_erp(settings)
    configure_logging(settings.log_level, settings.log_json, settings.log_database_level)
    raise typer.Exit(run_sync_command(settings, mode, items, console))


@cli.command("erp-emulator")
def erp_emulator(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8090,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    client_id: Annotated[str, typer.Option(envvar="STOREFRONT_ZOHO_CLIENT_ID")] = "emulator",
    client_secret: Annotated[
        str, typer.Option(envvar="STOREFRONT_ZOHO_CLIENT_SECRET", show_default=False)
    ] = "emulator",  # noqa: S107 - the emulator's well-known default
    refresh_token: Annotated[
        str, typer.Option(envvar="STOREFRONT_ZOHO_REFRESH_TOKEN", show_default=False)
    ] = "emulator",  # noqa: S107 - the emulator's well-known default
    organization_id: Annotated[str, typer.Option(envvar="STOREFRONT_ZOHO_ORGANIZATION_ID")] = "1",
    webhook_url: Annotated[str | None, typer.Option(help="Where item webhooks go.")] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(envvar="STOREFRONT_ZOHO_WEBHOOK_SECRET", show_default=False)
    ] = None,
    demo_catalog: Annotated[
        bool, typer.Option("--demo-catalog/--empty", help="Preload the demo catalog.")
    ] = True,
    demo_items: Annotated[int, typer.Option(min=1, max=1_000_000, help="Demo catalog size.")] = 1000,
    rate_limit_per_minute: Annotated[
        int, typer.Option(min=0, help="Per-org API calls a minute (0: none).")
    ] = 100,
    daily_quota: Annotated[
        int, typer.Option(min=0, help="Per-org API calls a day, reset at 00:00 UTC (0: none).")
    ] = 10_000,
    concurrent_call_limit: Annotated[
        int, typer.Option(min=0, help="Per-org API calls in flight at once (0: none).")
    ] = 10,
) -> None:
    """Run the Zoho emulator: OAuth at /oauth/v2/token, the API at /inventory/v1, control at /_emulator."""
    from storefront.erp.emulator import EmulatorConfig, EmulatorState, create_emulator_app

    config = EmulatorConfig(
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        organization_id=organization_id,
        rate_limit_per_minute=rate_limit_per_minute,
        daily_quota=daily_quota,
        concurrent_call_limit=concurrent_call_limit,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        demo_items=demo_items if demo_catalog else 0,
    )
    state = EmulatorState.create(config)
    base = f"http://{host}:{port}"
    console.print(f"[green]ERP emulator[/green] with {len(state.items)} items")
    console.print(f"  STOREFRONT_ZOHO_ACCOUNTS_URL={base}")
    console.print(f"  STOREFRONT_ZOHO_API_URL={base}/inventory/v1")
    console.print(f"  Control API  {base}/_emulator/stats")
    uvicorn.run(create_emulator_app(state), host=host, port=port, log_level="warning", access_log=False)


@cli.command()
def openapi(
    output: Annotated[
        Path | None,
        typer.Option(help="Write the document to this file (docs/openapi.json) instead of stdout."),
    ] = None,
) -> None:
    """Print the OpenAPI document, the contract the app team generates its client from."""
    from storefront.app import openapi_text

    if output is None:
        typer.echo(openapi_text(), nl=False)
        return
    output.write_text(openapi_text())
    console.print(f"[green]Wrote[/green] {output}")


@cli.command()
def worker() -> None:
    """Push accepted orders to the ERP; run as many as needed, they share the queue."""
    from storefront.orders.worker import run_worker

    settings = get_settings()
    refuse_without_erp(settings)
    configure_logging(settings.log_level, settings.log_json, settings.log_database_level)
    asyncio.run(run_worker(settings))


@cli.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
)
def bench(context: typer.Context) -> None:
    """Measure every figure of docs/benchmarks.md in one run and write it (`storefront bench --help`)."""
    from storefront.bench import run_bench

    raise typer.Exit(run_bench(list(context.args)))


def main() -> None:
    cli()
