"""Repositories: the only place procurement queries are written."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_procurement.db.tables import (
    contracts,
    demand_lines,
    goods_receipts,
    purchase_order_lines,
    purchase_orders,
    requisition_lines,
    requisitions,
)
from tandem_procurement.domain.contract import IN_FORCE, Contract, ContractStatus
from tandem_procurement.domain.demand import DemandLine
from tandem_procurement.domain.purchase_order import (
    OPEN as PO_OPEN,
)
from tandem_procurement.domain.purchase_order import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from tandem_procurement.domain.requisition import (
    OPEN as REQ_OPEN,
)
from tandem_procurement.domain.requisition import (
    Requisition,
    RequisitionStatus,
)

Track = Callable[[Any], None]
Cursor = tuple[datetime, uuid.UUID] | None


class _Repo:
    def __init__(self, session: AsyncSession, track: Track) -> None:
        self.session = session
        self._track = track

    def add(self, aggregate: Any) -> None:
        self.session.add(aggregate)
        self._track(aggregate)

    async def _all(self, stmt, params: dict[str, Any] | None = None) -> list[Any]:  # type: ignore[no-untyped-def]
        found = list((await self.session.execute(stmt, params)).scalars().unique())
        for aggregate in found:
            self._track(aggregate)
        return found


class RequisitionRepository(_Repo):
    async def get(
        self, requisition_id: uuid.UUID, *, for_update: bool = False
    ) -> Requisition | None:
        stmt = select(Requisition).where(requisitions.c.id == requisition_id)
        if for_update:
            stmt = stmt.with_for_update()
        found = await self._all(stmt)
        return found[0] if found else None

    async def get_many(self, ids: Sequence[uuid.UUID]) -> list[Requisition]:
        stmt = select(Requisition).where(requisitions.c.id.in_(list(ids))).with_for_update()
        return await self._all(stmt.order_by(requisitions.c.created_at, requisitions.c.id))

    async def for_order_line(self, line_id: uuid.UUID) -> list[Requisition]:
        return await self._all(_for_order_line(), {"line_id": line_id})

    async def for_order(self, order_id: uuid.UUID) -> list[Requisition]:
        stmt = select(Requisition).where(requisitions.c.order_id == order_id)
        return await self._all(stmt.order_by(requisitions.c.created_at, requisitions.c.id))

    async def open_for_supplier(self, supplier_id: uuid.UUID) -> list[Requisition]:
        ids = select(requisition_lines.c.requisition_id).where(
            requisition_lines.c.suggested_supplier_id == supplier_id
        )
        stmt = select(Requisition).where(
            requisitions.c.id.in_(ids), requisitions.c.status.in_(list(REQ_OPEN))
        )
        return await self._all(stmt.order_by(requisitions.c.created_at, requisitions.c.id))

    async def open_for_sku(self, sku: str) -> list[Requisition]:
        ids = select(requisition_lines.c.requisition_id).where(requisition_lines.c.sku == sku)
        stmt = select(Requisition).where(
            requisitions.c.id.in_(ids), requisitions.c.status.in_(list(REQ_OPEN))
        )
        return await self._all(stmt.order_by(requisitions.c.created_at, requisitions.c.id))

    async def list(
        self,
        *,
        limit: int,
        after: Cursor = None,
        status: RequisitionStatus | None = None,
        sku: str | None = None,
        order_id: uuid.UUID | None = None,
        supplier_id: uuid.UUID | None = None,
    ) -> list[Requisition]:
        stmt = select(Requisition).order_by(requisitions.c.created_at, requisitions.c.id)
        if status is not None:
            stmt = stmt.where(requisitions.c.status == status)
        if sku is not None:
            stmt = stmt.where(
                requisitions.c.id.in_(
                    select(requisition_lines.c.requisition_id).where(requisition_lines.c.sku == sku)
                )
            )
        if supplier_id is not None:
            stmt = stmt.where(
                requisitions.c.id.in_(
                    select(requisition_lines.c.requisition_id).where(
                        requisition_lines.c.suggested_supplier_id == supplier_id
                    )
                )
            )
        if order_id is not None:
            stmt = stmt.where(requisitions.c.order_id == order_id)
        if after is not None:
            stmt = stmt.where(tuple_(requisitions.c.created_at, requisitions.c.id) > after)
        return await self._all(stmt.limit(limit))

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(requisitions.c.status, func.count()).group_by(requisitions.c.status)
        )
        return {str(getattr(s, "value", s)): n for s, n in rows.all()}


class PurchaseOrderRepository(_Repo):
    async def get(self, po_id: uuid.UUID, *, for_update: bool = False) -> PurchaseOrder | None:
        stmt = select(PurchaseOrder).where(purchase_orders.c.id == po_id)
        if for_update:
            stmt = stmt.with_for_update()
        found = await self._all(stmt)
        return found[0] if found else None

    async def list(
        self,
        *,
        limit: int,
        after: Cursor = None,
        supplier_id: uuid.UUID | None = None,
        status: PurchaseOrderStatus | None = None,
        open: bool | None = None,
    ) -> list[PurchaseOrder]:
        stmt = select(PurchaseOrder).order_by(purchase_orders.c.created_at, purchase_orders.c.id)
        if supplier_id is not None:
            stmt = stmt.where(purchase_orders.c.supplier_id == supplier_id)
        if status is not None:
            stmt = stmt.where(purchase_orders.c.status == status)
        if open is True:
            stmt = stmt.where(purchase_orders.c.status.in_(list(PO_OPEN)))
        elif open is False:
            stmt = stmt.where(purchase_orders.c.status.not_in(list(PO_OPEN)))
        if after is not None:
            stmt = stmt.where(tuple_(purchase_orders.c.created_at, purchase_orders.c.id) > after)
        return await self._all(stmt.limit(limit))

    async def lines_for_requisitions(
        self, requisition_ids: Sequence[uuid.UUID]
    ) -> list[tuple[PurchaseOrderLine, PurchaseOrder]]:
        if not requisition_ids:
            return []
        po_ids = select(purchase_order_lines.c.purchase_order_id).where(
            purchase_order_lines.c.requisition_id.in_(list(requisition_ids))
        )
        orders = await self._all(select(PurchaseOrder).where(purchase_orders.c.id.in_(po_ids)))
        wanted = set(requisition_ids)
        return [(line, po) for po in orders for line in po.lines if line.requisition_id in wanted]

    def add_receipt(self, receipt: GoodsReceipt) -> None:
        self.session.add(receipt)

    async def receipts_for(self, po_ids: Sequence[uuid.UUID]) -> list[GoodsReceipt]:
        if not po_ids:
            return []
        stmt = (
            select(GoodsReceipt)
            .where(goods_receipts.c.purchase_order_id.in_(list(po_ids)))
            .order_by(goods_receipts.c.received_at, goods_receipts.c.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def spend_by_supplier(self) -> list[tuple[uuid.UUID, str, Decimal]]:
        """Spend of every not-cancelled, issued order (drafts are not commitments yet)."""
        stmt = (
            select(
                purchase_orders.c.supplier_id,
                purchase_order_lines.c.currency,
                purchase_order_lines.c.quantity,
                purchase_order_lines.c.unit_price,
            )
            .join(
                purchase_order_lines,
                purchase_order_lines.c.purchase_order_id == purchase_orders.c.id,
            )
            .where(
                purchase_orders.c.status.not_in(
                    [PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.CANCELLED]
                )
            )
        )
        totals: dict[tuple[uuid.UUID, str], Decimal] = {}
        for supplier_id, currency, quantity, price in (await self.session.execute(stmt)).all():
            key = (supplier_id, currency)
            totals[key] = totals.get(key, Decimal(0)) + Decimal(quantity) * Decimal(price)
        return sorted(((s, c, a) for (s, c), a in totals.items()), key=lambda t: (-t[2], str(t[0])))

    async def count_open(self) -> int:
        stmt = select(func.count()).where(purchase_orders.c.status.in_(list(PO_OPEN)))
        return int(await self.session.scalar(stmt) or 0)


class ContractRepository(_Repo):
    async def get(self, contract_id: uuid.UUID, *, for_update: bool = False) -> Contract | None:
        stmt = select(Contract).where(contracts.c.id == contract_id)
        if for_update:
            stmt = stmt.with_for_update()
        found = await self._all(stmt)
        return found[0] if found else None

    async def list(
        self,
        *,
        limit: int,
        after: Cursor = None,
        supplier_id: uuid.UUID | None = None,
        status: ContractStatus | None = None,
    ) -> list[Contract]:
        stmt = select(Contract).order_by(contracts.c.created_at, contracts.c.id)
        if supplier_id is not None:
            stmt = stmt.where(contracts.c.supplier_id == supplier_id)
        if status is not None:
            stmt = stmt.where(contracts.c.status == status)
        if after is not None:
            stmt = stmt.where(tuple_(contracts.c.created_at, contracts.c.id) > after)
        return await self._all(stmt.limit(limit))

    async def in_force(self, today: date) -> list[Contract]:
        return await self._all(_in_force(), {"today": today})

    async def due_for_expiry_check(self) -> list[Contract]:
        stmt = select(Contract).where(contracts.c.status.in_(list(IN_FORCE))).with_for_update()
        return await self._all(stmt)


class DemandRepository(_Repo):
    async def get(self, line_id: uuid.UUID) -> DemandLine | None:
        found = await self._all(_demand_line(), {"line_id": line_id})
        return found[0] if found else None

    async def for_order(self, order_id: uuid.UUID) -> list[DemandLine]:
        stmt = (
            select(DemandLine)
            .where(demand_lines.c.order_id == order_id)
            .order_by(demand_lines.c.requested_date, demand_lines.c.line_id)
        )
        return await self._all(stmt)

    async def for_lines(self, line_ids: Sequence[uuid.UUID]) -> list[DemandLine]:
        if not line_ids:
            return []
        stmt = select(DemandLine).where(demand_lines.c.line_id.in_(list(line_ids)))
        return await self._all(stmt)


# Statements the demand consumer runs for every order line: built once (building and
# cache-keying a statement costs about as much CPU as executing it), values bound per call.
# Built on first use: selecting a domain class needs the mappers started.


@cache
def _demand_line() -> Select[Any]:
    line_id = bindparam("line_id")
    return select(DemandLine).where(demand_lines.c.line_id == line_id).with_for_update()


@cache
def _for_order_line() -> Select[Any]:
    return (
        select(Requisition)
        .where(requisitions.c.order_line_id == bindparam("line_id"))
        .order_by(requisitions.c.created_at, requisitions.c.id)
        .with_for_update()
    )


@cache
def _in_force() -> Select[Any]:
    today = bindparam("today", type_=contracts.c.valid_from.type)
    return select(Contract).where(
        contracts.c.status.in_(list(IN_FORCE)),
        contracts.c.valid_from <= today,
        contracts.c.valid_until >= today,
    )
