"""An offer: what a supplier sells us, at what price, lead time and minimum quantity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tandem_supplier.domain import events
from tandem_supplier.domain._aggregate import EventSource, now
from tandem_supplier.domain.errors import IllegalTransition, InvalidSupplier


class OfferStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


@dataclass(eq=False)
class Offer(EventSource):
    id: uuid.UUID
    supplier_id: uuid.UUID
    sku: str
    unit_price: Decimal
    currency: str
    lead_time_days: int
    minimum_order_quantity: Decimal
    valid_from: date | None = None
    valid_until: date | None = None
    status: OfferStatus = OfferStatus.ACTIVE
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @staticmethod
    def _check(unit_price: Decimal, lead_time_days: int, moq: Decimal, vf, vu) -> None:
        if unit_price <= 0:
            raise InvalidSupplier("unit price must be positive", field="unit_price")
        if lead_time_days < 0:
            raise InvalidSupplier("lead time must not be negative", field="lead_time_days")
        if moq <= 0:
            raise InvalidSupplier(
                "minimum order quantity must be positive", field="minimum_order_quantity"
            )
        if vf is not None and vu is not None and vu < vf:
            raise InvalidSupplier("valid_until is before valid_from", field="valid_until")

    @classmethod
    def publish(
        cls,
        *,
        supplier_id: uuid.UUID,
        sku: str,
        unit_price: Decimal,
        currency: str,
        lead_time_days: int,
        minimum_order_quantity: Decimal,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> Offer:
        if not sku.strip():
            raise InvalidSupplier("sku must not be blank", field="sku")
        cls._check(unit_price, lead_time_days, minimum_order_quantity, valid_from, valid_until)
        offer = cls(
            id=uuid.uuid4(),
            supplier_id=supplier_id,
            sku=sku.strip(),
            unit_price=unit_price,
            currency=currency,
            lead_time_days=lead_time_days,
            minimum_order_quantity=minimum_order_quantity,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        offer._events.append(events.OfferPublished(offer.id))
        return offer

    def revise(
        self,
        *,
        unit_price: Decimal,
        currency: str,
        lead_time_days: int,
        minimum_order_quantity: Decimal,
        valid_from: date | None,
        valid_until: date | None,
    ) -> None:
        """New terms for the same SKU; republished with the next version."""
        if self.status is OfferStatus.WITHDRAWN:
            raise IllegalTransition("offer", self.status, "revise", [])
        self._check(unit_price, lead_time_days, minimum_order_quantity, valid_from, valid_until)
        self.unit_price, self.currency = unit_price, currency
        self.lead_time_days = lead_time_days
        self.minimum_order_quantity = minimum_order_quantity
        self.valid_from, self.valid_until = valid_from, valid_until
        self._touch()
        self._events.append(events.OfferPublished(self.id))

    def withdraw(self) -> None:
        if self.status is OfferStatus.WITHDRAWN:
            raise IllegalTransition("offer", self.status, "withdraw", [])
        self.status = OfferStatus.WITHDRAWN
        self._touch()
        self._events.append(events.OfferWithdrawn(self.id))
