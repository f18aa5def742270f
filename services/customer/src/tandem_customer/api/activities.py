"""Activities: calls, emails, meetings, notes and tasks; a timeline per customer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from tandem_customer.api.common import Cursor, actor_of, keyset, page, uow_of
from tandem_customer.application import records
from tandem_customer.application.handlers import load_customer
from tandem_customer.db.tables import activities
from tandem_customer.domain.contacts import Activity, ActivityKind
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/activities", tags=["activities"])


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: uuid.UUID
    kind: ActivityKind
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    contact_id: uuid.UUID | None = None
    occurred_at: datetime | None = None
    due_at: datetime | None = None


class ActivityPublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    kind: ActivityKind
    subject: str
    body: str | None
    contact_id: uuid.UUID | None
    occurred_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    author: str | None
    version: int

    @classmethod
    def of(cls, a: Activity) -> ActivityPublic:
        return cls.model_validate(a, from_attributes=True)


class ActivityPage(BaseModel):
    items: list[ActivityPublic]
    next: str | None = None


def _render(model, status: int = 200):
    return lambda item: (status, model.of(item).model_dump(mode="json"))


@router.post(
    "",
    status_code=201,
    response_model=ActivityPublic,
    dependencies=[require("activities", "write")],
)
async def record_activity(
    body: ActivityCreate, request: Request, principal: CurrentPrincipal, keyed: IdempotencyKey
) -> JSONResponse:
    """Log a call, email, meeting or note, or plan a task (with ``due_at``)."""
    status, payload = await execute(
        uow_of(request),
        lambda uow: records.record_activity(uow, author=principal.subject, **body.model_dump()),
        _render(ActivityPublic, 201),
        keyed,
    )
    return respond(status, payload)


@router.get("", response_model=ActivityPage, dependencies=[require("activities", "read")])
async def list_activities(
    request: Request,
    principal: CurrentPrincipal,
    customer_id: uuid.UUID | None = None,
    kind: ActivityKind | None = None,
    open_tasks: Annotated[bool | None, Query(description="only tasks, open or done")] = None,
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> ActivityPage:
    """A customer's timeline, newest first."""
    async with uow_of(request) as uow:
        if customer_id is not None:
            await load_customer(uow, customer_id, actor_of(principal))
        rows = await uow.activities.list(
            limit=limit + 1,
            keyset=keyset(activities.c.occurred_at, cursor, descending=True),
            customer_id=customer_id,
            kind=kind,
            open_tasks=open_tasks,
        )
    items, nxt = page(rows, limit, lambda a: (a.occurred_at, a.id))
    return ActivityPage(items=[ActivityPublic.of(a) for a in items], next=nxt)


@router.get(
    "/{activity_id}",
    response_model=ActivityPublic,
    dependencies=[require("activities", "read")],
)
async def get_activity(activity_id: uuid.UUID, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        activity = await records.load(uow, "activity", activity_id)
        return respond(200, ActivityPublic.of(activity).model_dump(mode="json"))


@router.post(
    "/{activity_id}/complete",
    response_model=ActivityPublic,
    dependencies=[require("activities", "write")],
)
async def complete_task(
    activity_id: uuid.UUID, request: Request, if_match: IfMatch
) -> JSONResponse:
    status, payload = await execute(
        uow_of(request),
        lambda uow: records.complete_task(uow, activity_id, if_match),
        _render(ActivityPublic),
    )
    return respond(status, payload)
