"""Scorecard routes: a supplier's explained score, and suppliers per standing."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tandem_kit.api import respond
from tandem_kit.permissions import require
from tandem_supplier.api import deps
from tandem_supplier.api.deps import SupplierId
from tandem_supplier.api.schemas import ScorecardPublic, StandingSummary
from tandem_supplier.application.scorecards import standing_summary
from tandem_supplier.domain.errors import SupplierNotFound

router = APIRouter(prefix="/api/v1", tags=["scorecards"])
READ = require("scorecards", "read")


@router.get(
    "/suppliers/{supplier_id}/scorecard",
    response_model=ScorecardPublic,
    dependencies=[READ],
    responses={404: {"description": "no such supplier"}},
)
async def get_scorecard(supplier_id: SupplierId, request: Request) -> JSONResponse:
    """Score, standing and its effect, period, and per criterion its weight, contribution and
    the events behind it; an unscored supplier (no evidence in the period) has a null score."""
    settings = deps.settings(request)
    async with deps.uow(request) as uow:
        if await uow.suppliers.get(supplier_id) is None:
            raise SupplierNotFound(supplier_id)
        card = await uow.scorecards.get(supplier_id)
    body = ScorecardPublic.of(
        card, supplier_id, dict(settings.scorecard_weights), settings.scorecard_period_days
    )
    return respond(200, body.model_dump(mode="json"))


@router.get("/scorecards/summary", response_model=StandingSummary, dependencies=[READ])
async def scorecard_summary(request: Request) -> StandingSummary:
    """How many suppliers stand where; suppliers without a score count as unscored."""
    async with deps.uow(request) as uow:
        return StandingSummary(by_standing=await standing_summary(uow))
