"""The supplier aggregate: identity, contacts, categories, risk and its lifecycle."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from tandem_supplier.domain import events
from tandem_supplier.domain._aggregate import EventSource, now
from tandem_supplier.domain.errors import (
    IllegalTransition,
    InvalidSupplier,
    QualificationIncomplete,
)


class SupplierStatus(StrEnum):
    APPLIED = "applied"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    BLOCKED = "blocked"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


S = SupplierStatus
# action -> (states it is allowed from, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[SupplierStatus], SupplierStatus]] = {
    "submit": (frozenset({S.APPLIED}), S.UNDER_REVIEW),
    "approve": (frozenset({S.UNDER_REVIEW}), S.APPROVED),
    "reject": (frozenset({S.UNDER_REVIEW}), S.REJECTED),
    "suspend": (frozenset({S.APPROVED}), S.SUSPENDED),
    "reinstate": (frozenset({S.SUSPENDED, S.BLOCKED}), S.APPROVED),
    "block": (frozenset(set(S) - {S.BLOCKED}), S.BLOCKED),
}
REASON_REQUIRED = frozenset({"reject", "block"})
# Actions that make a supplier approved again pass the qualification guard first.
QUALIFYING = frozenset({"approve", "reinstate"})

_LEGAL_FORMS = {
    "ag", "bv", "co", "corp", "corporation", "gmbh", "inc", "kg", "limited", "llc", "ltd",
    "nv", "oy", "plc", "sa", "sarl", "sas", "se", "spa", "srl",
}  # fmt: skip


def allowed_actions(status: SupplierStatus) -> list[str]:
    return sorted(a for a, (sources, _) in TRANSITIONS.items() if status in sources)


def normalise_name(name: str) -> str:
    """Name for duplicate checks: case, accents, punctuation and legal forms do not count."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    kept = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(kept or words)


def normalise_legal_id(legal_id: str) -> str:
    return re.sub(r"[\s.\-/]", "", legal_id).upper()


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "phone": self.phone, "role": self.role}


def _categories(values: list[str]) -> list[str]:
    cleaned = sorted({v.strip().lower() for v in values if v.strip()})
    if not cleaned:
        raise InvalidSupplier("at least one category is required", field="categories")
    return cleaned


@dataclass(eq=False)
class Supplier(EventSource):
    id: uuid.UUID
    name: str
    normalized_name: str
    legal_id: str
    categories: list[str]
    risk_level: RiskLevel = RiskLevel.MEDIUM
    contacts: list[dict[str, Any]] = field(default_factory=list)
    status: SupplierStatus = SupplierStatus.APPLIED
    status_reason: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def register(
        cls,
        *,
        name: str,
        legal_id: str,
        categories: list[str],
        risk_level: RiskLevel = RiskLevel.MEDIUM,
        contacts: list[Contact] = (),  # type: ignore[assignment]
        supplier_id: uuid.UUID | None = None,
    ) -> Supplier:
        """A new applicant; raises SupplierRegistered."""
        if not name.strip():
            raise InvalidSupplier("name must not be blank", field="name")
        if not normalise_legal_id(legal_id):
            raise InvalidSupplier("legal id must not be blank", field="legal_id")
        supplier = cls(
            id=supplier_id or uuid.uuid4(),
            name=name.strip(),
            normalized_name=normalise_name(name),
            legal_id=normalise_legal_id(legal_id),
            categories=_categories(categories),
            risk_level=RiskLevel(risk_level),
            contacts=[c.as_dict() for c in contacts],
        )
        supplier._events.append(events.SupplierRegistered(supplier.id))
        return supplier

    def revise(
        self,
        *,
        name: str | None = None,
        categories: list[str] | None = None,
        risk_level: RiskLevel | None = None,
        contacts: list[Contact] | None = None,
    ) -> None:
        """Change master data; raises SupplierChanged naming the fields that changed."""
        if self.status is SupplierStatus.BLOCKED:
            raise IllegalTransition("supplier", self.status, "revise", allowed_actions(self.status))
        changed: list[str] = []
        if name is not None and name.strip() != self.name:
            if not name.strip():
                raise InvalidSupplier("name must not be blank", field="name")
            self.name, self.normalized_name = name.strip(), normalise_name(name)
            changed.append("name")
        if categories is not None and _categories(categories) != self.categories:
            self.categories = _categories(categories)
            changed.append("categories")
        if risk_level is not None and RiskLevel(risk_level) != self.risk_level:
            self.risk_level = RiskLevel(risk_level)
            changed.append("risk_level")
        if contacts is not None and [c.as_dict() for c in contacts] != self.contacts:
            self.contacts = [c.as_dict() for c in contacts]
            changed.append("contacts")
        if changed:
            self._touch()
            self._events.append(events.SupplierChanged(self.id, tuple(changed)))

    def change_status(
        self,
        action: str,
        reason: str | None = None,
        *,
        missing_certifications: list[str] | None = None,
    ) -> None:
        """Move through the lifecycle; approve/reinstate need ``missing_certifications == []``."""
        if action not in TRANSITIONS:
            raise InvalidSupplier(f"unknown action {action}", field="action")
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition("supplier", self.status, action, allowed_actions(self.status))
        if action in REASON_REQUIRED and not (reason and reason.strip()):
            raise InvalidSupplier(f"a reason is required to {action} a supplier", field="reason")
        if action in QUALIFYING:
            if missing_certifications is None:
                raise ValueError("the qualification guard needs the missing certifications")
            if missing_certifications:
                raise QualificationIncomplete(missing_certifications)
        previous = self.status
        self.status = target
        self.status_reason = reason.strip() if reason else None
        self._touch()
        self._events.append(events.SupplierStatusChanged(self.id, previous, self.status_reason))

    def suspend_for_expired(self, kind: str, valid_until: date) -> bool:
        """Suspend an approved supplier whose mandatory certificate expired; False otherwise."""
        if self.status is not SupplierStatus.APPROVED:
            return False
        self.change_status("suspend", f"mandatory certification {kind} expired on {valid_until}")
        return True
