"""Supplier routes: register, read, revise and move suppliers through their lifecycle."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.pagination import Page
from tandem_kit.permissions import require
from tandem_supplier.api import deps
from tandem_supplier.api.deps import Cursor, SupplierId
from tandem_supplier.api.schemas import StatusChange, SupplierCreate, SupplierPublic, SupplierUpdate
from tandem_supplier.application import handlers
from tandem_supplier.application.commands import (
    ChangeSupplierStatus,
    RegisterSupplier,
    ReviseSupplier,
)
from tandem_supplier.domain.errors import SupplierNotFound
from tandem_supplier.domain.supplier import TRANSITIONS, Contact, SupplierStatus

router = APIRouter(prefix="/api/v1/suppliers", tags=["suppliers"])
WRITE = require("suppliers", "write")
READ = require("suppliers", "read")
ERRORS = {
    404: {"description": "no such supplier"},
    409: {"description": "illegal transition, duplicate or missing certification"},
    412: {"description": "stale If-Match"},
    422: {"description": "invalid field (named in the body)"},
}


def _render(status: int):
    return lambda s: (status, SupplierPublic.of(s).model_dump(mode="json"))


def _contacts(items) -> tuple[Contact, ...] | None:
    if items is None:
        return None
    return tuple(Contact(c.name, str(c.email) if c.email else None, c.phone, c.role) for c in items)


@router.post(
    "", status_code=201, response_model=SupplierPublic, dependencies=[WRITE], responses=ERRORS
)
async def register_supplier(
    body: SupplierCreate, request: Request, keyed: IdempotencyKey
) -> JSONResponse:
    """Register an applicant; 409 when the legal id or normalised name is already known."""
    cmd = RegisterSupplier(
        name=body.name,
        legal_id=body.legal_id,
        categories=body.categories,
        risk_level=body.risk_level,
        contacts=_contacts(body.contacts) or (),
    )
    status, payload = await execute(
        deps.uow(request), lambda uow: handlers.register_supplier(cmd, uow), _render(201), keyed
    )
    return respond(status, payload)


@router.get("", response_model=Page[SupplierPublic], dependencies=[READ])
async def list_suppliers(
    request: Request,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    status: SupplierStatus | None = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
) -> Page[SupplierPublic]:
    """Suppliers oldest first, filtered by status, category and name."""
    from tandem_supplier.domain.supplier import normalise_name

    async with deps.uow(request) as uow:
        rows = await uow.suppliers.list(
            limit=limit + 1,
            after=deps.after(cursor),
            status=status,
            category=category.strip().lower() if category else None,
            name=normalise_name(name) if name else None,
        )
    return Page(
        items=[SupplierPublic.of(s) for s in rows[:limit]], next=deps.next_cursor(rows, limit)
    )


@router.get("/{supplier_id}", response_model=SupplierPublic, dependencies=[READ], responses=ERRORS)
async def get_supplier(supplier_id: SupplierId, request: Request) -> JSONResponse:
    async with deps.uow(request) as uow:
        supplier = await uow.suppliers.get(supplier_id)
    if supplier is None:
        raise SupplierNotFound(supplier_id)
    return respond(200, SupplierPublic.of(supplier).model_dump(mode="json"))


@router.patch(
    "/{supplier_id}", response_model=SupplierPublic, dependencies=[WRITE], responses=ERRORS
)
async def revise_supplier(
    supplier_id: SupplierId, body: SupplierUpdate, request: Request, if_match: IfMatch
) -> JSONResponse:
    """Change name, categories, risk level or contacts (If-Match for optimistic concurrency)."""
    cmd = ReviseSupplier(
        supplier_id=supplier_id,
        name=body.name,
        categories=body.categories,
        risk_level=body.risk_level,
        contacts=_contacts(body.contacts),
        expected_version=if_match,
    )
    status, payload = await execute(
        deps.uow(request), lambda uow: handlers.revise_supplier(cmd, uow), _render(200)
    )
    return respond(status, payload)


def _status_route(action: str) -> None:
    async def change(
        supplier_id: SupplierId,
        request: Request,
        if_match: IfMatch,
        keyed: IdempotencyKey,
        body: StatusChange | None = None,
    ) -> JSONResponse:
        cmd = ChangeSupplierStatus(
            supplier_id=supplier_id,
            action=action,
            reason=body.reason if body else None,
            expected_version=if_match,
        )
        policy = request.app.state.qualification
        day = deps.today(request)
        status, payload = await execute(
            deps.uow(request),
            lambda uow: handlers.change_supplier_status(cmd, uow, policy=policy, today=day),
            _render(200),
            keyed,
        )
        return respond(status, payload)

    change.__name__ = f"{action}_supplier"
    router.add_api_route(
        f"/{{supplier_id}}/{action}",
        change,
        methods=["POST"],
        response_model=SupplierPublic,
        dependencies=[WRITE],
        summary=f"{action.capitalize()} a supplier",
        responses=ERRORS,
    )


ACTIONS: tuple[Literal["submit", "approve", "reject", "suspend", "reinstate", "block"], ...] = (
    "submit", "approve", "reject", "suspend", "reinstate", "block",
)  # fmt: skip
assert set(ACTIONS) == set(TRANSITIONS)
for _action in ACTIONS:
    _status_route(_action)
