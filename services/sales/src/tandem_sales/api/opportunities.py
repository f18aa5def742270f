"""Opportunity routes and the pipeline forecast."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.pagination import Page
from tandem_kit.permissions import require
from tandem_sales.api.deps import ActorDep, Cursor, after, page, settings, uow
from tandem_sales.api.schemas import (
    OpportunityChange,
    OpportunityCreate,
    OpportunityPublic,
    ReasonIn,
    StageChange,
)
from tandem_sales.application import pipeline, queries
from tandem_sales.application.commands import (
    MoveOpportunity,
    OpenOpportunity,
    ReviseOpportunity,
)
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.opportunities import Stage
from tandem_sales.settings import SalesSettings

router = APIRouter(prefix="/api/v1/opportunities", tags=["opportunities"])
READ, WRITE = require("opportunities", "read"), require("opportunities", "write")
OpportunityId = Annotated[uuid.UUID, Path(description="opportunity id")]
Uow = Annotated[SalesUnitOfWork, Depends(uow)]
Settings = Annotated[SalesSettings, Depends(settings)]
ERRORS = {
    404: {"description": "no such opportunity (or not yours)"},
    409: {"description": "illegal stage change; names the allowed ones"},
    412: {"description": "stale If-Match"},
}


def _render(status: int):
    return lambda o: (status, OpportunityPublic.of(o).model_dump(mode="json"))


@router.post(
    "", status_code=201, response_model=OpportunityPublic, dependencies=[WRITE], responses=ERRORS
)
async def open_opportunity(
    body: OpportunityCreate, unit: Uow, actor: ActorDep, keyed: IdempotencyKey, cfg: Settings
) -> JSONResponse:
    """Open an opportunity in qualification; publishes tandem.sales.opportunity.changed.v1."""
    cmd = OpenOpportunity(
        actor=actor,
        customer_id=body.customer_id,
        name=body.name,
        amount=body.amount.amount,
        currency=body.amount.currency,
        owner=body.owner,
        expected_close=body.expected_close,
    )
    return respond(
        *await execute(
            unit,
            lambda u: pipeline.open_opportunity(cmd, u, cfg.stage_probabilities),
            _render(201),
            keyed,
        )
    )


@router.get("", response_model=Page[OpportunityPublic], dependencies=[READ])
async def list_opportunities(
    unit: Uow,
    actor: ActorDep,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    customer_id: uuid.UUID | None = None,
    stage: Stage | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[OpportunityPublic]:
    """Newest first; a sales rep sees only their own."""
    async with unit:
        rows = await unit.opportunities.list(
            limit=limit + 1,
            after=after(cursor),
            customer_id=customer_id,
            stage=stage,
            owner=actor.owner_filter or owner,
        )
    items, nxt = page(rows, limit)
    return Page[OpportunityPublic](items=[OpportunityPublic.of(o) for o in items], next=nxt)


@router.get(
    "/{opportunity_id}", response_model=OpportunityPublic, dependencies=[READ], responses=ERRORS
)
async def get_opportunity(
    opportunity_id: OpportunityId, unit: Uow, actor: ActorDep
) -> JSONResponse:
    async with unit:
        opp = await queries.get_visible(unit, actor, "opportunity", opportunity_id)
    return respond(200, OpportunityPublic.of(opp).model_dump(mode="json"))


@router.patch(
    "/{opportunity_id}", response_model=OpportunityPublic, dependencies=[WRITE], responses=ERRORS
)
async def revise_opportunity(
    opportunity_id: OpportunityId,
    body: OpportunityChange,
    unit: Uow,
    actor: ActorDep,
    if_match: IfMatch,
) -> JSONResponse:
    """Change name, amount, expected close or owner of an open opportunity."""
    cmd = ReviseOpportunity(
        actor=actor,
        opportunity_id=opportunity_id,
        changes=body.changes(),
        expected_version=if_match,
    )
    return respond(
        *await execute(unit, lambda u: pipeline.revise_opportunity(cmd, u), _render(200))
    )


async def _move(unit, actor, cfg, opportunity_id, action, if_match, keyed, to=None, reason=None):
    cmd = MoveOpportunity(
        actor=actor,
        opportunity_id=opportunity_id,
        action=action,
        expected_version=if_match,
        to=to,
        reason=reason,
    )
    return respond(
        *await execute(
            unit,
            lambda u: pipeline.move_opportunity(cmd, u, cfg.stage_probabilities),
            _render(200),
            keyed,
        )
    )


@router.post(
    "/{opportunity_id}/stage",
    response_model=OpportunityPublic,
    dependencies=[WRITE],
    responses=ERRORS,
)
async def move_opportunity(
    opportunity_id: OpportunityId,
    body: StageChange,
    unit: Uow,
    actor: ActorDep,
    if_match: IfMatch,
    keyed: IdempotencyKey,
    cfg: Settings,
) -> JSONResponse:
    """Move between qualification, proposal and negotiation (either way)."""
    return await _move(unit, actor, cfg, opportunity_id, "stage", if_match, keyed, to=body.to)


@router.post(
    "/{opportunity_id}/win",
    response_model=OpportunityPublic,
    dependencies=[WRITE],
    responses=ERRORS,
)
async def win_opportunity(
    opportunity_id: OpportunityId,
    unit: Uow,
    actor: ActorDep,
    if_match: IfMatch,
    keyed: IdempotencyKey,
    cfg: Settings,
) -> JSONResponse:
    """Mark the opportunity won (accepting its quote does the same)."""
    return await _move(unit, actor, cfg, opportunity_id, "win", if_match, keyed)


@router.post(
    "/{opportunity_id}/lose",
    response_model=OpportunityPublic,
    dependencies=[WRITE],
    responses=ERRORS,
)
async def lose_opportunity(
    opportunity_id: OpportunityId,
    body: ReasonIn,
    unit: Uow,
    actor: ActorDep,
    if_match: IfMatch,
    keyed: IdempotencyKey,
    cfg: Settings,
) -> JSONResponse:
    """Mark the opportunity lost; a reason is required."""
    return await _move(
        unit, actor, cfg, opportunity_id, "lose", if_match, keyed, reason=body.reason
    )
