"""Customer value read model: order rows from sales events and the per-customer totals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    String,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_customer.db import paging
from tandem_customer.db.tables import customer_values, customers, order_values
from tandem_customer.domain.events import ValueFacts
from tandem_customer.domain.model import Customer, CustomerStatus
from tandem_customer.domain.value import COUNTED_STATUSES
from tandem_kit.db import utcnow


@dataclass(frozen=True)
class CountedOrder:
    """One order as the value read model holds it."""

    version: int
    customer_id: uuid.UUID
    status: str
    revenue: Decimal | None


@dataclass(frozen=True)
class OrderLookup:
    """What an order event needs to know first, read in one statement: the order as counted so
    far (None when new), and its customer's merge tombstone and whether its value exists."""

    known: CountedOrder | None
    merged_into: uuid.UUID | None
    has_value: bool


def cents(amount: Decimal) -> int:
    """Whole cents, for comparisons the database can do on any backend."""
    return int((amount * 100).to_integral_value())


# Every order event runs these statements: built once, their values bound per execution
# (building and cache-keying a statement costs about as much CPU as running it).
_o, _v = order_values.c, customer_values.c


def _of_order(column: Any) -> Any:
    return select(column).where(_o.order_id == bindparam("order_id")).scalar_subquery()


_LOOKUP = select(
    _of_order(_o.version).label("version"),
    _of_order(_o.customer_id).label("customer_id"),
    _of_order(_o.status).label("status"),
    _of_order(_o.revenue).label("revenue"),
    select(customers.c.merged_into)
    .where(customers.c.id == bindparam("customer_id"))
    .scalar_subquery()
    .label("merged_into"),
    exists().where(_v.customer_id == bindparam("customer_id")).label("has_value"),
)
_HAS_VALUE = select(_v.customer_id).where(_v.customer_id == bindparam("customer_id"))
_INSERT_ORDER = insert(order_values)
# SET follows the keys bound (the key and what was seen are no columns: never set). Only the
# row as the caller read it is replaced: an order changed meanwhile (another member of the
# group applied a version of it after a rebalance, or a merge moved it to the survivor)
# matches no row, and the caller's difference would be wrong.
_UPDATE_ORDER = (
    update(order_values)
    .where(
        _o.order_id == bindparam("key"),
        _o.version == bindparam("seen_version"),
        _o.customer_id == bindparam("seen_customer"),
    )
    .returning(_o.ordered_at)
)
# A customer's totals as stored, to move them by one order's difference; locked, for a customer
# the customer service does not know (no row of its own to lock first).
_TOTALS = (
    select(_v.lifetime_revenue, _v.currency, _v.order_count, _v.last_order_at)
    .where(_v.customer_id == bindparam("customer_id"))
    .with_for_update()
)
# One row per customer: its counted orders' number, latest time and revenues. The revenues come
# as one text (summed here, not in SQL: SQLite keeps money as text and would sum floats).
_FACTS = select(
    func.count().label("order_count"),
    func.max(_o.ordered_at).label("last_order_at"),
    func.aggregate_strings(cast(_o.revenue, String), ",").label("revenues"),
).where(
    _o.customer_id == bindparam("customer_id"),
    # The states written into the SQL text: no list to expand into parameters on every run.
    _o.status.in_([literal_column(f"'{s}'") for s in sorted(COUNTED_STATUSES)]),
)

# What a change of the value is (updated_at and the derived revenue_cents follow these).
_COMPARED = ("lifetime_revenue", "currency", "order_count", "last_order_at", "tier")
# The scale of the revenue column: bound at it, the same amount is the same text on SQLite.
_SCALE = Decimal("0.0001")


@cache
def _store_value(dialect: str) -> Any:
    """The dialect's INSERT .. ON CONFLICT DO UPDATE that writes a customer's value only where
    it differs from the stored one, counting the change: RETURNING the new version, or no row
    when nothing changed. One statement, as the plain UPDATE it replaces: no read to compare."""
    upsert = (
        sqlite.insert(customer_values)
        if dialect == "sqlite"
        else postgresql.insert(customer_values)
    )
    new = upsert.excluded
    return upsert.on_conflict_do_update(
        index_elements=[_v.customer_id],
        set_={
            **{name: new[name] for name in (*_COMPARED, "revenue_cents", "updated_at")},
            "version": _v.version + 1,
        },
        where=or_(*(_v[name].is_distinct_from(new[name]) for name in _COMPARED)),
    ).returning(_v.version)


class ValueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def look_up(self, order_id: uuid.UUID, customer_id: uuid.UUID) -> OrderLookup:
        """The order as counted so far, and the named customer's tombstone and value row."""
        row = (
            await self.session.execute(_LOOKUP, {"order_id": order_id, "customer_id": customer_id})
        ).one()
        known = (
            None
            if row.version is None
            else CountedOrder(row.version, row.customer_id, row.status, row.revenue)
        )
        return OrderLookup(known, row.merged_into, bool(row.has_value))

    async def has_value(self, customer_id: uuid.UUID) -> bool:
        """Whether the customer's value was ever calculated (its row exists)."""
        found = await self.session.scalar(_HAS_VALUE, {"customer_id": customer_id})
        return found is not None

    async def save_order(
        self, values: dict[str, Any], *, seen: CountedOrder | None
    ) -> datetime | None:
        """Insert one order's row (``seen`` None: it had none) or replace the row as ``seen``
        (the caller checked the new version is newer); the order's time, which never changes
        once recorded. None when the stored row is no longer as ``seen`` (another version, or
        another customer after a merge): nothing was written.
        """
        if seen is None:
            await self.session.execute(_INSERT_ORDER, values)
            ordered_at: datetime = values["ordered_at"]
            return ordered_at.astimezone(UTC)  # as the column reads back
        keep = {k: v for k, v in values.items() if k not in ("order_id", "ordered_at")}
        return await self.session.scalar(
            _UPDATE_ORDER,
            {
                "key": values["order_id"],
                "seen_version": seen.version,
                "seen_customer": seen.customer_id,
                **keep,
            },
        )

    async def totals(self, customer_id: uuid.UUID) -> ValueFacts | None:
        """A customer's value as stored (None: never calculated), its row locked until the
        transaction ends (PostgreSQL)."""
        row = (await self.session.execute(_TOTALS, {"customer_id": customer_id})).first()
        if row is None:
            return None
        return ValueFacts(row.lifetime_revenue, row.currency, row.order_count, row.last_order_at)

    async def facts(self, customer_id: uuid.UUID, currency: str) -> ValueFacts:
        """Lifetime revenue, order count and last order of a customer from its counted orders."""
        row = (await self.session.execute(_FACTS, {"customer_id": customer_id})).one()
        # Each revenue read as a column of its own would be: the same decimals, summed the same.
        money, dialect = _o.revenue.type, self.session.bind.dialect
        revenues = row.revenues.split(",") if row.revenues else ()
        return ValueFacts(
            lifetime_revenue=sum(
                (money.process_result_value(r, dialect) for r in revenues), Decimal(0)
            ),
            currency=currency,
            order_count=row.order_count,
            last_order_at=row.last_order_at,
        )

    async def store(self, customer_id: uuid.UUID, facts: ValueFacts, tier: str) -> int | None:
        """Store a customer's value if it changed (a first value does): its new version, else
        None.

        The version (of CustomerValueChanged) is a counter in the value row, raised by the
        statement that writes the change while it holds that row's lock: it grows by one with
        every change of this customer's value, in commit order, outlives restarts and
        redeliveries, and costs no read. The customer's own version would not do (a value
        change must not move it, nor the customer's If-Match), nor would a clock (workers'
        clocks differ).
        """
        revenue = facts.lifetime_revenue.quantize(_SCALE)
        values = {
            "customer_id": customer_id,
            "lifetime_revenue": revenue,
            "revenue_cents": cents(revenue),
            "currency": facts.currency,
            "order_count": facts.order_count,
            "last_order_at": facts.last_order_at,
            "tier": tier,
            "updated_at": utcnow(),
            "version": 1,
        }
        statement = _store_value(self.session.bind.dialect.name)
        version: int | None = await self.session.scalar(statement, values)
        return version

    async def get(self, customer_id: uuid.UUID) -> dict[str, Any] | None:
        row = (
            await self.session.execute(
                select(customer_values).where(customer_values.c.customer_id == customer_id)
            )
        ).first()
        return None if row is None else dict(row._mapping)

    async def repoint_orders(self, source: uuid.UUID, survivor: uuid.UUID) -> None:
        await self.session.execute(
            update(order_values)
            .where(order_values.c.customer_id == source)
            .values(customer_id=survivor)
        )

    async def segment_members(
        self, rules: dict[str, Any], *, limit: int, keyset: paging.Keyset
    ) -> list[tuple[Customer, Decimal]]:
        """Live customers matching segment rules, with their lifetime revenue."""
        c, v = customers.c, customer_values.c
        revenue = func.coalesce(v.revenue_cents, 0)
        stmt = (
            select(Customer, v.lifetime_revenue)
            .select_from(customers.outerjoin(customer_values, v.customer_id == c.id))
            .where(c.status.not_in([CustomerStatus.MERGED, CustomerStatus.ARCHIVED]))
        )
        for key, column in (("industries", c.industry), ("tiers", c.tier), ("statuses", c.status)):
            if key in rules:
                stmt = stmt.where(func.lower(column).in_(rules[key]))
        if "min_lifetime_revenue" in rules:
            stmt = stmt.where(revenue >= cents(Decimal(rules["min_lifetime_revenue"])))
        if "max_lifetime_revenue" in rules:
            stmt = stmt.where(revenue <= cents(Decimal(rules["max_lifetime_revenue"])))
        rows = (await self.session.execute(paging.apply(stmt, keyset, c.id, limit))).all()
        return [(row[0], row[1] if row[1] is not None else Decimal(0)) for row in rows]
