"""The opportunity pipeline: qualification -> proposal -> negotiation -> won | lost."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tandem_sales.domain.base import Aggregate, money, now
from tandem_sales.domain.errors import IllegalTransition, InvalidInput


class Stage(StrEnum):
    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


OPEN_STAGES = frozenset({Stage.QUALIFICATION, Stage.PROPOSAL, Stage.NEGOTIATION})
# Default win probability per stage (percent); deployments configure their own.
DEFAULT_PROBABILITIES: dict[str, int] = {
    "qualification": 10,
    "proposal": 40,
    "negotiation": 70,
    "won": 100,
    "lost": 0,
}


def check_probabilities(table: Mapping[str, int]) -> dict[str, int]:
    """A complete stage -> percent table, or ValueError naming what is wrong."""
    missing = {s.value for s in Stage} - set(table)
    if missing:
        raise ValueError(f"probability missing for stages: {', '.join(sorted(missing))}")
    if any(not 0 <= p <= 100 for p in table.values()):
        raise ValueError("probabilities are percentages between 0 and 100")
    if table["won"] != 100 or table["lost"] != 0:
        raise ValueError("won must be 100 and lost 0")
    return {s.value: int(table[s.value]) for s in Stage}


def allowed_moves(stage: Stage) -> list[str]:
    if stage not in OPEN_STAGES:
        return []
    return sorted({s.value for s in OPEN_STAGES if s != stage} | {"won", "lost"})


@dataclass(frozen=True)
class OpportunityChanged:
    opportunity_id: uuid.UUID


@dataclass(eq=False)
class Opportunity(Aggregate):
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    amount: Decimal
    currency: str
    stage: Stage = Stage.QUALIFICATION
    probability: int = 10
    expected_close: date | None = None
    owner: str | None = None
    lead_id: uuid.UUID | None = None
    lost_reason: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def open(
        cls,
        *,
        customer_id: uuid.UUID,
        name: str,
        amount: Decimal,
        currency: str,
        owner: str | None,
        probabilities: Mapping[str, int],
        expected_close: date | None = None,
        lead_id: uuid.UUID | None = None,
    ) -> Opportunity:
        """A new opportunity in qualification; raises OpportunityChanged."""
        if not name.strip():
            raise InvalidInput("name must not be blank", field="name")
        if amount < 0:
            raise InvalidInput("amount must not be negative", field="amount")
        opp = cls(
            id=uuid.uuid4(),
            customer_id=customer_id,
            name=name.strip(),
            amount=money(amount),
            currency=currency,
            probability=probabilities[Stage.QUALIFICATION],
            expected_close=expected_close,
            owner=owner,
            lead_id=lead_id,
        )
        opp._events.append(OpportunityChanged(opp.id))
        return opp

    def move_to(self, stage: Stage, probabilities: Mapping[str, int]) -> None:
        """Move between open stages (either way); won and lost have their own commands."""
        if stage not in OPEN_STAGES:
            raise InvalidInput(f"use the {stage.value} action to close an opportunity", field="to")
        self._require(f"move to {stage.value}", stage.value)
        self._set_stage(stage, probabilities)

    def win(self, probabilities: Mapping[str, int]) -> None:
        self._require("win", "won")
        self._set_stage(Stage.WON, probabilities)

    def lose(self, reason: str, probabilities: Mapping[str, int]) -> None:
        if not reason or not reason.strip():
            raise InvalidInput("a lost opportunity needs a reason", field="reason")
        self._require("lose", "lost")
        self.lost_reason = reason.strip()
        self._set_stage(Stage.LOST, probabilities)

    def revise(self, changes: Mapping[str, object]) -> bool:
        """Change name, amount, currency, expected close or owner of an open opportunity;
        records OpportunityChanged only when something changed."""
        if not self.is_open:
            raise IllegalTransition("opportunity", self.stage, "change", [])
        if "name" in changes and not str(changes["name"] or "").strip():
            raise InvalidInput("name must not be blank", field="name")
        if "amount" in changes:
            amount = changes["amount"]
            if not isinstance(amount, Decimal) or amount < 0:
                raise InvalidInput("amount must not be negative", field="amount")
            changes = {**changes, "amount": money(amount)}
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return False
        for key, value in changed.items():
            setattr(self, key, value)
        self._changed(OpportunityChanged(self.id))
        return True

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    def weighted_amount(self) -> Decimal:
        return money(self.amount * self.probability / Decimal(100))

    def _require(self, action: str, target: str) -> None:
        if target not in allowed_moves(self.stage):
            raise IllegalTransition("opportunity", self.stage, action, allowed_moves(self.stage))

    def _set_stage(self, stage: Stage, probabilities: Mapping[str, int]) -> None:
        self.stage = stage
        self.probability = probabilities[stage.value]
        self._changed(OpportunityChanged(self.id))
