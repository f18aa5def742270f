"""Offer routes: what suppliers sell us; published so procurement can source without asking."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.pagination import Page
from tandem_kit.permissions import require
from tandem_supplier.api import deps
from tandem_supplier.api.deps import Cursor, SupplierId
from tandem_supplier.api.schemas import OfferCreate, OfferPublic, OfferTerms
from tandem_supplier.application import handlers
from tandem_supplier.application.commands import PublishOffer, ReviseOffer, WithdrawOffer
from tandem_supplier.domain.errors import OfferNotFound, SupplierNotFound
from tandem_supplier.domain.offer import OfferStatus

router = APIRouter(prefix="/api/v1", tags=["offers"])
WRITE = require("offers", "write")
READ = require("offers", "read")
OfferId = Annotated[uuid.UUID, Path(description="offer id")]
ERRORS = {
    404: {"description": "no such supplier or offer"},
    409: {"description": "offer withdrawn, or supplier rejected/blocked"},
    412: {"description": "stale If-Match"},
    422: {"description": "invalid field"},
}


def _render(status: int):
    return lambda o: (status, OfferPublic.of(o).model_dump(mode="json"))


def _terms(body: OfferTerms) -> dict:
    return {
        "unit_price": body.unit_price.amount,
        "currency": body.unit_price.currency,
        "lead_time_days": body.lead_time_days,
        "minimum_order_quantity": body.minimum_order_quantity,
        "valid_from": body.valid_from,
        "valid_until": body.valid_until,
    }


@router.post(
    "/suppliers/{supplier_id}/offers",
    status_code=201,
    response_model=OfferPublic,
    dependencies=[WRITE],
    responses=ERRORS,
)
async def publish_offer(
    supplier_id: SupplierId, body: OfferCreate, request: Request, keyed: IdempotencyKey
) -> JSONResponse:
    """Publish an offer (tandem.supplier.offer.published.v1)."""
    cmd = PublishOffer(supplier_id=supplier_id, sku=body.sku, **_terms(body))
    status, payload = await execute(
        deps.uow(request), lambda uow: handlers.publish_offer(cmd, uow), _render(201), keyed
    )
    return respond(status, payload)


async def _list(request, limit, cursor, **filters) -> Page[OfferPublic]:
    async with deps.uow(request) as uow:
        rows = await uow.offers.list(limit=limit + 1, after=deps.after(cursor), **filters)
    return Page(items=[OfferPublic.of(o) for o in rows[:limit]], next=deps.next_cursor(rows, limit))


@router.get(
    "/suppliers/{supplier_id}/offers",
    response_model=Page[OfferPublic],
    dependencies=[READ],
    responses={404: {"description": "no such supplier"}},
)
async def list_supplier_offers(
    supplier_id: SupplierId,
    request: Request,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    status: OfferStatus | None = None,
) -> Page[OfferPublic]:
    async with deps.uow(request) as uow:
        if await uow.suppliers.get(supplier_id) is None:
            raise SupplierNotFound(supplier_id)
    return await _list(request, limit, cursor, supplier_id=supplier_id, status=status)


@router.get("/offers", response_model=Page[OfferPublic], dependencies=[READ])
async def list_offers(
    request: Request,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    supplier_id: uuid.UUID | None = None,
    status: OfferStatus | None = None,
) -> Page[OfferPublic]:
    """Offers oldest first, filtered by SKU, supplier and status."""
    return await _list(request, limit, cursor, sku=sku, supplier_id=supplier_id, status=status)


@router.get("/offers/{offer_id}", response_model=OfferPublic, dependencies=[READ], responses=ERRORS)
async def get_offer(offer_id: OfferId, request: Request) -> JSONResponse:
    async with deps.uow(request) as uow:
        offer = await uow.offers.get(offer_id)
    if offer is None:
        raise OfferNotFound(offer_id)
    return respond(200, OfferPublic.of(offer).model_dump(mode="json"))


@router.put(
    "/offers/{offer_id}", response_model=OfferPublic, dependencies=[WRITE], responses=ERRORS
)
async def revise_offer(
    offer_id: OfferId, body: OfferTerms, request: Request, if_match: IfMatch
) -> JSONResponse:
    """Replace an offer's terms (republished with the next version)."""
    cmd = ReviseOffer(offer_id=offer_id, expected_version=if_match, **_terms(body))
    status, payload = await execute(
        deps.uow(request), lambda uow: handlers.revise_offer(cmd, uow), _render(200)
    )
    return respond(status, payload)


@router.post(
    "/offers/{offer_id}/withdraw",
    response_model=OfferPublic,
    dependencies=[WRITE],
    responses=ERRORS,
)
async def withdraw_offer(
    offer_id: OfferId, request: Request, if_match: IfMatch, keyed: IdempotencyKey
) -> JSONResponse:
    """Withdraw an offer (tandem.supplier.offer.withdrawn.v1)."""
    cmd = WithdrawOffer(offer_id=offer_id, expected_version=if_match)
    status, payload = await execute(
        deps.uow(request), lambda uow: handlers.withdraw_offer(cmd, uow), _render(200), keyed
    )
    return respond(status, payload)
