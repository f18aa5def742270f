"""Catalog routes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from tandem_kit.api import IdempotencyKey, IfMatch, PageLimit, respond
from tandem_kit.idempotency import execute
from tandem_kit.pagination import BadCursor, Page, decode_cursor, encode_cursor
from tandem_kit.permissions import require
from tandem_sales.api.deps import Cursor, uow
from tandem_sales.api.schemas import ProductChange, ProductCreate, ProductPublic
from tandem_sales.application import catalog
from tandem_sales.application.commands import ChangeProduct, CreateProduct
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.errors import RecordNotFound

router = APIRouter(prefix="/api/v1/products", tags=["products"])
READ, WRITE = require("products", "read"), require("products", "write")
ProductId = Annotated[uuid.UUID, Path(description="product id")]
Uow = Annotated[SalesUnitOfWork, Depends(uow)]
ERRORS = {409: {"description": "SKU taken"}, 412: {"description": "stale If-Match"}}


def _render(status: int):
    return lambda p: (status, ProductPublic.of(p).model_dump(mode="json"))


@router.post(
    "", status_code=201, response_model=ProductPublic, dependencies=[WRITE], responses=ERRORS
)
async def create_product(body: ProductCreate, unit: Uow, keyed: IdempotencyKey) -> JSONResponse:
    """Add a product to the catalog; publishes tandem.sales.product.changed.v1."""
    cmd = CreateProduct(
        sku=body.sku,
        name=body.name,
        unit=body.unit,
        list_price=body.list_price.amount,
        currency=body.list_price.currency,
        active=body.active,
    )
    return respond(
        *await execute(unit, lambda u: catalog.create_product(cmd, u), _render(201), keyed)
    )


@router.get("", response_model=Page[ProductPublic], dependencies=[READ])
async def list_products(
    unit: Uow,
    limit: PageLimit = 50,
    cursor: Cursor = None,
    active: bool | None = None,
    sku: Annotated[str | None, Query(max_length=64, description="SKU prefix")] = None,
) -> Page[ProductPublic]:
    """Products by SKU."""
    after_sku = decode_cursor(cursor, 1)[0] if cursor else None
    if after_sku is not None and not isinstance(after_sku, str):
        raise BadCursor()
    async with unit:
        rows = await unit.products.list(
            limit=limit + 1, after_sku=after_sku, active=active, sku=sku
        )
    items = rows[:limit]
    nxt = encode_cursor([items[-1].sku]) if len(rows) > limit else None
    return Page[ProductPublic](items=[ProductPublic.of(p) for p in items], next=nxt)


@router.get("/{product_id}", response_model=ProductPublic, dependencies=[READ])
async def get_product(product_id: ProductId, unit: Uow) -> JSONResponse:
    async with unit:
        product = await unit.products.get(product_id)
    if product is None:
        raise RecordNotFound("product", product_id, field="product_id")
    return respond(200, ProductPublic.of(product).model_dump(mode="json"))


@router.patch("/{product_id}", response_model=ProductPublic, dependencies=[WRITE], responses=ERRORS)
async def change_product(
    product_id: ProductId, body: ProductChange, unit: Uow, if_match: IfMatch
) -> JSONResponse:
    """Change name, unit, list price or active; publishes a ProductChanged when anything did."""
    cmd = ChangeProduct(
        product_id=product_id,
        expected_version=if_match,
        name=body.name,
        unit=body.unit,
        list_price=body.list_price.amount if body.list_price else None,
        currency=body.list_price.currency if body.list_price else None,
        active=body.active,
    )
    return respond(*await execute(unit, lambda u: catalog.change_product(cmd, u), _render(200)))
