"""`storefront serve` refuses several workers without a shared cache."""

import os
import subprocess
import sys
from pathlib import Path

STOREFRONT = Path(sys.executable).parent / "storefront"


def test_several_workers_without_redis_are_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREFRONT_")}
    env["STOREFRONT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    env["STOREFRONT_ERP"] = "emulator"
    result = subprocess.run(
        [str(STOREFRONT), "serve", "--workers", "2", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "STOREFRONT_REDIS_URL" in result.stderr
