"""Helpers the procurement routes share: cursors, money, the caller as an actor."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tandem_kit.auth import Principal
from tandem_kit.http import reads_only
from tandem_kit.pagination import BadCursor, decode_cursor, encode_cursor
from tandem_procurement.application.commands import Actor
from tandem_procurement.application.unit_of_work import ProcurementUnitOfWork

Cursor = Annotated[str | None, Query(max_length=500, description="from the previous page")]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=1000)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Quantity = Annotated[
    Decimal, Field(gt=0, max_digits=16, decimal_places=4, description='decimal string, e.g. "10"')
]
NonNegative = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIn(Strict):
    amount: Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=4)]
    currency: Currency


class Comment(Strict):
    comment: Text | None = None


def uow_of(request: Request) -> ProcurementUnitOfWork:
    """A read-only unit of work for GET and HEAD (no write lock), else a writing one."""
    state = request.app.state
    return state.read_uow() if reads_only(request) else state.uow()


def actor(principal: Principal) -> Actor:
    return Actor(subject=principal.subject, roles=frozenset(principal.roles))


def amount(value: Decimal) -> str:
    """Two places unless more precision is really there ("1500.00", "0.125")."""
    cents = value.quantize(Decimal("0.01"))
    return format(cents if cents == value else value.normalize(), "f")


def money(value: Decimal | None, currency: str | None) -> dict[str, str] | None:
    if value is None or not currency:
        return None
    return {"amount": amount(Decimal(value)), "currency": currency}


def qty(value: Decimal) -> str:
    """A quantity without trailing zeros ("10", "2.5")."""
    return format(Decimal(value).normalize(), "f")


def after_of(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    created, ident = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (TypeError, ValueError):
        raise BadCursor() from None


def page(rows: Sequence[Any], limit: int, render) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """``{"items", "next"}`` from ``limit + 1`` rows ordered by (created_at, id)."""
    shown = rows[:limit]
    nxt = (
        encode_cursor([shown[-1].created_at.isoformat(), str(shown[-1].id)])
        if len(rows) > limit
        else None
    )
    return {"items": [render(r) for r in shown], "next": nxt}
