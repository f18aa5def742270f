"""Customer routes: request schema -> command -> handler -> response schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from tandem_customer.api.schemas import CustomerCreate, CustomerPage, CustomerPublic, StatusChange
from tandem_customer.application import handlers
from tandem_customer.application.commands import ChangeCustomerStatus, RegisterCustomer
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.domain.errors import CustomerNotFound
from tandem_customer.domain.model import CustomerStatus
from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.pagination import decode_cursor, encode_cursor
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

WRITE = require("customers", "write")
READ = require("customers", "read")
CustomerId = Annotated[uuid.UUID, Path(description="customer id")]


def _uow(request: Request) -> CustomerUnitOfWork:
    return request.app.state.uow()


def _public(customer) -> tuple[int, dict]:
    return 201, CustomerPublic.of(customer).model_dump(mode="json")


@router.post(
    "",
    status_code=201,
    response_model=CustomerPublic,
    dependencies=[WRITE],
    responses={422: {"description": "invalid field (named in detail[].field)"}},
)
async def create_customer(
    body: CustomerCreate, request: Request, principal: CurrentPrincipal, keyed: IdempotencyKey
) -> JSONResponse:
    """Register a customer (a prospect); publishes tandem.customer.customer.created.v1."""
    cmd = RegisterCustomer(
        name=body.name,
        email=str(body.email),
        credit_limit=body.credit_limit.amount,
        currency=body.credit_limit.currency,
        legal_id=body.legal_id,
        owner=body.owner or principal.subject,
        industry=body.industry,
    )
    status, payload = await execute(
        _uow(request), lambda uow: handlers.register_customer(cmd, uow), _public, keyed
    )
    return respond(status, payload)


@router.get(
    "/{customer_id}",
    response_model=CustomerPublic,
    dependencies=[READ],
    responses={404: {"description": "no such customer"}},
)
async def get_customer(customer_id: CustomerId, request: Request) -> JSONResponse:
    async with _uow(request) as uow:
        customer = await uow.customers.get(customer_id)
        if customer is None:
            raise CustomerNotFound(customer_id)
        return respond(200, CustomerPublic.of(customer).model_dump(mode="json"))


@router.get("", response_model=CustomerPage, dependencies=[READ])
async def list_customers(
    request: Request,
    limit: PageLimit = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    status: CustomerStatus | None = None,
) -> CustomerPage:
    after = None
    if cursor:
        created, cid = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(created), uuid.UUID(cid))
        except (TypeError, ValueError):
            from tandem_kit.pagination import BadCursor

            raise BadCursor() from None
    async with _uow(request) as uow:
        rows = await uow.customers.list(limit=limit + 1, after=after, status=status)
    page = rows[:limit]
    nxt = (
        encode_cursor([page[-1].created_at.isoformat(), str(page[-1].id)])
        if len(rows) > limit
        else None
    )
    return CustomerPage(items=[CustomerPublic.of(c) for c in page], next=nxt)


def _status_route(action: Literal["activate", "hold", "block", "archive"]) -> None:
    async def change(
        customer_id: CustomerId,
        request: Request,
        if_match: IfMatch,
        body: StatusChange | None = None,
    ) -> JSONResponse:
        cmd = ChangeCustomerStatus(
            customer_id=customer_id,
            action=action,
            reason=body.reason if body else None,
            expected_version=if_match,
        )
        status, payload = await execute(
            _uow(request),
            lambda uow: handlers.change_customer_status(cmd, uow),
            lambda c: (200, CustomerPublic.of(c).model_dump(mode="json")),
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


for _action in ("activate", "hold", "block", "archive"):
    _status_route(_action)
