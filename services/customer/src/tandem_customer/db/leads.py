"""Lead repository."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select

from tandem_customer.db import paging
from tandem_customer.db.repositories import Repository
from tandem_customer.db.tables import leads
from tandem_customer.domain.leads import Lead, LeadStatus


class LeadRepository(Repository):
    model = Lead
    table = leads

    async def list(
        self,
        *,
        limit: int,
        keyset: paging.Keyset,
        status: LeadStatus | None = None,
        owner: str | None = None,
        min_score: int | None = None,
        q: str | None = None,
    ) -> list[Lead]:
        c = leads.c
        stmt = select(Lead)
        if status is not None:
            stmt = stmt.where(c.status == status)
        if owner is not None:
            stmt = stmt.where(c.owner == owner)
        if min_score is not None:
            stmt = stmt.where(c.score >= min_score)
        if q:
            pattern = f"%{q.strip().lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(c.name).like(pattern),
                    c.email.like(pattern),
                    func.lower(c.company).like(pattern),
                )
            )
        return list((await self.session.execute(paging.apply(stmt, keyset, c.id, limit))).scalars())

    async def existing_email_keys(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` (normalised emails) already belong to a lead."""
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            found.update(
                await self.session.scalars(
                    select(leads.c.email_key).where(leads.c.email_key.in_(chunk))
                )
            )
        return found

    async def with_email_key(self, key: str, exclude: uuid.UUID | None = None) -> Lead | None:
        stmt = select(Lead).where(leads.c.email_key == key).limit(1)
        if exclude is not None:
            stmt = stmt.where(leads.c.id != exclude)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_customer(self, customer_id: uuid.UUID) -> list[Lead]:
        return await self._all(select(Lead).where(leads.c.customer_id == customer_id))
