"""Sales routes (the customer credit view; catalog, pipeline, quotes and orders join later)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from tandem_kit.errors import NotFound
from tandem_kit.permissions import require
from tandem_sales.application.unit_of_work import SalesUnitOfWork

router = APIRouter(prefix="/api/v1/customer-credit", tags=["customer credit"])
READ = require("customer-credit", "read")


class CustomerCredit(BaseModel):
    customer_id: uuid.UUID
    name: str
    status: str
    credit_limit: dict[str, str]
    version: int
    as_of: datetime


@router.get("/{customer_id}", response_model=CustomerCredit, dependencies=[READ])
async def get_customer_credit(
    customer_id: Annotated[uuid.UUID, Path()], request: Request
) -> CustomerCredit:
    """Sales' view of a customer, built from customer events."""
    uow: SalesUnitOfWork = request.app.state.uow()
    async with uow:
        account = await uow.customers.get(customer_id)
    if account is None:
        raise NotFound(f"sales knows no customer {customer_id} (yet)", field="customer_id")
    return CustomerCredit(
        customer_id=account.id,
        name=account.name,
        status=account.status,
        credit_limit={"amount": format(account.credit_limit, "f"), "currency": account.currency},
        version=account.version,
        as_of=account.updated_at,
    )
