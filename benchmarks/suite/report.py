"""docs/benchmarks.md and its plot, from one run's record.

The page's table lies between two markers; what is outside them (the scripts with a pass/fail
line, written by hand) is kept when the table is written again.
"""

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness.processes import ROOT
from benchmarks.suite.figures import Curve, Figure
from benchmarks.suite.phases import Options, Record

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
# The README's headline row, written by the same run.
HEADLINE_BEGIN, HEADLINE_END = "<!-- bench:headline:begin -->", "<!-- bench:headline:end -->"
HEADLINE = "cached-list"
PLOT = "benchmarks-latency.png"
COMMANDS = {
    "sync": "make bench ONLY=sync",
    "cached": "make bench ONLY=cached",
    "uncached": "make bench ONLY=uncached",
    "writes": "make bench ONLY=writes",
    "orders": "make bench ONLY=writes",
}


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def verdict(figure: Figure) -> str:
    if not figure.target:
        return ""
    mark = {True: " (met)", False: " (not met)", None: ""}[figure.met]
    return figure.target + mark


def table(figures: list[Figure]) -> list[str]:
    lines = [
        "| What | Median | p50 ms | p99 ms | vs yardstick | Target | Limits | Reproduce |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for f in figures:
        what = f.what + (f" ({'; '.join(f.notes)})" if f.notes else "")
        lines.append(
            f"| {what} | {f.value} | {cell(f.p50_ms)} | {cell(f.p99_ms)} | {f.ratio} | {verdict(f)} "
            f"| {f.limits} | `{COMMANDS.get(f.phase, 'make bench')}` |"
        )
    return lines


def generated(
    record: Record, options: Options, yardstick: str, load: tuple[float, float, float], took: float
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        f"Measured by `make bench` on {when} at commit `{commit()}`: {os.cpu_count()} cores "
        f"({platform.machine()}), load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} when it began "
        f"(other work shares this machine, so each ratio is taken against the yardstick measured in the "
        f"same run), {took / 60:.1f} minutes. Yardstick: `{yardstick}` on granian, one worker.",
        "",
        f"Set-up: a scratch PostgreSQL database and Redis key prefix; the ERP emulator in its own process "
        f"with {options.items:,} demo items; the catalog synced through the real Zoho client; "
        f"`storefront serve` (granian, one worker, Redis cache). Medians of {options.runs} wrk runs of "
        f"{options.duration:g} s for cached reads; every uncached URL asked once; "
        f"{options.write_seconds:g} s of quotes and orders after {options.warmup:g} s of warm-up.",
        "",
        *table(record.figures),
        "",
        f"![Latency against concurrency, cached reads and the yardstick]({PLOT})",
        "",
        *[f"- {note}" for note in record.notes],
        END,
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def replace_between(text: str, begin: str, end: str, body: str) -> str | None:
    """`text` with what lies between the markers replaced by `body` (markers included); None without them."""
    if begin not in text or end not in text:
        return None
    head, rest = text.split(begin, 1)
    return head + body.rstrip("\n") + rest.split(end, 1)[1]


def write_page(page: Path, body: str) -> None:
    written = replace_between(page.read_text(), BEGIN, END, body) if page.exists() else None
    page.write_text(written if written is not None else "# Benchmarks\n\n" + body)


def write_headline(readme: Path, figures: list[Figure]) -> bool:
    """The headline row in the README, between its markers; False when the README has none."""
    chosen = [f for f in figures if f.key == HEADLINE]
    if not chosen or not readme.exists():
        return False
    f = chosen[0]
    row = [
        HEADLINE_BEGIN,
        "| What | Median | p50 ms | p99 ms | vs yardstick | Target |",
        "|---|---:|---:|---:|---:|---|",
        f"| {f.what} | {f.value} | {cell(f.p50_ms)} | {cell(f.p99_ms)} | {f.ratio} | {verdict(f)} |",
        HEADLINE_END,
    ]
    written = replace_between(readme.read_text(), HEADLINE_BEGIN, HEADLINE_END, "\n".join(row))
    if written is None:
        return False
    readme.write_text(written)
    return True


def plot(curves: list[Curve], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (p50_axes, p99_axes) = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for curve in curves:
        levels = sorted(curve.points)
        p50_axes.plot(levels, [curve.points[c][1] for c in levels], marker="o", label=curve.label)
        p99_axes.plot(levels, [curve.points[c][2] for c in levels], marker="o", label=curve.label)
    levels = sorted({c for curve in curves for c in curve.points})
    for axes, title in ((p50_axes, "p50 latency"), (p99_axes, "p99 latency")):
        axes.set_xscale("log", base=2)
        axes.set_xticks(levels, [str(c) for c in levels])
        axes.set_yscale("log")
        axes.set_xlabel("concurrent connections (wrk -t1)")
        axes.set_ylabel("ms")
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
    p50_axes.legend()
    figure.suptitle("Cached reads and the yardstick, granian one worker, Redis cache")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
