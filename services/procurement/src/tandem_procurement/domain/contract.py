"""Contracts (framework agreements): prices per SKU with a supplier for a period.

draft -> active -> expiring -> expired; active or expiring -> terminated. The worker moves
contracts to expiring (within the notice period) and expired (after the last valid day); each
move happens once and is published once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from tandem_procurement.domain import events
from tandem_procurement.domain.base import Aggregate, utcnow
from tandem_procurement.domain.errors import IllegalTransition, InvalidRequest


class ContractStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    TERMINATED = "terminated"


C = ContractStatus
IN_FORCE = frozenset({C.ACTIVE, C.EXPIRING})
ACTIONS: dict[str, frozenset[ContractStatus]] = {
    "activate": frozenset({C.DRAFT}),
    "terminate": frozenset({C.DRAFT, C.ACTIVE, C.EXPIRING}),
    "expire": IN_FORCE,
    "warn": frozenset({C.ACTIVE}),
}


def allowed_actions(status: ContractStatus) -> list[str]:
    return sorted(a for a in ("activate", "terminate") if status in ACTIONS[a])


@dataclass(eq=False)
class Contract(Aggregate):
    id: uuid.UUID
    supplier_id: uuid.UUID
    currency: str
    lines: list[dict]  # [{"sku": str, "unit_price": decimal string}]
    valid_from: date
    valid_until: date
    title: str | None = None
    volume_commitment: Decimal | None = None
    consumed: Decimal = Decimal(0)
    notice_days: int = 30
    status: ContractStatus = C.DRAFT
    created_by: str = "system"
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @classmethod
    def draft(
        cls,
        *,
        supplier_id: uuid.UUID,
        currency: str,
        lines: Sequence[tuple[str, Decimal]],
        valid_from: date,
        valid_until: date,
        created_by: str,
        title: str | None = None,
        volume_commitment: Decimal | None = None,
        notice_days: int = 30,
    ) -> Contract:
        if not lines:
            raise InvalidRequest("a contract needs at least one SKU price", field="lines")
        skus = [sku for sku, _ in lines]
        if len(set(skus)) != len(skus):
            raise InvalidRequest("each SKU appears once in a contract", field="lines")
        for i, (_, price) in enumerate(lines):
            if price <= 0:
                raise InvalidRequest("unit price must be positive", field=f"lines.{i}.unit_price")
        if valid_until < valid_from:
            raise InvalidRequest("valid_until is before valid_from", field="valid_until")
        contract = cls(
            id=uuid.uuid4(),
            supplier_id=supplier_id,
            currency=currency,
            lines=[{"sku": sku, "unit_price": format(price, "f")} for sku, price in lines],
            valid_from=valid_from,
            valid_until=valid_until,
            title=title,
            volume_commitment=volume_commitment,
            notice_days=notice_days,
            created_by=created_by,
        )
        contract._record(events.ContractChanged(), bump=False)
        return contract

    def price_of(self, sku: str) -> Decimal | None:
        for line in self.lines:
            if line["sku"] == sku:
                return Decimal(line["unit_price"])
        return None

    def _require(self, action: str) -> None:
        if self.status not in ACTIONS[action]:
            raise IllegalTransition("contract", self.status, action, allowed_actions(self.status))

    def activate(self, today: date) -> None:
        self._require("activate")
        if self.valid_until < today:
            raise InvalidRequest("the contract's validity has already ended", field="valid_until")
        self.status = C.ACTIVE
        self._record(events.ContractChanged())
        self.check_expiry(today)

    def terminate(self) -> None:
        self._require("terminate")
        self.status = C.TERMINATED
        self._record(events.ContractChanged())

    def check_expiry(self, today: date) -> bool:
        """Move to expiring / expired when due; True when the status changed."""
        if self.status in IN_FORCE and today > self.valid_until:
            self.status = C.EXPIRED
        elif self.status == C.ACTIVE and today >= self.valid_until - timedelta(
            days=self.notice_days
        ):
            self.status = C.EXPIRING
        else:
            return False
        self._record(events.ContractChanged())
        return True

    def consume(self, amount: Decimal) -> None:
        """An issued purchase order bought ``amount`` at this contract's prices."""
        self.consumed += amount
        self._record(events.ContractChanged())
