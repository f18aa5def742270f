"""Read models procurement keeps from other services' events, and its own reference data."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_procurement.db.tables import approval_policies, net_demand, offers, supplier_views
from tandem_procurement.domain.approval import ApprovalPolicy, default_policy, policy_from_rows
from tandem_procurement.domain.sourcing import OfferTerms, SupplierView


class SupplierReadModel:
    """Supplier status, standing and offers; every write is guarded by the event's version."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _row(self, supplier_id: uuid.UUID):  # type: ignore[no-untyped-def]
        return (
            await self.session.execute(
                select(supplier_views).where(supplier_views.c.supplier_id == supplier_id)
            )
        ).first()

    async def record_supplier(
        self, supplier_id: uuid.UUID, *, name: str, status: str, version: int, at: datetime
    ) -> str | None:
        """Store a newer supplier state; returns the previous status when it was applied."""
        row = await self._row(supplier_id)
        if row is None:
            await self.session.execute(
                insert(supplier_views).values(
                    supplier_id=supplier_id,
                    name=name,
                    status=status,
                    version=version,
                    standing=None,
                    score=None,
                    standing_version=0,
                    updated_at=at,
                )
            )
            return ""
        if version <= row.version:
            return None
        await self.session.execute(
            update(supplier_views)
            .where(supplier_views.c.supplier_id == supplier_id)
            .values(name=name, status=status, version=version, updated_at=at)
        )
        return row.status or ""

    async def record_standing(
        self,
        supplier_id: uuid.UUID,
        *,
        standing: str | None,
        score: Decimal | None,
        version: int,
        at: datetime,
    ) -> bool:
        row = await self._row(supplier_id)
        if row is None:
            await self.session.execute(
                insert(supplier_views).values(
                    supplier_id=supplier_id,
                    name=None,
                    status=None,
                    version=0,
                    standing=standing,
                    score=score,
                    standing_version=version,
                    updated_at=at,
                )
            )
            return True
        if version < row.standing_version:  # equal: the same state again (scorecard + standing)
            return False
        await self.session.execute(
            update(supplier_views)
            .where(supplier_views.c.supplier_id == supplier_id)
            .values(standing=standing, score=score, standing_version=version, updated_at=at)
        )
        return True

    async def record_offer(self, offer: OfferTerms, *, version: int, withdrawn: bool, at: datetime):  # type: ignore[no-untyped-def]
        row = (
            await self.session.execute(select(offers).where(offers.c.offer_id == offer.offer_id))
        ).first()
        values = dict(
            supplier_id=offer.supplier_id,
            sku=offer.sku,
            unit_price=offer.unit_price,
            currency=offer.currency,
            lead_time_days=offer.lead_time_days,
            minimum_order_quantity=offer.minimum_order_quantity,
            valid_from=offer.valid_from,
            valid_until=offer.valid_until,
            withdrawn=withdrawn,
            version=version,
            updated_at=at,
        )
        if row is None:
            await self.session.execute(insert(offers).values(offer_id=offer.offer_id, **values))
            return True
        if version <= row.version:
            return False
        if withdrawn:  # a withdrawal carries no terms: keep the last ones for the record
            values = dict(withdrawn=True, version=version, updated_at=at)
        await self.session.execute(
            update(offers).where(offers.c.offer_id == offer.offer_id).values(**values)
        )
        return True

    async def skus_of(self, supplier_id: uuid.UUID) -> list[str]:
        rows = await self.session.execute(
            select(offers.c.sku)
            .where(offers.c.supplier_id == supplier_id, offers.c.withdrawn.is_(False))
            .distinct()
        )
        return sorted(r[0] for r in rows.all())

    async def offers_for(self, sku: str) -> list[OfferTerms]:
        rows = await self.session.execute(
            select(offers).where(offers.c.sku == sku, offers.c.withdrawn.is_(False))
        )
        return [_offer_of(r) for r in rows.all()]

    async def offers_with_suppliers(
        self, sku: str
    ) -> tuple[list[OfferTerms], dict[uuid.UUID, SupplierView]]:
        """The SKU's offers and what is known of their suppliers, in one query."""
        rows = await self.session.execute(_offers_with_suppliers(), {"sku": sku})
        found: list[OfferTerms] = []
        known: dict[uuid.UUID, SupplierView] = {}
        for r in rows.all():
            found.append(_offer_of(r))
            if r.known_supplier_id is not None:
                known[r.known_supplier_id] = SupplierView(
                    supplier_id=r.known_supplier_id,
                    status=r.supplier_status,
                    standing=r.supplier_standing,
                    score=Decimal(r.supplier_score) if r.supplier_score is not None else None,
                    name=r.supplier_name,
                )
        return found, known

    async def suppliers(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, SupplierView]:
        ids = list(set(ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(supplier_views).where(supplier_views.c.supplier_id.in_(ids))
        )
        return {
            r.supplier_id: SupplierView(
                supplier_id=r.supplier_id,
                status=r.status,
                standing=r.standing,
                score=Decimal(r.score) if r.score is not None else None,
                name=r.name,
            )
            for r in rows.all()
        }


def _offer_of(r) -> OfferTerms:  # type: ignore[no-untyped-def]
    return OfferTerms(
        offer_id=r.offer_id,
        supplier_id=r.supplier_id,
        sku=r.sku,
        unit_price=Decimal(r.unit_price),
        currency=r.currency,
        lead_time_days=r.lead_time_days,
        minimum_order_quantity=Decimal(r.minimum_order_quantity),
        valid_from=r.valid_from,
        valid_until=r.valid_until,
    )


class ApprovalPolicies:
    """Versioned approval rules; version 1 (the defaults) exists until someone publishes more."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(self) -> ApprovalPolicy:
        row = (await self.session.execute(_CURRENT_POLICY)).first()
        return self._of(row) if row else default_policy()

    async def get(self, version: int) -> ApprovalPolicy | None:
        row = (
            await self.session.execute(
                select(approval_policies).where(approval_policies.c.version == version)
            )
        ).first()
        if row is None:
            return default_policy() if version == 1 else None
        return self._of(row)

    async def add(self, policy: ApprovalPolicy) -> None:
        """Store a new version (version 1, the defaults, is kept on record beside it)."""
        if policy.version > 1 and not await self._stored(1):
            await self._insert(default_policy())
        await self._insert(policy)

    async def _stored(self, version: int) -> bool:
        stmt = select(approval_policies.c.version).where(approval_policies.c.version == version)
        return (await self.session.execute(stmt)).first() is not None

    async def _insert(self, policy: ApprovalPolicy) -> None:
        await self.session.execute(
            insert(approval_policies).values(
                version=policy.version,
                currency=policy.currency,
                tiers=[
                    {
                        "category": t.category,
                        "below": format(t.below, "f") if t.below is not None else None,
                        "levels": t.levels,
                    }
                    for t in policy.tiers
                ],
                level_roles=[sorted(r) for r in policy.level_roles],
                created_by=policy.created_by,
                created_at=policy.created_at,
            )
        )

    @staticmethod
    def _of(row) -> ApprovalPolicy:  # type: ignore[no-untyped-def]
        return policy_from_rows(
            row.version, row.currency, row.tiers, row.level_roles, row.created_by, row.created_at
        )


class NetDemandView:
    """The demand join's latest output per SKU (version-guarded)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        sku: str,
        *,
        version: int,
        ordered: Decimal,
        covered: Decimal,
        net: Decimal,
        as_of: datetime,
    ) -> bool:
        values = dict(
            sku=sku,
            version=version,
            ordered_quantity=ordered,
            covered_quantity=covered,
            net_quantity=net,
            as_of=as_of,
        )
        assert self.session.bind is not None
        upsert = _net_demand_upsert(self.session.bind.dialect.name)
        result = await self.session.execute(upsert, values)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def list(self, *, sku: str | None, limit: int, after: str | None) -> list[dict]:
        stmt = select(net_demand).order_by(net_demand.c.sku).limit(limit)
        if sku is not None:
            stmt = stmt.where(net_demand.c.sku == sku)
        if after is not None:
            stmt = stmt.where(net_demand.c.sku > after)
        return [dict(r._mapping) for r in (await self.session.execute(stmt)).all()]


