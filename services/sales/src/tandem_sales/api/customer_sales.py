"""A customer's opportunities and recent orders in one call: the customer 360's sales share.

Each part is exactly what its own list answers (``GET /opportunities?customer_id``,
``/orders?customer_id&limit=recent``), read in one read transaction. A part the caller's roles
do not cover is not read and is named in ``missing``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tandem_kit.api import respond
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.pagination import Page
from tandem_kit.permissions import allowed, require
from tandem_sales.api.deps import ActorDep, page, uow
from tandem_sales.api.documents import OrderPublic
from tandem_sales.api.schemas import OpportunityPublic
from tandem_sales.application.customer_sales import customer_sales
from tandem_sales.application.unit_of_work import SalesUnitOfWork

router = APIRouter(prefix="/api/v1/customer-sales", tags=["customer sales"])

SalesPart = Literal["opportunities", "orders"]
ALL_PARTS: tuple[SalesPart, ...] = ("opportunities", "orders")
PAGE_SIZE = 50  # what /opportunities answers without a limit


class MissingPart(BaseModel):
    part: SalesPart
    reason: Literal["forbidden"]
    detail: str


class CustomerSales(BaseModel):
    opportunities: Page[OpportunityPublic] | None = Field(description="newest first")
    orders: Page[OrderPublic] | None = Field(description="the most recent, newest first")
    missing: list[MissingPart] = Field(description="parts asked for and not read, and why")


def _page(rows: list[Any] | None, limit: int, public: Any) -> dict[str, Any] | None:
    if rows is None:
        return None
    items, nxt = page(rows, limit)
    return {"items": [public.of(row).model_dump(mode="json") for row in items], "next": nxt}


@router.get(
    "/{customer_id}",
    response_model=CustomerSales,
    dependencies=[require("customer-sales", "read")],
)
async def get_customer_sales(
    customer_id: Annotated[uuid.UUID, Path(description="customer id")],
    unit: Annotated[SalesUnitOfWork, Depends(uow)],
    actor: ActorDep,
    principal: CurrentPrincipal,
    parts: Annotated[
        list[SalesPart] | None, Query(description="parts to read (default: both)")
    ] = None,
    recent: Annotated[int, Query(ge=1, le=200, description="how many recent orders")] = 20,
) -> JSONResponse:
    """A customer's opportunities and recent orders; a sales rep sees only their own."""
    wanted = dict.fromkeys(parts or ALL_PARTS)
    missing = [
        {"part": part, "reason": "forbidden", "detail": f"the caller's roles may not read {part}"}
        for part in wanted
        if not allowed(principal, part, "read")
    ]
    refused = {m["part"] for m in missing}
    found = await customer_sales(
        unit,
        actor,
        customer_id,
        parts=[part for part in wanted if part not in refused],
        page_size=PAGE_SIZE,
        recent=recent,
    )
    return respond(
        200,
        {
            "opportunities": _page(found.opportunities, PAGE_SIZE, OpportunityPublic),
            "orders": _page(found.orders, recent, OrderPublic),
            "missing": missing,
        },
    )
