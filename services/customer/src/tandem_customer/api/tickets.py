"""Service tickets: lifecycle actions, SLA due times, the open-tickets view and a summary."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from tandem_customer.api.common import Cursor, keyset, page, uow_of
from tandem_customer.application import records
from tandem_customer.db.tables import tickets
from tandem_customer.domain.tickets import TRANSITIONS, Priority, Ticket, TicketStatus
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
READ, WRITE = require("tickets", "read"), require("tickets", "write")


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: uuid.UUID
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    priority: Priority = Priority.NORMAL
    description: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    assignee: Annotated[str, StringConstraints(max_length=200)] | None = None


class Assign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TicketPublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    subject: str
    description: str | None
    priority: Priority
    status: TicketStatus
    assignee: str | None
    escalated: bool
    escalation_level: int
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, t: Ticket) -> TicketPublic:
        return cls.model_validate(t, from_attributes=True)


class TicketPage(BaseModel):
    items: list[TicketPublic]
    next: str | None = None


class TicketSummary(BaseModel):
    by_status: dict[str, int]
    breaching: int
    breaching_ids: list[uuid.UUID]


def _render(status: int = 200):
    return lambda t: (status, TicketPublic.of(t).model_dump(mode="json"))


@router.post("", status_code=201, response_model=TicketPublic, dependencies=[WRITE])
async def raise_ticket(body: TicketCreate, request: Request, keyed: IdempotencyKey) -> JSONResponse:
    """Open a ticket for a customer; SLA due times follow from its priority."""
    status, payload = await execute(
        uow_of(request),
        lambda uow: records.raise_ticket(uow, **body.model_dump()),
        _render(201),
        keyed,
    )
    return respond(status, payload)


@router.get("/summary", response_model=TicketSummary, dependencies=[READ])
async def ticket_summary(request: Request) -> TicketSummary:
    """Counts by status and the active tickets past an SLA due time (first 50 ids)."""
    async with uow_of(request) as uow:
        by_status, breaching, ids = await uow.tickets.summary(datetime.now(UTC))
    return TicketSummary(by_status=by_status, breaching=breaching, breaching_ids=ids)


@router.get("", response_model=TicketPage, dependencies=[READ])
async def list_tickets(
    request: Request,
    customer_id: uuid.UUID | None = None,
    status: TicketStatus | None = None,
    open: Annotated[bool | None, Query(description="true: new/open/pending")] = None,
    priority: Priority | None = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> TicketPage:
    """Tickets, newest first."""
    async with uow_of(request) as uow:
        rows = await uow.tickets.list(
            limit=limit + 1,
            keyset=keyset(tickets.c.created_at, cursor, descending=True),
            customer_id=customer_id,
            status=status,
            open_only=open,
            priority=priority,
            assignee=assignee,
        )
    items, nxt = page(rows, limit, lambda t: (t.created_at, t.id))
    return TicketPage(items=[TicketPublic.of(t) for t in items], next=nxt)


@router.get("/{ticket_id}", response_model=TicketPublic, dependencies=[READ])
async def get_ticket(ticket_id: uuid.UUID, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        ticket = await records.load(uow, "ticket", ticket_id)
        return respond(200, TicketPublic.of(ticket).model_dump(mode="json"))


@router.post("/{ticket_id}/assign", response_model=TicketPublic, dependencies=[WRITE])
async def assign_ticket(
    ticket_id: uuid.UUID, body: Assign, request: Request, if_match: IfMatch
) -> JSONResponse:
    status, payload = await execute(
        uow_of(request),
        lambda uow: records.assign_ticket(uow, ticket_id, body.assignee, if_match),
        _render(),
    )
    return respond(status, payload)


def _action_route(action: str) -> None:
    async def act(
        ticket_id: uuid.UUID, request: Request, if_match: IfMatch, keyed: IdempotencyKey
    ) -> JSONResponse:
        status, payload = await execute(
            uow_of(request),
            lambda uow: records.act_on_ticket(uow, ticket_id, action, if_match),
            _render(),
            keyed,
        )
        return respond(status, payload)

    act.__name__ = f"{action}_ticket"
    router.add_api_route(
        f"/{{ticket_id}}/{action}",
        act,
        methods=["POST"],
        response_model=TicketPublic,
        dependencies=[WRITE],
        summary=f"{action.capitalize()} a ticket",
        responses={409: {"description": "illegal transition"}, 412: {"description": "stale"}},
    )


for _action in TRANSITIONS:
    _action_route(_action)
