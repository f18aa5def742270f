"""Route helpers: the acting principal, the unit of work, settings, newest-first cursors."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from tandem_kit.auth import CurrentPrincipal
from tandem_kit.http import reads_only
from tandem_kit.pagination import BadCursor, decode_cursor, encode_cursor
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.access import Actor
from tandem_sales.settings import SalesSettings


async def current_actor(principal: CurrentPrincipal) -> Actor:
    return Actor.of(principal.subject, principal.roles)


ActorDep = Annotated[Actor, Depends(current_actor)]
Cursor = Annotated[str | None, Query(max_length=500, description="`next` of the previous page")]


async def uow(request: Request) -> SalesUnitOfWork:
    """A read-only unit of work for GET and HEAD (no write lock), else a writing one."""
    state = request.app.state
    return state.read_uow() if reads_only(request) else state.uow()


async def settings(request: Request) -> SalesSettings:
    return request.app.state.settings


def after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    created, record_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created), uuid.UUID(record_id)
    except (TypeError, ValueError):
        raise BadCursor() from None


def page(rows: list, limit: int) -> tuple[list, str | None]:
    """The first ``limit`` rows and the cursor of the next page (None on the last one)."""
    items = rows[:limit]
    if len(rows) <= limit:
        return items, None
    last = items[-1]
    return items, encode_cursor([last.created_at.isoformat(), str(last.id)])
