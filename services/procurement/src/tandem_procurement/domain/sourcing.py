"""Sourcing: which supplier a SKU is bought from, at what price, and why.

An active contract price wins; otherwise the best offer of an eligible supplier, weighing price,
lead time against the date the goods are needed, and the supplier's scorecard. A supplier is
eligible when it is approved and its standing is not probation (suspended or blocked suppliers
are not approved). No eligible source gives ``Unsourced`` with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

PRICE_WEIGHT = Decimal("0.5")
LEAD_TIME_WEIGHT = Decimal("0.3")
SCORE_WEIGHT = Decimal("0.2")
UNSCORED = Decimal("0.5")  # a supplier without a scorecard yet is neither good nor bad
LATE_HORIZON_DAYS = 30  # a source this many days late scores zero on lead time


@dataclass(frozen=True)
class SupplierView:
    """What procurement knows of a supplier (read model fed by supplier events)."""

    supplier_id: uuid.UUID
    status: str | None = None
    standing: str | None = None
    score: Decimal | None = None
    name: str | None = None

    def ineligibility(self) -> str | None:
        if self.status is None:
            return "not known to procurement yet"
        if self.status != "approved":
            return f"is {self.status}"
        if self.standing == "probation":
            return "is on probation"
        return None


@dataclass(frozen=True)
class OfferTerms:
    offer_id: uuid.UUID
    supplier_id: uuid.UUID
    sku: str
    unit_price: Decimal
    currency: str
    lead_time_days: int
    minimum_order_quantity: Decimal = Decimal(0)
    valid_from: date | None = None
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True)
class ContractTerms:
    contract_id: uuid.UUID
    supplier_id: uuid.UUID
    sku: str
    unit_price: Decimal
    currency: str
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class Source:
    supplier_id: uuid.UUID
    unit_price: Decimal
    currency: str
    lead_time_days: int | None
    note: str
    contract_id: uuid.UUID | None = None
    offer_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Unsourced:
    reason: str


def lead_time_score(lead_time_days: int, today: date, needed_by: date | None) -> Decimal:
    """1 when the goods arrive by the date they are needed, falling to 0 when very late."""
    if needed_by is None or today + timedelta(days=lead_time_days) <= needed_by:
        return Decimal(1)
    late = (today + timedelta(days=lead_time_days) - needed_by).days
    return max(Decimal(0), Decimal(1) - Decimal(late) / LATE_HORIZON_DAYS) / 2


def offer_score(
    offer: OfferTerms,
    cheapest: Decimal,
    supplier: SupplierView,
    today: date,
    needed_by: date | None,
) -> Decimal:
    price = cheapest / offer.unit_price if offer.unit_price > 0 else Decimal(1)
    score = supplier.score / 100 if supplier.score is not None else UNSCORED
    return (
        PRICE_WEIGHT * price
        + LEAD_TIME_WEIGHT * lead_time_score(offer.lead_time_days, today, needed_by)
        + SCORE_WEIGHT * min(max(score, Decimal(0)), Decimal(1))
    )


def choose_source(
    *,
    sku: str,
    quantity: Decimal,
    today: date,
    needed_by: date | None,
    contracts: Iterable[ContractTerms],
    offers: Iterable[OfferTerms],
    suppliers: Mapping[uuid.UUID, SupplierView],
) -> Source | Unsourced:
    """The source for ``quantity`` of ``sku`` (pure: every input is passed in)."""

    def view(supplier_id: uuid.UUID) -> SupplierView:
        return suppliers.get(supplier_id) or SupplierView(supplier_id)

    offers = [o for o in offers if o.sku == sku and o.valid_on(today)]
    refused: list[str] = []
    contract_terms = [
        c for c in contracts if c.sku == sku and c.valid_from <= today <= c.valid_until
    ]
    usable_contracts = []
    for c in contract_terms:
        why = view(c.supplier_id).ineligibility()
        if why:
            refused.append(f"contract supplier {c.supplier_id} {why}")
        else:
            usable_contracts.append(c)
    if usable_contracts:
        best = min(usable_contracts, key=lambda c: (c.unit_price, str(c.supplier_id)))
        lead = min(
            (o.lead_time_days for o in offers if o.supplier_id == best.supplier_id), default=None
        )
        return Source(
            supplier_id=best.supplier_id,
            unit_price=best.unit_price,
            currency=best.currency,
            lead_time_days=lead,
            contract_id=best.contract_id,
            note=f"contract price of contract {best.contract_id}",
        )
    candidates = []
    for o in offers:
        why = view(o.supplier_id).ineligibility()
        if why:
            refused.append(f"offer of supplier {o.supplier_id}: supplier {why}")
        elif quantity < o.minimum_order_quantity:
            refused.append(
                f"offer of supplier {o.supplier_id}: minimum order quantity "
                f"{o.minimum_order_quantity} above {quantity}"
            )
        else:
            candidates.append(o)
    if not candidates:
        if not offers and not contract_terms:
            return Unsourced(f"no active contract and no offer for SKU {sku}")
        return Unsourced("no eligible source: " + "; ".join(sorted(refused)))
    # Compare prices within one currency: the currency most offers are in.
    currency = max(
        {o.currency for o in candidates},
        key=lambda c: sum(1 for o in candidates if o.currency == c),
    )
    candidates = [o for o in candidates if o.currency == currency]
    cheapest = min(o.unit_price for o in candidates)
    ranked = sorted(
        candidates,
        key=lambda o: (
            -offer_score(o, cheapest, view(o.supplier_id), today, needed_by),
            o.unit_price,
            o.lead_time_days,
            str(o.supplier_id),
        ),
    )
    best = ranked[0]
    score = offer_score(best, cheapest, view(best.supplier_id), today, needed_by)
    return Source(
        supplier_id=best.supplier_id,
        unit_price=best.unit_price,
        currency=best.currency,
        lead_time_days=best.lead_time_days,
        offer_id=best.offer_id,
        note=f"best of {len(candidates)} offer(s), score {score.quantize(Decimal('0.001'))}",
    )
