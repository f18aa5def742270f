"""Repositories for segments and campaigns (with campaign membership)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from tandem_customer.db import paging
from tandem_customer.db.repositories import Repository
from tandem_customer.db.tables import campaign_members, campaigns, customers, segments
from tandem_customer.domain.segments import Campaign, Segment
from tandem_kit.db import utcnow


class SegmentRepository(Repository):
    model = Segment
    table = segments

    async def list(self, *, limit: int, keyset: paging.Keyset) -> list[Segment]:
        stmt = paging.apply(select(Segment), keyset, segments.c.id, limit)
        return list((await self.session.execute(stmt)).scalars())

    async def name_taken(self, name: str, exclude: uuid.UUID | None = None) -> bool:
        stmt = select(segments.c.id).where(func.lower(segments.c.name) == name.strip().lower())
        if exclude is not None:
            stmt = stmt.where(segments.c.id != exclude)
        return (await self.session.scalar(stmt)) is not None


class CampaignRepository(Repository):
    model = Campaign
    table = campaigns

    async def list(
        self, *, limit: int, keyset: paging.Keyset, status: str | None
    ) -> list[Campaign]:
        stmt = select(Campaign)
        if status is not None:
            stmt = stmt.where(campaigns.c.status == status)
        return list(
            (
                await self.session.execute(paging.apply(stmt, keyset, campaigns.c.id, limit))
            ).scalars()
        )

    async def add_members(self, campaign_id: uuid.UUID, customer_ids: list[uuid.UUID]) -> int:
        existing = set(
            await self.session.scalars(
                select(campaign_members.c.customer_id).where(
                    campaign_members.c.campaign_id == campaign_id
                )
            )
        )
        fresh = [cid for cid in dict.fromkeys(customer_ids) if cid not in existing]
        if fresh:
            now = utcnow()
            await self.session.execute(
                insert(campaign_members),
                [
                    {"campaign_id": campaign_id, "customer_id": cid, "added_at": now}
                    for cid in fresh
                ],
            )
        return await self.member_count(campaign_id)

    async def remove_member(self, campaign_id: uuid.UUID, customer_id: uuid.UUID) -> int:
        await self.session.execute(
            delete(campaign_members).where(
                campaign_members.c.campaign_id == campaign_id,
                campaign_members.c.customer_id == customer_id,
            )
        )
        return await self.member_count(campaign_id)

    async def member_count(self, campaign_id: uuid.UUID) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(campaign_members.c.campaign_id == campaign_id)
            )
            or 0
        )

    async def members(
        self, campaign_id: uuid.UUID, *, limit: int, after: uuid.UUID | None
    ) -> list[tuple[uuid.UUID, str, datetime]]:
        m = campaign_members.c
        stmt = (
            select(m.customer_id, customers.c.name, m.added_at)
            .join(customers, customers.c.id == m.customer_id)
            .where(m.campaign_id == campaign_id)
            .order_by(m.customer_id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(m.customer_id > after)
        return [tuple(r) for r in (await self.session.execute(stmt)).all()]

    async def repoint_members(self, source: uuid.UUID, survivor: uuid.UUID) -> None:
        """After a merge: campaigns that had both keep one row; the rest move over."""
        m = campaign_members.c
        both = select(m.campaign_id).where(m.customer_id == survivor).scalar_subquery()
        await self.session.execute(
            delete(campaign_members).where(m.customer_id == source, m.campaign_id.in_(both))
        )
        await self.session.execute(
            update(campaign_members).where(m.customer_id == source).values(customer_id=survivor)
        )
