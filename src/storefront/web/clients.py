"""Who is asking: the address a rate limit or a throttle counts against.

The address is the connection's peer. Behind proxies listed in STOREFRONT_TRUSTED_PROXIES, the
application's proxy-header middleware (uvicorn's, in every server) has already replaced it with the client that the nearest
trusted proxy saw (X-Forwarded-For), and the scheme with X-Forwarded-Proto; from anyone else
those headers are ignored.
"""

from starlette.types import Scope

UNKNOWN_CLIENT = "unknown"


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else UNKNOWN_CLIENT
