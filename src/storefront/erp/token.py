"""The Zoho access token: one per process, or one per cluster through Redis, refreshed before it expires.

Zoho allows ten token requests per ten minutes per refresh token and then blocks for a while, so
a refresh happens only under a lock, only when the cached token is near its end or was refused,
and a throttle answer stops every refresh attempt until the block is over.
"""

import asyncio
import hashlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from storefront.erp.errors import ErpAuthError, ErpTokenThrottled, ErpUnavailable
from storefront.logging import get_logger

log = get_logger(__name__)

_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_FORGET_SHARED = """
local cached = redis.call('GET', KEYS[1])
if cached and cjson.decode(cached)['value'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class AccessToken:
    value: str
    refresh_at: float  # epoch seconds: from here on, get a new one
    expires_at: float
    api_domain: str | None = None

    def fresh(self, now: float) -> bool:
        return now < self.refresh_at

    def dumps(self) -> bytes:
        return orjson.dumps(
            {
                "value": self.value,
                "refresh_at": self.refresh_at,
                "expires_at": self.expires_at,
                "api_domain": self.api_domain,
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> "AccessToken":
        data = orjson.loads(raw)
        return cls(
            data["value"], float(data["refresh_at"]), float(data["expires_at"]), data.get("api_domain")
        )


@dataclass(frozen=True, slots=True)
class OAuthCredentials:
    accounts_url: str
    client_id: str
    client_secret: str
    refresh_token: str

    def identity(self) -> str:
        """A stable, non-reversible name for these credentials (Redis keys)."""
        material = f"{self.accounts_url}|{self.client_id}|{self.refresh_token}".encode()
        return hashlib.sha256(material).hexdigest()[:24]


class TokenProvider:
    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: OAuthCredentials,
        *,
        redis: Redis | None = None,
        key_prefix: str = "storefront",
        refresh_margin: float = 300.0,
        throttle_cooldown: float = 600.0,
        lock_ttl: float = 15.0,
        counters: Counter[str] | None = None,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._redis = redis
        self._refresh_margin = refresh_margin
        self._throttle_cooldown = throttle_cooldown
        self._lock_ttl = lock_ttl
        self._lock = asyncio.Lock()
        self._token: AccessToken | None = None
        self._blocked_until = 0.0
        self.counters: Counter[str] = counters if counters is not None else Counter()
        base = f"{key_prefix}:zoho:{credentials.identity()}"
        self._token_key = f"{base}:token"
        self._lock_key = f"{base}:token-lock"
        self._block_key = f"{base}:token-blocked"

    @property
    def api_domain(self) -> str | None:
        return self._token.api_domain if self._token else None

    async def get(self) -> str:
        token = self._token
        if token is not None and token.fresh(time.time()):
            return token.value
        async with self._lock:
            token = self._token
            if token is not None and token.fresh(time.time()):
                return token.value
            token = await (self._shared_refresh() if self._redis is not None else self._local_refresh())
            self._token = token
            return token.value

    async def invalidate(self, value: str) -> None:
        """The API refused this token: forget it here and, if it is still the shared one, in Redis."""
        if self._token is not None and self._token.value == value:
            self._token = None
        if self._redis is not None:
            try:
                await self._redis.eval(_FORGET_SHARED, 1, self._token_key, value)
            except RedisError:
                log.warning("zoho_token_redis_unavailable", action="invalidate")

    async def _local_refresh(self) -> AccessToken:
        self._raise_if_blocked(self._blocked_until)
        return await self._request_token()

    async def _shared_refresh(self) -> AccessToken:
        assert self._redis is not None
        redis = self._redis
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + self._lock_ttl * 2
        try:
            while True:
                cached = await redis.get(self._token_key)
                if cached is not None:
                    token = AccessToken.loads(cached)
                    if token.fresh(time.time()):
                        return token
                blocked_ms = await redis.pttl(self._block_key)
                if blocked_ms > 0:
                    self._raise_if_blocked(time.time() + blocked_ms / 1000)
                if await redis.set(self._lock_key, owner, nx=True, px=int(self._lock_ttl * 1000)):
                    try:
                        return await self._refresh_holding_lock(redis)
                    finally:
                        await redis.eval(_RELEASE_LOCK, 1, self._lock_key, owner)
                if time.monotonic() > deadline:
                    raise ErpUnavailable("timed out waiting for another process to refresh the ERP token")
                await asyncio.sleep(0.05)
        except RedisError:
            log.warning("zoho_token_redis_unavailable", action="refresh", fallback="process")
            return await self._local_refresh()

    async def _refresh_holding_lock(self, redis: Redis) -> AccessToken:
        cached = await redis.get(self._token_key)
        if cached is not None:
            token = AccessToken.loads(cached)
            if token.fresh(time.time()):
                return token
        try:
            token = await self._request_token()
        except ErpTokenThrottled as exc:
            await redis.set(self._block_key, b"1", px=max(int(exc.retry_after * 1000), 1))
            raise
        ttl_ms = int((token.expires_at - time.time()) * 1000)
        if ttl_ms > 0:
            await redis.set(self._token_key, token.dumps(), px=ttl_ms)
        return token

    def _raise_if_blocked(self, blocked_until: float) -> None:
        wait = blocked_until - time.time()
        if wait > 0:
            self.counters["token_throttled"] += 1
            raise ErpTokenThrottled(
                f"the ERP refuses new access tokens for now (too many refreshes); retry in {wait:.0f} s",
                retry_after=wait,
            )

    async def _request_token(self) -> AccessToken:
        credentials = self._credentials
        form = {
            "grant_type": "refresh_token",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "refresh_token": credentials.refresh_token,
        }
        self.counters["token_refresh"] += 1
        started = time.time()
        try:
            response = await self._http.post(
                credentials.accounts_url.rstrip("/") + "/oauth/v2/token", data=form
            )
        except httpx.TransportError as exc:
            self.counters["token_refresh_failed"] += 1
            raise ErpUnavailable(f"the ERP accounts server is unreachable ({type(exc).__name__})") from None
        body = _json_object(response)
        if response.status_code >= 500 or body is None:
            self.counters["token_refresh_failed"] += 1
            raise ErpUnavailable(
                "the ERP accounts server did not answer properly", status=response.status_code
            )
        error = body.get("error")
        if error:
            self.counters["token_refresh_failed"] += 1
            description = str(body.get("error_description") or "")
            if error == "Access Denied" or "too many requests" in description.lower():
                self._blocked_until = time.time() + self._throttle_cooldown
                log.warning("zoho_token_throttled", cooldown_seconds=self._throttle_cooldown)
                raise ErpTokenThrottled(
                    "the ERP refused a new access token: too many token requests",
                    retry_after=self._throttle_cooldown,
                )
            log.error("zoho_token_refused", error=str(error)[:80])
            raise ErpAuthError(
                f"the ERP refused the credentials ({str(error)[:80]})", status=response.status_code
            )
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            self.counters["token_refresh_failed"] += 1
            raise ErpAuthError("the ERP token answer has no access token", status=response.status_code)
        lifetime = _seconds(body.get("expires_in", body.get("expires_in_sec")), default=3600.0)
        margin = min(self._refresh_margin, lifetime / 2)
        api_domain = body.get("api_domain")
        log.info("zoho_token_refreshed", lifetime_seconds=lifetime)
        return AccessToken(
            value=value,
            refresh_at=started + lifetime - margin,
            expires_at=started + lifetime,
            api_domain=api_domain if isinstance(api_domain, str) else None,
        )


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def _seconds(value: Any, *, default: float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default
