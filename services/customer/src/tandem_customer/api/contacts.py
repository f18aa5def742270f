"""Contacts: the people at a customer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints

from tandem_customer.api.common import Cursor, actor_of, keyset, page, uow_of
from tandem_customer.application import records
from tandem_customer.application.handlers import load_customer
from tandem_customer.db.tables import contacts
from tandem_customer.domain.contacts import Contact
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
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


class ContactPage(BaseModel):
    items: list[ContactPublic]
    next: str | None = None


def _render(model, status: int = 200):
    return lambda item: (status, model.of(item).model_dump(mode="json"))


@router.post(
    "",
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


@router.get("", response_model=ContactPage, dependencies=[require("contacts", "read")])
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
    "/{contact_id}",
    response_model=ContactPublic,
    dependencies=[require("contacts", "read")],
)
async def get_contact(contact_id: Annotated[uuid.UUID, Path()], request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        contact = await records.load(uow, "contact", contact_id)
        return respond(200, ContactPublic.of(contact).model_dump(mode="json"))


@router.patch(
    "/{contact_id}",
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
