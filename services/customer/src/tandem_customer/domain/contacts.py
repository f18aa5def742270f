"""Contacts (people at a customer) and activities (the customer's timeline)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tandem_customer.domain import events
from tandem_customer.domain.base import EventSource, now
from tandem_customer.domain.errors import IllegalTransition, InvalidRecord

CONTACT_FIELDS = ("name", "email", "phone", "title", "primary")


@dataclass(eq=False)
class Contact(EventSource):
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    primary: bool = False
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def add(cls, *, customer_id: uuid.UUID, name: str, **details: object) -> Contact:
        if not name.strip():
            raise InvalidRecord("name must not be blank", field="name")
        email = details.get("email")
        contact = cls(
            id=uuid.uuid4(),
            customer_id=customer_id,
            name=name.strip(),
            email=str(email).strip().lower() if email else None,
            phone=details.get("phone"),  # type: ignore[arg-type]
            title=details.get("title"),  # type: ignore[arg-type]
            primary=bool(details.get("primary", False)),
        )
        contact._events.append(events.ContactChanged(contact.id))
        return contact

    def update(self, changes: dict[str, object]) -> bool:
        unknown = set(changes) - set(CONTACT_FIELDS)
        if unknown:
            raise InvalidRecord(f"{min(unknown)} cannot be changed", field=min(unknown))
        if "name" in changes and not str(changes["name"] or "").strip():
            raise InvalidRecord("name must not be blank", field="name")
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        for key, value in changed.items():
            setattr(self, key, value)
        if changed:
            self._touch()
            self._events.append(events.ContactChanged(self.id))
        return bool(changed)

    def move_to(self, customer_id: uuid.UUID) -> None:
        """Re-point to a surviving customer after a merge."""
        self.customer_id = customer_id
        self._touch()
        self._events.append(events.ContactChanged(self.id))


class ActivityKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    NOTE = "note"
    TASK = "task"


@dataclass(eq=False)
class Activity(EventSource):
    id: uuid.UUID
    customer_id: uuid.UUID
    kind: ActivityKind
    subject: str
    body: str | None = None
    contact_id: uuid.UUID | None = None
    occurred_at: datetime = field(default_factory=now)
    due_at: datetime | None = None
    completed_at: datetime | None = None
    author: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def record(
        cls,
        *,
        customer_id: uuid.UUID,
        kind: ActivityKind,
        subject: str,
        body: str | None = None,
        contact_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
        due_at: datetime | None = None,
        author: str | None = None,
    ) -> Activity:
        """Log a call, email, meeting or note, or plan a task (a task needs a due date)."""
        if not subject.strip():
            raise InvalidRecord("subject must not be blank", field="subject")
        if kind == ActivityKind.TASK and due_at is None:
            raise InvalidRecord("a task needs a due date", field="due_at")
        if kind != ActivityKind.TASK and due_at is not None:
            raise InvalidRecord("only tasks have a due date", field="due_at")
        activity = cls(
            id=uuid.uuid4(),
            customer_id=customer_id,
            kind=kind,
            subject=subject.strip(),
            body=body,
            contact_id=contact_id,
            occurred_at=occurred_at or now(),
            due_at=due_at,
            author=author,
        )
        activity._events.append(events.ActivityRecorded(activity.id))
        return activity

    def complete(self, at: datetime | None = None) -> None:
        if self.kind != ActivityKind.TASK:
            raise IllegalTransition(f"{self.kind} activity", "logged", "complete", [])
        if self.completed_at is not None:
            raise IllegalTransition("task", "completed", "complete", [])
        self.completed_at = at or now()
        self._touch()
        self._events.append(events.ActivityRecorded(self.id))

    def move_to(self, customer_id: uuid.UUID) -> None:
        self.customer_id = customer_id
        self._touch()
        self._events.append(events.ActivityRecorded(self.id))
