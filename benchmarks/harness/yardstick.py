"""The yardstick: a bare ASGI app answering pre-encoded bytes, the most requests per second this
machine gives in Python at that moment. Figures are quoted as ratios to it, measured in the same
run, on the same server, by the same client.

The project's yardstick is ../shared/yardsticks/ceiling_app.py beside the clone (or the directory
STOREFRONT_YARDSTICK_DIR names); a clone without it uses the same app shipped here,
benchmarks/yardstick/ceiling_app.py, which answers the same bytes.
"""

import os
from pathlib import Path

from benchmarks.harness.processes import ROOT

SHARED_DIR = Path(os.environ.get("STOREFRONT_YARDSTICK_DIR", ROOT.parent / "shared" / "yardsticks"))
SHIPPED_DIR = ROOT / "benchmarks" / "yardstick"
TARGET = "ceiling_app:app"


def yardstick_dir() -> Path:
    return SHARED_DIR if (SHARED_DIR / "ceiling_app.py").is_file() else SHIPPED_DIR


def yardstick_label() -> str:
    """Which yardstick a run used, as the page quotes it."""
    directory = yardstick_dir()
    if directory == SHIPPED_DIR:
        return "benchmarks/yardstick/ceiling_app.py"
    if directory == ROOT.parent / "shared" / "yardsticks":
        return "../shared/yardsticks/ceiling_app.py"
    return str(directory / "ceiling_app.py")
