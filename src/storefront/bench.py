"""`storefront bench`: the benchmark suite of the clone this package is installed from.

The suite lives in the repository's benchmarks/ (it is not shipped in the package); this runs it
with the same interpreter, from the repository's root, passing the arguments through.
"""

import subprocess
import sys
from pathlib import Path

# src/storefront/bench.py -> the repository's root, for an installation from a clone (`make install`).
REPOSITORY = Path(__file__).resolve().parents[2]
SUITE = REPOSITORY / "benchmarks" / "suite"


def run_bench(arguments: list[str]) -> int:
    if not (SUITE / "__main__.py").is_file():
        print(
            "storefront bench runs the benchmarks of a clone of the repository (benchmarks/suite); "
            "this installation has none: clone the repository and run `make bench` there",
            file=sys.stderr,
        )
        return 2
    # The arguments go to the suite's own parser; no shell is involved.
    return subprocess.call([sys.executable, "-m", "benchmarks.suite", *arguments], cwd=REPOSITORY)  # noqa: S603
