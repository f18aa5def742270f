"""The rules a unit of work applies (from settings): SLA, tiers, scoring, reporting currency."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tandem_customer.domain.scoring import ScoringRules
from tandem_customer.domain.tickets import SlaPolicy
from tandem_customer.domain.value import TierRules


@dataclass(frozen=True)
class Rules:
    sla: SlaPolicy = field(default_factory=SlaPolicy.default)
    tiers: TierRules = field(default_factory=TierRules.default)
    currency: str = "EUR"
    exchange_rates: dict[str, Decimal] = field(default_factory=dict)
    scoring: ScoringRules = field(default_factory=ScoringRules)
    escalate_on_breach: bool = True
