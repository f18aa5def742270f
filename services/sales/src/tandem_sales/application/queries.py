"""Reads: what the routes show, with the record-level rule applied."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, time
from decimal import Decimal

from tandem_sales.application.common import visible
from tandem_sales.application.unit_of_work import SalesUnitOfWork
from tandem_sales.domain.access import Actor
from tandem_sales.domain.base import money, show
from tandem_sales.domain.forecast import Forecast, PipelineEntry, forecast


async def pipeline_forecast(uow: SalesUnitOfWork, actor: Actor, owner: str | None) -> Forecast:
    """The weighted pipeline; a sales rep sees only their own opportunities."""
    owner = actor.owner_filter or owner
    rows = await uow.opportunities.pipeline_rows(owner=owner)
    return forecast(
        PipelineEntry(str(r.stage), r.currency, r.amount, r.probability, r.expected_close, r.owner)
        for r in rows
    )


async def orders_summary(uow: SalesUnitOfWork, actor: Actor, now: datetime) -> dict:
    """Orders confirmed today (UTC; cancelled ones excluded) and their value per currency."""
    since = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
    rows = await uow.orders.confirmed_since(since, owner=actor.owner_filter)
    ids: set[uuid.UUID] = set()
    value: dict[str, Decimal] = defaultdict(Decimal)
    for order_id, currency, quantity, unit_price in rows:
        ids.add(order_id)
        value[currency] += money(quantity * unit_price)
    return {
        "confirmed_today": len(ids),
        "confirmed_today_value": [{"amount": show(value[c]), "currency": c} for c in sorted(value)],
        "since": since.isoformat(),
    }


async def get_visible(uow: SalesUnitOfWork, actor: Actor, kind: str, record_id: uuid.UUID):
    repository = {
        "order": uow.orders,
        "quote": uow.quotes,
        "opportunity": uow.opportunities,
    }[kind]
    return visible(await repository.get(record_id), actor, kind, record_id)
