"""What every customer-service aggregate shares: pending domain events, version, clock."""

from __future__ import annotations

from datetime import UTC, datetime

from tandem_kit.aggregate import EventSource as KitEventSource


def now() -> datetime:
    return datetime.now(UTC)


class EventSource(KitEventSource):
    """A customer-service aggregate: raised events, a version and an update time."""

    version: int
    updated_at: datetime

    def _touch(self, at: datetime | None = None) -> None:
        self.version += 1
        self.updated_at = at or now()


def allowed_from(transitions: dict[str, tuple[frozenset, object]], status: object) -> list[str]:
    """The actions a state machine allows from ``status`` (sorted, for 409 bodies)."""
    return sorted(a for a, (sources, _) in transitions.items() if status in sources)
