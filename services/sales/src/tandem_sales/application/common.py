"""Checks every sales handler shares: visibility, versions, priced lines."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, TypeVar

from tandem_kit.errors import PreconditionFailed
from tandem_sales.application.commands import LineInput
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.access import Actor
from tandem_sales.domain.errors import Forbidden, InvalidInput, RecordNotFound

T = TypeVar("T")


def visible(record: T | None, actor: Actor, kind: str, record_id: uuid.UUID) -> T:
    """The record, or 404 when it does not exist or the actor may not see it."""
    if record is None or not actor.may_see(getattr(record, "owner", None)):
        raise RecordNotFound(kind, record_id, field=f"{kind}_id")
    return record


def check_version(record: Any, expected: int | None) -> None:
    if expected is not None and expected != record.version:
        raise PreconditionFailed(
            f"the record is at version {record.version}, not {expected}", field="If-Match"
        )


def owner_for(actor: Actor, requested: str | None) -> str:
    """The owner of a new record: the creator unless a manager assigns someone else."""
    if requested is None or requested == actor.subject:
        return actor.subject
    if actor.own_records_only:
        raise Forbidden("a sales rep may only create records they own", field="owner")
    return requested


async def priced_lines(
    uow: SalesUnitOfWork, lines: tuple[LineInput, ...], currency: str | None
) -> tuple[str, list[tuple[LineInput, Decimal]]]:
    """Check each line's SKU against the catalog; default unit prices to the list price.

    Returns the document currency (given, else the first line's) and (line, unit price) pairs.
    """
    if not lines:
        raise InvalidInput("at least one line is needed", field="lines")
    catalog = await uow.products.by_skus([line.sku for line in lines])
    priced: list[tuple[LineInput, Decimal]] = []
    for i, line in enumerate(lines):
        product = catalog.get(line.sku)
        if product is None:
            raise InvalidInput(f"no product with SKU {line.sku!r}", field=f"lines.{i}.sku")
        if not product.active:
            raise InvalidInput(f"product {line.sku} is not active", field=f"lines.{i}.sku")
        if line.unit_price is None:
            price, line_currency = product.list_price, product.currency
        else:
            price, line_currency = line.unit_price, line.currency or currency or product.currency
        currency = currency or line_currency
        if line_currency != currency:
            raise InvalidInput(
                f"line is in {line_currency}, the document in {currency}; one currency per "
                "document",
                field=f"lines.{i}.unit_price.currency",
            )
        priced.append((line, price))
    assert currency is not None
    return currency, priced
