"""Contract (framework agreement) routes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field, model_validator

from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.idempotency import execute
from tandem_kit.permissions import require
from tandem_procurement.api import render
from tandem_procurement.api.common import (
    Cursor,
    MoneyIn,
    Sku,
    Strict,
    actor,
    after_of,
    page,
    uow_of,
)
from tandem_procurement.application import contracts as handlers
from tandem_procurement.application.commands import ContractAction, DraftContract
from tandem_procurement.domain.contract import ContractStatus
from tandem_procurement.domain.errors import Missing

router = APIRouter(prefix="/api/v1/contracts", tags=["contracts"])
READ, WRITE = require("contracts", "read"), require("contracts", "write")
ContractId = Annotated[uuid.UUID, Path(description="contract id")]


class ContractLineIn(Strict):
    sku: Sku
    unit_price: MoneyIn


class ContractCreate(Strict):
    supplier_id: uuid.UUID
    lines: Annotated[list[ContractLineIn], Field(min_length=1, max_length=500)]
    valid_from: date
    valid_until: date
    title: Annotated[str, Field(max_length=200)] | None = None
    volume_commitment: MoneyIn | None = None
    notice_days: Annotated[int, Field(ge=0, le=365)] = 30

    @model_validator(mode="after")
    def _one_currency(self) -> ContractCreate:
        currencies = {ln.unit_price.currency for ln in self.lines}
        if self.volume_commitment:
            currencies.add(self.volume_commitment.currency)
        if len(currencies) != 1:
            raise ValueError("all prices and the volume commitment use one currency")
        return self


@router.post("", status_code=201, dependencies=[WRITE])
async def create_contract(
    body: ContractCreate, request: Request, principal: CurrentPrincipal, keyed: IdempotencyKey
) -> JSONResponse:
    """Draft a contract; publishes tandem.procurement.contract.changed.v1."""
    cmd = DraftContract(
        actor=actor(principal),
        supplier_id=body.supplier_id,
        currency=body.lines[0].unit_price.currency,
        lines=tuple((ln.sku, ln.unit_price.amount) for ln in body.lines),
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        title=body.title,
        volume_commitment=body.volume_commitment.amount if body.volume_commitment else None,
        notice_days=body.notice_days,
    )
    status, payload = await execute(
        uow_of(request),
        lambda uow: handlers.draft_contract(cmd, uow),
        lambda c: (201, render.contract(c)),
        keyed,
    )
    return respond(status, payload)


@router.get("", dependencies=[READ])
async def list_contracts(
    request: Request,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    supplier_id: uuid.UUID | None = None,
    status: ContractStatus | None = None,
) -> dict:
    after = after_of(cursor)
    async with uow_of(request) as uow:
        rows = await uow.contracts.list(
            limit=limit + 1, after=after, supplier_id=supplier_id, status=status
        )
        return page(rows, limit, render.contract)


@router.get("/{contract_id}", dependencies=[READ])
async def get_contract(contract_id: ContractId, request: Request) -> JSONResponse:
    async with uow_of(request) as uow:
        found = await uow.contracts.get(contract_id)
        if found is None:
            raise Missing("contract", contract_id)
        return respond(200, render.contract(found))


def _action_route(action: Literal["activate", "terminate"]) -> None:
    async def act(
        contract_id: ContractId, request: Request, if_match: IfMatch, keyed: IdempotencyKey
    ) -> JSONResponse:
        cmd = ContractAction(contract_id=contract_id, action=action, expected_version=if_match)
        status, payload = await execute(
            uow_of(request),
            lambda uow: handlers.act_on_contract(cmd, uow),
            lambda c: (200, render.contract(c)),
            keyed,
        )
        return respond(status, payload)

    act.__name__ = f"{action}_contract"
    router.add_api_route(
        f"/{{contract_id}}/{action}",
        act,
        methods=["POST"],
        dependencies=[WRITE],
        summary=f"{action.capitalize()} a contract",
        responses={
            409: {"description": "illegal transition"},
            412: {"description": "stale If-Match"},
        },
    )


for _action in ("activate", "terminate"):
    _action_route(_action)
