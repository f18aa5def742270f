"""Sales' view of a customer's credit, built from customer events and sales' own orders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from tandem_kit.permissions import require
from tandem_sales.api.deps import ActorDep, uow
from tandem_sales.api.schemas import MoneyOut, money_out
from tandem_sales.application.customers import customer_credit
from tandem_sales.application.unit_of_work import SalesUnitOfWork

router = APIRouter(prefix="/api/v1/customer-credit", tags=["customer credit"])
READ = require("customer-credit", "read")


class CustomerCredit(BaseModel):
    customer_id: uuid.UUID
    name: str
    status: str
    credit_limit: MoneyOut
    open_total: MoneyOut | None
    available: MoneyOut | None
    merged_into: uuid.UUID | None
    survivor_id: uuid.UUID | None
    version: int
    as_of: datetime


@router.get("/{customer_id}", response_model=CustomerCredit, dependencies=[READ])
async def get_customer_credit(
    customer_id: Annotated[uuid.UUID, Path()],
    unit: Annotated[SalesUnitOfWork, Depends(uow)],
    actor: ActorDep,
) -> CustomerCredit:
    """Status, limit, open orders and available credit; a merged customer shows its survivor's
    figures (orders confirm against the survivor). A sales rep sees the customers they own."""
    async with unit:
        account, survivor, open_total = await customer_credit(unit, customer_id, actor)
    holder = survivor or account
    known = survivor is not None or account.merged_into is None
    return CustomerCredit(
        customer_id=account.id,
        name=account.name,
        status=account.status,
        credit_limit=money_out(holder.credit_limit, holder.currency),
        open_total=money_out(open_total, holder.currency)
        if known and open_total is not None
        else None,
        available=money_out(holder.credit_limit - open_total, holder.currency)
        if known and open_total is not None
        else None,
        merged_into=account.merged_into,
        survivor_id=survivor.id if survivor else None,
        version=account.version,
        as_of=account.updated_at,
    )
