"""The scorecard aggregate: the latest score of one supplier, its standing and explanation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tandem_supplier.domain import events
from tandem_supplier.domain._aggregate import EventSource, now
from tandem_supplier.domain.scoring import STANDING_EFFECTS, ScoreResult


@dataclass(eq=False)
class Scorecard(EventSource):
    supplier_id: uuid.UUID
    score: Decimal | None = None
    standing: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    criteria: list[dict[str, Any]] = field(default_factory=list)
    evidence_as_of: datetime | None = None
    basis: int = 0
    computed_at: datetime = field(default_factory=now)
    version: int = 0
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def effect(self) -> str | None:
        return STANDING_EFFECTS.get(self.standing) if self.standing else None

    def _is_newer_than(self, result: ScoreResult) -> bool:
        return self.version > 0 and result.basis < self.basis

    def record(self, result: ScoreResult, at: datetime | None = None) -> bool:
        """Take a newly computed result; raises events only when something changed.

        A result computed from fewer facts than the one held (a smaller basis) is ignored, so a
        replay of the stream from an earlier point cannot move the scorecard backwards.
        """
        if self._is_newer_than(result):
            return False
        same = (
            self.version > 0
            and self.score == result.score
            and self.standing == result.standing
            and self.period_start == result.period_start
            and self.period_end == result.period_end
            and self.criteria == result.criteria
        )
        if same:
            return False
        previous = self.standing
        self.score, self.standing = result.score, result.standing
        self.period_start, self.period_end = result.period_start, result.period_end
        self.criteria = result.criteria
        self.evidence_as_of = result.evidence_as_of
        self.basis = result.basis
        self.computed_at = at or now()
        self._touch(self.computed_at)
        self._events.append(events.ScorecardUpdated(self.supplier_id))
        if result.standing is not None and result.standing != previous:
            self._events.append(events.StandingChanged(self.supplier_id, previous, result.standing))
        return True
