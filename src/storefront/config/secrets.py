"""How a secret left empty reads: as no secret at all."""

from typing import Any

from pydantic import SecretStr


def blank_is_unset(value: Any) -> Any:
    """A secret set to nothing (`VAR=`, or `${VAR}` left empty by a compose file) is no secret."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        return value.strip() or None
    return value
