"""Rule-defined segments and the campaigns that target them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tandem_customer.domain import events
from tandem_customer.domain.base import EventSource, allowed_from, now
from tandem_customer.domain.errors import IllegalTransition, InvalidRecord

RULE_KEYS = ("industries", "tiers", "statuses", "min_lifetime_revenue", "max_lifetime_revenue")


def check_rules(rules: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise segment rules; an empty rule set would match everyone."""
    unknown = set(rules) - set(RULE_KEYS)
    if unknown:
        raise InvalidRecord(f"unknown rule {min(unknown)}", field=f"rules.{min(unknown)}")
    clean: dict[str, Any] = {}
    for key in ("industries", "tiers", "statuses"):
        values = rules.get(key)
        if values:
            clean[key] = sorted({str(v).strip().lower() for v in values if str(v).strip()})
    for key in ("min_lifetime_revenue", "max_lifetime_revenue"):
        if rules.get(key) is not None:
            amount = Decimal(str(rules[key]))
            if amount < 0:
                raise InvalidRecord("revenue bounds must not be negative", field=f"rules.{key}")
            clean[key] = format(amount, "f")
    low, high = clean.get("min_lifetime_revenue"), clean.get("max_lifetime_revenue")
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        raise InvalidRecord("min exceeds max", field="rules.min_lifetime_revenue")
    if not clean:
        raise InvalidRecord("a segment needs at least one rule", field="rules")
    return clean


def matches(rules: dict[str, Any], customer: Any, revenue: Decimal) -> bool:
    """Whether a customer (with its lifetime revenue) belongs to a segment with ``rules``."""
    for key, attr in (("industries", "industry"), ("tiers", "tier"), ("statuses", "status")):
        if key in rules and (str(getattr(customer, attr) or "").lower() not in rules[key]):
            return False
    if "min_lifetime_revenue" in rules and revenue < Decimal(rules["min_lifetime_revenue"]):
        return False
    return not (
        "max_lifetime_revenue" in rules and revenue > Decimal(rules["max_lifetime_revenue"])
    )


@dataclass(eq=False)
class Segment(EventSource):
    id: uuid.UUID
    name: str
    rules: dict[str, Any]
    description: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def define(cls, *, name: str, rules: dict[str, Any], description: str | None = None) -> Segment:
        if not name.strip():
            raise InvalidRecord("name must not be blank", field="name")
        segment = cls(
            id=uuid.uuid4(), name=name.strip(), rules=check_rules(rules), description=description
        )
        segment._events.append(events.SegmentChanged(segment.id))
        return segment

    def redefine(self, *, name: str | None, rules: dict[str, Any] | None) -> None:
        if name is not None:
            if not name.strip():
                raise InvalidRecord("name must not be blank", field="name")
            self.name = name.strip()
        if rules is not None:
            self.rules = check_rules(rules)
        self._touch()
        self._events.append(events.SegmentChanged(self.id))


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


_PLANNING = frozenset({CampaignStatus.DRAFT, CampaignStatus.SCHEDULED})
CAMPAIGN_TRANSITIONS: dict[str, tuple[frozenset[CampaignStatus], CampaignStatus]] = {
    "schedule": (frozenset({CampaignStatus.DRAFT}), CampaignStatus.SCHEDULED),
    "launch": (_PLANNING, CampaignStatus.ACTIVE),
    "complete": (frozenset({CampaignStatus.ACTIVE}), CampaignStatus.COMPLETED),
    "cancel": (_PLANNING | {CampaignStatus.ACTIVE}, CampaignStatus.CANCELLED),
}


def campaign_actions(status: CampaignStatus) -> list[str]:
    return allowed_from(CAMPAIGN_TRANSITIONS, status)


@dataclass(eq=False)
class Campaign(EventSource):
    id: uuid.UUID
    name: str
    segment_id: uuid.UUID | None = None
    channel: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    status: CampaignStatus = CampaignStatus.DRAFT
    member_count: int = 0
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def plan(cls, *, name: str, segment_id: uuid.UUID | None = None, **details: Any) -> Campaign:
        if not name.strip():
            raise InvalidRecord("name must not be blank", field="name")
        starts, ends = details.get("starts_on"), details.get("ends_on")
        if starts and ends and ends < starts:
            raise InvalidRecord("a campaign cannot end before it starts", field="ends_on")
        campaign = cls(
            id=uuid.uuid4(),
            name=name.strip(),
            segment_id=segment_id,
            channel=details.get("channel"),
            starts_on=starts,
            ends_on=ends,
        )
        campaign._events.append(events.CampaignChanged(campaign.id))
        return campaign

    def act(self, action: str) -> None:
        sources, target = CAMPAIGN_TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition("campaign", self.status, action, campaign_actions(self.status))
        self.status = target
        self._touch()
        self._events.append(events.CampaignChanged(self.id))

    def check_members_editable(self) -> None:
        if self.status not in _PLANNING:
            raise IllegalTransition(
                "campaign", self.status, "change members", campaign_actions(self.status)
            )

    def members_changed(self, count: int) -> None:
        self.member_count = count
        self._touch()
        self._events.append(events.CampaignChanged(self.id))
