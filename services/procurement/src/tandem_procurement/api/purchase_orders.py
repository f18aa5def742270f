"""Purchase order and goods receipt routes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require
from tandem_procurement.api import render
from tandem_procurement.api.common import (
    Cursor,
    NonNegative,
    Sku,
    Strict,
    Text,
    actor,
    after_of,
    money,
    page,
    uow_of,
)
from tandem_procurement.application import purchasing as handlers
from tandem_procurement.application.commands import (
    CreatePurchaseOrders,
    PurchaseOrderAction,
    RecordReceipt,
)
from tandem_procurement.domain.errors import Missing
from tandem_procurement.domain.purchase_order import PurchaseOrderStatus

router = APIRouter(prefix="/api/v1/purchase-orders", tags=["purchase orders"])
receipts = APIRouter(prefix="/api/v1/receipts", tags=["receipts"])
READ, WRITE = require("purchase-orders", "read"), require("purchase-orders", "write")
PurchaseOrderId = Annotated[uuid.UUID, Path(description="purchase order id")]


class PurchaseOrdersCreate(Strict):
    requisition_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=200)]


@router.post("", status_code=201, dependencies=[WRITE])
async def create_purchase_orders(
    body: PurchaseOrdersCreate,
    request: Request,
    principal: CurrentPrincipal,
    keyed: IdempotencyKey,
) -> JSONResponse:
    """Draft purchase orders from approved requisitions, one per supplier."""
    cmd = CreatePurchaseOrders(actor=actor(principal), requisition_ids=tuple(body.requisition_ids))
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.create_purchase_orders(cmd, uow),
        lambda orders: (201, {"items": [render.purchase_order(o) for o in orders], "next": None}),
        keyed,
    )
    return respond(status, payload)


@router.get("", dependencies=[READ])
async def list_purchase_orders(
    request: Request,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    supplier_id: uuid.UUID | None = None,
    status: PurchaseOrderStatus | None = None,
    open: Annotated[
        bool | None, Query(description="true: not received, closed or cancelled")
    ] = None,
) -> dict:
    after = after_of(cursor)
    async with uow_of(request) as uow:
        rows = await uow.purchase_orders.list(
            limit=limit + 1, after=after, supplier_id=supplier_id, status=status, open=open
        )
        return page(rows, limit, render.purchase_order)


@router.get("/summary", dependencies=[READ])
async def purchase_order_summary(request: Request) -> dict:
    """Spend per supplier (issued, not cancelled orders) and how many orders are open."""
    async with uow_of(request) as uow:
        spend = await uow.purchase_orders.spend_by_supplier()
        open_count = await uow.purchase_orders.count_open()
    return {
        "spend_by_supplier": [{"supplier_id": str(s), "amount": money(a, c)} for s, c, a in spend],
        "open": open_count,
    }


@router.get("/{purchase_order_id}", dependencies=[READ])
async def get_purchase_order(purchase_order_id: PurchaseOrderId, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        po = await uow.purchase_orders.get(purchase_order_id)
        if po is None:
            raise Missing("purchase order", purchase_order_id)
        found = await uow.purchase_orders.receipts_for([po.id])
        return respond(200, render.purchase_order(po, found))


class ActionIn(Strict):
    reason: Text | None = None


class PromisedDate(Strict):
    line_id: uuid.UUID
    promised_date: date


class AcknowledgeIn(Strict):
    promised_dates: Annotated[list[PromisedDate], Field(max_length=500)] = []


def _action_route(action: Literal["issue", "acknowledge", "close", "cancel"]) -> None:
    body_type = AcknowledgeIn if action == "acknowledge" else ActionIn

    async def act(
        purchase_order_id: PurchaseOrderId,
        request: Request,
        principal: CurrentPrincipal,
        if_match: IfMatch,
        keyed: IdempotencyKey,
        body: body_type | None = None,  # type: ignore[valid-type]
    ) -> JSONResponse:
        cmd = PurchaseOrderAction(
            purchase_order_id=purchase_order_id,
            action=action,
            actor=actor(principal),
            reason=getattr(body, "reason", None),
            promised_dates={
                p.line_id: p.promised_date for p in getattr(body, "promised_dates", [])
            },
            expected_version=if_match,
        )
        status, payload = await execute(
            uow_of(request),
            lambda uow: handlers.act_on_purchase_order(cmd, uow),
            lambda po: (200, render.purchase_order(po)),
            keyed,
        )
        return respond(status, payload)

    act.__name__ = f"{action}_purchase_order"
    # The body type is chosen per action at run time; give FastAPI (and OpenAPI) the real type
    # instead of the postponed string annotation it cannot resolve from module globals.
    act.__annotations__["body"] = body_type | None
    router.add_api_route(
        f"/{{purchase_order_id}}/{action}",
        act,
        methods=["POST"],
        dependencies=[WRITE],
        summary=f"{action.capitalize()} a purchase order",
        responses={
            409: {"description": "illegal transition"},
            412: {"description": "stale If-Match"},
        },
    )


for _action in ("issue", "acknowledge", "close", "cancel"):
    _action_route(_action)


class ReceiptLineIn(Strict):
    sku: Sku
    quantity_accepted: NonNegative
    quantity_rejected: NonNegative = 0


class ReceiptIn(Strict):
    lines: Annotated[list[ReceiptLineIn], Field(min_length=1, max_length=500)]


@router.post(
    "/{purchase_order_id}/receipts",
    status_code=201,
    dependencies=[WRITE, require("receipts", "write")],
)
async def record_receipt(
    purchase_order_id: PurchaseOrderId,
    body: ReceiptIn,
    request: Request,
    principal: CurrentPrincipal,
    if_match: IfMatch,
    keyed: IdempotencyKey,
) -> JSONResponse:
    """Book a goods receipt (accepted and rejected quantities); publishes GoodsReceived."""
    cmd = RecordReceipt(
        purchase_order_id=purchase_order_id,
        actor=actor(principal),
        lines=tuple((ln.sku, ln.quantity_accepted, ln.quantity_rejected) for ln in body.lines),
        expected_version=if_match,
    )
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.record_receipt(cmd, uow),
        lambda result: (
            201,
            {**render.receipt(result[1]), "purchase_order": render.purchase_order(result[0])},
        ),
        keyed,
    )
    return respond(status, payload)


@receipts.get("", dependencies=[require("receipts", "read")])
async def list_receipts(request: Request, purchase_order_id: uuid.UUID) -> dict:
    """The goods receipts of one purchase order, oldest first."""
    async with uow_of(request) as uow:
        found = await uow.purchase_orders.receipts_for([purchase_order_id])
    return {"items": [render.receipt(r) for r in found], "next": None}
