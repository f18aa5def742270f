"""The lead aggregate: captured -> qualified -> converted | disqualified, with a rule score."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tandem_customer.domain import events
from tandem_customer.domain.base import EventSource, allowed_from, now
from tandem_customer.domain.dedup import normalise_email
from tandem_customer.domain.errors import IllegalTransition, InvalidRecord
from tandem_customer.domain.scoring import ScoringRules, score


class LeadStatus(StrEnum):
    CAPTURED = "captured"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"


_OPEN = frozenset({LeadStatus.CAPTURED, LeadStatus.QUALIFIED})
TRANSITIONS: dict[str, tuple[frozenset[LeadStatus], LeadStatus | None]] = {
    "qualify": (frozenset({LeadStatus.CAPTURED}), LeadStatus.QUALIFIED),
    "disqualify": (_OPEN, LeadStatus.DISQUALIFIED),
    "convert": (frozenset({LeadStatus.QUALIFIED}), LeadStatus.CONVERTED),
    "reopen": (frozenset({LeadStatus.DISQUALIFIED}), LeadStatus.CAPTURED),
    "assign": (_OPEN, None),  # None: the status stays
}


def allowed_actions(status: LeadStatus) -> list[str]:
    return allowed_from(TRANSITIONS, status)


@dataclass(eq=False)
class Lead(EventSource):
    id: uuid.UUID
    name: str
    email: str | None = None
    company: str | None = None
    phone: str | None = None
    source: str | None = None
    industry: str | None = None
    estimated_amount: Decimal | None = None
    currency: str | None = None
    status: LeadStatus = LeadStatus.CAPTURED
    owner: str | None = None
    score: int = 0
    score_lines: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    email_key: str | None = None
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    converted_at: datetime | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def capture(
        cls, *, name: str, rules: ScoringRules, owner: str | None = None, **details: Any
    ) -> Lead:
        """A new lead, scored by ``rules``; raises LeadChanged."""
        if not name or not name.strip():
            raise InvalidRecord("name must not be blank", field="name")
        amount = details.get("estimated_amount")
        if amount is not None and amount < 0:
            raise InvalidRecord("estimated amount must not be negative", field="estimated_amount")
        if amount is not None and not details.get("currency"):
            raise InvalidRecord("an estimated amount needs a currency", field="currency")
        email = details.get("email")
        lead = cls(
            id=uuid.uuid4(),
            name=name.strip(),
            email=email.strip().lower() if email else None,
            company=details.get("company"),
            phone=details.get("phone"),
            source=details.get("source"),
            industry=details.get("industry"),
            estimated_amount=amount,
            currency=details.get("currency"),
            owner=owner,
        )
        lead.email_key = normalise_email(lead.email)
        lead.rescore(rules, announce=False)
        lead._events.append(events.LeadChanged(lead.id))
        return lead

    def rescore(self, rules: ScoringRules, *, announce: bool = True) -> None:
        total, lines = score(self, rules)
        explained = [{"rule": line.rule, "points": line.points} for line in lines]
        if (total, explained) == (self.score, self.score_lines):
            return
        self.score, self.score_lines = total, explained
        if announce:
            self._touch()
            self._events.append(events.LeadChanged(self.id))

    def check(self, action: str) -> None:
        """Raise IllegalTransition unless ``action`` is allowed now."""
        if self.status not in TRANSITIONS[action][0]:
            raise IllegalTransition("lead", self.status, action, allowed_actions(self.status))

    def _move(self, action: str) -> None:
        self.check(action)
        target = TRANSITIONS[action][1]
        if target is not None:
            self.status = target

    def qualify(self) -> None:
        self._move("qualify")
        self.reason = None
        self._changed()

    def disqualify(self, reason: str) -> None:
        if not reason or not reason.strip():
            raise InvalidRecord("say why the lead is disqualified", field="reason")
        self._move("disqualify")
        self.reason = reason.strip()
        self._changed()

    def reopen(self) -> None:
        self._move("reopen")
        self.reason = None
        self._changed()

    def assign(self, owner: str) -> None:
        if not owner or not owner.strip():
            raise InvalidRecord("owner must not be blank", field="owner")
        self._move("assign")
        self.owner = owner.strip()
        self._changed()

    def convert(
        self,
        *,
        customer_id: uuid.UUID,
        contact_id: uuid.UUID | None,
        opportunity_name: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Mark converted into a customer (+contact); raises LeadChanged and LeadConverted."""
        self._move("convert")
        self.customer_id = customer_id
        self.contact_id = contact_id
        self.converted_at = at or now()
        self._changed()
        name = (opportunity_name or "").strip() or f"{self.company or self.name}: new business"
        self._events.append(
            events.LeadConverted(self.id, name, self.estimated_amount, self.currency)
        )

    def _changed(self) -> None:
        self._touch()
        self._events.append(events.LeadChanged(self.id))
