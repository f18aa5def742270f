"""Token buckets per client: a token's subject, else the client's address.

Buckets live in this process; with several gateway replicas each enforces its own share, so
set the rate per replica. The oldest idle buckets are dropped past ``max_clients``.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after_s: int


class TokenBuckets:
    """``rate`` tokens a second refill each client's bucket, up to ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: int,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, client: str) -> Decision:
        now = self._clock()
        bucket = self._buckets.pop(client, None)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), stamp=now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
        self._buckets[client] = bucket  # most recently used last
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Decision(True, int(bucket.tokens), 0)
        wait = (1 - bucket.tokens) / self.rate
        return Decision(False, 0, max(1, math.ceil(wait)))
