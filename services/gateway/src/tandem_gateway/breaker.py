"""Circuit breakers per service: stop waiting on a service that keeps failing.

After ``threshold`` failures in a row (timeouts, refused connections, 5xx; the proxy counts a
503 with Retry-After, a service's answer that it is busy, as an answer) calls to that service
fail at once for ``open_s`` seconds; then one call is let through, and its outcome closes the
circuit or opens it again. A stopped or hanging service then costs callers nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Gauge

CIRCUIT_OPEN = Gauge(
    "tandem_gateway_circuit_open", "1 while calls to the service are paused", ["service"]
)


@dataclass
class _State:
    failures: int = 0
    open_until: float = 0.0
    probing: bool = False


class Breakers:
    def __init__(
        self, threshold: int, open_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.open_s = open_s
        self._clock = clock
        self._states: dict[str, _State] = {}

    def refusal(self, service: str) -> str | None:
        """None when a call may go ahead, else why it may not."""
        state = self._states.setdefault(service, _State())
        if state.failures < self.threshold:
            return None
        now = self._clock()
        if now < state.open_until:
            wait = state.open_until - now
            return (
                f"the {service} service failed {state.failures} times in a row; "
                f"calls paused for another {wait:.1f}s"
            )
        if state.probing:
            return f"the {service} service failed {state.failures} times in a row; probing it"
        state.probing = True  # half open: this one call decides
        return None

    def succeeded(self, service: str) -> None:
        self._states[service] = _State()
        CIRCUIT_OPEN.labels(service).set(0)

    def failed(self, service: str) -> None:
        state = self._states.setdefault(service, _State())
        state.failures += 1
        state.probing = False
        if state.failures >= self.threshold:
            state.open_until = self._clock() + self.open_s
            CIRCUIT_OPEN.labels(service).set(1)
