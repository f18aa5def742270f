"""Sourcing with the read models: load the inputs, let the domain choose."""

from __future__ import annotations

from decimal import Decimal

from tandem_procurement.application.unit_of_work import ProcurementUnitOfWork
from tandem_procurement.domain.requisition import Requisition
from tandem_procurement.domain.sourcing import ContractTerms, Source, Unsourced, choose_source


async def choices_for(req: Requisition, uow: ProcurementUnitOfWork) -> list[Source | Unsourced]:
    """One sourcing choice per line of ``req``, as of the unit of work's clock."""
    today = uow.today()
    in_force = await uow.contracts.in_force(today)
    out: list[Source | Unsourced] = []
    for line in req.lines:
        terms = [
            ContractTerms(
                contract_id=c.id,
                supplier_id=c.supplier_id,
                sku=line.sku,
                unit_price=price,
                currency=c.currency,
                valid_from=c.valid_from,
                valid_until=c.valid_until,
            )
            for c in in_force
            if (price := c.price_of(line.sku)) is not None
        ]
        offers, suppliers = await uow.suppliers.offers_with_suppliers(line.sku)
        if unknown := {t.supplier_id for t in terms} - suppliers.keys():
            suppliers |= await uow.suppliers.suppliers(unknown)
        out.append(
            choose_source(
                sku=line.sku,
                quantity=line.quantity if line.quantity > 0 else Decimal(1),
                today=today,
                needed_by=req.needed_by,
                contracts=terms,
                offers=offers,
                suppliers=suppliers,
            )
        )
    return out
