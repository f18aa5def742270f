"""What happened in procurement, in domain words (translated to contracts in events/)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequisitionChanged:
    """Any change of a requisition; it is published as its full state."""


@dataclass(frozen=True)
class PurchaseOrderIssued:
    pass


@dataclass(frozen=True)
class PurchaseOrderAcknowledged:
    pass


@dataclass(frozen=True)
class PurchaseOrderChanged:
    pass


@dataclass(frozen=True)
class PurchaseOrderCancelled:
    reason: str | None


@dataclass(frozen=True)
class GoodsReceived:
    receipt: object


@dataclass(frozen=True)
class ContractChanged:
    pass


@dataclass(frozen=True)
class SupplyRiskChanged:
    """The at-risk flag (or its reason) of a sales-order line changed."""
