"""Commands: what a caller asks the sales service to do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tandem_sales.domain.access import Actor


@dataclass(frozen=True)
class CreateProduct:
    sku: str
    name: str
    unit: str
    list_price: Decimal
    currency: str
    active: bool = True


@dataclass(frozen=True)
class ChangeProduct:
    product_id: uuid.UUID
    expected_version: int | None
    name: str | None = None
    unit: str | None = None
    list_price: Decimal | None = None
    currency: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class OpenOpportunity:
    actor: Actor
    customer_id: uuid.UUID
    name: str
    amount: Decimal
    currency: str
    owner: str | None = None
    expected_close: date | None = None
    lead_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ReviseOpportunity:
    actor: Actor
    opportunity_id: uuid.UUID
    changes: dict[str, object]  # only the fields the caller sent
    expected_version: int | None = None


@dataclass(frozen=True)
class MoveOpportunity:
    actor: Actor
    opportunity_id: uuid.UUID
    action: str  # "stage" | "win" | "lose"
    expected_version: int | None = None
    to: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None
    currency: str | None = None
    discount: Decimal = Decimal(0)
    requested_date: date | None = None


@dataclass(frozen=True)
class DraftQuote:
    actor: Actor
    customer_id: uuid.UUID
    currency: str
    valid_until: date
    lines: tuple[LineInput, ...]
    opportunity_id: uuid.UUID | None = None
    owner: str | None = None


@dataclass(frozen=True)
class QuoteAction:
    actor: Actor
    quote_id: uuid.UUID
    action: str  # "send" | "accept" | "reject"
    expected_version: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DraftOrder:
    actor: Actor
    customer_id: uuid.UUID
    lines: tuple[LineInput, ...]
    currency: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class ChangeOrderLines:
    actor: Actor
    order_id: uuid.UUID
    lines: tuple[LineInput, ...]
    expected_version: int | None = None


@dataclass(frozen=True)
class OrderAction:
    actor: Actor
    order_id: uuid.UUID
    action: str  # "confirm" | "fulfil" | "close" | "cancel"
    expected_version: int | None = None
    reason: str | None = None
