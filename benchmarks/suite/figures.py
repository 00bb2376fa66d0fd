"""One row of docs/benchmarks.md: a figure, how it compares with the yardstick and its target,
the command that reproduces it and the limits it holds under."""

from dataclasses import dataclass, field


@dataclass
class Figure:
    key: str
    what: str
    # The headline value, already formatted with its unit ("22,769 req/s", "4.2 ms", "11.8 s").
    value: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    # Storefront against the yardstick: req/s over req/s ("0.66"), or p50 over p50 ("10.5x").
    ratio: str = ""
    target: str = ""
    met: bool | None = None
    limits: str = ""
    phase: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Curve:
    """Latency against concurrency for one target (the plot)."""

    label: str
    points: dict[int, tuple[float, float, float]] = field(default_factory=dict)  # c -> (req/s, p50, p99)


def rate(value: float, unit: str = "req/s") -> str:
    return f"{value:,.0f} {unit}"


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def seconds(value: float) -> str:
    return f"{value:.2f} s"
