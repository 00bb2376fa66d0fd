"""Query values in the one form the endpoints compute with (and cache keys are made of)."""


def normalise_search(text: str) -> str:
    """Search text trimmed, each run of whitespace one space: `" tea   green "` is `"tea green"`."""
    return " ".join(text.split())
