"""Stock figures as Zoho writes them: numbers, strings, blanks or negatives."""

import math
from typing import Any


def parse_quantity(value: Any) -> int:
    """Stock figures arrive as numbers, strings, blanks or negatives; fractions round down."""
    if value is None or isinstance(value, bool):
        return 0
    try:
        number = float(str(value).replace(",", "").strip() or 0)
    except ValueError:
        return 0
    if not math.isfinite(number):
        return 0
    return math.floor(number)
