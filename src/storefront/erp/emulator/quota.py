"""Zoho's three limits per organisation: calls a minute (44), calls a day (45), calls at once (1070).

The daily quota is what the X-Rate-Limit-* headers describe: the day's size, what is left of it,
and the whole seconds until it resets (at a UTC time of day, or a set period after the quota's
day began). A refused call spends nothing.
"""

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storefront.erp.emulator.state import EmulatorConfig

PER_MINUTE_CODE = 44
DAILY_CODE = 45
CONCURRENCY_CODE = 1070
MESSAGES = {
    PER_MINUTE_CODE: "You have exceeded the maximum number of API calls per minute for this organization.",
    DAILY_CODE: "You have reached the maximum number of API calls allowed for a day for this organization.",
    CONCURRENCY_CODE: "You have exceeded the maximum number of concurrent API calls for this organization.",
}


@dataclass
class _Day:
    began: float
    used: int = 0


@dataclass
class Quotas:
    minute: dict[str, deque[float]] = field(default_factory=dict)
    days: dict[str, _Day] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    _started: float = 0.0

    def reset(self, wall: float) -> None:
        self.minute.clear()
        self.days.clear()
        self.in_flight.clear()
        self._started = wall

    def admit(
        self, config: "EmulatorConfig", organization_id: str, monotonic: float, wall: float
    ) -> int | None:
        """Count one call in, or the code of the limit that refuses it (the call then spends nothing)."""
        if 0 < config.concurrent_call_limit <= self.in_flight.get(organization_id, 0):
            return CONCURRENCY_CODE
        day = self._day(config, organization_id, wall)
        if 0 < config.daily_quota <= day.used:
            return DAILY_CODE
        window = self.minute.setdefault(organization_id, deque())
        while window and window[0] <= monotonic - 60.0:
            window.popleft()
        if 0 < config.rate_limit_per_minute <= len(window):
            return PER_MINUTE_CODE
        if config.rate_limit_per_minute > 0:
            window.append(monotonic)
        day.used += 1
        self.in_flight[organization_id] = self.in_flight.get(organization_id, 0) + 1
        return None

    def release(self, organization_id: str) -> None:
        self.in_flight[organization_id] = max(0, self.in_flight.get(organization_id, 0) - 1)

    def spend(self, config: "EmulatorConfig", organization_id: str, calls: int, wall: float) -> None:
        day = self._day(config, organization_id, wall)
        day.used = max(0, day.used + calls)

    def restart_day(self, organization_id: str, wall: float) -> None:
        self.days[organization_id] = _Day(began=wall)

    def headers(self, config: "EmulatorConfig", organization_id: str, wall: float) -> dict[str, str]:
        if config.daily_quota <= 0:
            return {}
        status = self.status(config, organization_id, wall)
        return {
            "X-Rate-Limit-Limit": str(status["daily_quota"]),
            "X-Rate-Limit-Remaining": str(status["remaining"]),
            "X-Rate-Limit-Reset": str(status["reset_in_seconds"]),
        }

    def status(self, config: "EmulatorConfig", organization_id: str, wall: float) -> dict[str, Any]:
        day = self._day(config, organization_id, wall)
        return {
            "daily_quota": config.daily_quota,
            "used": day.used,
            "remaining": max(0, config.daily_quota - day.used) if config.daily_quota > 0 else None,
            "reset_in_seconds": max(0, math.ceil(_reset_at(config, day.began) - wall)),
            "in_flight": self.in_flight.get(organization_id, 0),
        }

    def _day(self, config: "EmulatorConfig", organization_id: str, wall: float) -> _Day:
        day = self.days.get(organization_id)
        if day is None:
            day = self.days[organization_id] = _Day(began=min(self._started or wall, wall))
        if wall >= _reset_at(config, day.began):
            day.began = wall
            day.used = 0
        return day


def _reset_at(config: "EmulatorConfig", began: float) -> float:
    if config.daily_quota_period_seconds > 0:
        return began + config.daily_quota_period_seconds
    hour, minute = (int(part) for part in config.daily_quota_reset_time.split(":"))
    start = datetime.fromtimestamp(began, UTC)
    moment = start.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment <= start:
        moment += timedelta(days=1)
    return moment.timestamp()
