"""Quotes: priced lines, discounts, validity; draft -> sent -> accepted | rejected | expired."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tandem_sales.domain.base import Aggregate, money, now
from tandem_sales.domain.errors import IllegalTransition, InvalidInput


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


TRANSITIONS: dict[str, tuple[frozenset[QuoteStatus], QuoteStatus]] = {
    "send": (frozenset({QuoteStatus.DRAFT}), QuoteStatus.SENT),
    "accept": (frozenset({QuoteStatus.SENT}), QuoteStatus.ACCEPTED),
    "reject": (frozenset({QuoteStatus.SENT}), QuoteStatus.REJECTED),
    "expire": (frozenset({QuoteStatus.DRAFT, QuoteStatus.SENT}), QuoteStatus.EXPIRED),
}


def allowed_actions(status: QuoteStatus) -> list[str]:
    return sorted(a for a, (sources, _) in TRANSITIONS.items() if status in sources)


@dataclass(eq=False)
class QuoteLine:
    line_id: uuid.UUID
    sku: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal(0)  # percent off the unit price, 0..100
    position: int = 0

    @property
    def net_unit_price(self) -> Decimal:
        return money(self.unit_price * (Decimal(100) - self.discount) / Decimal(100))

    @property
    def total(self) -> Decimal:
        return money(self.net_unit_price * self.quantity)


@dataclass(frozen=True)
class QuoteChanged:
    quote_id: uuid.UUID


@dataclass(eq=False)
class Quote(Aggregate):
    id: uuid.UUID
    customer_id: uuid.UUID
    currency: str
    valid_until: date
    lines: list[QuoteLine]
    opportunity_id: uuid.UUID | None = None
    owner: str | None = None
    status: QuoteStatus = QuoteStatus.DRAFT
    order_id: uuid.UUID | None = None
    reason: str | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def draft(
        cls,
        *,
        customer_id: uuid.UUID,
        currency: str,
        valid_until: date,
        lines: list[QuoteLine],
        today: date,
        owner: str | None = None,
        opportunity_id: uuid.UUID | None = None,
    ) -> Quote:
        """A new draft quote; raises QuoteChanged."""
        if not lines:
            raise InvalidInput("a quote needs at least one line", field="lines")
        for i, line in enumerate(lines):
            if line.quantity <= 0:
                raise InvalidInput("quantity must be positive", field=f"lines.{i}.quantity")
            if not 0 <= line.discount <= 100:
                raise InvalidInput("discount is a percentage 0..100", field=f"lines.{i}.discount")
            line.position = i
        if valid_until < today:
            raise InvalidInput("valid_until is in the past", field="valid_until")
        quote = cls(
            id=uuid.uuid4(),
            customer_id=customer_id,
            currency=currency,
            valid_until=valid_until,
            lines=lines,
            owner=owner,
            opportunity_id=opportunity_id,
        )
        quote._events.append(QuoteChanged(quote.id))
        return quote

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    def is_past_validity(self, today: date) -> bool:
        return today > self.valid_until

    def send(self, today: date) -> None:
        if self.is_past_validity(today):
            raise InvalidInput(
                f"the quote was valid until {self.valid_until}; it cannot be sent",
                field="valid_until",
            )
        self._move("send")

    def accept(self, today: date, order_id: uuid.UUID) -> None:
        """The customer accepted; the caller turns the lines into sales order ``order_id``."""
        if self.is_past_validity(today) and self.status == QuoteStatus.SENT:
            raise IllegalTransition("quote", "expired", "accept", [])
        self._move("accept")
        self.order_id = order_id

    def reject(self, reason: str | None = None) -> None:
        self.reason = reason
        self._move("reject")

    def expire(self) -> None:
        self._move("expire")

    def _move(self, action: str) -> None:
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition("quote", self.status, action, allowed_actions(self.status))
        self.status = target
        self._changed(QuoteChanged(self.id))
