"""Purchase order use cases: create from approved requisitions, issue, acknowledge, receive."""

from __future__ import annotations

from collections import defaultdict

from tandem_procurement.application.commands import (
    CreatePurchaseOrders,
    PurchaseOrderAction,
    RecordReceipt,
)
from tandem_procurement.application.demand import reassess_lines
from tandem_procurement.application.requisitions import check_version
from tandem_procurement.application.unit_of_work import ProcurementUnitOfWork
from tandem_procurement.domain.errors import InvalidRequest, Missing
from tandem_procurement.domain.purchase_order import GoodsReceipt, PurchaseOrder, ReceiptLine


async def create_purchase_orders(
    cmd: CreatePurchaseOrders, uow: ProcurementUnitOfWork
) -> list[PurchaseOrder]:
    """One draft purchase order per supplier for the given approved requisitions."""
    ids = list(dict.fromkeys(cmd.requisition_ids))
    if not ids:
        raise InvalidRequest("name at least one requisition", field="requisition_ids")
    found = await uow.requisitions.get_many(ids)
    missing = set(ids) - {r.id for r in found}
    if missing:
        raise Missing("requisition", ", ".join(sorted(map(str, missing))), field="requisition_ids")
    by_supplier = defaultdict(list)
    for req in found:
        suppliers = {ln.suggested_supplier_id for ln in req.lines}
        if len(suppliers) != 1:
            raise InvalidRequest(
                f"requisition {req.id} has lines for {len(suppliers)} suppliers; order it alone",
                field="requisition_ids",
            )
        by_supplier[suppliers.pop()].append(req)
    orders = []
    for reqs in by_supplier.values():
        order = PurchaseOrder.from_requisitions(
            reqs, created_by=cmd.actor.subject, today=uow.today()
        )
        uow.purchase_orders.add(order)
        orders.append(order)
    await reassess_lines(uow, [r.order_line_id for r in found if r.order_line_id])
    return orders


async def _load(uow: ProcurementUnitOfWork, po_id, expected: int | None) -> PurchaseOrder:  # type: ignore[no-untyped-def]
    order = await uow.purchase_orders.get(po_id, for_update=True)
    if order is None:
        raise Missing("purchase order", po_id, field="purchase_order_id")
    check_version("purchase order", order.version, expected)
    return order


async def act_on_purchase_order(
    cmd: PurchaseOrderAction, uow: ProcurementUnitOfWork
) -> PurchaseOrder:
    order = await _load(uow, cmd.purchase_order_id, cmd.expected_version)
    now = uow.now()
    if cmd.action == "issue":
        order.issue(now)
        await _consume_contracts(order, uow)
    elif cmd.action == "acknowledge":
        order.acknowledge(now, cmd.promised_dates)
    elif cmd.action == "close":
        order.close(now)
    elif cmd.action == "cancel":
        order.cancel(now, cmd.reason)
        reqs = await uow.requisitions.get_many(order.requisition_ids)
        for req in reqs:
            req.release(f"purchase order {order.id} cancelled")
    else:  # pragma: no cover
        raise ValueError(cmd.action)
    reqs = await uow.requisitions.get_many(order.requisition_ids)
    await reassess_lines(uow, [r.order_line_id for r in reqs if r.order_line_id])
    return order


async def _consume_contracts(order: PurchaseOrder, uow: ProcurementUnitOfWork) -> None:
    by_contract = defaultdict(list)
    for line in order.lines:
        if line.contract_id:
            by_contract[line.contract_id].append(line)
    for contract_id, lines in by_contract.items():
        contract = await uow.contracts.get(contract_id, for_update=True)
        if contract is not None:
            contract.consume(sum(ln.quantity * ln.unit_price for ln in lines))


async def record_receipt(
    cmd: RecordReceipt, uow: ProcurementUnitOfWork
) -> tuple[PurchaseOrder, GoodsReceipt]:
    order = await _load(uow, cmd.purchase_order_id, cmd.expected_version)
    receipt = order.receive(
        [ReceiptLine(sku, acc, rej) for sku, acc, rej in cmd.lines],
        received_by=cmd.actor.subject,
        now=uow.now(),
    )
    uow.purchase_orders.add_receipt(receipt)
    reqs = await uow.requisitions.get_many(order.requisition_ids)
    await reassess_lines(uow, [r.order_line_id for r in reqs if r.order_line_id])
    return order, receipt
