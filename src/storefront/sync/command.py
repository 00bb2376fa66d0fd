"""`storefront sync`: one run from the terminal, with a progress bar and a summary table."""

import asyncio

from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from storefront.cache import Cache
from storefront.config import Settings
from storefront.db.engine import create_database
from storefront.erp.runtime import open_erp
from storefront.sync.schemas import SyncRequest, SyncRunView
from storefront.sync.service import SyncInProgress, SyncProgress, SyncService

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 3


def sync_request(mode: str, items: str | None) -> SyncRequest:
    if items is not None:
        return SyncRequest(item_ids=[item for item in items.split(",") if item.strip()] or [""])
    return SyncRequest.model_validate({"mode": mode})


def run_sync_command(settings: Settings, mode: str, items: str | None, console: Console) -> int:
    try:
        request = sync_request(mode, items)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors())
        console.print(f"[red]Invalid sync request:[/red] {problems}")
        return EXIT_BAD_INPUT
    try:
        run = asyncio.run(_sync(settings, request, console))
    except SyncInProgress as exc:
        console.print(f"[yellow]{exc.message}[/yellow]")
        return EXIT_BUSY
    console.print(summary_table(run))
    return 0 if run.status == "completed" else EXIT_FAILED


async def _sync(settings: Settings, request: SyncRequest, console: Console) -> SyncRunView:
    database = create_database(settings)
    cache = Cache.from_settings(settings)
    cache.before_invalidate = database.publish_write_mark
    erp = await open_erp(settings)
    try:
        service = SyncService(database, erp.client, settings, cache)
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("items"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        descriptions = {
            "fetching": "Reading the ERP",
            "confirming": "Asking about unseen items",
            "pricing": "Applying the price book",
            "completed": "Done",
            "failed": "Failed",
        }
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(descriptions["fetching"], total=None)

            def show(step: SyncProgress) -> None:
                finished = step.phase in {"completed", "failed"}
                total = step.expected if step.expected and step.expected >= step.fetched else None
                progress.update(
                    task,
                    description=descriptions[step.phase],
                    completed=step.fetched,
                    total=step.fetched if finished else total,
                )

            return await service.sync(request, trigger="cli", progress=show)
    finally:
        await erp.aclose()
        await cache.close()
        await database.dispose()


def summary_table(run: SyncRunView) -> Table:
    colour = "green" if run.status == "completed" else "red"
    table = Table(title=f"Sync run {run.id}", show_header=False, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("Status", f"[{colour}]{run.status}[/{colour}]")
    table.add_row("Mode", run.mode)
    if run.item_ids:
        table.add_row("Items", ", ".join(run.item_ids))
    table.add_row("Started", run.started_at.isoformat())
    table.add_row("Duration", f"{run.duration_seconds:.2f} s" if run.duration_seconds is not None else "-")
    for name, value in run.counts.model_dump().items():
        table.add_row(name.capitalize(), str(value))
    if run.high_water_mark:
        table.add_row("High-water mark", run.high_water_mark.isoformat())
    if run.error:
        table.add_row("Error", f"[red]{run.error}[/red]")
    return table
