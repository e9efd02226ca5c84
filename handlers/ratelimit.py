"""Per-user token bucket: a flood from one person is slowed down; nobody else notices."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_TRACKED = 50_000  # bound the memory a flood of distinct senders can take


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    warned: bool = False


class RateLimiter:
    def __init__(self, burst: int, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = max(1, burst)
        self.rate = max(1, per_minute) / 60.0
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str) -> tuple[bool, bool]:
        """(allowed, warn): warn is True once per flood, so the polite message is not itself a flood."""
        now = self.clock()
        b = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        b.tokens = min(self.burst, b.tokens + (now - b.stamp) * self.rate)
        b.stamp = now
        self._buckets[key] = b
        if len(self._buckets) > MAX_TRACKED:
            self._buckets.popitem(last=False)
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            b.warned = False
            return True, False
        warn = not b.warned
        b.warned = True
        return False, warn
