"""Contacts and activities (a customer's timeline)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints

from tandem_customer.api.common import Cursor, actor_of, keyset, page, uow_of
from tandem_customer.application import records
from tandem_customer.application.handlers import load_customer
from tandem_customer.db.tables import activities, contacts
from tandem_customer.domain.contacts import Activity, ActivityKind, Contact
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1", tags=["contacts", "activities"])
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: uuid.UUID
    name: Text200
    email: EmailStr | None = None
    phone: Phone | None = None
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    primary: bool = False


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text200 | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    primary: bool | None = None


class ContactPublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    title: str | None
    primary: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Contact) -> ContactPublic:
        return cls.model_validate(c, from_attributes=True)


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


class ContactPage(BaseModel):
    items: list[ContactPublic]
    next: str | None = None


class ActivityPage(BaseModel):
    items: list[ActivityPublic]
    next: str | None = None


def _render(model, status: int = 200):
    return lambda item: (status, model.of(item).model_dump(mode="json"))


@router.post(
    "/contacts",
    status_code=201,
    response_model=ContactPublic,
    dependencies=[require("contacts", "write")],
)
async def add_contact(
    body: ContactCreate, request: Request, principal: CurrentPrincipal, keyed: IdempotencyKey
) -> JSONResponse:
    """Add a contact person to a customer; publishes tandem.customer.contact.changed.v1."""
    details = body.model_dump(exclude={"customer_id", "name"})
    details["email"] = str(body.email) if body.email else None
    status, payload = await execute(
        uow_of(request),
        lambda uow: records.add_contact(
            uow, customer_id=body.customer_id, name=body.name, **details
        ),
        _render(ContactPublic, 201),
        keyed,
    )
    return respond(status, payload)


@router.get("/contacts", response_model=ContactPage, dependencies=[require("contacts", "read")])
async def list_contacts(
    request: Request,
    principal: CurrentPrincipal,
    customer_id: uuid.UUID | None = None,
    limit: PageLimit = 50,
    cursor: Cursor = None,
) -> ContactPage:
    async with uow_of(request) as uow:
        if customer_id is not None:
            await load_customer(uow, customer_id, actor_of(principal))
        rows = await uow.contacts.list(
            limit=limit + 1, keyset=keyset(contacts.c.created_at, cursor), customer_id=customer_id
        )
    items, nxt = page(rows, limit, lambda c: (c.created_at, c.id))
    return ContactPage(items=[ContactPublic.of(c) for c in items], next=nxt)


@router.get(
    "/contacts/{contact_id}",
    response_model=ContactPublic,
    dependencies=[require("contacts", "read")],
)
async def get_contact(contact_id: Annotated[uuid.UUID, Path()], request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        contact = await records.load(uow, "contact", contact_id)
        return respond(200, ContactPublic.of(contact).model_dump(mode="json"))


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactPublic,
    dependencies=[require("contacts", "write")],
)
async def update_contact(
    contact_id: uuid.UUID, body: ContactUpdate, request: Request, if_match: IfMatch
) -> JSONResponse:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("email") is not None:
        changes["email"] = str(changes["email"]).lower()
    status, payload = await execute(
        uow_of(request),
        lambda uow: records.update_contact(uow, contact_id, changes, if_match),
        _render(ContactPublic),
    )
    return respond(status, payload)


@router.post(
    "/activities",
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


@router.get(
    "/activities", response_model=ActivityPage, dependencies=[require("activities", "read")]
)
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
    "/activities/{activity_id}",
    response_model=ActivityPublic,
    dependencies=[require("activities", "read")],
)
async def get_activity(activity_id: uuid.UUID, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        activity = await records.load(uow, "activity", activity_id)
        return respond(200, ActivityPublic.of(activity).model_dump(mode="json"))


@router.post(
    "/activities/{activity_id}/complete",
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
