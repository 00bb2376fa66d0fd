"""`storefront bench` / `make bench`: measure every figure and write docs/benchmarks.md.

    .venv/bin/storefront bench [--only sync,cached,uncached,writes] [--items 100000] [--runs 3]
        [--duration 10] [--output docs/benchmarks.md]

Needs PostgreSQL (STOREFRONT_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres),
Redis (STOREFRONT_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0) and wrk (Debian: `apt-get
install -y wrk`; `make bench` installs it). The scratch database and every key under the run's
Redis prefix are removed at the end. A run of every phase writes the page and its plot; a run of
some (`--only`) prints its figures and writes nothing unless `--output` is given.
"""

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from benchmarks.harness.load import STORE_EVERY_LIST
from benchmarks.harness.processes import ROOT
from benchmarks.harness.yardstick import yardstick_label
from benchmarks.suite import phases
from benchmarks.suite.deployment import deployment
from benchmarks.suite.figures import Figure
from benchmarks.suite.report import PLOT, generated, plot, write_headline, write_page

PHASES = ("sync", "cached", "uncached", "writes")
console = Console()


class Steps:
    """Progress: one step per measurement, each figure printed as soon as it is known."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task("starting", total=total)
        self.started = False

    def step(self, description: str) -> None:
        if self.started:
            self.progress.advance(self.task)
        self.started = True
        self.progress.update(self.task, description=description)

    def figure(self, figure: Figure) -> None:
        extra = f"  p50 {figure.p50_ms:.2f} ms" if figure.p50_ms is not None else ""
        extra += f"  p99 {figure.p99_ms:.2f} ms" if figure.p99_ms is not None else ""
        extra += f"  vs yardstick {figure.ratio}" if figure.ratio else ""
        met = {True: "[green]met[/green]", False: "[red]not met[/red]", None: ""}[figure.met]
        self.progress.console.print(
            f"[bold]{figure.what}[/bold]: {figure.value}{extra}  {figure.target} {met}"
        )


def planned_steps(chosen: set[str], options: phases.Options) -> int:
    steps = 2 + (options.incremental_rounds if "sync" in chosen else 0)
    steps += options.runs + len(options.concurrencies) - 1 if "cached" in chosen else 0
    steps += 3 if "uncached" in chosen else 0
    steps += 5 if "writes" in chosen else 0
    return steps + 1


async def run(chosen: set[str], options: phases.Options, logs: Path) -> phases.Record:
    record = phases.Record()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        steps = Steps(progress, planned_steps(chosen, options))
        steps.step(f"starting the ERP emulator with {options.items:,} items and a scratch database")
        async with deployment(
            options.items,
            logs,
            # The benchmark's own ERP answers at once: these figures are Storefront's, not Zoho's pace.
            zoho_requests_per_minute="1000000",
            # Every URL of the uncached mix is computed and stored, never refused storage (bypass).
            cache_max_entries_overrides=STORE_EVERY_LIST,
        ) as running:
            steps.step("starting `storefront serve` (granian, one worker)")
            await running.start_api()
            if "sync" in chosen:
                await phases.syncs(running, options, record, steps)
            else:
                options.incremental_rounds = 0
                await phases.syncs(running, options, record, steps)
            yardstick = phases.Yardstick(running.base_env)
            try:
                if "cached" in chosen:
                    await phases.cached_reads(running, yardstick, options, record, steps)
                if "uncached" in chosen:
                    await phases.uncached_reads(running, yardstick, options, record, steps)
                if "writes" in chosen:
                    steps.step(f"the yardstick, {options.clients} clients of the writes' load generator")
                    ceiling = (await phases.closed_loop_yardstick(yardstick, options)).rate
                    record.notes.append(
                        f"Quotes and orders are compared with the yardstick driven by the same {options.clients} "
                        f"clients (bare keep-alive HTTP/1.1 connections): {ceiling:,.0f} req/s."
                    )
                    await phases.quotes(running, ceiling, options, record, steps)
                    await phases.orders(running, ceiling, options, record, steps)
            finally:
                yardstick.stop()
        steps.step("done")
    return record


def summary(record: phases.Record) -> None:
    table = Table(title="Storefront benchmarks")
    for column in ("What", "Median", "p50 ms", "p99 ms", "vs yardstick", "Target"):
        table.add_column(column)
    for f in record.figures:
        met = {True: " met", False: " NOT MET", None: ""}[f.met] if f.target else ""
        table.add_row(
            f.what,
            f.value,
            "" if f.p50_ms is None else f"{f.p50_ms:.2f}",
            "" if f.p99_ms is None else f"{f.p99_ms:.2f}",
            f.ratio,
            f.target + met,
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="storefront bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(PHASES), help=f"phases to run, of {', '.join(PHASES)}")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per cached read (median)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each wrk run at -c64")
    parser.add_argument("--write-seconds", type=float, default=10.0, help="seconds of quotes and of orders")
    parser.add_argument("--incremental-rounds", type=int, default=3)
    parser.add_argument(
        "--output", type=Path, default=None, help="the page to write (default: docs/benchmarks.md)"
    )
    args = parser.parse_args()
    chosen = {phase.strip() for phase in args.only.split(",") if phase.strip()}
    unknown = chosen - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    if shutil.which("wrk") is None and "cached" in chosen:
        sys.exit("wrk is missing: install it with `apt-get install -y wrk` (Debian package `wrk`)")
    options = phases.Options(
        items=args.items,
        runs=args.runs,
        duration=args.duration,
        write_seconds=args.write_seconds,
        incremental_rounds=args.incremental_rounds,
    )
    output = args.output or (ROOT / "docs" / "benchmarks.md" if chosen == set(PHASES) else None)
    load = os.getloadavg()
    began = time.monotonic()
    logs = Path(tempfile.mkdtemp(prefix="storefront-bench-")) / "processes.log"
    console.print(f"Process output: {logs}")
    record = asyncio.run(run(chosen, options, logs))
    took = time.monotonic() - began
    summary(record)
    console.print(f"{took / 60:.1f} minutes; yardstick {yardstick_label()}")
    if output is not None:
        if record.curves:
            plot(record.curves, output.parent / PLOT)
        write_page(output, generated(record, options, yardstick_label(), load, took))
        console.print(f"Wrote {output}" + (f" and {output.parent / PLOT}" if record.curves else ""))
        if output == ROOT / "docs" / "benchmarks.md" and write_headline(ROOT / "README.md", record.figures):
            console.print("Wrote the headline row in README.md")


if __name__ == "__main__":
    main()
