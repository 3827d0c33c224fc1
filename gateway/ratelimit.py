"""Request rate limits: one token bucket per caller, in this process's memory.

Buckets live in memory, so each `lngate serve` process limits on its own: N processes behind one
address allow up to N times the configured rate. Callers are keyed by whoever the dialect layer
says they are (a credential id after authentication, else the client address).
"""
from __future__ import annotations

import math
import time
from typing import Callable

MAX_BUCKETS = 100_000  # past this, buckets that have refilled completely are forgotten


class RateLimiter:
    def __init__(self, per_minute: int, burst: int = 0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.capacity = float(burst or per_minute)
        self.refill_per_second = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def take(self, key: str) -> float:
        """Spend one token of `key`'s bucket: 0.0 if allowed, else seconds until one is back."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        tokens, updated = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - updated) * self.refill_per_second)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.refill_per_second

    @staticmethod
    def retry_after(wait: float) -> int:
        return max(1, math.ceil(wait))

    def _forget_full(self, now: float) -> None:
        full = [k for k, (tokens, updated) in self._buckets.items()
                if tokens + (now - updated) * self.refill_per_second >= self.capacity]
        for key in full:
            del self._buckets[key]
