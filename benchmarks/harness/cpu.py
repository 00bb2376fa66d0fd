"""Where the CPU goes: seconds of CPU used by groups of processes, and by the whole machine."""

import os
from collections.abc import Iterable
from pathlib import Path

from benchmarks.harness.processes import descendants

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process, in seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu_seconds(pids: Iterable[int]) -> float:
    return sum(cpu_seconds(member) for pid in pids for member in (pid, *descendants(pid)))


def named(command: str) -> list[int]:
    """Processes whose command name is `command` (postgres, redis-server)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the machine since boot, over all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK
