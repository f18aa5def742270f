"""What every customer router shares: the unit of work, the actor, keyset cursors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import DateTime, Integer

from tandem_customer.application.access import Actor
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.db.paging import Keyset
from tandem_kit.auth import Principal
from tandem_kit.db import UTCDateTime
from tandem_kit.http import reads_only
from tandem_kit.pagination import BadCursor, decode_cursor, encode_cursor

T = TypeVar("T")
Cursor = Annotated[str | None, Query(max_length=500, description="from the previous page")]


def uow_of(request: Request) -> CustomerUnitOfWork:
    """A read-only unit of work for GET and HEAD (no write lock), else a writing one."""
    state = request.app.state
    return state.read_uow() if reads_only(request) else state.uow()


def actor_of(principal: Principal) -> Actor:
    return Actor.of(principal.subject, principal.roles)


def keyset(column: Any, cursor: str | None, *, descending: bool = False) -> Keyset:
    """A keyset on (column, id) starting after the row the cursor names."""
    after = None
    if cursor:
        raw, rid = decode_cursor(cursor, 2)
        try:
            if isinstance(column.type, UTCDateTime | DateTime):
                value: Any = datetime.fromisoformat(raw)
            elif isinstance(column.type, Integer):
                value = int(raw)
            else:
                value = str(raw)
            after = (value, uuid.UUID(str(rid)))
        except (TypeError, ValueError):
            raise BadCursor() from None
    return Keyset(column, descending, after)


def page(rows: Sequence[T], limit: int, key: Callable[[T], tuple[Any, uuid.UUID]]):
    """The first ``limit`` rows and the cursor of the next page (None when this is the last)."""
    items = list(rows[:limit])
    if len(rows) <= limit:
        return items, None
    value, rid = key(items[-1])
    return items, encode_cursor(
        [value.isoformat() if isinstance(value, datetime) else value, str(rid)]
    )


class MoneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(
        ge=0, max_digits=16, decimal_places=4, description='decimal string, e.g. "5000.00"'
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


class MoneyOut(BaseModel):
    amount: str
    currency: str

    @classmethod
    def of(cls, amount: Decimal | int, currency: str) -> MoneyOut:
        return cls(amount=format(Decimal(amount), "f"), currency=currency)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(max_length=500)] | None = None
