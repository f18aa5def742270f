"""Customer routes: request schema -> command -> handler -> response schema."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from tandem_customer.api.common import Cursor, actor_of, keyset, page, uow_of
from tandem_customer.api.schemas import CustomerCreate, CustomerPage, CustomerPublic, StatusChange
from tandem_customer.application import handlers
from tandem_customer.application.commands import ChangeCustomerStatus, RegisterCustomer
from tandem_customer.db.repositories import CustomerFilter
from tandem_customer.db.tables import customers
from tandem_customer.domain.model import STATUS_ACTIONS, CustomerStatus
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

WRITE = require("customers", "write")
READ = require("customers", "read")
CustomerId = Annotated[uuid.UUID, Path(description="customer id")]
SORTS = {"created_at": "created_at", "-created_at": "created_at", "name": "name", "-name": "name"}


def _public(customer) -> tuple[int, dict]:
    return 201, CustomerPublic.of(customer).model_dump(mode="json")


@router.post(
    "",
    status_code=201,
    response_model=CustomerPublic,
    dependencies=[WRITE],
    responses={
        409: {"description": "likely duplicates (listed in `duplicates`)"},
        422: {"description": "invalid field (named in detail[].field)"},
    },
)
async def create_customer(
    body: CustomerCreate,
    request: Request,
    principal: CurrentPrincipal,
    keyed: IdempotencyKey,
    allow_duplicates: Annotated[
        bool, Query(description="create even if it looks like an existing customer")
    ] = False,
) -> JSONResponse:
    """Register a customer (a prospect); publishes tandem.customer.customer.created.v1."""
    cmd = RegisterCustomer(
        name=body.name,
        email=str(body.email),
        credit_limit=body.credit_limit.amount,
        currency=body.credit_limit.currency,
        legal_id=body.legal_id,
        owner=body.owner,
        industry=body.industry,
        segment=body.segment,
        allow_duplicates=allow_duplicates,
        actor=actor_of(principal),
    )
    status, payload = await execute(
        uow_of(request), lambda uow: handlers.register_customer(cmd, uow), _public, keyed
    )
    return respond(status, payload)


@router.get(
    "/{customer_id}",
    response_model=CustomerPublic,
    dependencies=[READ],
    responses={404: {"description": "no such customer (or not yours, for a sales rep)"}},
)
async def get_customer(
    customer_id: CustomerId, request: Request, principal: CurrentPrincipal
) -> JSONResponse:
    async with uow_of(request) as uow:
        customer = await handlers.load_customer(uow, customer_id, actor_of(principal))
        return respond(200, CustomerPublic.of(customer).model_dump(mode="json"))


@router.get("", response_model=CustomerPage, dependencies=[READ])
async def list_customers(
    request: Request,
    principal: CurrentPrincipal,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    status: CustomerStatus | None = None,
    segment: Annotated[str | None, Query(max_length=100)] = None,
    tier: Annotated[str | None, Query(max_length=20)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    industry: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="name/email")] = None,
    sort: Literal["created_at", "-created_at", "name", "-name"] = "created_at",
    include_merged: bool = False,
) -> CustomerPage:
    """Customers, filtered and sorted; a sales rep sees only the customers they own."""
    actor = actor_of(principal)
    if actor.owner_filter is not None:
        if owner not in (None, actor.subject):
            return CustomerPage(items=[], next=None)  # a rep sees no one else's customers
        owner = actor.owner_filter
    column = customers.c[SORTS[sort]]
    where = CustomerFilter(status, segment, tier, owner, industry, q, include_merged)
    async with uow_of(request) as uow:
        rows = await uow.customers.list(
            limit=limit + 1,
            keyset=keyset(column, cursor, descending=sort.startswith("-")),
            where=where,
        )
    items, nxt = page(rows, limit, lambda c: (getattr(c, SORTS[sort]), c.id))
    return CustomerPage(items=[CustomerPublic.of(c) for c in items], next=nxt)


def _status_route(action: str) -> None:
    async def change(
        customer_id: CustomerId,
        request: Request,
        principal: CurrentPrincipal,
        if_match: IfMatch,
        keyed: IdempotencyKey,
        body: StatusChange | None = None,
    ) -> JSONResponse:
        cmd = ChangeCustomerStatus(
            customer_id=customer_id,
            action=action,
            reason=body.reason if body else None,
            expected_version=if_match,
            actor=actor_of(principal),
        )
        status, payload = await execute(
            uow_of(request),
            lambda uow: handlers.change_customer_status(cmd, uow),
            lambda c: (200, CustomerPublic.of(c).model_dump(mode="json")),
            keyed,
        )
        return respond(status, payload)

    change.__name__ = f"{action}_customer"
    router.add_api_route(
        f"/{{customer_id}}/{action}",
        change,
        methods=["POST"],
        response_model=CustomerPublic,
        dependencies=[WRITE],
        summary=f"{action.capitalize()} a customer",
        responses={
            409: {"description": "illegal transition"},
            412: {"description": "stale If-Match"},
        },
    )


for _action in STATUS_ACTIONS:
    _status_route(_action)
