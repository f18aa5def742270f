"""What every sales aggregate shares: pending domain events, version and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tandem_kit.aggregate import EventSource

MONEY_STEP = Decimal("0.0001")


def now() -> datetime:
    return datetime.now(UTC)


def money(value: Decimal) -> Decimal:
    """Amounts are kept to four decimal places, rounded half up (the column's precision)."""
    return value.quantize(MONEY_STEP, rounding=ROUND_HALF_UP)


class Aggregate(EventSource):
    """Mixin for dataclass aggregates: records domain events for the unit of work."""

    version: int
    updated_at: datetime

    def _changed(self, event: Any) -> None:
        self.version += 1
        self.updated_at = now()
        self._events.append(event)


def normal(amount: Decimal) -> Decimal:
    """One spelling for an amount wherever it is shown: two places unless more are there
    (what the database's Money column returns too)."""
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount.normalize()


def show(amount: Decimal) -> str:
    return format(normal(amount), "f")
