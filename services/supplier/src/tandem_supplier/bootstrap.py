"""Wiring: the unit of work with its event translator, policies from settings, the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_supplier.application.unit_of_work import SupplierUnitOfWork
from tandem_supplier.events.publishing import translate


def unit_of_work_factory(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[], SupplierUnitOfWork]:
    return lambda: SupplierUnitOfWork(sessions, translate)


def utc_today() -> date:
    return datetime.now(UTC).date()
