"""What every aggregate shares: pending domain events and a version for optimistic locking."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


class Aggregate:
    """Mixin: events kept lazily in the instance dict (loaded objects skip __init__)."""

    version: int
    updated_at: datetime

    @property
    def _events(self) -> list[Any]:
        return self.__dict__.setdefault("_pending_events", [])

    def pull_events(self) -> list[Any]:
        pending = list(self._events)
        self._events.clear()
        return pending

    def _record(self, event: Any, *, now: datetime | None = None, bump: bool = True) -> None:
        if bump:
            self.version += 1
            self.updated_at = now or utcnow()
        self._events.append(event)
