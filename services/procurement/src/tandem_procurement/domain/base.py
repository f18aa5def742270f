"""What every aggregate shares: pending domain events and a version for optimistic locking."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tandem_kit.aggregate import EventSource


def utcnow() -> datetime:
    return datetime.now(UTC)


class Aggregate(EventSource):
    """Mixin: events kept lazily in the instance dict (loaded objects skip __init__)."""

    version: int
    updated_at: datetime

    def pull_events(self) -> list[Any]:
        """Events raised since the last pull; repeats collapse, since each publishes the state
        the aggregate has at commit (two changes in one command are one new state)."""
        pending: list[Any] = []
        for event in self._events:
            if event not in pending:
                pending.append(event)
        self._events.clear()
        return pending

    def _record(self, event: Any, *, now: datetime | None = None, bump: bool = True) -> None:
        if bump:
            self.version += 1
            self.updated_at = now or utcnow()
        self._events.append(event)
