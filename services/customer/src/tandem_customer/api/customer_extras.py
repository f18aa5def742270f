"""Customer routes beyond the lifecycle: update, duplicates, merge, value."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from tandem_customer.api.common import actor_of, uow_of
from tandem_customer.api.schemas import (
    CustomerPublic,
    CustomerUpdate,
    CustomerValue,
    DuplicateList,
    MergeRequest,
)
from tandem_customer.application import handlers
from tandem_customer.application.commands import MergeCustomers, UpdateCustomer
from tandem_customer.domain.errors import InvalidCustomer
from tandem_kit.api import IdempotencyKey, IfMatch, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
WRITE = require("customers", "write")
READ = require("customers", "read")
CustomerId = Annotated[uuid.UUID, Path(description="customer id")]


def _ok(customer) -> tuple[int, dict]:
    return 200, CustomerPublic.of(customer).model_dump(mode="json")


@router.get("/duplicates", response_model=DuplicateList, dependencies=[READ])
async def find_duplicates(
    request: Request,
    name: Annotated[str | None, Query(max_length=200)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    legal_id: Annotated[str | None, Query(max_length=64)] = None,
) -> DuplicateList:
    """Customers that a new one with these details would duplicate (check before creating)."""
    if not (name or email or legal_id):
        raise InvalidCustomer("give name, email or legal_id", field="name")
    async with uow_of(request) as uow:
        found = await handlers.likely_duplicates(uow, name=name, email=email, legal_id=legal_id)
    return DuplicateList.model_validate({"items": found})


@router.get("/{customer_id}/duplicates", response_model=DuplicateList, dependencies=[READ])
async def duplicates_of(
    customer_id: CustomerId, request: Request, principal: CurrentPrincipal
) -> DuplicateList:
    """Likely duplicates of an existing customer (same legal id, normalised name or email)."""
    async with uow_of(request) as uow:
        c = await handlers.load_customer(uow, customer_id, actor_of(principal))
        found = await handlers.likely_duplicates(
            uow, name=c.name, email=c.email, legal_id=c.legal_id, exclude=c.id
        )
    return DuplicateList.model_validate({"items": found})


@router.patch(
    "/{customer_id}",
    response_model=CustomerPublic,
    dependencies=[WRITE],
    responses={412: {"description": "stale If-Match"}, 422: {"description": "invalid field"}},
)
async def update_customer(
    customer_id: CustomerId,
    body: CustomerUpdate,
    request: Request,
    principal: CurrentPrincipal,
    if_match: IfMatch,
) -> JSONResponse:
    """Change fields; publishes tandem.customer.customer.updated.v1 when anything changed."""
    cmd = UpdateCustomer(customer_id, body.changes(), if_match, actor_of(principal))
    status, payload = await execute(
        uow_of(request), lambda uow: handlers.update_customer(cmd, uow), _ok
    )
    return respond(status, payload)


@router.post(
    "/{customer_id}/merge",
    response_model=CustomerPublic,
    dependencies=[WRITE],
    responses={409: {"description": "illegal transition"}, 412: {"description": "stale"}},
)
async def merge_customer(
    customer_id: CustomerId,
    body: MergeRequest,
    request: Request,
    principal: CurrentPrincipal,
    if_match: IfMatch,
    keyed: IdempotencyKey,
) -> JSONResponse:
    """Merge this customer into ``into``: contacts, activities, tickets and orders move over;
    this one becomes a tombstone (tandem.customer.customer.merged.v1)."""
    cmd = MergeCustomers(customer_id, body.into, if_match, actor_of(principal))
    status, payload = await execute(
        uow_of(request), lambda uow: handlers.merge_customers(cmd, uow), _ok, keyed
    )
    return respond(status, payload)


@router.get("/{customer_id}/value", response_model=CustomerValue, dependencies=[READ])
async def customer_value(
    customer_id: CustomerId, request: Request, principal: CurrentPrincipal
) -> CustomerValue:
    """Lifetime revenue, order count, last order and tier, from sales order events."""
    async with uow_of(request) as uow:
        await handlers.load_customer(uow, customer_id, actor_of(principal))
        row = await uow.values.get(customer_id)
    return CustomerValue.of(customer_id, row, uow.rules)
