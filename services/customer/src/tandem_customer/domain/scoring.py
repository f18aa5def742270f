"""Rule-based lead scoring: each rule that matches adds points, and says so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "aol.com",
        "icloud.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
    }
)


@dataclass(frozen=True)
class ScoringRules:
    """The configurable knobs of the scoring rules (points per rule and thresholds)."""

    company_points: int = 10
    business_email_points: int = 15
    phone_points: int = 5
    source_points: dict[str, int] = field(
        default_factory=lambda: {"referral": 25, "event": 15, "partner": 20, "web": 5}
    )
    target_industries: frozenset[str] = frozenset({"manufacturing", "retail", "logistics"})
    target_industry_points: int = 10
    large_deal_amount: Decimal = Decimal("100000")
    large_deal_points: int = 25
    medium_deal_amount: Decimal = Decimal("10000")
    medium_deal_points: int = 10


@dataclass(frozen=True)
class ScoreLine:
    rule: str
    points: int


def _domain(email: str | None) -> str | None:
    return email.rsplit("@", 1)[1].lower() if email and "@" in email else None


def score(lead: Any, rules: ScoringRules) -> tuple[int, list[ScoreLine]]:
    """The score of a lead (anything with the lead's fields) and the rules that made it."""
    checks: list[tuple[str, int, Callable[[], bool]]] = [
        ("company given", rules.company_points, lambda: bool(lead.company)),
        (
            "business email domain",
            rules.business_email_points,
            lambda: (d := _domain(lead.email)) is not None and d not in FREE_MAIL,
        ),
        ("phone given", rules.phone_points, lambda: bool(lead.phone)),
        (
            "target industry",
            rules.target_industry_points,
            lambda: (lead.industry or "").lower() in rules.target_industries,
        ),
    ]
    lines = [ScoreLine(name, pts) for name, pts, test in checks if pts and test()]
    source = (lead.source or "").lower()
    if rules.source_points.get(source):
        lines.append(ScoreLine(f"source {source}", rules.source_points[source]))
    amount = lead.estimated_amount
    if amount is not None and amount >= rules.large_deal_amount:
        lines.append(
            ScoreLine(f"estimated amount >= {rules.large_deal_amount}", rules.large_deal_points)
        )
    elif amount is not None and amount >= rules.medium_deal_amount:
        lines.append(
            ScoreLine(f"estimated amount >= {rules.medium_deal_amount}", rules.medium_deal_points)
        )
    return sum(line.points for line in lines), lines