_CURRENT_POLICY = select(approval_policies).order_by(approval_policies.c.version.desc()).limit(1)

# Statements the demand consumer runs for every order line or net-demand event: built once
# (building and cache-keying a statement costs about as much CPU as executing it).


@cache
def _offers_with_suppliers() -> Select[Any]:
    return (
        select(
            offers,
            supplier_views.c.supplier_id.label("known_supplier_id"),
            supplier_views.c.name.label("supplier_name"),
            supplier_views.c.status.label("supplier_status"),
            supplier_views.c.standing.label("supplier_standing"),
            supplier_views.c.score.label("supplier_score"),
        )
        .outerjoin(supplier_views, supplier_views.c.supplier_id == offers.c.supplier_id)
        .where(offers.c.sku == bindparam("sku"), offers.c.withdrawn.is_(False))
    )


@cache
def _net_demand_upsert(dialect: str) -> Any:
    """The dialect's INSERT .. ON CONFLICT (SQLite and PostgreSQL) that keeps the newer state.

    Versions are the join's input offsets; a join replaying onto a new input topic counts from
    low numbers again, so a later as_of wins as well.
    """
    upsert = sqlite.insert(net_demand) if dialect == "sqlite" else postgresql.insert(net_demand)
    kept = ("version", "ordered_quantity", "covered_quantity", "net_quantity", "as_of")
    return upsert.on_conflict_do_update(
        index_elements=[net_demand.c.sku],
        set_={name: upsert.excluded[name] for name in kept},
        where=or_(
            net_demand.c.version < upsert.excluded.version,
            net_demand.c.as_of < upsert.excluded.as_of,
        ),
    )


def today_of(now: datetime) -> date:
    return now.date()
