"""What happened to sales orders, in domain words (translated to contracts in events/)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderEvent:
    order_id: uuid.UUID


@dataclass(frozen=True)
class OrderChanged(OrderEvent):
    pass


@dataclass(frozen=True)
class OrderConfirmed(OrderEvent):
    pass


@dataclass(frozen=True)
class OrderFulfilled(OrderEvent):
    pass


@dataclass(frozen=True)
class OrderClosed(OrderEvent):
    pass


@dataclass(frozen=True)
class OrderCancelled(OrderEvent):
    reason: str
