"""Customer repository: the only place customer queries are written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_customer.db import paging
from tandem_customer.db.tables import customers
from tandem_customer.domain.model import Customer, CustomerStatus


@dataclass(frozen=True)
class CustomerFilter:
    status: CustomerStatus | None = None
    segment: str | None = None
    tier: str | None = None
    owner: str | None = None
    industry: str | None = None
    q: str | None = None
    include_merged: bool = False


class Repository:
    """Loads and adds one aggregate type; every aggregate it hands out is tracked for events."""

    model: type
    table: Any

    def __init__(self, session: AsyncSession, track: Callable[[Any], None]) -> None:
        self.session = session
        self._track = track

    def add(self, item: Any) -> None:
        self.session.add(item)
        self._track(item)

    async def get(self, item_id: uuid.UUID, *, for_update: bool = False) -> Any | None:
        stmt = select(self.model).where(self.table.c.id == item_id)
        if for_update:
            stmt = stmt.with_for_update()
        item = (await self.session.execute(stmt)).scalar_one_or_none()
        if item is not None:
            self._track(item)
        return item

    async def _all(self, stmt) -> list[Any]:
        items = list((await self.session.execute(stmt)).scalars())
        for item in items:
            self._track(item)
        return items


@cache
def _tier_statement(for_update: bool) -> Any:
    """Built once, on first use (the class attributes exist once the mappers started)."""
    stmt = select(Customer.tier, Customer.status).where(  # type: ignore[attr-defined]
        Customer.id == bindparam("id")  # type: ignore[attr-defined]
    )
    return stmt.with_for_update() if for_update else stmt


class CustomerRepository(Repository):
    model = Customer
    table = customers

    async def merged_into(self, customer_id: uuid.UUID) -> uuid.UUID | None:
        """The customer this one was merged into; None when it is not merged (or unknown)."""
        return await self.session.scalar(
            select(customers.c.merged_into).where(customers.c.id == customer_id)
        )

    async def tier_and_status(
        self, customer_id: uuid.UUID, *, for_update: bool = False
    ) -> tuple[str, CustomerStatus] | None:
        """A customer's tier and status without loading it (None when unknown).

        ORM attributes, so that changes pending in the session are flushed first, as a load
        would; ``for_update`` takes the row lock a load for update takes.
        """
        row = (await self.session.execute(_tier_statement(for_update), {"id": customer_id})).first()
        return None if row is None else (row.tier, row.status)

    async def list(
        self, *, limit: int, keyset: paging.Keyset, where: CustomerFilter
    ) -> list[Customer]:
        stmt = select(Customer)
        c = customers.c
        for column, value in (
            (c.status, where.status),
            (c.segment, where.segment),
            (c.tier, where.tier),
            (c.owner, where.owner),
            (c.industry, where.industry),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if where.status is None and not where.include_merged:
            stmt = stmt.where(c.status != CustomerStatus.MERGED)
        if where.q:
            pattern = f"%{where.q.strip().lower()}%"
            stmt = stmt.where(or_(func.lower(c.name).like(pattern), c.email.like(pattern)))
        return list((await self.session.execute(paging.apply(stmt, keyset, c.id, limit))).scalars())

    async def likely_duplicates(
        self,
        *,
        name_key: str | None,
        email_key: str | None,
        legal_key: str | None,
        exclude: uuid.UUID | None = None,
        limit: int = 20,
    ) -> list[Customer]:
        """Live customers sharing the legal id, normalised name or normalised email."""
        c = customers.c
        conditions = [
            col == key
            for col, key in (
                (c.legal_key, legal_key),
                (c.name_key, name_key),
                (c.email_key, email_key),
            )
            if key
        ]
        if not conditions:
            return []
        stmt = (
            select(Customer)
            .where(or_(*conditions), c.status != CustomerStatus.MERGED)
            .order_by(c.created_at)
            .limit(limit)
        )
        if exclude is not None:
            stmt = stmt.where(c.id != exclude)
        return list((await self.session.execute(stmt)).scalars())
