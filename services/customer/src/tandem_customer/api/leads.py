"""Leads: capture, score, assign, qualify / disqualify / reopen, convert."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from tandem_customer.api.common import Cursor, actor_of, keyset, page, uow_of
from tandem_customer.api.lead_schemas import (
    AssignLead,
    Conversion,
    Convert,
    Disqualify,
    LeadCreate,
    LeadPage,
    LeadPublic,
)
from tandem_customer.application import leads as handlers
from tandem_customer.application.commands import CaptureLead, ChangeLead, ConvertLead
from tandem_customer.db.tables import leads
from tandem_customer.domain.leads import Lead, LeadStatus
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])
READ, WRITE = require("leads", "read"), require("leads", "write")


def _render(status: int = 200):
    return lambda lead: (status, LeadPublic.of(lead).model_dump(mode="json"))


@router.post(
    "",
    status_code=201,
    response_model=LeadPublic,
    dependencies=[WRITE],
    responses={409: {"description": "a lead with this email exists"}},
)
async def capture_lead(
    body: LeadCreate, request: Request, principal: CurrentPrincipal, keyed: IdempotencyKey
) -> JSONResponse:
    """Capture a lead; its score and the rules behind it come back at once."""
    cmd = CaptureLead(body.name, body.details(), body.owner, actor_of(principal))
    status, payload = await execute(
        uow_of(request), lambda uow: handlers.capture_lead(cmd, uow), _render(201), keyed
    )
    return respond(status, payload)


@router.get("", response_model=LeadPage, dependencies=[READ])
async def list_leads(
    request: Request,
    principal: CurrentPrincipal,
    status: LeadStatus | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    min_score: Annotated[int | None, Query(ge=0)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    sort: Annotated[str, Query(pattern=r"^-?(created_at|score)$")] = "-created_at",
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> LeadPage:
    """Leads, filtered and sorted; a sales rep sees only the leads they own."""
    actor = actor_of(principal)
    if actor.owner_filter is not None:
        if owner not in (None, actor.subject):
            return LeadPage(items=[], next=None)  # a rep sees no one else's leads
        owner = actor.owner_filter
    name = sort.lstrip("-")
    async with uow_of(request) as uow:
        rows = await uow.leads.list(
            limit=limit + 1,
            keyset=keyset(leads.c[name], cursor, descending=sort.startswith("-")),
            status=status,
            owner=owner,
            min_score=min_score,
            q=q,
        )
    items, nxt = page(rows, limit, lambda lead: (getattr(lead, name), lead.id))
    return LeadPage(items=[LeadPublic.of(lead) for lead in items], next=nxt)


@router.get("/{lead_id}", response_model=LeadPublic, dependencies=[READ])
async def get_lead(
    lead_id: uuid.UUID, request: Request, principal: CurrentPrincipal
) -> JSONResponse:
    async with uow_of(request) as uow:
        lead = await handlers.load_lead(uow, lead_id, actor_of(principal), for_update=False)
        return respond(200, LeadPublic.of(lead).model_dump(mode="json"))


async def _change(request: Request, cmd: ChangeLead, keyed=None) -> JSONResponse:
    status, payload = await execute(
        uow_of(request), lambda uow: handlers.change_lead(cmd, uow), _render(), keyed
    )
    return respond(status, payload)


@router.post("/{lead_id}/qualify", response_model=LeadPublic, dependencies=[WRITE])
async def qualify_lead(
    lead_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    if_match: IfMatch,
    keyed: IdempotencyKey,
) -> JSONResponse:
    return await _change(
        request,
        ChangeLead(lead_id, "qualify", expected_version=if_match, actor=actor_of(principal)),
        keyed,
    )


@router.post("/{lead_id}/disqualify", response_model=LeadPublic, dependencies=[WRITE])
async def disqualify_lead(
    lead_id: uuid.UUID,
    body: Disqualify,
    request: Request,
    principal: CurrentPrincipal,
    if_match: IfMatch,
    keyed: IdempotencyKey,
) -> JSONResponse:
    return await _change(
        request,
        ChangeLead(
            lead_id,
            "disqualify",
            reason=body.reason,
            expected_version=if_match,
            actor=actor_of(principal),
        ),
        keyed,
    )


@router.post("/{lead_id}/reopen", response_model=LeadPublic, dependencies=[WRITE])
async def reopen_lead(
    lead_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    if_match: IfMatch,
    keyed: IdempotencyKey,
) -> JSONResponse:
    return await _change(
        request,
        ChangeLead(lead_id, "reopen", expected_version=if_match, actor=actor_of(principal)),
        keyed,
    )


@router.post("/{lead_id}/assign", response_model=LeadPublic, dependencies=[WRITE])
async def assign_lead(
    lead_id: uuid.UUID,
    body: AssignLead,
    request: Request,
    principal: CurrentPrincipal,
    if_match: IfMatch,
    keyed: IdempotencyKey,
) -> JSONResponse:
    return await _change(
        request,
        ChangeLead(
            lead_id,
            "assign",
            owner=body.owner,
            expected_version=if_match,
            actor=actor_of(principal),
        ),
        keyed,
    )


@router.post(
    "/{lead_id}/convert",
    response_model=Conversion,
    dependencies=[WRITE],
    responses={409: {"description": "illegal transition or likely duplicate customers"}},
)
async def convert_lead(
    lead_id: uuid.UUID,
    request: Request,
    principal: CurrentPrincipal,
    if_match: IfMatch,
    keyed: IdempotencyKey,
    body: Convert | None = None,
) -> JSONResponse:
    """Create the customer and contact (or link ``customer_id``); publishes LeadConverted."""
    body = body or Convert()
    cmd = ConvertLead(
        lead_id,
        body.customer_id,
        body.opportunity_name,
        body.credit_limit,
        body.allow_duplicates,
        if_match,
        actor_of(principal),
    )

    def render(lead: Lead) -> tuple[int, dict]:
        out = Conversion(
            lead=LeadPublic.of(lead), customer_id=lead.customer_id, contact_id=lead.contact_id
        )
        return 200, out.model_dump(mode="json")

    status, payload = await execute(
        uow_of(request), lambda uow: handlers.convert_lead(cmd, uow), render, keyed
    )
    return respond(status, payload, version=payload["lead"]["version"] if status == 200 else None)
