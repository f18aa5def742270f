"""Catalog use cases."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from tandem_kit.errors import Conflict
from tandem_sales.application.commands import ChangeProduct, CreateProduct
from tandem_sales.application.common import check_version
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.errors import RecordNotFound
from tandem_sales.domain.products import Product


async def create_product(cmd: CreateProduct, uow: SalesUnitOfWork) -> Product:
    """Add a product; publishes ProductChanged. SKUs are unique."""
    if await uow.products.by_skus([cmd.sku.strip()]):
        raise Conflict(f"a product with SKU {cmd.sku} exists", field="sku")
    product = Product.create(
        sku=cmd.sku,
        name=cmd.name,
        unit=cmd.unit,
        list_price=cmd.list_price,
        currency=cmd.currency,
        active=cmd.active,
    )
    uow.products.add(product)
    try:
        await uow.session.flush()
    except IntegrityError:
        raise Conflict(f"a product with SKU {cmd.sku} exists", field="sku") from None
    return product


async def change_product(cmd: ChangeProduct, uow: SalesUnitOfWork) -> Product:
    """Change name, unit, price or activity; publishes ProductChanged when anything changed."""
    product = await uow.products.get(cmd.product_id, for_update=True)
    if product is None:
        raise RecordNotFound("product", cmd.product_id, field="product_id")
    check_version(product, cmd.expected_version)
    product.change(
        name=cmd.name,
        unit=cmd.unit,
        list_price=cmd.list_price,
        currency=cmd.currency,
        active=cmd.active,
    )
    return product
