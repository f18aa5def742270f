"""Repositories: the only place sales queries are written."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, Table, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from tandem_sales.db.tables import (
    customer_accounts,
    opportunities,
    order_lines,
    orders,
    products,
    quotes,
)
from tandem_sales.domain.customers import CustomerAccount
from tandem_sales.domain.opportunities import Opportunity
from tandem_sales.domain.orders import OrderStatus, SalesOrder
from tandem_sales.domain.products import Product
from tandem_sales.domain.quotes import Quote, QuoteStatus

T = TypeVar("T")
# (created_at, id) of the last row of the previous page, newest first.
After = tuple[datetime, uuid.UUID] | None


# The statements of the hot paths (order create + confirm) are built once, on first use (the
# classes are mapped by then), and bound per call: building a statement and computing its
# cache key again on every call was a measurable part of the API's CPU per order.
@cache
def _by_id(model: type, table: Table, for_update: bool) -> Select[Any]:
    stmt = select(model).where(table.c.id == bindparam("item_id"))
    return stmt.with_for_update() if for_update else stmt


@cache
def _order_by_id(for_update: bool) -> Select[Any]:
    """An order with its lines in one statement (the mapping's selectin load takes two)."""
    stmt = (
        select(SalesOrder)
        .options(joinedload(SalesOrder.lines))
        .where(orders.c.id == bindparam("item_id"))
    )
    # FOR UPDATE OF: PostgreSQL locks no row of the outer-joined lines (it refuses to).
    return stmt.with_for_update(of=orders) if for_update else stmt


@cache
def _merged_into() -> Select[Any]:
    survivors = bindparam("survivors", expanding=True)
    return select(CustomerAccount).where(customer_accounts.c.merged_into.in_(survivors))


@cache
def _by_skus() -> Select[Any]:
    return select(Product).where(products.c.sku.in_(bindparam("skus", expanding=True)))


class _Repository(Generic[T]):
    model: type
    table: Table

    def __init__(self, session: AsyncSession, track: Callable[[object], None]) -> None:
        self.session = session
        self._track = track

    def add(self, item: T) -> None:
        self.session.add(item)
        self._track(item)

    def _get_statement(self, for_update: bool) -> Select[Any]:
        return _by_id(self.model, self.table, for_update)

    async def get(self, item_id: uuid.UUID, *, for_update: bool = False) -> T | None:
        rows = await self.session.execute(self._get_statement(for_update), {"item_id": item_id})
        item = rows.unique().scalar_one_or_none()
        if item is not None:
            self._track(item)
        return item

    async def _page(self, limit: int, after: After, **filters: Any) -> list[T]:
        """Newest first; ``None`` filters are ignored."""
        c = self.table.c
        stmt = select(self.model).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        for name, value in filters.items():
            if value is not None:
                stmt = stmt.where(c[name] == value)
        if after is not None:
            stmt = stmt.where(tuple_(c.created_at, c.id) < after)
        return list((await self.session.execute(stmt)).scalars())


class CustomerAccountRepository(_Repository[CustomerAccount]):
    model, table = CustomerAccount, customer_accounts

    def add(self, item: CustomerAccount) -> None:
        self.session.add(item)

    async def merged_into(self, survivor_id: uuid.UUID) -> list[CustomerAccount]:
        """Every account merged (directly or through a chain) into ``survivor_id``."""
        found: list[CustomerAccount] = []
        frontier, seen = [survivor_id], {survivor_id}
        while frontier:
            rows = await self.session.execute(_merged_into(), {"survivors": frontier})
            batch = [a for a in rows.scalars() if a.id not in seen]
            seen.update(a.id for a in batch)
            found.extend(batch)
            frontier = [a.id for a in batch]
        return found

    async def count(self) -> int:
        return int(
            await self.session.scalar(select(func.count()).select_from(customer_accounts)) or 0
        )


class ProductRepository(_Repository[Product]):
    model, table = Product, products

    async def by_skus(self, skus: Sequence[str]) -> dict[str, Product]:
        rows = await self.session.execute(_by_skus(), {"skus": sorted(set(skus))})
        return {p.sku: p for p in rows.scalars()}

    async def list(
        self, *, limit: int, after_sku: str | None, active: bool | None, sku: str | None
    ) -> list[Product]:
        stmt = select(Product).order_by(products.c.sku).limit(limit)
        if after_sku is not None:
            stmt = stmt.where(products.c.sku > after_sku)
        if active is not None:
            stmt = stmt.where(products.c.active == active)
        if sku is not None:
            stmt = stmt.where(products.c.sku.startswith(sku, autoescape=True))
        return list((await self.session.execute(stmt)).scalars())


class OpportunityRepository(_Repository[Opportunity]):
    model, table = Opportunity, opportunities

    async def by_lead(self, lead_id: uuid.UUID) -> Opportunity | None:
        stmt = select(Opportunity).where(opportunities.c.lead_id == lead_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(
        self,
        *,
        limit: int,
        after: After,
        customer_id: uuid.UUID | None = None,
        stage: str | None = None,
        owner: str | None = None,
    ) -> list[Opportunity]:
        return await self._page(limit, after, customer_id=customer_id, stage=stage, owner=owner)

    async def pipeline_rows(self, *, owner: str | None) -> list[Any]:
        """(stage, currency, amount, probability, expected_close, owner) of every opportunity."""
        c = opportunities.c
        stmt = select(c.stage, c.currency, c.amount, c.probability, c.expected_close, c.owner)
        if owner is not None:
            stmt = stmt.where(c.owner == owner)
        return list((await self.session.execute(stmt)).all())


class QuoteRepository(_Repository[Quote]):
    model, table = Quote, quotes

    async def list(
        self,
        *,
        limit: int,
        after: After,
        customer_id: uuid.UUID | None = None,
        status: str | None = None,
        opportunity_id: uuid.UUID | None = None,
        owner: str | None = None,
    ) -> list[Quote]:
        return await self._page(
            limit,
            after,
            customer_id=customer_id,
            status=status,
            opportunity_id=opportunity_id,
            owner=owner,
        )

    async def past_validity(self, today: Any, limit: int) -> list[Quote]:
        stmt = (
            select(Quote)
            .where(
                quotes.c.status.in_([QuoteStatus.DRAFT, QuoteStatus.SENT]),
                quotes.c.valid_until < today,
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        found = list((await self.session.execute(stmt)).scalars())
        for quote in found:
            self._track(quote)
        return found


class OrderRepository(_Repository[SalesOrder]):
    model, table = SalesOrder, orders

    def _get_statement(self, for_update: bool) -> Select[Any]:
        return _order_by_id(for_update)

    async def list(
        self,
        *,
        limit: int,
        after: After,
        customer_id: uuid.UUID | None = None,
        status: str | None = None,
        owner: str | None = None,
    ) -> list[SalesOrder]:
        return await self._page(limit, after, customer_id=customer_id, status=status, owner=owner)

    async def confirmed_since(
        self, since: datetime, *, owner: str | None
    ) -> list[tuple[uuid.UUID, str, Decimal, Decimal]]:
        """(order id, currency, quantity, unit price) of each line of orders confirmed since
        ``since`` and not cancelled."""
        stmt = (
            select(orders.c.id, orders.c.currency, order_lines.c.quantity, order_lines.c.unit_price)
            .join(order_lines, order_lines.c.order_id == orders.c.id)
            .where(orders.c.confirmed_at >= since, orders.c.status != OrderStatus.CANCELLED)
        )
        if owner is not None:
            stmt = stmt.where(orders.c.owner == owner)
        return [tuple(row) for row in (await self.session.execute(stmt)).all()]  # type: ignore[misc]
