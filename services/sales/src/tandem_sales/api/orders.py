"""Sales order routes: draft, change lines, confirm (credit rule), fulfil, close, cancel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.pagination import Page
from tandem_kit.permissions import require
from tandem_sales.api.deps import ActorDep, Cursor, after, page, uow
from tandem_sales.api.documents import OrderCreate, OrderLinesChange, OrderPublic
from tandem_sales.api.schemas import ReasonIn
from tandem_sales.application import orders as handlers
from tandem_sales.application import queries
from tandem_sales.application.commands import ChangeOrderLines, DraftOrder, OrderAction
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.orders import OrderStatus

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
READ, WRITE = require("orders", "read"), require("orders", "write")
OrderId = Annotated[uuid.UUID, Path(description="order id")]
Uow = Annotated[SalesUnitOfWork, Depends(uow)]
ERRORS = {
    404: {"description": "no such order (or not yours)"},
    409: {
        "description": "illegal transition (names the allowed ones) or confirmation refused "
        "(`reason` is a machine code: customer_blocked, credit_limit_exceeded, ...)"
    },
    412: {"description": "stale If-Match"},
    422: {"description": "invalid field, or customer_unknown / currency_mismatch on confirm"},
}


def _render(status: int):
    return lambda o: (status, OrderPublic.of(o).model_dump(mode="json"))


@router.post(
    "", status_code=201, response_model=OrderPublic, dependencies=[WRITE], responses=ERRORS
)
async def draft_order(
    body: OrderCreate, unit: Uow, actor: ActorDep, keyed: IdempotencyKey
) -> JSONResponse:
    """A draft order; lines without a unit price take the list price. Confirm it to reserve
    credit and create demand."""
    cmd = DraftOrder(
        actor=actor,
        customer_id=body.customer_id,
        currency=body.currency,
        owner=body.owner,
        lines=tuple(line.command() for line in body.lines),
    )
    return respond(
        *await execute(unit, lambda u: handlers.draft_order(cmd, u), _render(201), keyed)
    )


@router.get("", response_model=Page[OrderPublic], dependencies=[READ])
async def list_orders(
    unit: Uow,
    actor: ActorDep,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    customer_id: uuid.UUID | None = None,
    status: OrderStatus | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[OrderPublic]:
    """Newest first; a sales rep sees only their own."""
    async with unit:
        rows = await unit.orders.list(
            limit=limit + 1,
            after=after(cursor),
            customer_id=customer_id,
            status=status,
            owner=actor.owner_filter or owner,
        )
    items, nxt = page(rows, limit)
    return Page[OrderPublic](items=[OrderPublic.of(o) for o in items], next=nxt)


@router.get("/summary", dependencies=[READ])
async def orders_summary(unit: Uow, actor: ActorDep) -> dict:
    """Orders confirmed today (UTC, not cancelled since) and their value per currency."""
    async with unit:
        return await queries.orders_summary(unit, actor, datetime.now(UTC))


@router.get("/{order_id}", response_model=OrderPublic, dependencies=[READ], responses=ERRORS)
async def get_order(order_id: OrderId, unit: Uow, actor: ActorDep) -> JSONResponse:
    async with unit:
        order = await queries.get_visible(unit, actor, "order", order_id)
    return respond(200, OrderPublic.of(order).model_dump(mode="json"))


@router.put("/{order_id}/lines", response_model=OrderPublic, dependencies=[WRITE], responses=ERRORS)
async def change_order_lines(
    order_id: OrderId, body: OrderLinesChange, unit: Uow, actor: ActorDep, if_match: IfMatch
) -> JSONResponse:
    """Replace the lines of a draft or confirmed order; growing a confirmed order is checked
    against credit like a confirmation. Publishes OrderChanged."""
    cmd = ChangeOrderLines(
        actor=actor,
        order_id=order_id,
        expected_version=if_match,
        lines=tuple(line.command() for line in body.lines),
    )
    return respond(
        *await execute(unit, lambda u: handlers.change_order_lines(cmd, u), _render(200))
    )


async def _act(unit, actor, order_id, action, if_match, keyed, reason=None):
    cmd = OrderAction(
        actor=actor, order_id=order_id, action=action, expected_version=if_match, reason=reason
    )
    return respond(
        *await execute(unit, lambda u: handlers.order_action(cmd, u), _render(200), keyed)
    )


@router.post(
    "/{order_id}/confirm", response_model=OrderPublic, dependencies=[WRITE], responses=ERRORS
)
async def confirm_order(
    order_id: OrderId, unit: Uow, actor: ActorDep, if_match: IfMatch, keyed: IdempotencyKey
) -> JSONResponse:
    """Confirm against the customer read model: refused when the customer is unknown, blocked,
    on hold, archived or merged without a known survivor, in another currency, or over the
    credit limit."""
    return await _act(unit, actor, order_id, "confirm", if_match, keyed)


@router.post(
    "/{order_id}/fulfil", response_model=OrderPublic, dependencies=[WRITE], responses=ERRORS
)
async def fulfil_order(
    order_id: OrderId, unit: Uow, actor: ActorDep, if_match: IfMatch, keyed: IdempotencyKey
) -> JSONResponse:
    return await _act(unit, actor, order_id, "fulfil", if_match, keyed)


@router.post(
    "/{order_id}/close", response_model=OrderPublic, dependencies=[WRITE], responses=ERRORS
)
async def close_order(
    order_id: OrderId, unit: Uow, actor: ActorDep, if_match: IfMatch, keyed: IdempotencyKey
) -> JSONResponse:
    """Close a fulfilled order; its total stops counting against the customer's credit."""
    return await _act(unit, actor, order_id, "close", if_match, keyed)


@router.post(
    "/{order_id}/cancel", response_model=OrderPublic, dependencies=[WRITE], responses=ERRORS
)
async def cancel_order(
    order_id: OrderId,
    body: ReasonIn,
    unit: Uow,
    actor: ActorDep,
    if_match: IfMatch,
    keyed: IdempotencyKey,
) -> JSONResponse:
    """Cancel a draft or confirmed order (a reason is required); frees its credit."""
    return await _act(unit, actor, order_id, "cancel", if_match, keyed, reason=body.reason)
