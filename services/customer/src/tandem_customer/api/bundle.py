"""The customer 360's share of this service in one call: the customer and what hangs off it.

Each part is exactly what its own endpoint answers (``GET /customers/{id}``, ``/contacts``,
``/activities?limit=recent``, ``/tickets?open=true``, ``/customers/{id}/value``), read in one
read transaction. The customer is the subject: refused or unknown, the whole answer is. A part
the caller's roles do not cover is not read and is named in ``missing``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tandem_customer.api.activities import ActivityPage, ActivityPublic
from tandem_customer.api.common import actor_of, page, uow_of
from tandem_customer.api.contacts import ContactPage, ContactPublic
from tandem_customer.api.schemas import CustomerPublic, CustomerValue
from tandem_customer.api.tickets import TicketPage, TicketPublic
from tandem_customer.application.bundle import PART_RESOURCES, read_bundle
from tandem_kit.api import respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.permissions import allowed, require

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

BundlePart = Literal["contacts", "activities", "open_tickets", "value"]
ALL_PARTS: tuple[BundlePart, ...] = ("contacts", "activities", "open_tickets", "value")
PAGE_SIZE = 50  # what /contacts and /tickets answer without a limit


class MissingPart(BaseModel):
    part: BundlePart
    reason: Literal["forbidden"]
    detail: str


class CustomerBundle(BaseModel):
    customer: CustomerPublic
    contacts: ContactPage | None = Field(description="first page, as GET /contacts")
    activities: ActivityPage | None = Field(description="the most recent, newest first")
    open_tickets: TicketPage | None = Field(description="new, open or pending; newest first")
    value: CustomerValue | None
    missing: list[MissingPart] = Field(description="parts asked for and not read, and why")


def _page(rows: list[Any] | None, limit: int, key: str, public: Any) -> dict[str, Any] | None:
    if rows is None:
        return None
    items, nxt = page(rows, limit, lambda row: (getattr(row, key), row.id))
    return {"items": [public.of(row).model_dump(mode="json") for row in items], "next": nxt}


@router.get(
    "/{customer_id}/bundle",
    response_model=CustomerBundle,
    dependencies=[require("customers", "read")],
    responses={404: {"description": "no such customer (or not yours, for a sales rep)"}},
)
async def customer_bundle(
    customer_id: Annotated[uuid.UUID, Path(description="customer id")],
    request: Request,
    principal: CurrentPrincipal,
    parts: Annotated[
        list[BundlePart] | None, Query(description="parts besides the customer (default: all)")
    ] = None,
    recent: Annotated[int, Query(ge=1, le=200, description="how many recent activities")] = 20,
) -> JSONResponse:
    """The customer, contacts, recent activities, open tickets and value, in one read."""
    wanted = dict.fromkeys(parts or ALL_PARTS)
    missing = [
        {
            "part": part,
            "reason": "forbidden",
            "detail": f"the caller's roles may not read {PART_RESOURCES[part]}",
        }
        for part in wanted
        if not allowed(principal, PART_RESOURCES[part], "read")
    ]
    refused = {m["part"] for m in missing}
    readable = [part for part in wanted if part not in refused]
    uow = uow_of(request)
    found = await read_bundle(
        uow,
        customer_id,
        actor_of(principal),
        parts=readable,
        page_size=PAGE_SIZE,
        recent=recent,
    )
    value = (
        CustomerValue.of(customer_id, found.value, uow.rules).model_dump(mode="json")
        if "value" in readable
        else None
    )
    return respond(
        200,
        {
            "customer": CustomerPublic.of(found.customer).model_dump(mode="json"),
            "contacts": _page(found.contacts, PAGE_SIZE, "created_at", ContactPublic),
            "activities": _page(found.activities, recent, "occurred_at", ActivityPublic),
            "open_tickets": _page(found.open_tickets, PAGE_SIZE, "created_at", TicketPublic),
            "value": value,
            "missing": missing,
        },
    )
