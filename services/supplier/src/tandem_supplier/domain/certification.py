"""A supplier's certificate (ISO 9001, HACCP, ...) and its expiry rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from tandem_supplier.domain import events
from tandem_supplier.domain._aggregate import EventSource, now
from tandem_supplier.domain.errors import InvalidSupplier


class ExpiryState(StrEnum):
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"


def expiry_state(
    valid_from: date, valid_until: date, today: date, horizon_days: int
) -> ExpiryState:
    """A certificate is valid through ``valid_until``; it expires the day after."""
    if today > valid_until:
        return ExpiryState.EXPIRED
    if today < valid_from:
        return ExpiryState.NOT_YET_VALID
    if (valid_until - today).days <= horizon_days:
        return ExpiryState.EXPIRING
    return ExpiryState.VALID


@dataclass(eq=False)
class Certification(EventSource):
    id: uuid.UUID
    supplier_id: uuid.UUID
    kind: str
    issuer: str
    number: str
    valid_from: date
    valid_until: date
    expiring_notified_on: date | None = None
    expired_notified_on: date | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def record(
        cls,
        *,
        supplier_id: uuid.UUID,
        kind: str,
        issuer: str,
        number: str,
        valid_from: date,
        valid_until: date,
        mandatory: bool = False,
    ) -> Certification:
        if not kind.strip():
            raise InvalidSupplier("kind must not be blank", field="kind")
        if valid_until < valid_from:
            raise InvalidSupplier("valid_until is before valid_from", field="valid_until")
        cert = cls(
            id=uuid.uuid4(),
            supplier_id=supplier_id,
            kind=kind.strip().upper(),
            issuer=issuer.strip(),
            number=number.strip(),
            valid_from=valid_from,
            valid_until=valid_until,
        )
        cert._events.append(events.CertificationRecorded(cert.id, mandatory))
        return cert

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def state(self, today: date, horizon_days: int) -> ExpiryState:
        return expiry_state(self.valid_from, self.valid_until, today, horizon_days)

    def check_expiry(self, today: date, horizon_days: int, *, mandatory: bool) -> ExpiryState:
        """Raise "expiring" and "expired" at most once each; returns the state found."""
        state = self.state(today, horizon_days)
        if state is ExpiryState.EXPIRED and self.expired_notified_on is None:
            self.expired_notified_on = today
            # Never warned (e.g. recorded already past its date): the expiry says it all.
            self.expiring_notified_on = self.expiring_notified_on or today
            self._touch()
            self._events.append(events.CertificationExpired(self.id, mandatory))
        elif state is ExpiryState.EXPIRING and self.expiring_notified_on is None:
            self.expiring_notified_on = today
            self._touch()
            self._events.append(
                events.CertificationExpiring(self.id, (self.valid_until - today).days, mandatory)
            )
        return state
