"""Sales orders: draft -> confirmed -> fulfilled -> closed; cancelled from draft or confirmed.

An order counts against its customer's credit from confirmation until it is closed or
cancelled. Confirmation reserves the total on the (surviving) customer's account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tandem_sales.domain import events
from tandem_sales.domain.base import Aggregate, money, now
from tandem_sales.domain.customers import ZERO, CustomerAccount
from tandem_sales.domain.errors import IllegalTransition, InvalidInput


class OrderStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    FULFILLED = "fulfilled"
    CLOSED = "closed"
    CANCELLED = "cancelled"


TRANSITIONS: dict[str, tuple[frozenset[OrderStatus], OrderStatus]] = {
    "confirm": (frozenset({OrderStatus.DRAFT}), OrderStatus.CONFIRMED),
    "fulfil": (frozenset({OrderStatus.CONFIRMED}), OrderStatus.FULFILLED),
    "close": (frozenset({OrderStatus.FULFILLED}), OrderStatus.CLOSED),
    "cancel": (frozenset({OrderStatus.DRAFT, OrderStatus.CONFIRMED}), OrderStatus.CANCELLED),
}
# Orders whose total counts against the customer's credit.
OPEN_STATUSES = frozenset({OrderStatus.CONFIRMED, OrderStatus.FULFILLED})
CHANGEABLE = frozenset({OrderStatus.DRAFT, OrderStatus.CONFIRMED})


def allowed_actions(status: OrderStatus) -> list[str]:
    actions = {a for a, (sources, _) in TRANSITIONS.items() if status in sources}
    if status in CHANGEABLE:
        actions.add("change")
    return sorted(actions)


@dataclass(eq=False)
class OrderLine:
    line_id: uuid.UUID
    sku: str
    quantity: Decimal
    unit_price: Decimal
    requested_date: date | None = None
    position: int = 0

    @property
    def total(self) -> Decimal:
        return money(self.quantity * self.unit_price)


def check_lines(lines: list[OrderLine]) -> list[OrderLine]:
    if not lines:
        raise InvalidInput("an order needs at least one line", field="lines")
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            raise InvalidInput("quantity must be positive", field=f"lines.{i}.quantity")
        if line.unit_price < 0:
            raise InvalidInput("unit price must not be negative", field=f"lines.{i}.unit_price")
        line.position = i
    return lines


@dataclass(eq=False)
class SalesOrder(Aggregate):
    id: uuid.UUID
    customer_id: uuid.UUID
    currency: str
    lines: list[OrderLine]
    owner: str | None = None
    status: OrderStatus = OrderStatus.DRAFT
    quote_id: uuid.UUID | None = None
    credit_account_id: uuid.UUID | None = None  # whose credit the open total is reserved on
    cancel_reason: str | None = None
    confirmed_at: datetime | None = None
    version: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @classmethod
    def draft(
        cls,
        *,
        customer_id: uuid.UUID,
        currency: str,
        lines: list[OrderLine],
        owner: str | None = None,
        quote_id: uuid.UUID | None = None,
        order_id: uuid.UUID | None = None,
    ) -> SalesOrder:
        """A new draft; raises OrderChanged (status draft: no demand, no credit)."""
        order = cls(
            id=order_id or uuid.uuid4(),
            customer_id=customer_id,
            currency=currency,
            lines=check_lines(lines),
            owner=owner,
            quote_id=quote_id,
        )
        order._events.append(events.OrderChanged(order.id))
        return order

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def confirm(self, account: CustomerAccount, *, merged_open: Decimal = ZERO) -> None:
        """Reserve the total on ``account`` (the surviving customer) or refuse with a reason."""
        self.require("confirm")
        account.reserve(self.total, self.currency, merged_open=merged_open)
        self.customer_id = account.id
        self.credit_account_id = account.id
        self.status = OrderStatus.CONFIRMED
        self.confirmed_at = now()
        self._changed(events.OrderConfirmed(self.id))

    def change_lines(
        self,
        lines: list[OrderLine],
        *,
        holder: CustomerAccount | None = None,
        account: CustomerAccount | None = None,
        merged_open: Decimal = ZERO,
    ) -> None:
        """Replace the lines of a draft or confirmed order.

        A confirmed order moves its reservation from ``holder`` to ``account`` (the surviving
        customer); growing it is checked like a confirmation, shrinking it never is.
        """
        if self.status not in CHANGEABLE:
            raise IllegalTransition("order", self.status, "change", allowed_actions(self.status))
        lines = check_lines(lines)
        if self.status == OrderStatus.CONFIRMED:
            if holder is None or account is None:
                raise ValueError("a confirmed order changes with its credit accounts")
            old, new = self.total, sum((line.total for line in lines), ZERO)
            # A refusal leaves these objects half-changed; the unit of work is rolled back.
            holder.release(old)
            account.reserve(new, self.currency, merged_open=merged_open, check=new > old)
            self.customer_id = self.credit_account_id = account.id
        self.lines = lines
        self._changed(events.OrderChanged(self.id))

    def fulfil(self) -> None:
        self.require("fulfil")
        self.status = OrderStatus.FULFILLED
        self._changed(events.OrderFulfilled(self.id))

    def close(self, holder: CustomerAccount | None) -> None:
        """Closed (delivered and settled): the total stops counting against credit."""
        self.require("close")
        self._release(holder)
        self.status = OrderStatus.CLOSED
        self._changed(events.OrderClosed(self.id))

    def cancel(self, reason: str, holder: CustomerAccount | None) -> None:
        """Cancel a draft or confirmed order; a confirmed one frees its credit."""
        if not reason or not reason.strip():
            raise InvalidInput("cancelling an order needs a reason", field="reason")
        self.require("cancel")
        if self.status == OrderStatus.CONFIRMED:
            self._release(holder)
        self.status = OrderStatus.CANCELLED
        self.cancel_reason = reason.strip()
        self._changed(events.OrderCancelled(self.id, self.cancel_reason))

    def _release(self, holder: CustomerAccount | None) -> None:
        if holder is not None:
            holder.release(self.total)

    def require(self, action: str) -> None:
        """Raise IllegalTransition (naming the allowed actions) unless ``action`` may happen now."""
        sources, _ = TRANSITIONS[action]
        if self.status not in sources:
            raise IllegalTransition("order", self.status, action, allowed_actions(self.status))
