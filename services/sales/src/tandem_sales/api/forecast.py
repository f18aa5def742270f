"""The weighted pipeline forecast."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tandem_kit.permissions import require
from tandem_sales.api.deps import ActorDep, uow
from tandem_sales.application import queries
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.base import show

Uow = Annotated[SalesUnitOfWork, Depends(uow)]


router = APIRouter(prefix="/api/v1/forecast", tags=["forecast"])


def _buckets(buckets, label: str) -> list[dict]:
    return [
        {
            label: key,
            "currency": currency,
            "count": b.count,
            "amount": {"amount": show(b.amount), "currency": currency},
            "weighted_amount": {"amount": show(b.weighted), "currency": currency},
        }
        for (key, currency), b in buckets.items()
    ]


@router.get("", dependencies=[require("forecast", "read")])
async def get_forecast(
    unit: Uow,
    actor: ActorDep,
    owner: Annotated[str | None, Query(max_length=200, description="one owner's pipeline")] = None,
) -> dict:
    """The pipeline by stage (count, amount, weighted amount) and the open pipeline by expected
    close month and by owner, per currency. A sales rep sees their own pipeline."""
    async with unit:
        result = await queries.pipeline_forecast(unit, actor, owner)
    return {
        "by_stage": _buckets(result.by_stage, "stage"),
        "by_month": _buckets(result.by_month, "month"),
        "by_owner": _buckets(result.by_owner, "owner"),
        "open_pipeline": [
            {k: v for k, v in b.items() if k != "total"}
            for b in _buckets(result.open_total, "total")
        ],
    }
