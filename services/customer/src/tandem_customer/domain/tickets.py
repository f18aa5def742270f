"""Service tickets: new -> open -> pending -> resolved -> closed (reopen), SLA due times."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tandem_customer.domain import events
from tandem_customer.domain.base import EventSource, allowed_from, now
from tandem_customer.domain.errors import IllegalTransition, InvalidRecord


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


ACTIVE = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING})
TRANSITIONS: dict[str, tuple[frozenset[TicketStatus], TicketStatus | None]] = {
    "open": (frozenset({TicketStatus.NEW, TicketStatus.PENDING}), TicketStatus.OPEN),
    "pend": (frozenset({TicketStatus.NEW, TicketStatus.OPEN}), TicketStatus.PENDING),
    "resolve": (ACTIVE, TicketStatus.RESOLVED),
    "close": (frozenset({TicketStatus.RESOLVED}), TicketStatus.CLOSED),
    "reopen": (frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED}), TicketStatus.OPEN),
    "escalate": (ACTIVE, None),  # status stays; priority goes up one step
}
_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


def allowed_actions(status: TicketStatus) -> list[str]:
    return allowed_from(TRANSITIONS, status)


@dataclass(frozen=True)
class SlaPolicy:
    """First-response and resolution targets per priority (configurable)."""

    first_response: dict[Priority, timedelta]
    resolution: dict[Priority, timedelta]

    @classmethod
    def default(cls) -> SlaPolicy:
        hours = timedelta(hours=1)
        return cls(
            first_response={
                Priority.URGENT: hours / 4,
                Priority.HIGH: hours,
                Priority.NORMAL: 4 * hours,
                Priority.LOW: 24 * hours,
            },
            resolution={
                Priority.URGENT: 4 * hours,
                Priority.HIGH: 24 * hours,
                Priority.NORMAL: 72 * hours,
                Priority.LOW: 168 * hours,
            },
        )

    def due(self, opened_at: datetime, priority: Priority) -> tuple[datetime, datetime]:
        return opened_at + self.first_response[priority], opened_at + self.resolution[priority]


@dataclass(eq=False)
class Ticket(EventSource):
    id: uuid.UUID
    customer_id: uuid.UUID
    subject: str
    priority: Priority
    first_response_due: datetime
    resolution_due: datetime
    description: str | None = None
    status: TicketStatus = TicketStatus.NEW
    assignee: str | None = None
    escalated: bool = False
    escalation_level: int = 0
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    first_response_breached_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def raise_ticket(
        cls,
        *,
        customer_id: uuid.UUID,
        subject: str,
        priority: Priority,
        policy: SlaPolicy,
        description: str | None = None,
        at: datetime | None = None,
    ) -> Ticket:
        if not subject.strip():
            raise InvalidRecord("subject must not be blank", field="subject")
        created = at or now()
        first, resolution = policy.due(created, priority)
        ticket = cls(
            id=uuid.uuid4(),
            customer_id=customer_id,
            subject=subject.strip(),
            priority=priority,
            description=description,
            first_response_due=first,
            resolution_due=resolution,
            created_at=created,
            updated_at=created,
        )
        ticket._events.append(events.TicketChanged(ticket.id))
        return ticket

    def act(self, action: str, *, policy: SlaPolicy, at: datetime | None = None) -> None:
        """Apply a lifecycle action (open, pend, resolve, close, reopen, escalate)."""
        if action not in TRANSITIONS:
            raise InvalidRecord(f"unknown action {action}", field="action")
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition("ticket", self.status, action, allowed_actions(self.status))
        moment = at or now()
        if action == "escalate":
            self._escalate(policy)
        else:
            assert target is not None
            self.status = target
        if self.first_responded_at is None and self.status != TicketStatus.NEW:
            self.first_responded_at = moment
        if target == TicketStatus.RESOLVED:
            self.resolved_at = moment
        if action == "reopen":
            self.resolved_at = None
        self._touch(moment)
        self._events.append(events.TicketChanged(self.id))

    def _escalate(self, policy: SlaPolicy) -> None:
        self.escalated = True
        self.escalation_level += 1
        index = _ORDER.index(self.priority)
        if index < len(_ORDER) - 1:
            self.priority = _ORDER[index + 1]
            # Targets tighten with the priority; they never move later than they were.
            first, resolution = policy.due(self.created_at, self.priority)
            self.first_response_due = min(self.first_response_due, first)
            self.resolution_due = min(self.resolution_due, resolution)

    def assign(self, assignee: str) -> None:
        if self.status not in ACTIVE:
            raise IllegalTransition("ticket", self.status, "assign", allowed_actions(self.status))
        self.assignee = assignee
        self._touch()
        self._events.append(events.TicketChanged(self.id))

    def breaches(self, at: datetime) -> list[str]:
        """SLAs this ticket has broken by ``at`` and not yet reported."""
        found = []
        if (
            self.first_response_breached_at is None
            and self.first_responded_at is None
            and self.status in ACTIVE
            and at > self.first_response_due
        ):
            found.append("first_response")
        if (
            self.resolution_breached_at is None
            and self.status in ACTIVE
            and at > self.resolution_due
        ):
            found.append("resolution")
        return found

    def record_breaches(self, at: datetime, *, escalate: bool, policy: SlaPolicy) -> list[str]:
        """Mark each new breach (once per SLA, ever) and optionally escalate."""
        found = self.breaches(at)
        for sla in found:
            due = self.first_response_due if sla == "first_response" else self.resolution_due
            if sla == "first_response":
                self.first_response_breached_at = at
            else:
                self.resolution_breached_at = at
            self._events.append(events.TicketSlaBreached(self.id, sla, due, at))
        if found:
            if escalate and self.status in ACTIVE:
                self._escalate(policy)
            self._touch(at)
            self._events.append(events.TicketChanged(self.id))
        return found

    def move_to(self, customer_id: uuid.UUID) -> None:
        self.customer_id = customer_id
        self._touch()
        self._events.append(events.TicketChanged(self.id))
