"""Quote routes: draft, send, accept (creates the sales order), reject."""

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
from tandem_sales.api.deps import ActorDep, Cursor, after, page, settings, uow
from tandem_sales.api.documents import QuoteCreate, QuotePublic
from tandem_sales.api.schemas import OptionalReason
from tandem_sales.application import queries
from tandem_sales.application import quotes as handlers
from tandem_sales.application.commands import DraftQuote, QuoteAction
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.quotes import QuoteStatus
from tandem_sales.settings import SalesSettings

router = APIRouter(prefix="/api/v1/quotes", tags=["quotes"])
READ, WRITE = require("quotes", "read"), require("quotes", "write")
QuoteId = Annotated[uuid.UUID, Path(description="quote id")]
Uow = Annotated[SalesUnitOfWork, Depends(uow)]
Settings = Annotated[SalesSettings, Depends(settings)]
ERRORS = {
    404: {"description": "no such quote (or not yours)"},
    409: {"description": "illegal transition; names the allowed ones"},
    412: {"description": "stale If-Match"},
}


def _today():
    return datetime.now(UTC).date()


def _render(status: int):
    return lambda q: (status, QuotePublic.of(q).model_dump(mode="json"))


@router.post(
    "", status_code=201, response_model=QuotePublic, dependencies=[WRITE], responses=ERRORS
)
async def draft_quote(
    body: QuoteCreate, unit: Uow, actor: ActorDep, keyed: IdempotencyKey
) -> JSONResponse:
    """A draft quote; lines without a unit price take the list price."""
    cmd = DraftQuote(
        actor=actor,
        customer_id=body.customer_id,
        currency=body.currency,
        valid_until=body.valid_until,
        lines=tuple(line.command() for line in body.lines),
        opportunity_id=body.opportunity_id,
        owner=body.owner,
    )
    return respond(
        *await execute(unit, lambda u: handlers.draft_quote(cmd, u, _today()), _render(201), keyed)
    )


@router.get("", response_model=Page[QuotePublic], dependencies=[READ])
async def list_quotes(
    unit: Uow,
    actor: ActorDep,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    customer_id: uuid.UUID | None = None,
    opportunity_id: uuid.UUID | None = None,
    status: QuoteStatus | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[QuotePublic]:
    """Newest first; a sales rep sees only their own."""
    async with unit:
        rows = await unit.quotes.list(
            limit=limit + 1,
            after=after(cursor),
            customer_id=customer_id,
            status=status,
            opportunity_id=opportunity_id,
            owner=actor.owner_filter or owner,
        )
    items, nxt = page(rows, limit)
    return Page[QuotePublic](items=[QuotePublic.of(q) for q in items], next=nxt)


@router.get("/{quote_id}", response_model=QuotePublic, dependencies=[READ], responses=ERRORS)
async def get_quote(quote_id: QuoteId, unit: Uow, actor: ActorDep) -> JSONResponse:
    async with unit:
        quote = await queries.get_visible(unit, actor, "quote", quote_id)
    return respond(200, QuotePublic.of(quote).model_dump(mode="json"))


async def _act(unit, actor, cfg, quote_id, action, if_match, keyed, reason=None):
    cmd = QuoteAction(
        actor=actor, quote_id=quote_id, action=action, expected_version=if_match, reason=reason
    )
    return respond(
        *await execute(
            unit,
            lambda u: handlers.quote_action(cmd, u, _today(), cfg.stage_probabilities),
            _render(200),
            keyed,
        )
    )


@router.post("/{quote_id}/send", response_model=QuotePublic, dependencies=[WRITE], responses=ERRORS)
async def send_quote(
    quote_id: QuoteId,
    unit: Uow,
    actor: ActorDep,
    if_match: IfMatch,
    keyed: IdempotencyKey,
    cfg: Settings,
) -> JSONResponse:
    return await _act(unit, actor, cfg, quote_id, "send", if_match, keyed)


@router.post(
    "/{quote_id}/accept", response_model=QuotePublic, dependencies=[WRITE], responses=ERRORS
)
async def accept_quote(
    quote_id: QuoteId,
    unit: Uow,
    actor: ActorDep,
    if_match: IfMatch,
    keyed: IdempotencyKey,
    cfg: Settings,
) -> JSONResponse:
    """Accept a sent quote: a draft sales order is created from its lines (``order_id``) and
    its opportunity, if any, is won."""
    return await _act(unit, actor, cfg, quote_id, "accept", if_match, keyed)


@router.post(
    "/{quote_id}/reject", response_model=QuotePublic, dependencies=[WRITE], responses=ERRORS
)
async def reject_quote(
    quote_id: QuoteId,
    unit: Uow,
    actor: ActorDep,
    if_match: IfMatch,
    keyed: IdempotencyKey,
    cfg: Settings,
    body: OptionalReason | None = None,
) -> JSONResponse:
    return await _act(
        unit, actor, cfg, quote_id, "reject", if_match, keyed, reason=body.reason if body else None
    )
