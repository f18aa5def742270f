"""From demand to requisitions: the hand-over from the demand join, and supply risk per line."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from tandem_procurement.application.commands import RecordOrderLineDemand
from tandem_procurement.application.sourcing import choices_for
from tandem_procurement.application.unit_of_work import ProcurementUnitOfWork
from tandem_procurement.domain.demand import DemandLine, covered_quantity, supply_risk
from tandem_procurement.domain.requisition import Requisition

DEMAND_REQUESTER = "system:demand"


async def when_order_line_demand_changed(
    cmd: RecordOrderLineDemand, uow: ProcurementUnitOfWork
) -> DemandLine | None:
    """Keep the line's open quantity and make its requisitions cover exactly that.

    More demand than covered: a new requisition for the difference (sourced and submitted).
    Less: not-yet-ordered requisitions of the line are reduced or cancelled, newest first;
    ordered ones stay (their purchase order exists). An older order version changes nothing.
    """
    line = await uow.demand.get(cmd.line_id)
    reqs: list[Requisition] = []  # requisitions are raised for a line only once it is stored
    added: DemandLine | None = None
    if line is None:
        line = DemandLine(
            line_id=cmd.line_id,
            order_id=cmd.order_id,
            sku=cmd.sku,
            ordered_quantity=cmd.ordered_quantity,
            open_quantity=cmd.open_quantity,
            order_version=cmd.order_version,
            order_status=cmd.order_status,
            requested_date=cmd.requested_date,
        )
        # Added once the requisition is raised: the reads before it (policy, contracts,
        # offers) then flush nothing, and the line and its requisition are written in one
        # flush at commit instead of two.
        added = line
    elif line.apply(
        order_version=cmd.order_version,
        order_status=cmd.order_status,
        ordered_quantity=cmd.ordered_quantity,
        open_quantity=cmd.open_quantity,
        requested_date=cmd.requested_date,
    ):
        reqs = await uow.requisitions.for_order_line(line.line_id)
    else:
        return None
    covered = covered_quantity(reqs)
    raised: Requisition | None = None
    if line.open_quantity > covered:
        raised = Requisition.raise_new(
            requester=DEMAND_REQUESTER,
            lines=[(line.sku, line.open_quantity - covered)],
            needed_by=line.requested_date,
            origin="demand",
            order_id=line.order_id,
            order_line_id=line.line_id,
        )
        raised.submit(await uow.policies.current(), await choices_for(raised, uow))
        uow.requisitions.add(raised)  # once submitted: stored in one insert, not insert + update
        reqs.append(raised)
    elif line.open_quantity < covered:
        excess = covered - line.open_quantity
        reason = f"sales order {line.order_id} is {line.order_status}: demand withdrawn"
        for req in sorted(reqs, key=lambda r: r.created_at, reverse=True):
            excess -= req.reduce_by(excess, reason)
            if excess <= 0:
                break
    if added is not None:
        uow.demand.add(added)
    await _assess(line, reqs, uow, raised_now=raised)
    return line


async def _assess(
    line: DemandLine,
    reqs: list[Requisition],
    uow: ProcurementUnitOfWork,
    *,
    raised_now: Requisition | None = None,
) -> None:
    # A requisition raised in this transaction is on no purchase order yet: no lookup for it.
    on_orders = [r.id for r in reqs if r is not raised_now]
    po_lines = await uow.purchase_orders.lines_for_requisitions(on_orders)
    line.assess(supply_risk(line, reqs, [(pl, po.status) for pl, po in po_lines], uow.today()))


async def reassess_lines(uow: ProcurementUnitOfWork, line_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the supply risk of sales-order lines after their supply changed."""
    for line in await uow.demand.for_lines(list(dict.fromkeys(line_ids))):
        await _assess(line, await uow.requisitions.for_order_line(line.line_id), uow)


async def _resource(
    uow: ProcurementUnitOfWork, reqs: list[Requisition], *, only_unsourced: bool = False
) -> list[Requisition]:
    changed = []
    policy = await uow.policies.current()
    for req in reqs:
        if only_unsourced and req.status != "unsourced":
            continue
        if req.resource(policy, await choices_for(req, uow)):
            changed.append(req)
    await reassess_lines(uow, [r.order_line_id for r in changed if r.order_line_id])
    return changed


async def when_supplier_status_changed(
    supplier_id: uuid.UUID, uow: ProcurementUnitOfWork
) -> list[Requisition]:
    """A supplier left 'approved' (suspended, blocked, probation): re-source its requisitions."""
    return await _resource(uow, await uow.requisitions.open_for_supplier(supplier_id))


async def when_offer_withdrawn(
    supplier_id: uuid.UUID, sku: str, uow: ProcurementUnitOfWork
) -> list[Requisition]:
    reqs = await uow.requisitions.open_for_supplier(supplier_id)
    return await _resource(uow, [r for r in reqs if any(ln.sku == sku for ln in r.lines)])


async def when_supply_appeared(sku: str, uow: ProcurementUnitOfWork) -> list[Requisition]:
    """A new offer (or a supplier approved again) may source requisitions that had none."""
    return await _resource(uow, await uow.requisitions.open_for_sku(sku), only_unsourced=True)


def net_of(ordered: Decimal, covered: Decimal) -> Decimal:
    return max(ordered - covered, Decimal(0))
