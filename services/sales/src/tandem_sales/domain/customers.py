"""Sales' own view of customers, kept from customer events (never fetched over HTTP).

Besides the customer's state, each row holds the credit sales has reserved against it: the
total of its open orders (confirmed or fulfilled, not yet closed or cancelled). Confirming
an order locks the row of the customer it reserves against, so the rule below is checked
and the open total moved in one serialised step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tandem_sales.domain.base import show
from tandem_sales.domain.errors import ConfirmationRefused

# Statuses in which a customer may not get new confirmed orders.
REFUSING_STATUSES = frozenset({"blocked", "on_hold", "archived", "merged"})
ZERO = Decimal(0)


@dataclass(eq=False)
class CustomerAccount:
    """The latest known state of one customer, as of the customer service's ``version``."""

    id: uuid.UUID
    name: str
    status: str
    credit_limit: Decimal
    currency: str
    version: int
    updated_at: datetime
    merged_into: uuid.UUID | None = None
    owner: str | None = None
    open_total: Decimal = ZERO
    open_currency: str | None = None

    def pull_events(self) -> list[object]:
        return []

    def apply(self, newer: CustomerAccount) -> bool:
        """Take the state of ``newer`` if it is a later version; False when it is stale.

        The open total is sales' own bookkeeping and is never taken from the event.
        """
        if newer.version <= self.version:
            return False
        self.name, self.status = newer.name, newer.status
        self.credit_limit, self.currency = newer.credit_limit, newer.currency
        self.merged_into, self.version = newer.merged_into, newer.version
        self.owner, self.updated_at = newer.owner, newer.updated_at
        return True

    @property
    def available(self) -> Decimal:
        """Credit left for new orders (negative when a limit was lowered below the open total)."""
        return self.credit_limit - self.open_total

    def reserve(
        self, amount: Decimal, currency: str, *, merged_open: Decimal = ZERO, check: bool = True
    ) -> None:
        """Count ``amount`` against this customer's credit, or refuse with a reason code.

        ``merged_open`` is what is still open on customers merged into this one. With
        ``check=False`` (an order shrinking) only the bookkeeping happens.
        """
        if check:
            self._check(amount, currency, merged_open)
        if self.open_currency not in (None, currency) and self.open_total != ZERO:
            raise ConfirmationRefused(
                "open_orders_in_other_currency",
                f"{self.name} has {self.open_total} {self.open_currency} open; "
                f"orders in {currency} cannot be counted against it",
                status_code=422,
            )
        self.open_total += amount
        self.open_currency = currency

    def release(self, amount: Decimal) -> None:
        """An open order was closed, cancelled or shrunk: its amount no longer counts."""
        self.open_total = max(ZERO, self.open_total - amount)
        if self.open_total == ZERO:
            self.open_currency = None

    def _check(self, amount: Decimal, currency: str, merged_open: Decimal) -> None:
        if self.status in REFUSING_STATUSES:
            raise ConfirmationRefused(
                f"customer_{self.status}",
                f"customer {self.name} is {self.status.replace('_', ' ')}; "
                "orders cannot be confirmed",
                customer_status=self.status,
            )
        if currency != self.currency:
            raise ConfirmationRefused(
                "currency_mismatch",
                f"the order is in {currency} but {self.name}'s credit limit is in "
                f"{self.currency}; sales does not convert currencies",
                status_code=422,
                credit_currency=self.currency,
            )
        if self.open_currency not in (None, currency) and self.open_total != ZERO:
            raise ConfirmationRefused(
                "open_orders_in_other_currency",
                f"{self.name} has {self.open_total} {self.open_currency} open, which cannot be "
                f"compared with a limit in {self.currency}",
                status_code=422,
            )
        open_total = self.open_total + merged_open
        if open_total + amount > self.credit_limit:
            raise ConfirmationRefused(
                "credit_limit_exceeded",
                f"confirming {show(amount)} {currency} would bring {self.name}'s open orders to "
                f"{show(open_total + amount)} {currency}, over the credit limit of "
                f"{show(self.credit_limit)} {currency} "
                f"(available {show(self.credit_limit - open_total)})",
                credit_limit=_money(self.credit_limit, self.currency),
                open_total=_money(open_total, self.currency),
                order_total=_money(amount, currency),
                available=_money(self.credit_limit - open_total, self.currency),
            )


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": show(amount), "currency": currency}


def merged_open_total(survivor: CustomerAccount, merged: list[CustomerAccount]) -> Decimal:
    """What is still open on customers merged into ``survivor``, in the survivor's currency."""
    total = ZERO
    for account in merged:
        if account.open_total == ZERO:
            continue
        if account.open_currency not in (None, survivor.currency):
            raise ConfirmationRefused(
                "open_orders_in_other_currency",
                f"merged customer {account.name} has {account.open_total} "
                f"{account.open_currency} open, which cannot be compared with a limit in "
                f"{survivor.currency}",
                status_code=422,
            )
        total += account.open_total
    return total
