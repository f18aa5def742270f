"""Repositories: the only place supplier queries are written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_supplier.db.tables import certifications, offers, scorecards, suppliers
from tandem_supplier.domain.certification import Certification
from tandem_supplier.domain.offer import Offer, OfferStatus
from tandem_supplier.domain.scorecard import Scorecard
from tandem_supplier.domain.supplier import Supplier, SupplierStatus

Track = Callable[[Any], None]
After = tuple[datetime, uuid.UUID] | None


class _Repository:
    def __init__(self, session: AsyncSession, track: Track) -> None:
        self.session = session
        self._track = track

    def add(self, aggregate: Any) -> None:
        self.session.add(aggregate)
        self._track(aggregate)

    async def _one(self, stmt: Any, for_update: bool) -> Any:
        if for_update:
            stmt = stmt.with_for_update()
        found = (await self.session.execute(stmt)).scalar_one_or_none()
        if found is not None:
            self._track(found)
        return found


class SupplierRepository(_Repository):
    async def get(self, supplier_id: uuid.UUID, *, for_update: bool = False) -> Supplier | None:
        return await self._one(select(Supplier).where(suppliers.c.id == supplier_id), for_update)

    async def find_duplicate(
        self,
        *,
        legal_id: str | None = None,
        normalized_name: str,
        exclude: uuid.UUID | None = None,
    ) -> Supplier | None:
        """Another supplier with this legal id or normalised name, if any."""
        same_name = suppliers.c.normalized_name == normalized_name
        stmt = select(Supplier).where(
            same_name if legal_id is None else or_(suppliers.c.legal_id == legal_id, same_name)
        )
        if exclude is not None:
            stmt = stmt.where(suppliers.c.id != exclude)
        return (await self.session.execute(stmt.limit(1))).scalars().first()

    async def list(
        self,
        *,
        limit: int,
        after: After = None,
        status: SupplierStatus | None = None,
        category: str | None = None,
        name: str | None = None,
    ) -> list[Supplier]:
        stmt = select(Supplier).order_by(suppliers.c.created_at, suppliers.c.id)
        if status is not None:
            stmt = stmt.where(suppliers.c.status == status)
        if name:
            stmt = stmt.where(suppliers.c.normalized_name.contains(name))
        if after is not None:
            stmt = stmt.where(tuple_(suppliers.c.created_at, suppliers.c.id) > after)
        if category is None:
            return list((await self.session.execute(stmt.limit(limit))).scalars())
        # JSON containment differs per database; filter the (bounded) page in Python instead.
        found: list[Supplier] = []
        async for supplier in await self.session.stream_scalars(stmt):
            if category in supplier.categories:
                found.append(supplier)
                if len(found) == limit:
                    break
        return found


class CertificationRepository(_Repository):
    async def get(
        self, certification_id: uuid.UUID, *, for_update: bool = False
    ) -> Certification | None:
        stmt = select(Certification).where(certifications.c.id == certification_id)
        return await self._one(stmt, for_update)

    async def for_supplier(
        self, supplier_id: uuid.UUID, *, limit: int | None = None, after: After = None
    ) -> list[Certification]:
        stmt = (
            select(Certification)
            .where(certifications.c.supplier_id == supplier_id)
            .order_by(certifications.c.created_at, certifications.c.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(tuple_(certifications.c.created_at, certifications.c.id) > after)
        return list((await self.session.execute(stmt)).scalars())

    async def needing_notice(
        self, *, today: date, warn_until: date, limit: int
    ) -> list[Certification]:
        """Certificates whose warning or expiry notice is due and not yet recorded."""
        stmt = (
            select(Certification)
            .where(
                certifications.c.expired_notified_on.is_(None),
                certifications.c.valid_until <= warn_until,
                or_(
                    certifications.c.expiring_notified_on.is_(None),
                    certifications.c.valid_until < today,
                ),
            )
            .order_by(certifications.c.valid_until, certifications.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list((await self.session.execute(stmt)).scalars())
        for row in rows:
            self._track(row)
        return rows


class OfferRepository(_Repository):
    async def get(self, offer_id: uuid.UUID, *, for_update: bool = False) -> Offer | None:
        return await self._one(select(Offer).where(offers.c.id == offer_id), for_update)

    async def list(
        self,
        *,
        limit: int,
        after: After = None,
        supplier_id: uuid.UUID | None = None,
        sku: str | None = None,
        status: OfferStatus | None = None,
    ) -> list[Offer]:
        stmt = select(Offer).order_by(offers.c.created_at, offers.c.id).limit(limit)
        if supplier_id is not None:
            stmt = stmt.where(offers.c.supplier_id == supplier_id)
        if sku is not None:
            stmt = stmt.where(offers.c.sku == sku)
        if status is not None:
            stmt = stmt.where(offers.c.status == status)
        if after is not None:
            stmt = stmt.where(tuple_(offers.c.created_at, offers.c.id) > after)
        return list((await self.session.execute(stmt)).scalars())


class ScorecardRepository(_Repository):
    async def get(self, supplier_id: uuid.UUID, *, for_update: bool = False) -> Scorecard | None:
        stmt = select(Scorecard).where(scorecards.c.supplier_id == supplier_id)
        return await self._one(stmt, for_update)

    async def count_by_standing(self) -> dict[str | None, int]:
        """Suppliers per standing (None: no scorecard or an empty period)."""
        stmt = (
            select(scorecards.c.standing, func.count())
            .select_from(
                suppliers.outerjoin(scorecards, scorecards.c.supplier_id == suppliers.c.id)
            )
            .group_by(scorecards.c.standing)
        )
        return {standing: n for standing, n in (await self.session.execute(stmt)).all()}
