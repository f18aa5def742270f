"""Repositories for contacts, activities, tickets, segments and campaigns."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.sql import ColumnElement

from tandem_customer.db import paging
from tandem_customer.db.repositories import Repository
from tandem_customer.db.tables import (
    activities,
    contacts,
    tickets,
)
from tandem_customer.domain.contacts import Activity, Contact
from tandem_customer.domain.tickets import ACTIVE, Ticket, TicketStatus


class ContactRepository(Repository):
    model = Contact
    table = contacts

    async def list(
        self, *, limit: int, keyset: paging.Keyset, customer_id: uuid.UUID | None
    ) -> list[Contact]:
        stmt = select(Contact)
        if customer_id is not None:
            stmt = stmt.where(contacts.c.customer_id == customer_id)
        return list(
            (await self.session.execute(paging.apply(stmt, keyset, contacts.c.id, limit))).scalars()
        )

    async def of_customer(self, customer_id: uuid.UUID) -> list[Contact]:
        return await self._all(select(Contact).where(contacts.c.customer_id == customer_id))


class ActivityRepository(Repository):
    model = Activity
    table = activities

    async def list(
        self,
        *,
        limit: int,
        keyset: paging.Keyset,
        customer_id: uuid.UUID | None,
        kind: str | None = None,
        open_tasks: bool | None = None,
    ) -> list[Activity]:
        stmt = select(Activity)
        if customer_id is not None:
            stmt = stmt.where(activities.c.customer_id == customer_id)
        if kind is not None:
            stmt = stmt.where(activities.c.kind == kind)
        if open_tasks is not None:
            done = activities.c.completed_at.is_(None)
            stmt = stmt.where(activities.c.kind == "task", done if open_tasks else ~done)
        return list(
            (
                await self.session.execute(paging.apply(stmt, keyset, activities.c.id, limit))
            ).scalars()
        )

    async def of_customer(self, customer_id: uuid.UUID) -> list[Activity]:
        return await self._all(select(Activity).where(activities.c.customer_id == customer_id))


def _breaching(at: datetime) -> ColumnElement[bool]:
    t = tickets.c
    return t.status.in_(list(ACTIVE)) & or_(
        t.first_responded_at.is_(None) & (t.first_response_due < at), t.resolution_due < at
    )


class TicketRepository(Repository):
    model = Ticket
    table = tickets

    async def list(
        self,
        *,
        limit: int,
        keyset: paging.Keyset,
        customer_id: uuid.UUID | None = None,
        status: TicketStatus | None = None,
        open_only: bool | None = None,
        priority: str | None = None,
        assignee: str | None = None,
    ) -> list[Ticket]:
        t = tickets.c
        stmt = select(Ticket)
        for column, value in (
            (t.customer_id, customer_id),
            (t.status, status),
            (t.priority, priority),
            (t.assignee, assignee),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if open_only is True:
            stmt = stmt.where(t.status.in_(list(ACTIVE)))
        elif open_only is False:
            stmt = stmt.where(t.status.not_in(list(ACTIVE)))
        return list((await self.session.execute(paging.apply(stmt, keyset, t.id, limit))).scalars())

    async def of_customer(self, customer_id: uuid.UUID) -> list[Ticket]:
        return await self._all(select(Ticket).where(tickets.c.customer_id == customer_id))

    async def summary(
        self, at: datetime, sample: int = 50
    ) -> tuple[dict[str, int], int, list[uuid.UUID]]:
        """Counts by status, and the active tickets past an SLA due time (first ``sample`` ids)."""
        counts = dict(
            (
                await self.session.execute(
                    select(tickets.c.status, func.count()).group_by(tickets.c.status)
                )
            ).all()
        )
        by_status = {s.value: int(counts.get(s, counts.get(s.value, 0))) for s in TicketStatus}
        breaching = await self.session.scalar(select(func.count()).where(_breaching(at)))
        ids = await self.session.scalars(
            select(tickets.c.id).where(_breaching(at)).order_by(tickets.c.created_at).limit(sample)
        )
        return by_status, int(breaching or 0), list(ids)

    async def breach_candidates(self, at: datetime, limit: int) -> list[uuid.UUID]:
        """Active tickets with an SLA past due that has not been reported yet."""
        t = tickets.c
        unreported = or_(
            t.first_response_breached_at.is_(None)
            & t.first_responded_at.is_(None)
            & (t.first_response_due < at),
            t.resolution_breached_at.is_(None) & (t.resolution_due < at),
        )
        stmt = (
            select(t.id)
            .where(t.status.in_(list(ACTIVE)), unreported)
            .order_by(t.first_response_due)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))
