"""What every supplier-domain aggregate shares: pending domain events and a version."""

from __future__ import annotations

from datetime import UTC, datetime

from tandem_kit.aggregate import EventSource as KitEventSource


def now() -> datetime:
    return datetime.now(UTC)


class EventSource(KitEventSource):
    """A supplier-domain aggregate: raised events, a version and an update time."""

    version: int
    updated_at: datetime

    def _touch(self, at: datetime | None = None) -> None:
        self.version += 1
        self.updated_at = at or now()
