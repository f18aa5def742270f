"""Scorecard use cases: take a computed result from the performance stream; summarise standings."""

from __future__ import annotations

import uuid
from datetime import datetime

from tandem_supplier.application.unit_of_work import SupplierUnitOfWork
from tandem_supplier.domain.scorecard import Scorecard
from tandem_supplier.domain.scoring import STANDINGS, ScoreResult


async def record_scorecard(
    supplier_id: uuid.UUID,
    result: ScoreResult,
    uow: SupplierUnitOfWork,
    *,
    at: datetime | None = None,
) -> bool:
    """Store the supplier's latest score; publishes only when score, standing or basis changed.

    Redelivered or replayed results compute the same scorecard and change nothing, which is
    what makes the at-least-once stream in front of this handler safe.
    """
    card = await uow.scorecards.get(supplier_id, for_update=True)
    if card is None:
        card = Scorecard(supplier_id=supplier_id)
        if not card.record(result, at):
            return False
        uow.scorecards.add(card)
        return True
    return card.record(result, at)


async def standing_summary(uow: SupplierUnitOfWork) -> dict[str, int]:
    """Suppliers per standing; suppliers without a score (or an empty period) are unscored."""
    counts = await uow.scorecards.count_by_standing()
    by_standing = {s: counts.get(s, 0) for s in STANDINGS}
    by_standing["unscored"] = counts.get(None, 0)
    return by_standing
