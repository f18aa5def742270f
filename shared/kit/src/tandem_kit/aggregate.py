"""The part of a domain aggregate every service shares: the events it raised, kept for the unit
of work. Pure Python, like ``errors``: domain modules may use it without any framework."""

from __future__ import annotations

from typing import Any


class EventSource:
    """Collects the domain events an aggregate raised until the unit of work pulls them."""

    @property
    def _events(self) -> list[Any]:
        # Objects loaded by the ORM skip __init__: keep the list lazily in the instance dict.
        return self.__dict__.setdefault("_pending_events", [])

    def pull_events(self) -> list[Any]:
        pending = list(self._events)
        self._events.clear()
        return pending
