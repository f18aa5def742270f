"""What every supplier route needs: the unit of work, the clock, policies and cursors."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query, Request

from tandem_kit.http import reads_only
from tandem_kit.pagination import BadCursor, decode_cursor, encode_cursor
from tandem_supplier.application.unit_of_work import SupplierUnitOfWork
from tandem_supplier.settings import SupplierSettings

SupplierId = Annotated[uuid.UUID, Path(description="supplier id")]
Cursor = Annotated[str | None, Query(max_length=500, description="from the previous page")]


def uow(request: Request) -> SupplierUnitOfWork:
    """A read-only unit of work for GET and HEAD (no write lock), else a writing one."""
    state = request.app.state
    return state.read_uow() if reads_only(request) else state.uow()


def today(request: Request) -> date:
    return request.app.state.clock()


def settings(request: Request) -> SupplierSettings:
    return request.app.state.settings_supplier


def after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    created, rid = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created), uuid.UUID(rid)
    except (TypeError, ValueError):
        raise BadCursor() from None


def next_cursor(rows: list, limit: int) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor([last.created_at.isoformat(), str(last.id)])
