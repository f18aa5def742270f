"""Keyset pagination over (sort column, id), ascending or descending."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Select, and_, or_


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: after (value, id) of the previous page's last row."""

    column: Column
    descending: bool = False
    after: tuple[Any, uuid.UUID] | None = None


def apply(stmt: Select, keyset: Keyset, id_column: Column, limit: int) -> Select:
    col = keyset.column
    order = (col.desc(), id_column.desc()) if keyset.descending else (col.asc(), id_column.asc())
    stmt = stmt.order_by(*order).limit(limit)
    if keyset.after is not None:
        value, last_id = keyset.after
        if keyset.descending:
            stmt = stmt.where(or_(col < value, and_(col == value, id_column < last_id)))
        else:
            stmt = stmt.where(or_(col > value, and_(col == value, id_column > last_id)))
    return stmt
