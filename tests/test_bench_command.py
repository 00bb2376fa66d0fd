"""`storefront bench`: the clone's benchmark suite behind one command, and the page it writes."""

import subprocess
import sys
from pathlib import Path

from benchmarks.suite.figures import Figure
from benchmarks.suite.report import BEGIN, END, HEADLINE_BEGIN, HEADLINE_END, write_headline, write_page


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storefront", "bench", *args], capture_output=True, text=True, timeout=120
    )


def test_storefront_bench_runs_the_suite_of_the_clone() -> None:
    shown = bench("--help")
    assert shown.returncode == 0, shown.stderr
    assert "--only" in shown.stdout
    assert "docs/benchmarks.md" in shown.stdout


def test_an_unknown_phase_is_refused_before_anything_runs() -> None:
    refused = bench("--only", "cached,nothing")
    assert refused.returncode == 2
    assert "unknown phases: nothing" in refused.stderr


def test_the_page_is_written_between_its_markers_and_the_rest_is_kept(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(f"# Benchmarks\n\nWhy.\n\n{BEGIN}\nold table\n{END}\n\n## Burst\n\nBy hand.\n")
    write_page(page, f"{BEGIN}\nnew table\n{END}\n")
    text = page.read_text()
    assert "old table" not in text
    assert f"Why.\n\n{BEGIN}\nnew table\n{END}\n\n## Burst\n\nBy hand.\n" in text


def test_a_page_without_markers_is_written_whole(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    write_page(page, f"{BEGIN}\ntable\n{END}\n")
    assert page.read_text() == f"# Benchmarks\n\n{BEGIN}\ntable\n{END}\n"


def test_the_readme_gets_the_headline_row_between_its_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# S\n\n{HEADLINE_BEGIN}\nold row\n{HEADLINE_END}\n\nMore.\n")
    figure = Figure(
        "cached-list",
        "Cached product list",
        "19,494 req/s",
        2.54,
        100.3,
        "0.53",
        "0.8 of the yardstick",
        False,
    )
    assert write_headline(readme, [Figure("rss", "Peak RSS", "297 MB"), figure])
    text = readme.read_text()
    assert "old row" not in text
    assert (
        "| Cached product list | 19,494 req/s | 2.54 | 100.3 | 0.53 | 0.8 of the yardstick (not met) |"
        in text
    )
    assert text.endswith(f"{HEADLINE_END}\n\nMore.\n")
    assert not write_headline(tmp_path / "missing.md", [figure])
