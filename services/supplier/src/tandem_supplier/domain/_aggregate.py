"""What every supplier-domain aggregate shares: pending domain events and a version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def now() -> datetime:
    return datetime.now(UTC)


class EventSource:
    """Mixin: collects the domain events an aggregate raised until the unit of work pulls them."""

    version: int
    updated_at: datetime

    @property
    def _events(self) -> list[Any]:
        # Loaded objects skip __init__; keep the event list lazily in the instance dict.
        return self.__dict__.setdefault("_pending_events", [])

    def pull_events(self) -> list[Any]:
        pending = list(self._events)
        self._events.clear()
        return pending

    def _touch(self, at: datetime | None = None) -> None:
        self.version += 1
        self.updated_at = at or now()
