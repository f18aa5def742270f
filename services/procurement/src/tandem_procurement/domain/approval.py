"""Approval rules as versioned data: how many levels a requisition needs, and who may decide."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tandem_procurement.domain.base import utcnow
from tandem_procurement.domain.errors import InvalidRequest

ANY_CATEGORY = "*"
MAX_LEVELS = 5


@dataclass(frozen=True)
class ApprovalTier:
    """Requisitions of ``category`` with a total below ``below`` (None: any) need ``levels``."""

    levels: int
    below: Decimal | None = None
    category: str = ANY_CATEGORY


@dataclass(frozen=True)
class ApprovalPolicy:
    """One version of the rules; a new version never changes decisions already taken."""

    version: int
    currency: str
    tiers: tuple[ApprovalTier, ...]
    # Roles allowed to decide at level 1, 2, ... (admin may decide at every level).
    level_roles: tuple[frozenset[str], ...]
    created_by: str = "system"
    created_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if not self.tiers:
            raise InvalidRequest("an approval policy needs at least one tier", field="tiers")
        for category in {t.category for t in self.tiers}:
            own = [t for t in self.tiers if t.category == category]
            if sum(1 for t in own if t.below is None) != 1:
                raise InvalidRequest(
                    f"category {category!r} needs exactly one open-ended tier (below = null)",
                    field="tiers",
                )
            if len({t.below for t in own}) != len(own):
                raise InvalidRequest(f"category {category!r} repeats a threshold", field="tiers")
        if ANY_CATEGORY not in {t.category for t in self.tiers}:
            raise InvalidRequest("the policy needs tiers for every category ('*')", field="tiers")
        for t in self.tiers:
            if not 0 <= t.levels <= MAX_LEVELS:
                raise InvalidRequest(f"levels must be 0..{MAX_LEVELS}", field="tiers.levels")
            if t.below is not None and t.below <= 0:
                raise InvalidRequest("a threshold must be positive", field="tiers.below")
        needed = max(t.levels for t in self.tiers)
        if len(self.level_roles) < needed:
            raise InvalidRequest(
                f"roles are named for {len(self.level_roles)} levels but a tier needs {needed}",
                field="level_roles",
            )

    def levels_for(self, total: Decimal | None, currency: str | None, category: str) -> int:
        """Levels needed; an unpriced total or another currency needs the most levels."""
        own = [t for t in self.tiers if t.category == category] or [
            t for t in self.tiers if t.category == ANY_CATEGORY
        ]
        if total is None or currency != self.currency:
            return max(t.levels for t in own)
        for tier in sorted(own, key=lambda t: (t.below is None, t.below or 0)):
            if tier.below is None or total < tier.below:
                return tier.levels
        raise AssertionError("an open-ended tier always matches")  # pragma: no cover

    def may_decide(self, level: int, roles: Iterable[str]) -> bool:
        roles = set(roles)
        if "admin" in roles:
            return True
        return 1 <= level <= len(self.level_roles) and bool(roles & self.level_roles[level - 1])


def default_policy() -> ApprovalPolicy:
    """Version 1: automatic below 1,000 EUR, one manager up to 10,000 EUR, two levels above."""
    return ApprovalPolicy(
        version=1,
        currency="EUR",
        tiers=(
            ApprovalTier(levels=0, below=Decimal("1000")),
            ApprovalTier(levels=1, below=Decimal("10000")),
            ApprovalTier(levels=2, below=None),
        ),
        level_roles=(
            frozenset({"buyer", "procurement_manager"}),
            frozenset({"procurement_manager"}),
        ),
    )


def policy_from_rows(
    version: int,
    currency: str,
    tiers: Sequence[dict],
    level_roles: Sequence[Sequence[str]],
    created_by: str,
    created_at: datetime,
) -> ApprovalPolicy:
    return ApprovalPolicy(
        version=version,
        currency=currency,
        tiers=tuple(
            ApprovalTier(
                levels=int(t["levels"]),
                below=Decimal(str(t["below"])) if t.get("below") is not None else None,
                category=t.get("category") or ANY_CATEGORY,
            )
            for t in tiers
        ),
        level_roles=tuple(frozenset(r) for r in level_roles),
        created_by=created_by,
        created_at=created_at,
    )
