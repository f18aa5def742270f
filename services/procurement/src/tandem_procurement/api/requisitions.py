"""Requisition and approval-rule routes: request schema -> command -> handler -> response."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require
from tandem_procurement.api import render
from tandem_procurement.api.common import (
    Comment,
    Currency,
    Cursor,
    Quantity,
    Sku,
    Strict,
    actor,
    after_of,
    page,
    uow_of,
)
from tandem_procurement.application import requisitions as handlers
from tandem_procurement.application.commands import (
    PublishApprovalPolicy,
    RaiseRequisition,
    RequisitionAction,
)
from tandem_procurement.domain.approval import ANY_CATEGORY, MAX_LEVELS
from tandem_procurement.domain.errors import Missing
from tandem_procurement.domain.requisition import RequisitionStatus

router = APIRouter(prefix="/api/v1/requisitions", tags=["requisitions"])
rules = APIRouter(prefix="/api/v1/approval-rules", tags=["approval rules"])
READ, WRITE = require("requisitions", "read"), require("requisitions", "write")
RequisitionId = Annotated[uuid.UUID, Path(description="requisition id")]
Category = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_*-]+$")]


class LineIn(Strict):
    sku: Sku
    quantity: Quantity


class RequisitionCreate(Strict):
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=200)]
    needed_by: date | None = None
    category: Category = "general"
    submit: bool = Field(default=False, description="submit for approval at once")


@router.post("", status_code=201, dependencies=[WRITE])
async def create_requisition(
    body: RequisitionCreate, request: Request, principal: CurrentPrincipal, keyed: IdempotencyKey
) -> JSONResponse:
    """Raise a requisition by hand; publishes tandem.procurement.requisition.changed.v1."""
    cmd = RaiseRequisition(
        actor=actor(principal),
        lines=tuple((ln.sku, ln.quantity) for ln in body.lines),
        category=body.category,
        needed_by=body.needed_by,
        submit=body.submit,
    )
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.raise_requisition(cmd, uow),
        lambda r: (201, render.requisition(r)),
        keyed,
    )
    return respond(status, payload)


@router.get("", dependencies=[READ])
async def list_requisitions(
    request: Request,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    status: RequisitionStatus | None = None,
    sku: Sku | None = None,
    order_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
) -> dict:
    """Oldest first; filter by status, SKU, sales order or suggested supplier."""
    after = after_of(cursor)
    async with uow_of(request) as uow:
        rows = await uow.requisitions.list(
            limit=limit + 1,
            after=after,
            status=status,
            sku=sku,
            order_id=order_id,
            supplier_id=supplier_id,
        )
        return page(rows, limit, render.requisition)


@router.get("/summary", dependencies=[READ])
async def requisition_summary(request: Request) -> dict:
    """Requisitions by status, and how many await an approval decision."""
    async with uow_of(request) as uow:
        by_status = await uow.requisitions.count_by_status()
    full = {s.value: by_status.get(s.value, 0) for s in RequisitionStatus}
    return {"by_status": full, "awaiting_approval": full[RequisitionStatus.SUBMITTED.value]}


@router.get("/{requisition_id}", dependencies=[READ])
async def get_requisition(requisition_id: RequisitionId, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        req = await uow.requisitions.get(requisition_id)
        if req is None:
            raise Missing("requisition", requisition_id)
        return respond(200, render.requisition(req))


def _action_route(action: Literal["submit", "approve", "reject", "cancel", "resource"]) -> None:
    async def act(
        requisition_id: RequisitionId,
        request: Request,
        principal: CurrentPrincipal,
        if_match: IfMatch,
        keyed: IdempotencyKey,
        body: Comment | None = None,
    ) -> JSONResponse:
        cmd = RequisitionAction(
            requisition_id=requisition_id,
            action=action,
            actor=actor(principal),
            comment=body.comment if body else None,
            expected_version=if_match,
        )
        status, payload = await execute(
            uow_of(request),
            lambda uow: handlers.act_on_requisition(cmd, uow),
            lambda r: (200, render.requisition(r)),
            keyed,
        )
        return respond(status, payload)

    act.__name__ = f"{action}_requisition"
    router.add_api_route(
        f"/{{requisition_id}}/{action}",
        act,
        methods=["POST"],
        dependencies=[WRITE],
        summary=f"{action.capitalize()} a requisition",
        responses={
            403: {"description": "segregation of duties or approval level"},
            409: {"description": "illegal transition (names the allowed ones)"},
            412: {"description": "stale If-Match"},
        },
    )


for _action in ("submit", "approve", "reject", "cancel", "resource"):
    _action_route(_action)


class TierIn(Strict):
    category: Category = ANY_CATEGORY
    below: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)] | None = None
    levels: Annotated[int, Field(ge=0, le=MAX_LEVELS)]


class PolicyIn(Strict):
    currency: Currency
    tiers: Annotated[list[TierIn], Field(min_length=1, max_length=50)]
    level_roles: Annotated[
        list[
            Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]], Field(min_length=1)]
        ],
        Field(max_length=MAX_LEVELS),
    ]


@rules.get("", dependencies=[require("approval-rules", "read")])
async def current_rules(request: Request) -> dict:
    """The approval rules in force (the highest version)."""
    async with uow_of(request) as uow:
        return render.policy(await uow.policies.current())


@rules.post("", status_code=201, dependencies=[require("approval-rules", "write")])
async def publish_rules(
    body: PolicyIn, request: Request, principal: CurrentPrincipal, keyed: IdempotencyKey
) -> JSONResponse:
    """Publish a new version of the approval rules (earlier versions stay on record)."""
    cmd = PublishApprovalPolicy(
        actor=actor(principal),
        currency=body.currency,
        tiers=tuple((t.category, t.below, t.levels) for t in body.tiers),
        level_roles=tuple(tuple(r) for r in body.level_roles),
    )
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.publish_approval_policy(cmd, uow),
        lambda p: (201, render.policy(p)),
        keyed,
    )
    return respond(status, payload)
