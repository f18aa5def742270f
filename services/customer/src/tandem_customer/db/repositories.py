"""Repositories: the only place customer queries are written."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_customer.db.tables import customers
from tandem_customer.domain.model import Customer, CustomerStatus


class CustomerRepository:
    def __init__(self, session: AsyncSession, track) -> None:
        self.session = session
        self._track = track

    def add(self, customer: Customer) -> None:
        self.session.add(customer)
        self._track(customer)

    async def get(self, customer_id: uuid.UUID, *, for_update: bool = False) -> Customer | None:
        stmt = select(Customer).where(customers.c.id == customer_id)
        if for_update:
            stmt = stmt.with_for_update()
        customer = (await self.session.execute(stmt)).scalar_one_or_none()
        if customer is not None:
            self._track(customer)
        return customer

    async def list(
        self,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None = None,
        status: CustomerStatus | None = None,
    ) -> list[Customer]:
        stmt = select(Customer).order_by(customers.c.created_at, customers.c.id).limit(limit)
        if status is not None:
            stmt = stmt.where(customers.c.status == status)
        if after is not None:
            stmt = stmt.where(tuple_(customers.c.created_at, customers.c.id) > after)
        return list((await self.session.execute(stmt)).scalars())
